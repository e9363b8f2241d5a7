/**
 * Mutation test: gradcheck must catch broken backward passes. Each mutant is the real
 * cell source (src/cells/*.ts) with one deliberate bug, transpiled and loaded here; its
 * gradients are handed to gradcheck as if a user had written them (`grads`). At default
 * settings gradcheck must FAIL every mutant and name exactly the arrays the bug breaks,
 * while the real backward passes.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import type { CellName, Dims, Loss } from '../src/backend';
import type { CellSpec } from '../src/cells/types';
import { dimsOf, gradients, paramsOf } from '../src/engine';
import { gradcheck, MODES } from '../src/gradcheck';
import { initFixture } from '../src/commands/init';
import { toSteps, forward } from '../src/unroll';
import { checkInputs } from '../src/validate';
import type { Arrays } from '../src/tensor';

const CELLS_DIR = path.join(__dirname, '..', 'src', 'cells');

/** Loads src/cells/<file>.ts with `find` replaced by `replace` (which must occur exactly once). */
function mutantModule(file: string, find: string, replace: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const source = fs.readFileSync(path.join(CELLS_DIR, `${file}.ts`), 'utf8');
  const count = source.split(find).length - 1;
  assert.equal(count, 1, `mutation target '${find}' occurs ${count} times in src/cells/${file}.ts`);
  const js = ts.transpileModule(source.replace(find, replace), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const mod = { exports: {} as Record<string, unknown> };
  const req = (spec: string): unknown => overrides[spec] ?? require(spec.startsWith('.') ? path.join(CELLS_DIR, spec) : spec);
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
  { cell: 'rnn', bug: "tanh' taken as 1 − a instead of 1 − a²", file: 'rnn', find: '(1 - s.a[k] * s.a[k])', replace: '(1 - s.a[k])', breaks: EVERYTHING.rnn },
  { cell: 'rnn', bug: 'da_prev not carried back through time', file: 'rnn', find: 'mulTAdd(g.daPrev, p.Waa,', replace: 'void (g.daPrev, p.Waa,', breaks: EVERYTHING.rnn },
  { cell: 'rnn', bug: 'Waa used untransposed in da_prev', file: 'rnn', find: 'mulTAdd(g.daPrev, p.Waa,', replace: 'mulAdd(g.daPrev, p.Waa,', breaks: EVERYTHING.rnn },
  { cell: 'rnn', bug: 'dba not summed over the batch', file: 'rnn', find: 'rowSumAdd(g.grads.dba, dtanh, n_a, m)', replace: 'rowSumAdd(g.grads.dba, dtanh.map((v, k) => (k % m === 0 ? v : 0)), n_a, m)', breaks: ['dba'] },
  { cell: 'rnn', bug: 'dWax uses a_prev instead of xt', file: 'rnn', find: 'outerAdd(g.grads.dWax, n_x, 0, dtanh, n_a, s.xt, n_x, m)', replace: 'outerAdd(g.grads.dWax, n_x, 0, dtanh, n_a, s.aPrev, n_x, m)', breaks: ['dWax'] },
  // LSTM
  { cell: 'lstm', bug: 'sign flip in the forget gate term', file: 'lstm', find: 'dz[F * block + k] = dcTot', replace: 'dz[F * block + k] = -dcTot', breaks: EVERYTHING.lstm },
  { cell: 'lstm', bug: 'dc_prev not carried back through time', file: 'lstm', find: 'g.dcPrev[k] = dcTot * f;', replace: 'g.dcPrev[k] = 0;', breaks: EVERYTHING.lstm },
  { cell: 'lstm', bug: 'dropped dc_next term', file: 'lstm', find: 'const dcTot = g.dc[k] + da', replace: 'const dcTot = da', breaks: EVERYTHING.lstm },
  { cell: 'lstm', bug: 'output gate derivative without tanh(c)', file: 'lstm', find: 'dz[O * block + k] = da * tc * o', replace: 'dz[O * block + k] = da * o', breaks: EVERYTHING.lstm },
  // GRU
  { cell: 'gru', bug: 'sign flip in the update gate term', file: 'gru', find: '(cc - s.aPrev[k])', replace: '(s.aPrev[k] - cc)', breaks: EVERYTHING.gru },
  { cell: 'gru', bug: 'direct path (1 − u) da not carried to a_prev', file: 'gru', find: 'g.daPrev[k] = da * (1 - u);', replace: 'g.daPrev[k] = 0;', breaks: EVERYTHING.gru },
  { cell: 'gru', bug: 'reset gate path into a_prev dropped', file: 'gru', find: 'g.daPrev[k] += dra * r;', replace: '', breaks: EVERYTHING.gru },
];

/** Mutations in the gate shared by LSTM and GRU. */
const GATE_MUTANTS = [
  { bug: 'concat order confused: da_prev read from the x columns of the gate weights', find: 'mulTAdd(dh, W, ldw, 0, rows, n_h, dz, m,', replace: 'mulTAdd(dh, W, ldw, n_x, rows, n_h, dz, m,' },
  { bug: 'gate bias gradient not summed over the batch', find: 'rowSumAdd(db, dz, rows, m, dzOff)', replace: 'rowSumAdd(db, dz.map((v, k) => (k % m === 0 ? v : 0)), rows, m, dzOff)' },
];
for (const cell of ['lstm', 'gru'] as const) {
  MUTANTS.push({ ...GATE_MUTANTS[0], cell, file: 'gate', breaks: EVERYTHING[cell] });
  MUTANTS.push({ ...GATE_MUTANTS[1], cell, file: 'gate', breaks: cell === 'lstm' ? ['dbf', 'dbi', 'dbc', 'dbo'] : ['dbu', 'dbr', 'dbc'] });
}

function mutantCell(mu: Mutant): CellSpec {
  const exportName = `${mu.cell}Cell`;
  if (mu.file === 'gate') {
    const gate = mutantModule('gate', mu.find, mu.replace);
    return mutantModule(mu.cell, 'export const', 'export const', { './gate': gate })[exportName] as CellSpec;
  }
  return mutantModule(mu.file, mu.find, mu.replace)[exportName] as CellSpec;
}

function gradientsWith(cell: CellSpec, inputs: Arrays, loss: Loss): Arrays {
  const d: Dims = dimsOf(cell, inputs);
  const p = paramsOf(cell, inputs);
  const tr = forward(cell, p, d, toSteps(inputs.x.data, d.n_x, d.m, d.T_x), inputs.a0.data, inputs.c0 ? inputs.c0.data : new Float64Array(0));
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
        const grads = gradientsWith(mutantCell(mu), inputs, loss);
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
