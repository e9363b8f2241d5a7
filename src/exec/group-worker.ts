/**
 * The group worker: runs the time loops of the column groups it is sent (src/exec/groups.ts has
 * the protocol), on the trace's own shared buffers, with this thread's own kernels.
 *
 * It never returns to its event loop: it waits on the control word, and reads each job
 * from its port synchronously when the word says one is posted — a futex wake-up, where a
 * message to an idle worker's event loop is slow to arrive (bench/README.md). It does not
 * spin between jobs: a pass posts its backward long after its forward, and the
 * kernels' helper thread may need the core meanwhile.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'worker_threads';
import { CELLS, type CellName } from '../model/cells';
import { CLAIMED, DONE, FAILED, fromWire, POSTED, unwireJob, type GroupMessage } from './groups';
import type { TraceBuffers } from './unroll';
import type { Params } from '../model/cells/types';
import { groupAt, runGroupJob, withParams } from './unroll';

const { ctl, port } = workerData as { ctl: Int32Array; port: MessagePort };

function runJob(msg: GroupMessage): void {
  const cell = CELLS[msg.cell as CellName]; // a spec's name is its key (test/cells-contract.test.ts)
  const { d, widths, memory, direction, zxIn } = msg;
  const layout = { direction, zxIn };
  const p = fromWire<Params>(msg.p, memory), buffers = fromWire<TraceBuffers>(msg.buffers, memory), job = unwireJob(msg.job, memory);
  const groups = msg.groups.map((g) => groupAt(cell, d, widths, buffers, g, p, layout));
  withParams(cell, p, d, () => {
    for (const grp of groups) runGroupJob(cell, p, d, buffers, grp, layout, job);
  });
}

Atomics.store(ctl, 1, 1); // ready
// A job posted while this worker was starting is still ours if it is still POSTED: look at
// the word as it is before waiting for it to change (a process's first pass posts at once).
let seen = -1;
for (;;) {
  while (Atomics.load(ctl, 0) === seen) Atomics.wait(ctl, 0, seen, 1000);
  seen = Atomics.load(ctl, 0);
  if ((seen & 7) !== POSTED) continue;
  // The job's message, dropping any older ones (jobs taken back before we got to them).
  let msg: GroupMessage | undefined;
  for (let r = receiveMessageOnPort(port); r; r = receiveMessageOnPort(port)) {
    msg = r.message as GroupMessage;
    if (msg.id * 8 + POSTED === seen) break;
  }
  if (!msg || msg.id * 8 + POSTED !== seen) continue;
  const tag = msg.id * 8;
  if (Atomics.compareExchange(ctl, 0, tag + POSTED, tag + CLAIMED) !== tag + POSTED) continue; // taken back
  let state = DONE;
  try {
    runJob(msg);
  } catch {
    state = FAILED; // the main thread runs the groups itself, and says what went wrong
  }
  seen = tag + state;
  Atomics.store(ctl, 0, seen);
  Atomics.notify(ctl, 0);
}
