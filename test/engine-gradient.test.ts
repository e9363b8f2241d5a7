/**
 * The float64 engine's backward against centred finite differences of its own loss,
 * for every cell, both losses, every parameter and x, a0, c0.
 */
import { strict as assert } from 'assert';
import type { Dims, Loss } from '../src/backends/types';
import { CELL_NAMES, CELLS, gradientNames } from '../src/model/cells';
import { float64Backend as engine } from '../src/backends/float64';
import { FD_RTOL, numericGradient, randomInputs, relativeError } from './helpers';

const SIZES: Dims[] = [
  { n_x: 3, n_a: 5, n_y: 2, m: 4, T_x: 4 },
  { n_x: 1, n_a: 2, n_y: 1, m: 1, T_x: 1 },
  { n_x: 2, n_a: 3, n_y: 4, m: 3, T_x: 6 },
];

describe('engine backward vs finite differences', () => {
  for (const cellName of CELL_NAMES) {
    for (const kind of ['sum', 'xent'] as const) {
      SIZES.forEach((d, si) => {
        it(`${cellName} ${kind} loss, size ${si}`, () => {
          const { inputs, da, labels } = randomInputs(cellName, d, 100 + si);
          const loss: Loss = kind === 'sum' ? { kind, da } : { kind, labels };
          const grads = engine.backward(cellName, inputs, loss);
          const names = gradientNames(CELLS[cellName], kind);
          assert.deepEqual(Object.keys(grads).sort(), [...names].sort());
          for (const gname of names) {
            const name = gname.slice(1);
            const num = numericGradient((inp) => engine.loss(cellName, inp, loss), inputs, name);
            const err = relativeError(grads[gname], num);
            assert.ok(err < FD_RTOL, `${cellName} ${kind} ${gname}: relative error ${err}`);
          }
        });
      });
    }
  }
});
