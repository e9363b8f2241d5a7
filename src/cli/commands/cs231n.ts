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

export interface Cs231nCommandOptions {
  sources: string[];
  /** The sources, already read. */
  fixture?: Fixture;
  backend: BackendName;
  cell?: string;
  /** backward: 'sum' (Σ dh ⊙ h) or 'xent' (temporal_softmax_loss); absent: what the fixture allows. */
  loss?: 'sum' | 'xent';
  maxBytes?: number;
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
  const outputs = cs231nForward(problem, getBackend(o.backend));
  return { problem, outputs, arrays: rows(fixture, PARAMS, outputs), time: cs231nTime, unknown: Object.keys(fixture.arrays).filter((n) => !KNOWN.has(n)) };
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
  const r = cs231nBackward(problem, loss === 'sum' ? 'sum' : 'softmax', getBackend(o.backend));
  const reads = [...PARAMS, ...(loss === 'xent' ? HEAD : []), ...LOSS_DATA[loss]];
  return {
    problem, loss, lossInferred, lossValue: r.loss, gradients: r.gradients, arrays: rows(fixture, reads, r.gradients), time: cs231nTime,
    unknown: Object.keys(fixture.arrays).filter((n) => !KNOWN.has(n)),
  };
}
