/**
 * Mutation test: gradcheck must catch broken backward passes. Each mutant is the engine with one
 * deliberate bug; its gradients are handed to gradcheck as if a user had written them (`grads`),
 * against the real cell. At default settings gradcheck must FAIL every mutant and name exactly
 * the arrays the bug breaks, while the real backward passes.
 *
 * The cells' mutants are data, never edits of their source:
 * - formula: a cell's real module (src/model/cells/*.ts, transpiled unedited) whose `formula()`
 *   builds the named formula from its parsed tree with one statement altered
 *   (src/exec/ops.ts `formulaFromTree`);
 * - step: the real cell with its backward step handed ops that run one product differently;
 * - spec: the real cell with a CellSpec field altered (src/model/cells/types.ts).
 * Each names the formula, statement or call it cannot find exactly once, and runs with its
 * steps on plainOps and on arenaOps, with the same bits.
 * The unroller's mutants are machinery, not math: src/exec/unroll/pass.ts with one source string
 * replaced (a missing target fails naming it), run with the real cells.
 */
import { strict as assert } from 'assert';
import * as path from 'path';
import type { CellName, Dims, Loss } from '../src/backends/types';
import type { CellSpec, ParamViews, StepGrad } from '../src/model/cells/types';
import { CELLS } from '../src/model/cells';
import { dimsOf, gradients, paramsOf } from '../src/backends/float64';
import * as realUnroll from '../src/exec/unroll';
import { formulaKey, parseFormula, type Expr, type Formula as Tree } from '../src/exec/formulas';
import { arenaOps, formulaFromTree, plainOps, type Mat, type Ops } from '../src/exec/ops';
import { gradcheck, MODES } from '../src/gradcheck';
import { initFixture } from '../src/cli/commands/init';
import { checkInputs } from '../src/validate';
import type { Arrays } from '../src/tensor';
import { hex } from './helpers';
import { editedModule, loadSource, sourceOf } from './mutate';

const SRC = path.join(__dirname, '..', 'src');

// ---- formula mutants: trees, written as data -------------------------------------------------

type E = Expr | string | number; // a name, a number, or a tree
const ex = (e: E): Expr => (typeof e === 'string' ? { kind: 'ref', name: e } : typeof e === 'number' ? { kind: 'num', v: e } : e);
const bin = (op: '+' | '-' | '*') => (a: E, b: E): Expr => ({ kind: 'bin', op, a: ex(a), b: ex(b) });
const [add, sub, mul] = [bin('+'), bin('-'), bin('*')];
const neg = (a: E): Expr => ({ kind: 'neg', a: ex(a) });
const call = (fn: 'max' | 'step', ...args: E[]): Expr => ({ kind: 'call', fn, args: args.map(ex) });
/** A tree as text, every operation parenthesised: equal texts, equal trees. */
const show = (e: Expr): string =>
  e.kind === 'num' ? String(e.v) : e.kind === 'ref' ? e.name : e.kind === 'neg' ? `(-${show(e.a)})` : e.kind === 'call' ? `${e.fn}(${e.args.map(show).join(', ')})` : `(${show(e.a)} ${e.op} ${show(e.b)})`;
const same = (x: Expr, y: Expr): boolean => show(x) === show(y);

/** A statement's expression altered (`where` names the formula and statement, for its errors). */
type Edit = (e: Expr, where: string) => Expr;
/** The whole expression replaced. */
const becomes = (by: E): Edit => () => ex(by);
/** The one subtree equal to `find` replaced by `by`. */
const replaces = (find: E, by: E): Edit => (e, where) => {
  let n = 0;
  const go = (x: Expr): Expr =>
    same(x, ex(find)) ? (n++, ex(by)) : x.kind === 'neg' ? { ...x, a: go(x.a) } : x.kind === 'bin' ? { ...x, a: go(x.a), b: go(x.b) } : x.kind === 'call' ? { ...x, args: x.args.map(go) } : x;
  const out = go(e);
  if (n !== 1) throw new Error(`${where}: ${show(ex(find))} occurs ${n} times in ${show(e)}`);
  return out;
};

/** Formula `formula`'s statement `statement` edited; the statement must be there once, and the edit change the tree. */
interface FormulaMutation { formula: string; statement: string; edit: Edit }

function mutateTree(f: Tree, mu: FormulaMutation): Tree {
  const where = `formula ${f.name}, statement ${mu.statement}`;
  const n = f.statements.filter((s) => s.name === mu.statement).length;
  if (n !== 1) throw new Error(`${where}: the statement occurs ${n} times`);
  const out = { ...f, statements: f.statements.map((s) => (s.name === mu.statement ? { ...s, expr: mu.edit(s.expr, where) } : s)) };
  if (formulaKey(out) === formulaKey(f)) throw new Error(`${where}: the edit changes nothing`);
  return out;
}

