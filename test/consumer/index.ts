/**
 * A TypeScript consumer of the installed package (test/package.test.ts): an ES module in a
 * project made with `tsc --init`, compiled with and without @types/node, then run. The
 * `@ts-expect-error` lines are type tests (tsc fails on one that no longer errors); `Exact`
 * pins each result's keys, which the run checks against the real objects. No Node API is
 * used, so it compiles without @types/node; failures throw.
 */
import { backward, CELL_NAMES, forward, initFixture, InputError, loss, NumpyRandom, torchBackward, torchForward, type CellInputs, type Gradients, type TorchOutputs } from 'rnn';
import { isMatrix, Matrix } from 'mathjs';
import { CASE_JSON } from './case.js';

type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`consumer: ${what}`);
}

/** The object's own keys are exactly `names`, each a mathjs Matrix of this very mathjs. */
function sameKeys<T extends object>(obj: T, names: readonly (keyof T & string)[], what: string): void {
  const got = Object.keys(obj).sort().join(' ');
  check(got === [...names].sort().join(' '), `${what}: keys ${got}, typed ${[...names].sort().join(' ')}`);
  for (const v of Object.values(obj)) check(isMatrix(v) && v instanceof Matrix, `${what}: not a Matrix of the consumer's mathjs`);
}

function maxAbsDiff(m: Matrix, want: unknown): number {
  const a = (m.toArray() as unknown[]).flat(3) as number[];
  const b = (want as unknown[]).flat(3) as number[];
  check(a.length === b.length, `sizes ${a.length} vs ${b.length}`);
  return Math.max(...a.map((v, k) => Math.abs(v - (b[k] ?? NaN))));
}

// numpy's rnn_course case (fixtures/cases/rnn_course.json), the notebook's own example.
interface Case {
  inputs: CellInputs<'rnn'> & { da: number[][][]; labels: number[][] };
  forward: Record<'a' | 'y', unknown>;
  backward_sum: Record<string, unknown>;
  backward_xent: Record<string, unknown>;
  loss_xent: number;
}
const numpy = JSON.parse(CASE_JSON) as Case;
const { da, labels, ...inputs } = numpy.inputs;

// forward('rnn'): a and y, no c
const out = forward('rnn', inputs);
const outNames = ['a', 'y'] as const;
const outExact: Exact<keyof typeof out, (typeof outNames)[number]> = true;
sameKeys(out, outNames, "forward('rnn')");
// @ts-expect-error the RNN has no cell state
check(out.c === undefined, 'rnn has no c');
for (const n of outNames) check(maxAbsDiff(out[n], numpy.forward[n]) <= 1e-12, `forward ${n} vs numpy`);

// backward('rnn', { da }): the recurrent gradients; with { labels } the head's too
const gs = backward('rnn', inputs, { da });
const sumNames = ['dx', 'da0', 'dWax', 'dWaa', 'dba'] as const;
const sumExact: Exact<keyof typeof gs, (typeof sumNames)[number]> = true;
sameKeys(gs, sumNames, "backward('rnn', { da })");
// @ts-expect-error the sum loss gives no output-head gradient
check(gs.dWya === undefined, 'no dWya for the sum loss');
const gx = backward('rnn', inputs, { labels });
const xentNames = ['dx', 'da0', 'dWax', 'dWaa', 'dba', 'dWya', 'dby'] as const;
const xentExact: Exact<keyof typeof gx, (typeof xentNames)[number]> = true;
sameKeys(gx, xentNames, "backward('rnn', { labels })");
for (const n of sumNames) check(maxAbsDiff(gs[n], numpy.backward_sum[n]) <= 1e-12, `sum ${n} vs numpy`);
for (const n of xentNames) check(maxAbsDiff(gx[n], numpy.backward_xent[n]) <= 1e-12, `xent ${n} vs numpy`);
check(Math.abs(loss('rnn', inputs, { labels }) - numpy.loss_xent) <= 1e-12, 'xent loss vs numpy');

