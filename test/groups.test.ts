/**
 * Column groups (src/exec/unroll/, src/exec/groups.ts): the batch cut into equal groups that run their
 * own time loops, on a group worker when there is one. Neither the groups nor the worker
 * change a bit of any output, gradient or loss.
 */
import { strict as assert } from 'assert';
import * as os from 'os';
import type { CellName, Dims, Loss } from '../src/backends/types';
import { CELLS } from '../src/model/cells';
import { dimsOf, forwardOutputs, gradients, lossOf, paramsOf, trace } from '../src/backends/float64';
import type { CellSpec } from '../src/model/cells/types';
import { groupStats, groupWorkerReady } from '../src/exec/groups';
import * as path from 'path';
import { DONE, jobMessage, POSTED } from '../src/exec/groups';
import { columnGroups, forward, GROUP_MIN_WORK, groupViews, projectionRows, release, toTimeMajor } from '../src/exec/unroll';
import { kernelArena, packedStats } from '../src/exec/kernels';
import { buildBundle, ROOT } from './cli-helpers';
import type { Arrays } from '../src/tensor';
import { setKernelThreads, sharedKernels } from '../src/exec/wasm/kernels';
import { hex, randomInputs } from './helpers';

const CELL_NAMES: CellName[] = ['rnn', 'lstm', 'gru'];

