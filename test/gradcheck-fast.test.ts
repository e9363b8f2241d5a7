/**
 * gradcheck's fast mode on long sequences: correct gradients must land far below tol, not
 * merely under it. Before each direction was measured on a ladder of steps, term by term
 * (src/gradcheck/evaluator.ts direction), these same nets landed at 7e-9 … 1.9e-6 (course
 * size at T_x = 200, xent) and 1.5e-8 … 1.8e-7 (the saturated ones).
 */
import { strict as assert } from 'assert';
import type { CellName, Dims, Loss } from '../src/backends/types';
import { CELL_NAMES } from '../src/model/cells';
import { initFixture } from '../src/cli/commands/init';
import { float64Backend } from '../src/backends/float64';
import { DEFAULT_TOL, gradcheck } from '../src/gradcheck';
import { tensor, type Arrays } from '../src/tensor';
import { checkInputs } from '../src/validate';
import { weightScale } from './helpers';

/** What is proven: every array's relative error, 100× below the default tol. */
const BOUND = 1e-8;

const COURSE = { n_x: 3, n_a: 5, n_y: 2, m: 10 };
const KINDS = ['sum', 'xent'] as const;

function problem(cell: CellName, d: Dims, seed: number, kind: 'sum' | 'xent'): { inputs: Arrays; loss: Loss } {
  const { inputs } = checkInputs(cell, initFixture({ cell, dims: d, seed, scale: weightScale(cell) }), { da: true, labels: true });
  return { inputs, loss: kind === 'sum' ? { kind, da: inputs.da } : { kind, labels: inputs.labels } };
}

/** Arrays of a fast-mode check of correct gradients whose relative error exceeds BOUND. */
function beyondBound(cell: CellName, d: Dims, seed: number, kind: 'sum' | 'xent'): string[] {
  const { inputs, loss } = problem(cell, d, seed, kind);
  const r = gradcheck({ cell, inputs, loss, mode: 'fast', seed });
  return r.arrays.filter((a) => !(a.relError <= BOUND)).map((a) => `T_x ${d.T_x} seed ${seed} ${kind} ${a.name}: ${a.relError.toExponential(1)}`);
}

describe('gradcheck fast mode on long sequences', () => {
  // Seeds differ for every cell, loss and length: 36 course-size nets, 6 saturated ones.
  const SEEDS_PER_LENGTH: [number, number][] = [[10, 3], [50, 2], [200, 1]];

  for (const [c, cell] of CELL_NAMES.entries()) {
    it(`${cell}: correct gradients land ≤ ${BOUND} at T_x 10 … 200 (course size, randn weights, both losses)`, function () {
      this.timeout(60_000);
      const bad: string[] = [];
      let checks = 0;
      for (const [l, kind] of KINDS.entries()) {
        for (const [T_x, seeds] of SEEDS_PER_LENGTH) {
          for (let i = 0; i < seeds; i++) {
            bad.push(...beyondBound(cell, { ...COURSE, T_x }, 1000 * c + 100 * l + T_x + i, kind));
            checks++;
          }
        }
      }
      assert.equal(checks, 12);
      assert.deepEqual(bad, []);
    });
  }

  it('saturated nets whose gradients grow ~10³–10⁵ in 10 steps (n_a = 64, randn weights) land ≤ 1e-8 too', function () {
    // There the step that moves each entry by eps truncates at 1e-5 … 1e-4; the ladder finds
    // the step 10–100× lower where truncation and rounding meet.
    this.timeout(60_000);
    const bad: string[] = [];
    for (const [c, cell] of CELL_NAMES.entries()) {
      for (const [l, kind] of KINDS.entries()) bad.push(...beyondBound(cell, { n_x: 16, n_a: 64, n_y: 16, m: 4, T_x: 10 }, 7 + 10 * c + l, kind).map((s) => `${cell} ${s}`));
    }
    assert.deepEqual(bad, []);
  });

  it('measures an error just above tol at T_x = 200: a da0 4e-6 off reads δ/(2 + δ) to within 1e-8', function () {
    this.timeout(60_000);
    for (const cell of CELL_NAMES) {
      const { inputs, loss } = problem(cell, { ...COURSE, T_x: 200 }, 42, 'xent');
      const ours = float64Backend.backward(cell, inputs, loss);
      const delta = 4e-6;
      const grads: Arrays = { ...ours, da0: tensor(ours.da0.shape, ours.da0.data.map((v) => v * (1 + delta))) };
      const r = gradcheck({ cell, inputs, loss, mode: 'fast', grads });
      for (const a of r.arrays) {
        // Along every direction, analytic = (1 + δ)·numeric for da0: r = δ / (2 + δ).
        const expected = a.name === 'da0' ? delta / (2 + delta) : 0;
        assert.ok(Math.abs(a.relError - expected) <= BOUND, `${cell} ${a.name}: ${a.relError}`);
      }
      const da0 = r.arrays.find((a) => a.name === 'da0')!;
      assert.ok(da0.relError > DEFAULT_TOL && !da0.pass, `${cell} da0: ${da0.relError}, pass ${da0.pass}`);
    }
  });
});
