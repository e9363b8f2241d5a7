/**
 * How well the noise floor fits the rounding it is meant to cover (src/gradcheck/noise.ts),
 * on correct gradients of bounded, saturated, exploding and chaotic nets:
 *
 *   node -r ts-node/register/transpile-only bench/gradcheck-noise.ts [tame|hot|issue|long] [--items N] [--dirs N]
 *
 * Per array it takes a first pass as gradcheck does (entries at eps; directions on their
 * ladder), measures κ as gradcheck does, then draws a fresh rounding sample of every item —
 * the second difference of three more centred differences at step·(1 + j·2⁻²⁶), j = 40 … 42,
 * over √6 — and prints per net, cell and loss: the fresh samples in units of the model σ
 * (noise.ts sigmaOf) and of its first part alone (the terms' own rounding), median and
 * largest; the range of κ over its arrays; the largest fresh sample in units of κ·σ (what
 * NOISE_Z must stay above: 16); the largest and the median floor relative to the derivative
 * (|floor / g|: the smallest relative error the check could still tell from rounding at that
 * item). A benchmark, not a test.
 */
import type { CellName, Dims, Loss } from '../src/backends/types';
import { CELL_NAMES, CELLS } from '../src/model/cells';
import { initFixture } from '../src/cli/commands/init';
import { float64Backend } from '../src/backends/float64';
import { Evaluator } from '../src/gradcheck/evaluator';
import type { Plan } from '../src/gradcheck';
import { measuredNoise, noiseFloors } from '../src/gradcheck/noise';
import { emptyPass, measureEntries, pushDirection } from '../src/gradcheck/pass';
import { drain } from '../src/gradcheck/steps';
import { NumpyRandom } from '../src/random';
import { checkInputs } from '../src/validate';