/** The real cell's module, transpiled unedited, whose `formula()` makes `mu.formula` from its mutated tree (the others unaltered, none registered). */
function cellWithFormula(cell: CellName, mu: FormulaMutation): CellSpec {
  let made = 0;
  const formula = (name: string, signature: string, body: string): ReturnType<typeof formulaFromTree> => {
    const tree = parseFormula(name, signature, body);
    if (name !== mu.formula) return formulaFromTree(tree);
    made++;
    return formulaFromTree(mutateTree(tree, mu));
  };
  const file = `model/cells/${cell}`;
  const mod = loadSource(file, sourceOf(file), { '../../exec/ops': { ...require(path.join(SRC, 'exec', 'ops')), formula } });
  assert.equal(made, 1, `formula ${mu.formula} is made ${made} times in src/${file}.ts`);
  return Object.values(mod).find((v) => (v as CellSpec | undefined)?.name === cell) as CellSpec; // (the spec the file exports)
}

// ---- step mutants: the ops a backward step runs on --------------------------------------------

/**
 * The backward step's one addProductT(C, A, B) into its `into` buffer from parameter `from`
 * (A is it, or columns of it), run as `instead` does; any other number of such calls throws.
 */
interface StepMutation {
  into: 'daPrev';
  from: string;
  instead: (ops: Ops, C: Mat, A: Mat, B: Mat, p: ParamViews) => void;
}
const skipped: StepMutation['instead'] = () => {};
const untransposed: StepMutation['instead'] = (ops, C, A, B) => ops.addProduct(C, A, B);
/** A = W's first columns (the a_prev part of [a_prev; x]) read from W's last ones (the x part). */
const lastColumns = (W: string): StepMutation['instead'] => (ops, C, A, B, p) => {
  const P = p[W];
  assert.ok(A.buf === P.buf && A.off === P.off && A.rows === P.rows, `A is not ${W}'s first columns`);
  ops.addProductT(C, P.columns(P.cols - A.cols, A.cols), B);
};

/** `cell` whose backward step runs on ops with `mu`'s product altered (plain or arena ops alike: the others are theirs). */
function withStepMutation(cell: CellSpec, mu: StepMutation): CellSpec {
  return {
    ...cell,
    backward(ops: Ops, p: ParamViews, d: Dims, s, g: StepGrad) {
      const from = p[mu.from];
      if (!from) throw new Error(`${cell.name} has no parameter ${mu.from}`);
      let n = 0;
      const mutant: Ops = {
        ...ops,
        addProductT(C, A, B) {
          if (C !== g[mu.into] || A.buf !== from.buf) return ops.addProductT(C, A, B);
          n++;
          mu.instead(ops, C, A, B, p);
        },
      };
      cell.backward(mutant, p, d, s, g);
      if (n !== 1) throw new Error(`${cell.name}'s backward step makes ${n} addProductT calls into ${mu.into} from ${mu.from}, not 1`);
    },
  };
}

// ---- spec mutants: CellSpec fields as data ----------------------------------------------------

type Projection = CellSpec['projections'][number];
/** The cell with projection k's fields changed by `change` (k must exist). */
const projection = (k: number, change: (g: Projection) => Partial<Projection>) => (c: CellSpec): CellSpec => {
  assert.ok(k < c.projections.length, `${c.name} has no projection ${k}`);
  return { ...c, projections: c.projections.map((g, j) => (j === k ? { ...g, ...change(g) } : g)) };
};
/** The cell with stack `name`'s members in another order (the same members). */
const stacked = (name: string, members: string[]) => (c: CellSpec): CellSpec => {
  const st = c.stacks.find((s) => s.name === name);
  assert.deepEqual([...(st?.members ?? [])].sort(), [...members].sort(), `${c.name}'s stack ${name}`);
  return { ...c, stacks: c.stacks.map((s) => (s.name === name ? { ...s, members } : s)) };
};

// ---- the mutants -----------------------------------------------------------------------------

type Mutation =
  | { kind: 'formula'; formula: FormulaMutation }
  | { kind: 'step'; step: StepMutation }
  | { kind: 'spec'; spec: (c: CellSpec) => CellSpec }
  | { kind: 'unroll'; find: string; replace: string };

type Mutant = Mutation & {
  cell: CellName;
  bug: string;
  /** Exactly the gradients the bug breaks: for both losses (head gradients unaffected) or per loss. */
  breaks: string[] | Record<Loss['kind'], string[]>;
};

