/**
 * Mutation test: gradcheck must catch broken backward passes. Each mutant is the real
 * source of a cell (src/model/cells/*.ts) or of the unroller (src/exec/unroll/pass.ts, which takes the
 * parameter gradients and dx from the cells' gate gradients) with one deliberate bug,
 * transpiled and loaded here; its gradients are handed to gradcheck as if a user had written
 * them (`grads`). At default settings gradcheck must FAIL every mutant and name exactly the
 * arrays the bug breaks, while the real backward passes.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import type { CellName, Dims, Loss } from '../src/backends/types';
import type { CellSpec } from '../src/model/cells/types';
import { dimsOf, paramsOf } from '../src/backends/float64';
import { gradcheck, MODES } from '../src/gradcheck';
import { initFixture } from '../src/cli/commands/init';
import { checkInputs } from '../src/validate';
import type { Arrays } from '../src/tensor';

const SRC = path.join(__dirname, '..', 'src');

/** Loads src/<file>.ts with `find` replaced by `replace` (which must occur exactly once). */
function mutantModule(file: string, find: string, replace: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const source = fs.readFileSync(path.join(SRC, `${file}.ts`), 'utf8');
  const count = source.split(find).length - 1;
  assert.equal(count, 1, `mutation target '${find}' occurs ${count} times in src/${file}.ts`);
  const js = ts.transpileModule(source.replace(find, replace), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const mod = { exports: {} as Record<string, unknown> };
  const req = (spec: string): unknown => overrides[spec] ?? require(spec.startsWith('.') ? path.join(SRC, path.dirname(file), spec) : spec);
  new Function('exports', 'require', 'module', js)(mod.exports, req, mod);
  return mod.exports;
}

interface Mutant {
  cell: CellName;
  bug: string;
  file: string;
  find: string;
  replace: string;
  /** Exactly the gradients the bug breaks (for both losses; head gradients are never affected). */
  breaks: string[];
}

const EVERYTHING: Record<CellName, string[]> = { rnn: ['dx', 'da0', 'dWax', 'dWaa', 'dba'], lstm: ['dx', 'da0', 'dc0', 'dWf', 'dbf', 'dWi', 'dbi', 'dWc', 'dbc', 'dWo', 'dbo'], gru: ['dx', 'da0', 'dWu', 'dbu', 'dWr', 'dbr', 'dWc', 'dbc'] };

const MUTANTS: Mutant[] = [
  // RNN
  { cell: 'rnn', bug: "tanh' taken as 1 − a instead of 1 − a²", file: 'model/cells/rnn', find: '(1 - a * a)', replace: '(1 - a)', breaks: EVERYTHING.rnn },
  { cell: 'rnn', bug: 'da_prev not carried back through time', file: 'model/cells/rnn', find: 'ops.addProductT(g.daPrev, p.Waa', replace: 'void (g.daPrev, p.Waa', breaks: EVERYTHING.rnn },
  { cell: 'rnn', bug: 'Waa used untransposed in da_prev', file: 'model/cells/rnn', find: 'ops.addProductT(g.daPrev, p.Waa', replace: 'ops.addProduct(g.daPrev, p.Waa', breaks: EVERYTHING.rnn },
  // LSTM
  { cell: 'lstm', bug: 'sign flip in the forget gate term', file: 'model/cells/lstm', find: 'dzf = dcTot', replace: 'dzf = -dcTot', breaks: EVERYTHING.lstm },
  { cell: 'lstm', bug: 'dc_prev not carried back through time', file: 'model/cells/lstm', find: 'dcPrev = dcTot * f', replace: 'dcPrev = 0', breaks: EVERYTHING.lstm },
  { cell: 'lstm', bug: 'dropped dc_next term', file: 'model/cells/lstm', find: 'dcTot = dc + da', replace: 'dcTot = 0 * dc + da', breaks: EVERYTHING.lstm },
  { cell: 'lstm', bug: 'output gate derivative without tanh(c)', file: 'model/cells/lstm', find: 'dzo = da * tc * o', replace: 'dzo = da * o', breaks: EVERYTHING.lstm },
  { cell: 'lstm', bug: 'concat order confused: da_prev read from the x columns of the gate weights', file: 'model/cells/lstm', find: 'ops.addProductT(g.daPrev, p.W.columns(0, n_a)', replace: 'ops.addProductT(g.daPrev, p.W.columns(p.W.cols - n_a, n_a)', breaks: EVERYTHING.lstm },
  // GRU
  { cell: 'gru', bug: 'sign flip in the update gate term', file: 'model/cells/gru', find: '(cc - aPrev)', replace: '(aPrev - cc)', breaks: EVERYTHING.gru },
  { cell: 'gru', bug: 'direct path (1 − u) da not carried to a_prev', file: 'model/cells/gru', find: 'daPrev = da * (1 - u)', replace: 'daPrev = 0', breaks: EVERYTHING.gru },
  { cell: 'gru', bug: 'reset gate path into a_prev dropped', file: 'model/cells/gru', find: 'daPrev = daPrev + dra * r', replace: 'daPrev = daPrev', breaks: EVERYTHING.gru },
  { cell: 'gru', bug: 'concat order confused: da_prev read from the x columns of the stacked gate weights', file: 'model/cells/gru', find: 'ops.addProductT(daPrev, p.Wur.columns(0, n_a)', replace: 'ops.addProductT(daPrev, p.Wur.columns(p.Wur.cols - n_a, n_a)', breaks: EVERYTHING.gru },
];

/** Mutations in the unroller's gate gradients, shared by every cell. */
const UNROLL_MUTANTS: { bug: string; find: string; replace: string; breaks: Record<CellName, string[]> }[] = [
  {
    bug: 'gate bias gradient not summed over the batch',
    find: "biasGradient(grads['d' + g.b], dz, rows, m, z0, T_x, zBlock, w, zGroup)",
    replace: "biasGradient(grads['d' + g.b], dz.map((v, k) => (k % m === 0 ? v : 0)), rows, m, z0, T_x, zBlock, w, zGroup)",
    breaks: { rnn: ['dba'], lstm: ['dbf', 'dbi', 'dbc', 'dbo'], gru: ['dbu', 'dbr', 'dbc'] },
  },
  {
    bug: 'the x part of dW taken against a⟨t⟩ instead of x⟨t⟩',
    find: "outerAdd(grads['d' + g.W], ldw, k0, dz, rows, all.x, n_x, m, z0, 0, T_x, zBlock, xBlock, w, zGroup, n_x * w, bt.x)",
    replace: "outerAdd(grads['d' + g.W], ldw, k0, dz, rows, all.a, n_x, m, z0, 0, T_x, zBlock, block, w, zGroup, n_a * w, bt.x)",
    breaks: { rnn: ['dWax'], lstm: ['dWf', 'dWi', 'dWc', 'dWo'], gru: ['dWu', 'dWr', 'dWc'] },
  },
  {
    bug: 'the recurrent part of dW misses step 0 (a0)',
    find: 'outerAdd(dWh, ldh, 0, dz, rows, tr.a0, n_a, m, z0, 0, 1, 0, 0, w, zGroup, n_a * w); // t = 0: a0',
    replace: '',
    // (not dWf: with c0 = 0, as `rnn init` draws it, the forget gate's dz at step 0 is 0)
    breaks: { rnn: ['dWaa'], lstm: ['dWi', 'dWc', 'dWo'], gru: ['dWu', 'dWr'] },
  },
  {
    bug: 'the recurrent part of dW off by one step: a⟨t⟩ instead of a⟨t−1⟩',
    find: 'outerAdd(dWh, ldh, 0, dz, rows, all.a, n_a, m, zBlock + z0, 0,',
    replace: 'outerAdd(dWh, ldh, 0, dz, rows, all.a, n_a, m, zBlock + z0, block,',
    breaks: { rnn: ['dWaa'], lstm: ['dWf', 'dWi', 'dWc', 'dWo'], gru: ['dWu', 'dWr'] },
  },
];
for (const mu of UNROLL_MUTANTS) {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) MUTANTS.push({ ...mu, cell, file: 'exec/unroll/pass', breaks: mu.breaks[cell] });
}

