/**
 * How far below tol correct gradients land, and at what cost: gradcheck of our own gradients
 * over seeds, sizes and sequence lengths, per mode, as a Markdown table (worst and median
 * relative error over every array of every check, loss evaluations and time per check).
 *
 *   node -r ts-node/register/transpile-only bench/gradcheck-accuracy.ts [--mode fast|full|sample] [--seeds N] [--exploding]
 *
 * `--exploding` adds randn-weighted nets with n_a = 64 (gradients growing 10³–10⁷× through
 * time: the forwards' own rounding, amplified, is their floor). A benchmark, not a test.
 */
import type { CellName, Dims, Loss } from '../src/backends/types';
import { CELL_NAMES } from '../src/model/cells';
import { initFixture } from '../src/cli/commands/init';
import { gradcheck, type Mode } from '../src/gradcheck';
import { checkInputs } from '../src/validate';

interface Net { label: string; d: Omit<Dims, 'T_x'>; scale: number; lengths: number[] }

const NETS: Net[] = [
  { label: 'course (3, 5, 2, 10), randn', d: { n_x: 3, n_a: 5, n_y: 2, m: 10 }, scale: 1, lengths: [10, 50, 100, 200] },
  { label: 'medium (8, 32, 8, 4), randn/√(n_a+n_x)', d: { n_x: 8, n_a: 32, n_y: 8, m: 4 }, scale: 1 / Math.sqrt(40), lengths: [50, 200] },
  { label: 'saturated (16, 64, 16, 4), randn', d: { n_x: 16, n_a: 64, n_y: 16, m: 4 }, scale: 1, lengths: [10] },
];
const EXPLODING: Net[] = [{ label: 'issue 15 (16, 64, 16, 16), randn', d: { n_x: 16, n_a: 64, n_y: 16, m: 16 }, scale: 1, lengths: [50] }];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const mode = (arg('--mode') ?? 'fast') as Exclude<Mode, 'auto'>;
const seeds = Number(arg('--seeds') ?? 5);
const nets = process.argv.includes('--exploding') ? [...NETS, ...EXPLODING] : NETS;

console.log(`gradcheck --mode ${mode}, correct gradients (ours), ${seeds} seeds per row; relative error per array\n`);
console.log('| net | cell | T_x | loss | worst | median | evaluations / check | ms / check |');
console.log('|---|---|--:|---|--:|--:|--:|--:|');
for (const net of nets) {
  for (const cell of CELL_NAMES as readonly CellName[]) {
    for (const T_x of net.lengths) {
      for (const kind of ['sum', 'xent'] as const) {
        const errors: number[] = [];
        let evaluations = 0, ms = 0;
        for (let seed = 1; seed <= seeds; seed++) {
          const { inputs } = checkInputs(cell, initFixture({ cell, dims: { ...net.d, T_x }, seed, scale: net.scale }), { da: true, labels: true });
          const loss: Loss = kind === 'sum' ? { kind, da: inputs.da } : { kind, labels: inputs.labels };
          const t0 = process.hrtime.bigint();
          const r = gradcheck({ cell, inputs, loss, mode, seed });
          ms += Number(process.hrtime.bigint() - t0) / 1e6;
          evaluations += r.evaluations;
          errors.push(...r.arrays.map((a) => a.relError));
        }
        errors.sort((a, b) => a - b);
        const e = (x: number): string => x.toExponential(1);
        console.log(`| ${net.label} | ${cell} | ${T_x} | ${kind} | ${e(errors[errors.length - 1])} | ${e(errors[errors.length >> 1])} | ${Math.round(evaluations / seeds)} | ${Math.round(ms / seeds)} |`);
      }
    }
  }
}