// The LSTM: c, dc0 and its gate parameters; initFixture's Tensors go straight in.
const lstm = initFixture({ cell: 'lstm', dims: { n_x: 3, n_a: 5, n_y: 2, m: 4, T_x: 3 }, seed: 1, scale: 1 });
const lo = forward('lstm', lstm);
const lstmOut = ['a', 'y', 'c'] as const;
const lstmOutExact: Exact<keyof typeof lo, (typeof lstmOut)[number]> = true;
sameKeys(lo, lstmOut, "forward('lstm')");
check(lo.c.size().join() === '5,4,3', `c has size ${lo.c.size().join()}`);
const lg: Gradients<'lstm', { da: number[][][] }> = backward('lstm', lstm, { da: lstm.da });
const lstmSum = ['dx', 'da0', 'dc0', 'dWf', 'dbf', 'dWi', 'dbi', 'dWc', 'dbc', 'dWo', 'dbo'] as const;
const lstmSumExact: Exact<keyof typeof lg, (typeof lstmSum)[number]> = true;
sameKeys(lg, lstmSum, "backward('lstm', { da })");
const gru = initFixture({ cell: 'gru', dims: { n_x: 3, n_a: 5, n_y: 2, m: 4, T_x: 3 }, seed: 2, scale: 1 });
const gg = backward('gru', { ...gru, x: new NumpyRandom(3).randn(3, 4, 3) }, { labels: gru.labels });
const gruXent = ['dx', 'da0', 'dWu', 'dbu', 'dWr', 'dbr', 'dWc', 'dbc', 'dWy', 'dby'] as const;
const gruXentExact: Exact<keyof typeof gg, (typeof gruXent)[number]> = true;
sameKeys(gg, gruXent, "backward('gru', { labels })");

// Wrong calls are type errors, and the same calls from JavaScript are InputErrors.
function refused(call: () => unknown, pattern: RegExp, what: string): void {
  try {
    call();
  } catch (e) {
    check(e instanceof InputError && pattern.test(e.message), `${what}: threw ${String(e)}`);
    return;
  }
  check(false, `${what}: did not throw`);
}
// @ts-expect-error Wax is missing
refused(() => forward('rnn', { x: inputs.x, Waa: inputs.Waa, Wya: inputs.Wya, ba: inputs.ba, by: inputs.by }), /Wax/, 'missing Wax');
// @ts-expect-error one loss at a time
refused(() => backward('rnn', inputs, { da, labels }), /not both/, 'da and labels');
// @ts-expect-error not a cell
refused(() => forward('tcn', inputs), /unknown cell 'tcn'/, 'unknown cell');
check(CELL_NAMES.join() === 'rnn,lstm,gru,gru_reset_after,rnn_relu', `CELL_NAMES ${CELL_NAMES.join()}`);

// A PyTorch nn.RNN(1, 1) by its state_dict names, unbatched input (T = 2, H_in = 1), no biases:
// h1 = tanh(0.5·1), h2 = tanh(0.5·2 + 0.1·h1).
const module = { weight_ih_l0: [[0.5]], weight_hh_l0: [[0.1]], input: [[1], [2]] };
const tout = torchForward(module);
const h1 = Math.tanh(0.5), h2 = Math.tanh(1 + 0.1 * h1);
check(maxAbsDiff(tout.output, [[h1], [h2]]) < 1e-15 && maxAbsDiff(tout.h_n, [[h2]]) < 1e-15, 'torchForward numbers');
sameKeys(tout, ['output', 'h_n'], 'torchForward');
const tback = torchBackward({ ...module, grad_output: [[1], [0]] });
check(maxAbsDiff(tback.gradients.grad_input, [[0.5 * (1 - h1 * h1)], [0]]) < 1e-15, 'torchBackward grad_input');
sameKeys(tback.gradients, ['grad_input', 'grad_h_0', 'grad_weight_ih_l0', 'grad_weight_hh_l0'], 'torchBackward');
const toutExact: Exact<typeof tout, TorchOutputs> = true;

export const typed = toutExact && outExact && sumExact && xentExact && lstmOutExact && lstmSumExact && gruXentExact;
// The ES library only (the test also compiles this without DOM and Node types): print through globalThis.
(globalThis as unknown as { console: { log(s: string): void } }).console.log('typescript consumer: ok');