const formulaMutant = (cell: CellName, bug: string, formula: string, statement: string, edit: Edit, breaks: string[]): Mutant =>
  ({ kind: 'formula', cell, bug, formula: { formula, statement, edit }, breaks });
const stepMutant = (cell: CellName, bug: string, step: StepMutation, breaks: string[]): Mutant => ({ kind: 'step', cell, bug, step, breaks });

const EVERYTHING: Record<CellName, string[]> = { rnn: ['dx', 'da0', 'dWax', 'dWaa', 'dba'], lstm: ['dx', 'da0', 'dc0', 'dWf', 'dbf', 'dWi', 'dbi', 'dWc', 'dbc', 'dWo', 'dbo'], gru: ['dx', 'da0', 'dWu', 'dbu', 'dWr', 'dbr', 'dWc', 'dbc'], gru_reset_after: ['dx', 'da0', 'dWr', 'dbr', 'dWz', 'dbz', 'dWn', 'dbn', 'dWhn', 'dbhn'], rnn_relu: ['dx', 'da0', 'dWax', 'dWaa', 'dba'] };

const MUTANTS: Mutant[] = [
  // RNN
  formulaMutant('rnn', "tanh' taken as 1 − a instead of 1 − a²", 'rnn_back', 'dz', replaces(sub(1, mul('a', 'a')), sub(1, 'a')), EVERYTHING.rnn),
  stepMutant('rnn', 'da_prev not carried back through time', { into: 'daPrev', from: 'Waa', instead: skipped }, EVERYTHING.rnn),
  stepMutant('rnn', 'Waa used untransposed in da_prev', { into: 'daPrev', from: 'Waa', instead: untransposed }, EVERYTHING.rnn),
  // LSTM
  formulaMutant('lstm', 'sign flip in the forget gate term', 'lstm_back', 'dzf', replaces('dcTot', neg('dcTot')), EVERYTHING.lstm),
  formulaMutant('lstm', 'dc_prev not carried back through time', 'lstm_back', 'dcPrev', becomes(0), EVERYTHING.lstm),
  formulaMutant('lstm', 'dropped dc_next term', 'lstm_back', 'dcTot', replaces('dc', mul(0, 'dc')), EVERYTHING.lstm),
  formulaMutant('lstm', 'output gate derivative without tanh(c)', 'lstm_back', 'dzo', replaces(mul(mul('da', 'tc'), 'o'), mul('da', 'o')), EVERYTHING.lstm),
  stepMutant('lstm', 'concat order confused: da_prev read from the x columns of the gate weights', { into: 'daPrev', from: 'W', instead: lastColumns('W') }, EVERYTHING.lstm),
  // GRU
  formulaMutant('gru', 'sign flip in the update gate term', 'gru_back', 'dzu', replaces(sub('cc', 'aPrev'), sub('aPrev', 'cc')), EVERYTHING.gru),
  formulaMutant('gru', 'direct path (1 − u) da not carried to a_prev', 'gru_back', 'daPrev', becomes(0), EVERYTHING.gru),
  formulaMutant('gru', 'reset gate path into a_prev dropped', 'gru_reset_back', 'daPrev', replaces(add('daPrev', mul('dra', 'r')), 'daPrev'), EVERYTHING.gru),
  stepMutant('gru', 'concat order confused: da_prev read from the x columns of the stacked gate weights', { into: 'daPrev', from: 'Wur', instead: lastColumns('Wur') }, EVERYTHING.gru),
  // RNN with a ReLU
  formulaMutant('rnn_relu', "ReLU's gate inverted: the gradient passed where the output is 0, stopped where it is positive", 'relu_back', 'dz', replaces(call('step', 'a'), call('step', neg('a'))), EVERYTHING.rnn_relu),
  stepMutant('rnn_relu', 'da_prev not carried back through time', { into: 'daPrev', from: 'Waa', instead: skipped }, EVERYTHING.rnn_relu),
  // GRU, reset after the product (PyTorch's)
  formulaMutant('gru_reset_after', "reset gate's σ' taken as r, not r(1 − r)", 'grua_back', 'dzr', replaces(sub(1, 'r'), 1), EVERYTHING.gru_reset_after),
  formulaMutant('gru_reset_after', 'reset gate not applied to the gradient of W_hn a_prev + b_hn', 'grua_back', 'dhn', replaces(mul('dzn', 'r'), 'dzn'), EVERYTHING.gru_reset_after),
  formulaMutant('gru_reset_after', 'direct path z da not carried to a_prev', 'grua_back', 'daPrev', becomes(0), EVERYTHING.gru_reset_after),
  stepMutant('gru_reset_after', 'Whn used untransposed in da_prev', { into: 'daPrev', from: 'Whn', instead: untransposed }, EVERYTHING.gru_reset_after),
  // CellSpec fields
  {
    kind: 'spec', cell: 'gru', bug: "the candidate's recurrent dW taken against r, not r ⊙ a_prev (cacheRow at the cache's 2nd block)",
    spec: projection(1, (g) => ({ recurrent: { ...g.recurrent!, cacheRow: (d) => d.n_a } })), breaks: ['dWc'],
  },
  {
    kind: 'spec', cell: 'gru', bug: "the gates' recurrent dW taken against r ⊙ a_prev, not a_prev (the candidate's cacheRow)",
    spec: projection(0, (g) => ({ recurrent: { ...g.recurrent!, cacheRow: (d) => 3 * d.n_a } })), breaks: ['dWu', 'dWr'],
  },
  // (these two alter the forward pass too: with the xent loss the head's gradients break as well)
  {
    kind: 'spec', cell: 'lstm', bug: 'gate weights stacked [Wi; Wf; Wc; Wo]: the steps read Wi as the forget gate and Wf as the update gate',
    spec: stacked('W', ['Wi', 'Wf', 'Wc', 'Wo']), breaks: { sum: EVERYTHING.lstm, xent: [...EVERYTHING.lstm, 'dWy', 'dby'] },
  },
  {
    kind: 'spec', cell: 'lstm', bug: 'input projection one column early: x read against W[:, n_a − 1 : n_a − 1 + n_x]',
    spec: projection(0, () => ({ k0: (d) => d.n_a - 1 })), breaks: { sum: EVERYTHING.lstm, xent: [...EVERYTHING.lstm, 'dWy', 'dby'] },
  },
];