interface Net { label: string; d: Dims; scale: number; seed: number }
const course = (T_x: number, scale = 1): Dims => ({ n_x: 3, n_a: 5, n_y: 2, m: 10, T_x });
const SETS: Record<string, Net[]> = {
  tame: [
    ...[10, 50, 200].map((T_x) => ({ label: `course T_x=${T_x}, randn`, d: course(T_x), scale: 1, seed: 5 })),
    ...[50, 200].map((T_x) => ({ label: `medium (8, 32, 8, 4) T_x=${T_x}, randn/√40`, d: { n_x: 8, n_a: 32, n_y: 8, m: 4, T_x }, scale: 1 / Math.sqrt(40), seed: 5 })),
    ...[0.3, 3, 6].map((scale) => ({ label: `(4, 7, 3, 6) T_x=9, randn×${scale}`, d: { n_x: 4, n_a: 7, n_y: 3, m: 6, T_x: 9 }, scale, seed: 5 })),
  ],
  hot: [
    { label: 'saturated (16, 64, 16, 4) T_x=10, randn', d: { n_x: 16, n_a: 64, n_y: 16, m: 4, T_x: 10 }, scale: 1, seed: 5 },
    { label: 'exploding (8, 32, 4, 4) T_x=20, randn', d: { n_x: 8, n_a: 32, n_y: 4, m: 4, T_x: 20 }, scale: 1, seed: 1 },
    { label: 'chaotic (8, 32, 4, 4) T_x=20, randn×2', d: { n_x: 8, n_a: 32, n_y: 4, m: 4, T_x: 20 }, scale: 2, seed: 1 },
  ],
  issue: [{ label: 'issue 15 (16, 64, 16, 16) T_x=50, randn', d: { n_x: 16, n_a: 64, n_y: 16, m: 16, T_x: 50 }, scale: 1, seed: 2 }],
  long: [{ label: 'long (16, 64, 16, 16) T_x=200, randn×0.3', d: { n_x: 16, n_a: 64, n_y: 16, m: 16, T_x: 200 }, scale: 0.3, seed: 5 }],
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const set = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'tame';
const ITEMS = Number(arg('--items') ?? 12);
const DIRS = Number(arg('--dirs') ?? 3);
const EPS = 1e-6;
const PROBE = 2 ** -26;
const e = (x: number): string => x.toExponential(1);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

console.log(`noise floor vs rounding, correct gradients (ours), eps ${EPS}: ${set} nets; ${ITEMS} entries and ${DIRS} directions per array\n`);
console.log('| net | cell | loss | items | fresh / σ of the terms alone | fresh / σ | κ (arrays) | largest fresh / κσ | floor / |g|: largest, median |');
console.log('|---|---|---|--:|--:|--:|--:|--:|--:|');
for (const net of SETS[set]) {
  for (const cell of CELL_NAMES as readonly CellName[]) {
    for (const kind of ['sum', 'xent'] as const) {
      const { inputs } = checkInputs(cell, initFixture({ cell, dims: net.d, seed: net.seed, scale: net.scale }), { da: true, labels: true });
      const loss: Loss = kind === 'sum' ? { kind, da: inputs.da } : { kind, labels: inputs.labels };
      const grads = float64Backend.backward(cell, inputs, loss);
      const ev = new Evaluator(cell, inputs, loss);
      const rng = new NumpyRandom(net.seed);
      const kappas: number[] = [], worst: number[] = [], relFloor: number[] = [], terms: number[] = [], model: number[] = [];
      const names = ['x', 'a0', ...(CELLS[cell].hasCellState ? ['c0'] : []), ...CELLS[cell].params.filter((p) => kind === 'xent' || p.role !== 'head').map((p) => p.name)];
      for (const input of names) {
        const n = inputs[input].data.length, g = grads['d' + input].data;
        const entries = [...new Set(Array.from({ length: Math.min(ITEMS, n) }, () => Math.floor(rng.nextDouble() * n)))].sort((a, b) => a - b);
        const dirs = Array.from({ length: DIRS }, () => {
          const v = rng.randn(n).data;
          const norm = Math.hypot(...v);
          return v.map((x) => x / norm);
        });
        for (const pl of [{ input, entries, directions: 0 }, { input, entries: [], directions: dirs.length }] as unknown as Plan[]) {
          const first = emptyPass();
          measureEntries(ev, input, pl.entries, EPS, 0, pl.entries.length, first);
          if (pl.directions) for (const v of dirs) pushDirection(ev, input, ev.direction(input, v, EPS), first);
          const kappa = drain(measuredNoise(ev, pl, first, (i) => dirs[i]));
          const floors = noiseFloors(first, pl, kappa);
          kappas.push(kappa);
          first.values.forEach((_, k) => {
            const c = [40, 41, 42].map((j) => {
              const h = first.step[k] * (1 + j * PROBE);
              return k < pl.entries.length ? ev.entry(input, pl.entries[k], h) : ev.centredAlong(input, dirs[k - pl.entries.length], h);
            });
            const fresh = Math.abs(c[0] - 2 * c[1] + c[2]) / Math.sqrt(6);
            worst.push(fresh / (Math.max(kappa, 1 / 4) * first.sigma[k]));
            terms.push(fresh / ((2 ** -52 * ev.magnitude) / (2 * first.step[k])));
            model.push(fresh / first.sigma[k]);
            const exact = k < pl.entries.length ? g[pl.entries[k]] : dirs[k - pl.entries.length].reduce((s, x, i) => s + x * g[i], 0);
            if (exact !== 0) relFloor.push(floors[k] / Math.abs(exact));
          });
        }
      }
      ev.release();
      const range = (xs: number[]): string => `${e(median(xs))} … ${e(Math.max(...xs))}`;
      console.log(`| ${net.label} | ${cell} | ${kind} | ${worst.length} | ${range(terms)} | ${range(model)} | ${e(Math.min(...kappas))} … ${e(Math.max(...kappas))} | ${Math.max(...worst).toFixed(1)} | ${e(Math.max(...relFloor))}, ${e(median(relFloor))} |`);
    }
  }
}
