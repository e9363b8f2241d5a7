/**
 * The two backends — float64 kernels and the literal mathjs reference — must agree to
 * 1e-12 on random fixtures: forward outputs, both losses and every gradient.
 */
import { strict as assert } from 'assert';
import type { Dims, Loss } from '../src/backends/types';
import { CELL_NAMES } from '../src/model/cells';
import { float64Backend } from '../src/backends/float64';
import { mathjsBackend } from '../src/backends/mathjs';
import { ATOL_REFERENCE, expectClose, randomInputs } from './helpers';

/** Values reach ~10 here; 1e-12 relative on top of 1e-12 absolute only forgives summation order. */
const AGREE = { atol: ATOL_REFERENCE, rtol: ATOL_REFERENCE };

const SIZES: Dims[] = [
  { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 },
  { n_x: 1, n_a: 1, n_y: 1, m: 1, T_x: 1 },
  { n_x: 6, n_a: 4, n_y: 5, m: 3, T_x: 9 },
  // big enough (2^20+ multiply-adds per step product, LSTM and GRU) for resident operands and
  // products on the memory shared with the helper thread (src/exec/kernels.ts), small enough for mathjs
  { n_x: 8, n_a: 112, n_y: 4, m: 32, T_x: 2 },
];

describe('float64 and mathjs backends agree to 1e-12', () => {
  for (const cell of CELL_NAMES) {
    SIZES.forEach((d, i) => {
      for (const scale of i === 3 ? [1] : [1, 3]) {
        it(`${cell}, size ${i}, weight scale ${scale}`, () => {
          const { inputs, da, labels } = randomInputs(cell, d, 40 + i, scale);
          const f = float64Backend.forward(cell, inputs);
          const r = mathjsBackend.forward(cell, inputs);
          assert.deepEqual(Object.keys(f).sort(), Object.keys(r).sort());
          for (const name of Object.keys(f)) expectClose(f[name], r[name], AGREE, `forward ${name}`);
          for (const loss of [{ kind: 'sum', da }, { kind: 'xent', labels }] as Loss[]) {
            const lf = float64Backend.loss(cell, inputs, loss), lr = mathjsBackend.loss(cell, inputs, loss);
            assert.ok(Math.abs(lf - lr) <= ATOL_REFERENCE * Math.max(1, Math.abs(lr)), `${loss.kind} loss ${lf} vs ${lr}`);
            const gf = float64Backend.backward(cell, inputs, loss);
            const gr = mathjsBackend.backward(cell, inputs, loss);
            assert.deepEqual(Object.keys(gf).sort(), Object.keys(gr).sort(), `${loss.kind} gradient names`);
            for (const name of Object.keys(gf)) expectClose(gf[name], gr[name], AGREE, `${loss.kind} ${name}`);
            // both from one pass: the very bits of the two calls apart, in each backend
            for (const [b, L, G] of [[float64Backend, lf, gf], [mathjsBackend, lr, gr]] as const) {
              const both = b.lossAndGradients(cell, inputs, loss);
              assert.equal(both.loss, L, `${b.name} ${loss.kind} lossAndGradients: loss`);
              assert.deepEqual(Object.keys(both.gradients).sort(), Object.keys(G).sort());
              for (const name of Object.keys(G)) assert.deepEqual(both.gradients[name], G[name], `${b.name} ${loss.kind} lossAndGradients: ${name}`);
            }
          }
        });
      }
    });
  }
});