/** Mutations in the unroller's gate gradients, shared by every cell. */
const UNROLL_MUTANTS: { bug: string; find: string; replace: string; breaks: Record<CellName, string[]> }[] = [
  {
    bug: 'gate bias gradient not summed over the batch',
    find: "biasGradient(grads['d' + g.b], dz, rows, m, z0, T_x, zBlock, w, zGroup)",
    replace: "biasGradient(grads['d' + g.b], dz.map((v, k) => (k % m === 0 ? v : 0)), rows, m, z0, T_x, zBlock, w, zGroup)",
    breaks: { rnn: ['dba'], lstm: ['dbf', 'dbi', 'dbc', 'dbo'], gru: ['dbu', 'dbr', 'dbc'], gru_reset_after: ['dbr', 'dbz', 'dbn', 'dbhn'], rnn_relu: ['dba'] },
  },
  {
    bug: 'the x part of dW taken against a⟨t⟩ instead of x⟨t⟩',
    find: "outerAdd(grads['d' + g.W], p[g.W].length / rows, k0, dz, rows, all.x, n_x, m, z0, 0, T_x, zBlock, xBlock, w, zGroup, n_x * w, bt.x)",
    replace: "outerAdd(grads['d' + g.W], p[g.W].length / rows, k0, dz, rows, all.a, n_x, m, z0, 0, T_x, zBlock, block, w, zGroup, n_a * w, bt.x)",
    breaks: { rnn: ['dWax'], lstm: ['dWf', 'dWi', 'dWc', 'dWo'], gru: ['dWu', 'dWr', 'dWc'], gru_reset_after: ['dWr', 'dWz', 'dWn'], rnn_relu: ['dWax'] },
  },
  {
    bug: 'the recurrent part of dW misses step 0 (a0)',
    find: 'outerAdd(dWh, ldh, 0, dz, rows, tr.a0, n_a, m, first * zBlock + z0, 0, 1, 0, 0, w, zGroup, n_a * w);',
    replace: '',
    // (not dWf: with c0 = 0, as `rnn init` draws it, the forget gate's dz at step 0 is 0)
    breaks: { rnn: ['dWaa'], lstm: ['dWi', 'dWc', 'dWo'], gru: ['dWu', 'dWr'], gru_reset_after: ['dWr', 'dWz', 'dWhn'], rnn_relu: ['dWaa'] },
  },
  {
    bug: 'the recurrent part of dW off by one step: a⟨t⟩ instead of a⟨t−1⟩',
    find: 'outerAdd(dWh, ldh, 0, dz, rows, all.a, n_a, m, dFrom * zBlock + z0, aFrom * block,',
    replace: 'outerAdd(dWh, ldh, 0, dz, rows, all.a, n_a, m, dFrom * zBlock + z0, (aFrom + 1) * block,',
    breaks: { rnn: ['dWaa'], lstm: ['dWf', 'dWi', 'dWc', 'dWo'], gru: ['dWu', 'dWr'], gru_reset_after: ['dWr', 'dWz', 'dWhn'], rnn_relu: ['dWaa'] },
  },
];
for (const mu of UNROLL_MUTANTS) {
  for (const cell of ['rnn', 'lstm', 'gru', 'gru_reset_after', 'rnn_relu'] as const) MUTANTS.push({ ...mu, kind: 'unroll', cell, breaks: mu.breaks[cell] });
}