describe('column groups', function () {
  const D: Dims = { n_x: 3, n_a: 5, n_y: 4, m: 10, T_x: 6 };

  for (const cellName of CELL_NAMES) {
    describe(cellName, () => {
      const { inputs, da, labels } = randomInputs(cellName, D, 11);
      const losses: Loss[] = [{ kind: 'sum', da }, { kind: 'xent', labels }];
      const one = trace(cellName, inputs, { widths: [D.m] });

      for (const widths of [[5, 5], [2, 2, 2, 2, 2]]) {
        it(`groups ${widths.join('+')}: every output, gradient and loss bit for bit`, () => {
          const packedBefore = packedStats().products;
          const tr = trace(cellName, inputs, { widths });
          assert.deepEqual(tr.groups.map((g) => [g.j0, g.d.m]), widths.map((w, g) => [widths.slice(0, g).reduce((s, v) => s + v, 0), w]));
          const want = forwardOutputs(one), got = forwardOutputs(tr);
          for (const name of Object.keys(want)) assert.equal(hex(got[name].data), hex(want[name].data), name);
          for (const loss of losses) {
            const g1 = gradients(one, loss), g2 = gradients(tr, loss);
            assert.deepEqual(Object.keys(g2).sort(), Object.keys(g1).sort());
            for (const name of Object.keys(g1)) assert.equal(hex(g2[name].data), hex(g1[name].data), `${loss.kind} ${name}`);
            assert.equal(lossOf(tr, loss), lossOf(one, loss), `${loss.kind} loss`);
          }
          // One-shot traces, as the library and the CLI run them: the input projections in the
          // cache or a where the cell copies them (StepLayout.zxIn), dz over the next step's
          // cache or upstream gradient, one backward pass each — the same bits.
          for (const loss of losses) {
            const shot = trace(cellName, inputs, { widths, oneShot: true });
            try {
              assert.equal(shot.zxIn, CELLS[cellName].zxInto ?? 'own');
              const out = forwardOutputs(shot);
              for (const name of Object.keys(want)) assert.equal(hex(out[name].data), hex(want[name].data), `one-shot ${name}`);
              const g1 = gradients(one, loss), g3 = gradients(shot, loss);
              for (const name of Object.keys(g1)) assert.equal(hex(g3[name].data), hex(g1[name].data), `one-shot ${loss.kind} ${name}`);
              if (shot.zxIn === 'cache') assert.throws(() => gradients(shot, loss), /a one-shot trace takes one backward pass/);
            } finally {
              release(shot);
            }
          }
          // with SIMD, the grouped passes ran their weight products on packed panels (their jobs'
          // packs; rows not a multiple of 4 included), the one-group ones on W itself
          if (kernelArena()) assert.ok(packedStats().products > packedBefore, 'no product ran on packed weights');
        });
      }
    });
  }

  it('two blocks of one weight matrix that start at the same column each get their own packed panels', () => {
    // A made-up LSTM whose input part reads W's first n_x columns, as its recurrent part reads
    // the first n_a: with groups (packed weights, with SIMD) it must give one group's bits.
    const cell: CellSpec = { ...CELLS.lstm, projections: CELLS.lstm.projections.map((g) => ({ ...g, k0: () => 0 })) };
    const { inputs } = randomInputs('lstm', D, 12);
    const d = dimsOf(cell, inputs), p = paramsOf(cell, inputs);
    const run = (widths: number[]): Arrays => {
      const tr = forward(cell, p, d, toTimeMajor(inputs.x.data, d.n_x, d.m, d.T_x, widths), inputs.a0.data, inputs.c0.data, { widths });
      try {
        return forwardOutputs(tr);
      } finally {
        release(tr);
      }
    };
    const packedBefore = packedStats().products;
    // Both groups on this thread: a group worker knows cells by their name in CELLS, and would
    // run the real LSTM for group 1 (a made-up cell is not a registered one).
    setKernelThreads(false);
    try {
      const want = run([D.m]), got = run([5, 5]);
      for (const name of Object.keys(want)) assert.equal(hex(got[name].data), hex(want[name].data), name);
    } finally {
      setKernelThreads(true);
    }
    if (kernelArena()) assert.ok(packedStats().products > packedBefore, 'no product ran on packed weights');
  });

  it("groups follow the sizes only: two halves once a step's recurrent product reaches GROUP_MIN_WORK", () => {
    const big: Dims = { n_x: 64, n_a: 128, n_y: 64, m: 32, T_x: 100 };
    assert.deepEqual(columnGroups(CELLS.lstm, big), [16, 16]);
    assert.deepEqual(columnGroups(CELLS.gru, big), [16, 16]);
    assert.deepEqual(columnGroups(CELLS.rnn, big), [16, 16]); // 128·128·32 multiply-adds per step
    assert.deepEqual(columnGroups(CELLS.rnn, { ...big, n_a: 96 }), [32]); // 96·96·32: below
    assert.deepEqual(columnGroups(CELLS.lstm, { ...big, m: 33 }), [33]); // equal halves only
    assert.deepEqual(columnGroups(CELLS.lstm, { ...big, m: 8 }), [8]); // halves narrower than 8 columns
    assert.deepEqual(columnGroups(CELLS.lstm, D), [D.m]);
    assert.ok(128 * 128 * 32 >= GROUP_MIN_WORK && 96 * 96 * 32 < GROUP_MIN_WORK);
  });

  it("the bundled worker (dist/group-worker.js) runs a group's forward job as this thread does, posted while it starts", async function () {
    this.timeout(60_000);
    buildBundle();
    const { Worker, MessageChannel } = await import('worker_threads');
    const cellName = 'lstm', cell = CELLS[cellName];
    const { inputs } = randomInputs(cellName, D, 13);
    // One trace run here, group by group; then group 1's job again, on the bundled worker:
    // its input projections, time loop and output head.
    setKernelThreads(false);
    const tr = trace(cellName, inputs, { widths: [5, 5] });
    setKernelThreads(true);
    const kinds = ['zx', 'a', 'c', 'cache', 'logits', 'y'] as const;
    const want = kinds.map((k) => hex(tr.all[k]));
    const rows = { zx: projectionRows(cell, D), a: D.n_a, c: D.n_a, cache: cell.cacheRows(D), logits: D.n_y, y: D.n_y };
    for (const k of kinds) for (const v of groupViews(tr.all[k], rows[k], D.m, 5, 5)) v.fill(NaN);
    assert.notEqual(hex(tr.all.a), want[1]);

    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const w = new Worker(path.join(ROOT, 'dist', 'group-worker.js'), { workerData: { ctl, port: port2 }, transferList: [port2] });
    try {
      // Posted before the worker is ready, as a process's first pass posts its job: the worker
      // takes it when it gets there, as it is still POSTED (src/exec/group-worker.ts).
      assert.equal(Atomics.load(ctl, 1), 0, 'the worker was ready before the job was posted');
      port1.postMessage(jobMessage(tr, 1, { kind: 'forward', k0: 0, inputs: true, head: true }, [1]));
      Atomics.store(ctl, 0, 8 + POSTED);
      Atomics.notify(ctl, 0);
      for (let i = 0; i < 2000 && Atomics.load(ctl, 0) !== 8 + DONE; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(Atomics.load(ctl, 0), 8 + DONE, 'the job did not finish');
      kinds.forEach((k, i) => assert.equal(hex(tr.all[k]), want[i], k));
    } finally {
      release(tr);
      port1.close();
      await w.terminate();
    }
  });

  describe('on the group worker', function () {
    this.timeout(60_000);
    // Big enough to be cut in two (RNN 128·128·32 multiply-adds per step, GRU 3× and LSTM 4× that), small enough to be quick.
    const B: Dims = { n_x: 4, n_a: 128, n_y: 4, m: 32, T_x: 12 };
    let ready = false;
    before(async function () {
      if (os.availableParallelism() < 2 || process.env.RNN_KERNEL_THREADS === '1') this.skip();
      ready = await groupWorkerReady();
      await sharedKernels()?.helperReady(); // the products over all steps go to the helper thread too
    });

    for (const cellName of CELL_NAMES) {
      it(`${cellName}: the worker's groups give the very bits of one thread without groups`, () => {
        assert.ok(ready, 'the group worker did not start');
        const { inputs, labels } = randomInputs(cellName, B, 5);
        assert.equal(columnGroups(CELLS[cellName], B).length, 2);
        const loss: Loss = { kind: 'xent', labels };
        setKernelThreads(false);
        let want: Arrays;
        try {
          const plain = trace(cellName, inputs, { widths: [B.m] }); // and no groups at all: the same bits
          want = { ...forwardOutputs(plain), ...gradients(plain, loss) };
        } finally {
          setKernelThreads(true);
        }
        // A job the worker has not claimed by the time this thread is done with its own
        // group is taken back; over a few passes the worker takes some.
        const before = groupStats(), packedBefore = packedStats().products;
        for (let pass = 0; pass < 20; pass++) {
          const tr = trace(cellName, inputs);
          // where there is an arena, the trace lives in it: both threads' products use it in place
          if (kernelArena()) assert.ok([tr.all.zx, tr.all.a, tr.all.cache, tr.a0].every((X) => X.length === 0 || kernelArena()!.isArena(X)), 'arena blocks');
          const got: Arrays = { ...forwardOutputs(tr), ...gradients(tr, loss) };
          release(tr);
          for (const name of Object.keys(want)) assert.equal(hex(got[name].data), hex(want[name].data), name);
          if (kernelArena()) assert.ok(packedStats().products > packedBefore, 'no product ran on packed weights');
          const now = groupStats();
          if (now.posted - before.posted > now.takenBack - before.takenBack) return;
        }
        assert.fail(`the worker took none of ${groupStats().posted - before.posted} jobs`);
      });
    }
  });
});
