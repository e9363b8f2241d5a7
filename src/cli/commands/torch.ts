/**
 * `rnn forward|backward|gradcheck --layout torch`: a PyTorch nn.RNN / nn.LSTM / nn.GRU under its own
 * names (src/layouts/torch/): parameters as `state_dict()` names them, `input`, `h_0`, `c_0`;
 * results `output`, `h_n`, `c_n`; gradients `grad_input`, `grad_h_0`, `grad_` + each parameter.
 */
import type { ExpectReport } from '../../compare';
import { InputError } from '../../errors';
import { NumpyRandom } from '../../random';
import type { Mode } from '../../gradcheck';
import { torchGradcheck, type TorchGradcheckResult } from '../../layouts/torch/gradcheck';
import { getLayerEngine, type BackendName } from '../../backends';
import { loadFixture, type Fixture } from '../../io/fixture';
import type { TimeAxis } from '../../mismatch';
import type { NameContract } from '../../names';
import { outputShape, paramNames, torchBackward, torchForward, torchProblem, unusedTorch, TORCH_INPUTS, TORCH_UPSTREAM, type TorchNet, type TorchProblem } from '../../layouts/torch';
import type { Arrays } from '../../tensor';
import { checkFinite } from '../../validate';
import { compareYours, loadYours, resolveYours, type Expected } from './expect';
import type { ArrayRow } from './forward';

export interface TorchCommandOptions {
  sources: string[];
  /** The sources, already read. */
  fixture?: Fixture;
  backend: BackendName;
  /** --cell, checked against the shapes (rnn, lstm, gru). */
  cell?: string;
  prefix?: string;
  batchFirst?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  expect?: string[];
  rtol: number;
  atol: number;
  maxBytes?: number;
}

export interface TorchRun {
  module: TorchNet;
  /** The batch; null for unbatched input. */
  N: number | null;
  T: number;
  batchFirst: boolean;
  arrays: ArrayRow[];
  /** Names in the fixture this command does not read. */
  unknown: string[];
  expected?: ExpectReport;
  /** Which axis of each array is time, for messages. */
  time: TimeAxis;
}

export interface TorchForwardResult extends TorchRun {
  outputs: Arrays;
}

export interface TorchBackwardResult extends TorchRun {
  /** L = Σ grad_output ⊙ output + Σ grad_h_n ⊙ h_n (+ Σ grad_c_n ⊙ c_n). */
  lossValue: number;
  /** Which upstream gradients the fixture had: grad_output, and grad_h_n, grad_c_n if there. */
  upstream: string[];
  gradients: Arrays;
}

/** The module's inputs, read and checked (shapes, finiteness); what it did not read. */
function load(o: TorchCommandOptions, reads: readonly string[]): { fixture: Fixture; problem: TorchProblem; unknown: string[]; yours?: Expected } {
  const fixture = o.fixture ?? loadFixture(o.sources, { maxBytes: o.maxBytes });
  const yours = o.expect ? loadYours(o.expect, { maxBytes: o.maxBytes }) : undefined;
  const problem = torchProblem(fixture.arrays, { cell: o.cell, prefix: o.prefix, batchFirst: o.batchFirst, nonlinearity: o.nonlinearity, source: o.sources });
  const used = [...paramNames(problem.module), ...reads];
  for (const name of used) if (fixture.arrays[name]) checkFinite(name, fixture.arrays[name], fixture.origin[name]?.source);
  // (a forward accepts the upstream gradients silently: they are the fixture's, for backward)
  return { fixture, problem, unknown: unusedTorch(fixture.arrays, problem.module, [...TORCH_INPUTS, ...TORCH_UPSTREAM]), yours };
}

/** Output and grad_input have time on axis 0 — 1 with batch_first — of their 3 (or, unbatched, 2) axes. */
function timeOf(p: TorchProblem): TimeAxis {
  const seq = new Set(['output', 'input', 'grad_output', 'grad_input']);
  return (name, shape) => (seq.has(name) && shape.length >= 2 ? (p.batchFirst && shape.length === 3 ? 1 : 0) : undefined);
}

function rows(fixture: Fixture, p: TorchProblem, reads: readonly string[], results: Arrays): ArrayRow[] {
  const names = [...paramNames(p.module), ...reads].filter((n) => fixture.arrays[n]);
  return [
    ...names.map((name): ArrayRow => ({ name, role: 'input', shape: fixture.arrays[name].shape, source: fixture.origin[name]?.source })),
    ...Object.keys(results).map((name): ArrayRow => ({ name, role: 'output', shape: results[name].shape })),
  ];
}

/** What --expect compares in a torch forward: output, h_n (c_n); the module's inputs are accepted. */
function outputContract(p: TorchProblem, gradients: readonly string[]): NameContract {
  const hasC = p.net.hasC;
  const elsewhere: NameContract['elsewhere'] = {};
  for (const g of gradients) elsewhere[g] = { noun: 'gradient', where: '— compare with rnn backward --layout torch --expect' };
  return {
    option: '--expect', compared: ['output', 'h_n', ...(hasC ? ['c_n'] : [])], what: `output of rnn forward --layout torch (an nn.${p.module.module})`,
    inputs: [...paramNames(p.module), 'input', 'h_0', ...(hasC ? ['c_0'] : []), ...TORCH_UPSTREAM.filter((n) => hasC || n !== 'grad_c_n')], elsewhere,
  };
}

