/**
 * `rnn forward|backward --layout cs231n`: CS231n assignment 3's arrays in its own names
 * (src/layouts/cs231n/): x (N, T, D), h0, Wx, Wh, b, W_vocab, b_vocab, y, mask, dh. Plain
 * functions returning results, as the other command modules.
 */
import { getBackend, type BackendName } from '../../backends';
import { InputError } from '../../errors';
import { loadFixture, type Fixture } from '../../io/fixture';
import { cs231nBackward, cs231nForward, cs231nProblem, type Cs231nProblem } from '../../layouts/cs231n';
import type { TimeAxis } from '../../mismatch';
import type { Arrays } from '../../tensor';
import { checkFinite } from '../../validate';
import type { ArrayRow } from './forward';
import { compareYours, loadYours, resolveYours } from './expect';
import type { NameContract } from '../../names';
import type { ExpectReport } from '../../compare';

export interface Cs231nCommandOptions {
  sources: string[];
  /** The sources, already read. */
  fixture?: Fixture;
  backend: BackendName;
  cell?: string;
  /** backward: 'sum' (Σ dh ⊙ h) or 'xent' (temporal_softmax_loss); absent: what the fixture allows. */
  loss?: 'sum' | 'xent';
  /** --expect FILE…: your outputs (forward) or gradients (backward), in the assignment's names. */
  expect?: string[];
  rtol?: number;
  atol?: number;
  maxBytes?: number;
}

/** Every gradient name the layout gives (dW_vocab, db_vocab: the softmax loss's). */
const GRADIENTS = ['dx', 'dh0', 'dWx', 'dWh', 'db', 'dW_vocab', 'db_vocab'];

/** What --expect compares: forward h; backward the gradients of its loss. The fixture's names are accepted, not compared. */
function contract(kind: 'forward' | 'sum' | 'xent', p: Cs231nProblem): NameContract {
  const inputs = [...KNOWN, ...(kind === 'forward' ? [] : ['h'])];
  if (kind === 'forward') {
    const elsewhere: NameContract['elsewhere'] = {};
    for (const g of GRADIENTS) elsewhere[g] = { noun: 'gradient', where: '— compare with rnn backward --layout cs231n --expect' };
    return { option: '--expect', compared: ['h'], what: `output of rnn forward --layout cs231n (${p.cell}_forward)`, inputs, elsewhere };
  }
  const compared = kind === 'xent' ? GRADIENTS : GRADIENTS.slice(0, 5);
  const elsewhere: NameContract['elsewhere'] = {};
  if (kind === 'sum') for (const g of GRADIENTS.slice(5)) elsewhere[g] = { noun: 'gradient', where: 'of the xent loss only — add --loss xent' };
  return { option: '--expect', compared, what: `gradient of rnn backward --layout cs231n --loss ${kind}`, inputs, elsewhere };
}

/**
 * Your --expect files read and their names checked now (a wrong name is exit 2 before anything
 * runs); `compare` then compares our results with them.
 */
function expecting(o: Cs231nCommandOptions, kind: 'forward' | 'sum' | 'xent', p: Cs231nProblem): (ours: Arrays) => ExpectReport | undefined {
  if (!o.expect) return () => undefined;
  const yours = loadYours(o.expect, { maxBytes: o.maxBytes });
  const resolved = resolveYours(yours, contract(kind, p));
  return (ours) => compareYours(ours, yours, resolved, o.rtol ?? 0, o.atol ?? 0, kind === 'forward' ? 'forward' : 'backward', cs231nTime);
}

/** The arrays each function reads, in the assignment's order. */
const PARAMS = ['x', 'h0', 'Wx', 'Wh', 'b'];
const HEAD = ['W_vocab', 'b_vocab'];
const LOSS_DATA = { sum: ['dh'], xent: ['y', 'mask'] } as const;
const KNOWN = new Set([...PARAMS, ...HEAD, 'y', 'mask', 'dh']);

export interface Cs231nRun {
  problem: Cs231nProblem;
  arrays: ArrayRow[];
  /** Arrays of the fixture this layout does not read. */
  unknown: string[];
  /** Which axis of an array is time: 1 of (N, T, ·) sequences. */
  time: TimeAxis;
  /** What --expect compared. */
  expected?: ExpectReport;
}

export const cs231nTime: TimeAxis = (name, shape) => (shape.length === 3 || ((name === 'y' || name === 'mask') && shape.length === 2) ? 1 : undefined);

function load(o: Cs231nCommandOptions): { fixture: Fixture; problem: Cs231nProblem } {
  const fixture = o.fixture ?? loadFixture(o.sources, { maxBytes: o.maxBytes });
  const problem = cs231nProblem(fixture.arrays, { cell: o.cell, source: o.sources });
  for (const [name, t] of Object.entries(fixture.arrays)) if (KNOWN.has(name)) checkFinite(name, t, fixture.origin[name]?.source);
  return { fixture, problem };
}

function rows(fixture: Fixture, reads: readonly string[], results: Arrays): ArrayRow[] {
  return [
    ...reads.filter((n) => fixture.arrays[n]).map((name): ArrayRow => ({ name, role: 'input', shape: fixture.arrays[name].shape, source: fixture.origin[name]?.source })),
    ...Object.keys(results).map((name): ArrayRow => ({ name, role: 'output', shape: results[name].shape })),
  ];
}

export function runCs231nForward(o: Cs231nCommandOptions): Cs231nRun & { outputs: Arrays } {
  const { fixture, problem } = load(o);
  const compare = expecting(o, 'forward', problem);
  const outputs = cs231nForward(problem, getBackend(o.backend));
  return { problem, outputs, expected: compare(outputs), arrays: rows(fixture, PARAMS, outputs), time: cs231nTime, unknown: Object.keys(fixture.arrays).filter((n) => !KNOWN.has(n)) };
}

export function runCs231nBackward(o: Cs231nCommandOptions): Cs231nRun & { loss: 'sum' | 'xent'; lossInferred?: string; lossValue: number; gradients: Arrays } {
  const { fixture, problem } = load(o);
  const has = (n: string): boolean => fixture.arrays[n] !== undefined;
  let loss = o.loss, lossInferred: string | undefined;
  if (!loss) {
    if (has('dh') && !has('y')) [loss, lossInferred] = ['sum', 'loss sum (inferred: the fixture has dh and no y): the gradients of Σ dh ⊙ h, as rnn_backward(dh, cache)'];
    else if (has('y') && !has('dh')) [loss, lossInferred] = ['xent', 'loss xent (inferred: the fixture has y and no dh): temporal_softmax_loss through temporal_affine_forward'];
    else if (has('y') && has('dh')) throw new InputError('the fixture has dh and y: say which loss with --loss sum (Σ dh ⊙ h) or --loss xent (temporal_softmax_loss)', o.sources);
    else throw new InputError('backward needs dh (N, T, H) for --loss sum, or y (N, T) with W_vocab, b_vocab for --loss xent', o.sources);
  }
  const compare = expecting(o, loss, problem);
  const r = cs231nBackward(problem, loss === 'sum' ? 'sum' : 'softmax', getBackend(o.backend));
  const reads = [...PARAMS, ...(loss === 'xent' ? HEAD : []), ...LOSS_DATA[loss]];
  return {
    problem, loss, lossInferred, lossValue: r.loss, gradients: r.gradients, expected: compare(r.gradients), arrays: rows(fixture, reads, r.gradients), time: cs231nTime,
    unknown: Object.keys(fixture.arrays).filter((n) => !KNOWN.has(n)),
  };
}
