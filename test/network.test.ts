/**
 * What a network of layers (src/backends/network.ts) adds to one layer: the upstream of the
 * last cell state, dcN (PyTorch's grad_c_n), reaching BPTT (src/model/layer.ts, src/exec/unroll/pass.ts).
 * PyTorch's own numbers hold it on small modules (test/torch-layout.test.ts); here a big LSTM
 * layer — two column groups, the group worker, the arena — must give the bits of one column
 * group, in both directions, and the gradient must be linear in (da, dcN).
 */
import { strict as assert } from 'assert';
import { gradients, trace } from '../src/backends/float64';
import { columnGroups, release } from '../src/exec/unroll';
import { CELLS } from '../src/model/cells';
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