/** What --expect compares in a torch backward: the gradients; outputs and inputs are accepted. */
function gradientContract(p: TorchProblem, gradients: readonly string[]): NameContract {
  const hasC = p.net.hasC;
  const outputs = ['output', 'h_n', ...(hasC ? ['c_n'] : [])];
  return {
    option: '--expect', compared: [...gradients], what: `gradient of rnn backward --layout torch (an nn.${p.module.module})`,
    inputs: [...paramNames(p.module), 'input', 'h_0', ...(hasC ? ['c_0'] : []), ...TORCH_UPSTREAM.filter((n) => hasC || n !== 'grad_c_n'), ...outputs],
    elsewhere: {},
  };
}

export function runTorchForward(o: TorchCommandOptions): TorchForwardResult {
  const { fixture, problem, unknown, yours } = load(o, TORCH_INPUTS);
  const time = timeOf(problem);
  const gradientNames = ['grad_input', 'grad_h_0', ...(problem.net.hasC ? ['grad_c_0'] : []), ...paramNames(problem.module).map((n) => 'grad_' + n)];
  const resolved = yours && resolveYours(yours, outputContract(problem, gradientNames));
  const outputs = torchForward(problem, getLayerEngine(o.backend));
  return {
    module: problem.module, N: problem.N, T: problem.T, batchFirst: problem.batchFirst, time,
    arrays: rows(fixture, problem, TORCH_INPUTS, outputs), outputs, unknown,
    expected: yours && resolved && compareYours(outputs, yours, resolved, o.rtol, o.atol, 'forward', time),
  };
}

export function runTorchBackward(o: TorchCommandOptions): TorchBackwardResult {
  const reads = [...TORCH_INPUTS, ...TORCH_UPSTREAM];
  const { fixture, problem, unknown, yours } = load(o, reads);
  const time = timeOf(problem);
  const gradientNames = ['grad_input', 'grad_h_0', ...(problem.net.hasC ? ['grad_c_0'] : []), ...paramNames(problem.module).map((n) => 'grad_' + n)];
  const resolved = yours && resolveYours(yours, gradientContract(problem, gradientNames));
  const r = torchBackward(problem, fixture.arrays, { source: o.sources }, getLayerEngine(o.backend));
  return {
    module: problem.module, N: problem.N, T: problem.T, batchFirst: problem.batchFirst, time,
    arrays: rows(fixture, problem, reads, r.gradients), unknown,
    lossValue: r.loss, upstream: TORCH_UPSTREAM.filter((n) => fixture.arrays[n]), gradients: r.gradients,
    expected: yours && resolved && compareYours(r.gradients, yours, resolved, o.rtol, o.atol, 'backward', time),
  };
}

export interface TorchGradcheckCommandOptions extends Omit<TorchCommandOptions, 'expect' | 'rtol' | 'atol' | 'backend'> {
  mode: Mode;
  samples: number;
  directions: number;
  eps: number;
  tol: number;
  seed: number;
  only?: string[];
  /** Your gradients: files of grad_<name> arrays, or of p.grad under the parameters' own names. */
  grads?: string[];
}

export interface TorchGradcheckCommandResult extends Omit<TorchRun, 'arrays' | 'expected' | 'time'> {
  /** The upstream gradients the loss reads: grad_output, and grad_h_n, grad_c_n if there. */
  upstream: string[];
  /** Where your gradients came from, when they are yours. */
  gradsFrom?: string[];
  /** What the check decided for you (a grad_output drawn). */
  notes: string[];
  check: TorchGradcheckResult;
  seconds: number;
}

export function runTorchGradcheck(o: TorchGradcheckCommandOptions): TorchGradcheckCommandResult {
  if (!o.sources.length) throw new InputError('gradcheck --layout torch checks a module: give its files (rnn init --layout torch draws one)');
  const { fixture, problem, unknown } = load({ ...o, backend: 'float64', rtol: 0, atol: 0 }, [...TORCH_INPUTS, ...TORCH_UPSTREAM]);
  const yours = o.grads ? loadYours(o.grads, { maxBytes: o.maxBytes }) : undefined;
  const arrays = { ...fixture.arrays }, notes: string[] = [];
  if (!arrays.grad_output) {
    // As the coursera layout's da: an upstream gradient, not data — drawn when the fixture has none,
    // but never against your gradients (they were taken with some grad_output of their own).
    if (yours) throw new InputError('your gradients were taken with some upstream grad_output: put it in the fixture (the loss Σ grad_output ⊙ output + …; one drawn here could only make every array FAIL)', o.sources);
    const shape = outputShape(problem);
    arrays.grad_output = new NumpyRandom(o.seed).randn(...shape);
    notes.push(`grad_output: not in the fixture, drawn as np.random.seed(${o.seed}); randn(${shape.join(', ')})`);
  }
  const started = process.hrtime.bigint();
  const check = torchGradcheck(arrays, {
    cell: o.cell, prefix: o.prefix, batchFirst: o.batchFirst, nonlinearity: o.nonlinearity, source: o.sources,
    mode: o.mode, samples: o.samples, directions: o.directions, eps: o.eps, tol: o.tol, seed: o.seed, only: o.only, grads: yours?.arrays,
  });
  return {
    module: problem.module, N: problem.N, T: problem.T, batchFirst: problem.batchFirst, unknown,
    upstream: TORCH_UPSTREAM.filter((n) => arrays[n]), gradsFrom: yours?.files, check, notes,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