/** The gradients of the mutant: its cell with the real unroller, or the real cell with its unroller. */
function mutantGradients(mu: Mutant, inputs: Arrays, loss: Loss): Arrays {
  const cellFile = `model/cells/${mu.cell}`;
  const cell = (mu.file === cellFile ? mutantModule(cellFile, mu.find, mu.replace) : require(path.join(SRC, cellFile)))[`${mu.cell}Cell`] as CellSpec;
  const unroll = mu.file === 'exec/unroll/pass'
    ? mutantModule('exec/unroll/index', "from './pass';", "from './pass';", { './pass': mutantModule('exec/unroll/pass', mu.find, mu.replace) })
    : require(path.join(SRC, 'exec', 'unroll'));
  // src/backends/float64.ts's gradients, on the mutant's unroller
  const { gradients } = mutantModule('backends/float64', "from '../exec/unroll';", "from '../exec/unroll';", { '../exec/unroll': unroll }) as typeof import('../src/backends/float64');
  const d: Dims = dimsOf(cell, inputs);
  const x = (unroll as typeof import('../src/exec/unroll')).toTimeMajor(inputs.x.data, d.n_x, d.m, d.T_x);
  const tr = (unroll as typeof import('../src/exec/unroll')).forward(cell, paramsOf(cell, inputs), d, x, inputs.a0.data, inputs.c0 ? inputs.c0.data : new Float64Array(0));
  return gradients(tr, loss);
}

const DIMS: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 };

describe('gradcheck catches broken backward passes', function () {
  for (const mu of MUTANTS) {
    for (const kind of ['sum', 'xent'] as const) {
      it(`${mu.cell}, ${kind} loss: ${mu.bug}`, () => {
        const raw = initFixture({ cell: mu.cell, dims: DIMS, seed: 3, scale: 1 });
        const { inputs } = checkInputs(mu.cell, raw, { da: true, labels: true });
        const loss: Loss = kind === 'sum' ? { kind, da: inputs.da } : { kind, labels: inputs.labels };
        const grads = mutantGradients(mu, inputs, loss);
        const real = gradcheck({ cell: mu.cell, inputs, loss });
        assert.ok(real.pass, 'the real backward must pass');
        for (const mode of MODES.filter((m) => m !== 'auto')) {
          const r = gradcheck({ cell: mu.cell, inputs, loss, grads, mode });
          const failed = r.arrays.filter((a) => !a.pass).map((a) => a.name).sort();
          assert.ok(!r.pass, `${mode}: mutant passed`);
          assert.deepEqual(failed, [...mu.breaks].sort(), `${mode}: failing arrays`);
        }
      });
    }
  }
});
