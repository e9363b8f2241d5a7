/**
 * A layer that walks its sequence in reverse (src/model/layer.ts): what PyTorch's `_reverse`
 * layers and Keras's `go_backwards` compute. The oracle is the forward direction: a reverse
 * layer over x is a forward layer over x flipped in time, its outputs flipped back — step for
 * step the same operations, so the same bits. Backward, dx, da0 and dc0 are the flipped
 * problem's bits too; a weight's gradient sums the same terms over time in another order,
 * so it agrees to rounding. On course, medium (one group on the kernels' arena) and big nets
 * (column groups, the group worker, the kernels' helper thread), on two threads and on one.
 */
import { strict as assert } from 'assert';
import { gradients, forwardOutputs, trace } from '../src/backends/float64';
import type { Dims, Loss } from '../src/backends/types';
import { columnGroups, release } from '../src/exec/unroll';
import { groupStats, groupWorkerReady } from '../src/exec/groups';
import { setKernelThreads } from '../src/exec/wasm/kernels';
import { CELL_NAMES, CELLS, type CellName } from '../src/model/cells';
import type { Direction } from '../src/model/layer';
import { tensor, type Arrays, type Tensor } from '../src/tensor';
import { randomInputs } from './helpers';

/** t ↦ T−1−t along the last axis. */
function flipTime(a: Tensor): Tensor {
  const T = a.shape[a.shape.length - 1], rows = a.data.length / T;
  const out = new Float64Array(a.data.length);
  for (let r = 0; r < rows; r++) for (let t = 0; t < T; t++) out[r * T + t] = a.data[r * T + T - 1 - t];
  return tensor(a.shape, out);
}

function flipped(inputs: Arrays): Arrays {
  return { ...inputs, x: flipTime(inputs.x) };
}

function pass(cell: CellName, inputs: Arrays, direction: Direction, loss: Loss): { out: Arrays; grads: Arrays } {
  // one-shot, as the library runs it: forward, the projections in the cache where the cell allows (not in reverse)
  const tr = trace(cell, inputs, { direction, oneShot: true });
  try {
    return { out: forwardOutputs(tr), grads: gradients(tr, loss) };
  } finally {
    release(tr);
  }
}

const hex = (t: Tensor): string => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

function maxRelative(a: Tensor, b: Tensor): number {
  let scale = 0, diff = 0;
  for (let i = 0; i < a.data.length; i++) {
    scale = Math.max(scale, Math.abs(b.data[i]));
    diff = Math.max(diff, Math.abs(a.data[i] - b.data[i]));
  }
  return diff / scale;
}

const SIZES: [string, Dims][] = [
  ['course', { n_x: 3, n_a: 5, n_y: 2, m: 4, T_x: 6 }],
  ['medium', { n_x: 5, n_a: 32, n_y: 3, m: 9, T_x: 4 }],
  ['big', { n_x: 4, n_a: 112, n_y: 3, m: 32, T_x: 3 }],
];

describe('a layer walking its sequence in reverse', function () {
  this.timeout(60_000);
  before(async () => {
    assert.ok(await groupWorkerReady(), 'the group worker did not start');
  });

  for (const cell of CELL_NAMES) {
    for (const [size, d] of SIZES) {
      it(`${cell}, ${size}: is the forward layer over x flipped in time, on two threads and on one`, () => {
        const { inputs, da, labels } = randomInputs(cell, d, 31);
        for (const threads of [true, false]) {
          const posted = groupStats().posted;
          setKernelThreads(threads); // (off: no helper thread, no group worker)
          try {
            for (const loss of [{ kind: 'sum', da }, { kind: 'xent', labels }] as Loss[]) {
              const flippedLoss = (loss.kind === 'sum' ? { kind: 'sum', da: flipTime(loss.da) } : { kind: 'xent', labels: flipTime(loss.labels) }) as Loss;
              const rev = pass(cell, inputs, 'reverse', loss);
              const fwd = pass(cell, flipped(inputs), 'forward', flippedLoss);
              const what = `${threads ? 'two threads' : 'one thread'}, ${loss.kind}`;
              for (const name of Object.keys(fwd.out)) assert.equal(hex(rev.out[name]), hex(flipTime(fwd.out[name])), `${name}, ${what}`);
              assert.equal(hex(rev.grads.dx), hex(flipTime(fwd.grads.dx)), `dx, ${what}`);
              for (const name of ['da0', 'dc0'].filter((n) => n in fwd.grads)) assert.equal(hex(rev.grads[name]), hex(fwd.grads[name]), `${name}, ${what}`);
              assert.deepEqual(Object.keys(rev.grads).sort(), Object.keys(fwd.grads).sort());
              for (const name of Object.keys(fwd.grads).filter((n) => !['dx', 'da0', 'dc0'].includes(n))) {
                const err = maxRelative(rev.grads[name], fwd.grads[name]);
                assert.ok(err < 1e-13, `${name}, ${what}: ${err}`);
              }
              // and it is not the forward layer over the same x (the test could not tell otherwise)
              assert.notEqual(hex(rev.out.a), hex(pass(cell, inputs, 'forward', loss).out.a));
            }
          } finally {
            setKernelThreads(true);
          }
          if (threads && columnGroups(CELLS[cell], d).length > 1) assert.ok(groupStats().posted > posted, 'no job ran on the group worker');
        }
      });
    }
  }
});
