/**
 * The noise floor excuses rounding and nothing else (src/gradcheck/noise.ts): a gradient a
 * little off FAILs in every mode and cell, a gross error at one entry of a vanishing gradient
 * FAILs and is named, while the vanishing gradient itself still passes as `PASS (noise)`.
 * Before the floor was measured per item (64 ulps of Σ|terms of L| / eps for every entry),
 * every case below that must FAIL passed as noise.
 */
import { strict as assert } from 'assert';
import type { CellName, Dims, Loss } from '../src/backends/types';
import { CELL_NAMES, CELLS } from '../src/model/cells';
import { initFixture } from '../src/cli/commands/init';
import { float64Backend } from '../src/backends/float64';
import { DEFAULT_TOL, gradcheck, type ArrayCheck, type Mode } from '../src/gradcheck';
import { tensor, type Arrays } from '../src/tensor';
import { checkInputs } from '../src/validate';
import { weightScale } from './helpers';

const COURSE = { n_x: 3, n_a: 5, n_y: 2, m: 10 };

function problem(cell: CellName, d: Dims, seed: number, kind: 'sum' | 'xent', edit?: (inputs: Arrays) => void): { inputs: Arrays; loss: Loss } {
  const raw = initFixture({ cell, dims: d, seed, scale: weightScale(cell) });
  edit?.(raw);
  const { inputs } = checkInputs(cell, raw, { da: true, labels: true });
  return { inputs, loss: kind === 'sum' ? { kind, da: inputs.da } : { kind, labels: inputs.labels } };
}

/** The cell's first recurrent weight matrix and first gate bias, from the registry. */
const firstParam = (cell: CellName, bias: boolean): string =>
  CELLS[cell].params.find((p) => p.role === 'recurrent' && (p.shape(COURSE as Dims)[1] === 1) === bias)!.name;

const verdictOf = (a: ArrayCheck): string =>
  `${a.name}: ${a.pass ? 'PASS' : 'FAIL'}${a.belowNoise ? ' (noise)' : ''}${a.withinSpread ? ' (FD spread)' : ''}, r = ${a.relError.toExponential(2)}, wrong ${a.wrong}/${a.checked}`;

describe('gradcheck noise floor', () => {
  describe('a gradient 4e-6 off (relative) FAILs, not PASS (noise)', () => {
    const delta = 4e-6;
    // [mode, T_x, arrays]: dx in full mode at T_x = 50 (6000 entries at 200 take seconds).
    const CASES: [Exclude<Mode, 'auto'>, number, (cell: CellName) => string[]][] = [
      ['full', 200, (cell) => ['da0', 'd' + firstParam(cell, false)]],
      ['full', 50, () => ['dx']],
      ['sample', 200, (cell) => ['dx', 'da0', 'd' + firstParam(cell, false)]],
      ['fast', 200, (cell) => ['dx', 'da0', 'd' + firstParam(cell, false)]],
    ];
    for (const cell of CELL_NAMES) {
      it(`${cell}: da0, ${firstParam(cell, false)} and x, full / sample / fast, at T_x up to 200`, function () {
        this.timeout(30_000);
        const failures: string[] = [];
        for (const [mode, T_x, arraysOf] of CASES) {
          const kind = T_x === 50 ? 'sum' : 'xent';
          const { inputs, loss } = problem(cell, { ...COURSE, T_x }, 42, kind);
          const ours = float64Backend.backward(cell, inputs, loss);
          const only = arraysOf(cell);
          const grads: Arrays = { ...ours };
          for (const g of only) grads[g] = tensor(ours[g].shape, ours[g].data.map((v) => v * (1 + delta)));
          const r = gradcheck({ cell, inputs, loss, mode, grads, only, seed: 7 });
          for (const a of r.arrays) {
            // Every entry (direction) off by δ: r = δ/(2 + δ), above tol.
            assert.ok(a.relError > DEFAULT_TOL, `${mode} T_x ${T_x} ${verdictOf(a)}`);
            if (a.pass || !(a.wrong! > 0)) failures.push(`${mode} T_x ${T_x} ${kind} ${verdictOf(a)}`);
          }
        }
        assert.deepEqual(failures, []);
      });
    }
  });

  describe('a gate saturated by its bias: vanishing gradients pass as noise, one gross entry among them FAILs', () => {
    // The first gate's bias raised until the gradients through that gate vanish to below 1e-9
    // (σ'(z) ≈ e^−z, tanh'(z) ≈ 4e^−2z) without being exactly 0: below what any finite
    // difference resolves, as through a gate saturated in training.
    // (not a cell with an unbounded activation: a ReLU's gradient does not vanish as its bias grows)
    for (const cell of CELL_NAMES.filter((c) => !CELLS[c].unbounded)) {
      it(`${cell}: ${firstParam(cell, true)} raised until its gradient vanishes`, () => {
        const bias = firstParam(cell, true);
        let inputs: Arrays = {}, loss: Loss | undefined, ours: Arrays = {};
        for (let shift = 10; shift <= 40; shift += 2) {
          ({ inputs, loss } = problem(cell, { ...COURSE, T_x: 7 }, 3, 'xent', (raw) => raw[bias].data.forEach((_, k, b) => (b[k] += shift))));
          ours = float64Backend.backward(cell, inputs, loss);
          if (Math.max(...ours['d' + bias].data.map(Math.abs)) < 1e-9) break;
        }
        const size = (g: string): number => Math.max(...ours[g].data.map(Math.abs));
        assert.ok(size('d' + bias) < 1e-9 && size('d' + bias) > 0, `d${bias}: ${size('d' + bias)}`);
        const vanishing = Object.keys(ours).filter((g) => size(g) < 1e-9 && size(g) > 0);
        for (const mode of ['full', 'fast'] as const) {
          const right = gradcheck({ cell, inputs, loss: loss!, mode, only: vanishing });
          for (const a of right.arrays) {
            assert.ok(a.pass, `${mode}, correct: ${verdictOf(a)}`);
            // (a PASS by tol needs no excuse; an excused one must be excused as noise)
            assert.ok(a.relError <= DEFAULT_TOL || a.belowNoise, `${mode}, correct: ${verdictOf(a)}`);
          }
          assert.ok(right.arrays.some((a) => a.belowNoise), `${mode}: nothing needed the noise floor`);
          // One entry of each vanishing gradient off by 1e-7: 100× its size or more, yet 20×
          // below the floor that hid it before (64 ulps of Σ|terms| / eps ≈ 2e-6 here).
          for (const g of vanishing) {
            const k = ours[g].data.length >> 1;
            const wrong: Arrays = { ...ours, [g]: tensor(ours[g].shape, ours[g].data.map((v, i) => (i === k ? v + 1e-7 : v))) };
            const a = gradcheck({ cell, inputs, loss: loss!, mode, grads: wrong, only: [g] }).arrays[0];
            assert.ok(!a.pass, `${mode}, ${g}[${k}] + 1e-7: ${verdictOf(a)}`);
            if (mode === 'full') {
              assert.equal(a.wrong, 1, `${g}: ${verdictOf(a)}`);
              assert.ok(Math.abs(a.worst!.analytic - a.worst!.numeric - 1e-7) < 1e-9, `${g}: worst ${JSON.stringify(a.worst)}`);
            }
          }
        }
      });
    }
  });
});