/** The mutant's cell: the real one but for a formula, step or spec mutant. */
function mutantCell(mu: Mutant): CellSpec {
  const real = CELLS[mu.cell];
  switch (mu.kind) {
    case 'formula': return cellWithFormula(mu.cell, mu.formula);
    case 'step': return withStepMutation(real, mu.step);
    case 'spec': return mu.spec(real);
    case 'unroll': return real;
  }
}

/**
 * `cell` with its steps on arenaOps whatever ops the engine hands them: on these private buffers
 * arenaOps run the same loops in JavaScript, so the bits must be plainOps'. (Not a trace on the
 * arena: that would change the arena's history, which test/wasm.test.ts's allocator checks see.)
 */
const onArenaOps = (cell: CellSpec): CellSpec => ({
  ...cell,
  forward: (_ops, p, d, s) => cell.forward(arenaOps, p, d, s),
  backward: (_ops, p, d, s, g) => cell.backward(arenaOps, p, d, s, g),
});

/** The gradients of the mutant: its cell with the real unroller, or the real cell with its unroller. */
function mutantGradients(mu: Mutant, cell: CellSpec, inputs: Arrays, loss: Loss): Arrays {
  let unroll = realUnroll, gradientsOf = gradients;
  if (mu.kind === 'unroll') {
    unroll = editedModule('exec/unroll/index', "from './pass';", "from './pass';", { './pass': editedModule('exec/unroll/pass', mu.find, mu.replace) }) as typeof realUnroll;
    // src/backends/float64.ts's gradients, on the mutant's unroller
    gradientsOf = (editedModule('backends/float64', "from '../exec/unroll';", "from '../exec/unroll';", { '../exec/unroll': unroll }) as typeof import('../src/backends/float64')).gradients;
  }
  const d: Dims = dimsOf(cell, inputs);
  const x = unroll.toTimeMajor(inputs.x.data, d.n_x, d.m, d.T_x);
  const tr = unroll.forward(cell, paramsOf(cell, inputs), d, x, inputs.a0.data, inputs.c0 ? inputs.c0.data : new Float64Array(0));
  assert.equal(tr.groups[0].ops, plainOps, 'a tiny net runs on plainOps');
  try {
    return gradientsOf(tr, loss); // (copies: nothing of the trace's)
  } finally {
    unroll.release(tr);
  }
}

const DIMS: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 };

describe('gradcheck catches broken backward passes', function () {
  for (const mu of MUTANTS) {
    for (const kind of ['sum', 'xent'] as const) {
      it(`${mu.cell}, ${kind} loss, ${mu.kind}: ${mu.bug}`, () => {
        const raw = initFixture({ cell: mu.cell, dims: DIMS, seed: 3, scale: 1 });
        const { inputs } = checkInputs(mu.cell, raw, { da: true, labels: true });
        const loss: Loss = kind === 'sum' ? { kind, da: inputs.da } : { kind, labels: inputs.labels };
        const cell = mutantCell(mu);
        const grads = mutantGradients(mu, cell, inputs, loss);
        if (mu.kind !== 'unroll') {
          const onArena = mutantGradients(mu, onArenaOps(cell), inputs, loss);
          for (const name of Object.keys(grads)) assert.ok(hex(onArena[name].data) === hex(grads[name].data), `${name} differs on arenaOps`);
        }
        const real = gradcheck({ cell: mu.cell, inputs, loss });
        assert.ok(real.pass, 'the real backward must pass');
        const breaks = Array.isArray(mu.breaks) ? mu.breaks : mu.breaks[kind];
        for (const mode of MODES.filter((m) => m !== 'auto')) {
          const r = gradcheck({ cell: mu.cell, inputs, loss, grads, mode });
          const failed = r.arrays.filter((a) => !a.pass).map((a) => a.name).sort();
          assert.ok(!r.pass, `${mode}: mutant passed`);
          assert.deepEqual(failed, [...breaks].sort(), `${mode}: failing arrays`);
        }
      });
    }
  }
});
