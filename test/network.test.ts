/**
 * What a network of layers (src/backends/network.ts) adds to one layer: the upstream of the
 * last cell state, dcN (PyTorch's grad_c_n), reaching BPTT (src/model/layer.ts, src/exec/unroll/pass.ts).
 * PyTorch's own numbers hold it on small modules (test/torch-layout.test.ts); here a big LSTM
 * layer — two column groups, the group worker, the arena — must give the bits of one column
 * group, in both directions, and the gradient must be linear in (da, dcN). A bidirectional
 * layer's two directions, run side by side on two threads, give the bits of one after the other.
 */
import { strict as assert } from 'assert';
import * as os from 'os';
import { float64Layer, gradients, layerPass, trace } from '../src/backends/float64';
import { oneByOne } from '../src/backends/network';
import { groupStats, groupWorkerReady } from '../src/exec/groups';
import { setKernelThreads } from '../src/exec/wasm/kernels';
import { columnGroups, release, sharedPass } from '../src/exec/unroll';
import { BESIDE_MIN_WORK } from '../src/exec/unroll/pass';
import { stepWork } from '../src/exec/unroll/trace';
import { CELLS, type CellName } from '../src/model/cells';
import type { Direction } from '../src/model/layer';
import { tensor, type Arrays, type Tensor } from '../src/tensor';
import { randomInputs } from './helpers';

const hex = (t: Tensor): string => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

const d = { n_x: 8, n_a: 112, n_y: 3, m: 32, T_x: 5 };

function grads(inputs: Arrays, da: Tensor, dcN: Tensor | undefined, direction: Direction, widths?: number[]): Arrays {
  const tr = trace('lstm', inputs, { direction, oneShot: true, head: false, widths });
  try {
    return gradients(tr, { kind: 'sum', da }, dcN && tensor([d.n_a, d.m], dcN.data));
  } finally {
    release(tr);
  }
}

describe('a layer\'s last cell state gets its upstream gradient (dcN)', function () {
  this.timeout(60_000);
  const { inputs, da } = randomInputs('lstm', d, 11);
  const dcN = randomInputs('lstm', { ...d, T_x: 1 }, 12).da; // (n_a, m, 1): its data is an (n_a, m) array's

  it('the sizes make two column groups', () => assert.equal(columnGroups(CELLS.lstm, d).length, 2));

  for (const dir of ['forward', 'reverse'] as Direction[]) {
    it(`${dir}: two column groups give one group's bits`, () => {
      const two = grads(inputs, da, dcN, dir), one = grads(inputs, da, dcN, dir, [d.m]);
      for (const k of Object.keys(one)) assert.equal(hex(two[k]), hex(one[k]), k);
    });

    it(`${dir}: it changes the gradients, linearly: g(da, dcN) = g(da, 0) + g(0, dcN)`, () => {
      const both = grads(inputs, da, dcN, dir), daOnly = grads(inputs, da, undefined, dir);
      const dcOnly = grads(inputs, tensor(da.shape, new Float64Array(da.data.length)), dcN, dir);
      for (const k of ['dx', 'da0', 'dc0', 'dWf', 'dWc', 'dbo']) {
        const scale = Math.max(...both[k].data.map(Math.abs));
        let diff = 0, changed = 0;
        both[k].data.forEach((v, i) => {
          diff = Math.max(diff, Math.abs(v - daOnly[k].data[i] - dcOnly[k].data[i]));
          changed = Math.max(changed, Math.abs(v - daOnly[k].data[i]));
        });
        assert.ok(diff <= 1e-13 * scale, `${k}: off by ${diff}`);
        assert.ok(changed > 1e-6 * scale, `${k}: dcN changed nothing`);
      }
    });
  }
});

describe("a bidirectional layer's two directions side by side (the group worker runs one)", function () {
  this.timeout(60_000);
  // One column group (m < 16), on the arena, recurrent products of at least BESIDE_MIN_WORK: where the directions run side by side.
  const D = { n_x: 6, n_a: 80, n_y: 0, m: 8, T_x: 50 };
  before(async function () {
    if (os.availableParallelism() < 2 || process.env.RNN_KERNEL_THREADS === '1') this.skip();
    assert.ok(await groupWorkerReady(), 'the group worker did not start');
  });

  for (const cellName of ['lstm', 'gru_reset_after', 'rnn'] as CellName[]) {
    it(`${cellName}: the states and gradients of both directions are those of one after the other on one thread`, function () {
      const cell = CELLS[cellName];
      if (!sharedPass(cell, D, columnGroups(cell, D))) this.skip(); // (no arena: nothing runs side by side)
      assert.equal(columnGroups(cell, D).length, 1);
      assert.ok(stepWork(cell, D) * D.T_x >= BESIDE_MIN_WORK);
      const layer = (seed: number): Arrays => {
        const { inputs } = randomInputs(cellName, { ...D, n_y: 1 }, seed);
        const { [cell.head.W]: _W, [cell.head.b]: _b, ...rest } = inputs;
        return rest;
      };
      const inputs = [layer(3), layer(4)];
      const da = [randomInputs(cellName, { ...D, n_y: 1 }, 5).da, randomInputs(cellName, { ...D, n_y: 1 }, 6).da];
      const dcN = cell.hasCellState ? [tensor([D.n_a, D.m], da[1].data.slice(0, D.n_a * D.m)), undefined] : [undefined, undefined];
      const dirs: Direction[] = ['forward', 'reverse'];
      const all = (engine: typeof float64Layer): string[] => {
        const p = engine(cellName, inputs, dirs);
        const g = p.backward(da, dcN);
        p.release();
        return [...p.a, ...(p.c ?? []), ...g.flatMap((gs) => Object.keys(gs).sort().map((k) => gs[k]))].map(hex);
      };
      setKernelThreads(false);
      let want: string[];
      try {
        want = all(oneByOne(layerPass));
      } finally {
        setKernelThreads(true);
      }
      // A job the worker has not claimed by the time this thread is done with its own direction is taken back; over a few passes the worker takes some.
      const before = groupStats();
      for (let pass = 0; pass < 10; pass++) {
        assert.deepEqual(all(float64Layer), want);
        const now = groupStats();
        if (now.posted - before.posted > now.takenBack - before.takenBack) return;
      }
      assert.fail(`the worker took none of ${groupStats().posted - before.posted} jobs`);
    });
  }

  it('below BESIDE_MIN_WORK the directions run one after the other on this thread: no job is posted', () => {
    const small = { n_x: 6, n_a: 16, n_y: 1, m: 8, T_x: 20 };
    assert.ok(stepWork(CELLS.lstm, small) * small.T_x < BESIDE_MIN_WORK);
    const { inputs, da } = randomInputs('lstm', small, 7);
    const before = groupStats().posted;
    const p = float64Layer('lstm', [inputs, inputs], ['forward', 'reverse']);
    p.backward([da, da], [undefined, undefined]);
    p.release();
    assert.equal(groupStats().posted, before);
  });
});
