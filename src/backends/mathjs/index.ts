/**
 * The `mathjs` backend: a second, literal implementation of the three cells, written with
 * mathjs matrix operations so that it reads like the seed notebook line by line
 * (spec/rnn_step_by_step.txt, "Building RNN from scartch"). It is the in-product oracle the fast
 * Float64Array engine (src/backends/float64.ts) is tested against, and `--backend mathjs` in the CLI.
 * It shares no code with the engine: only the Tensor / Backend types.
 *
 * numpy -> mathjs, as used below (every matrix is 2-D, datatype 'number', float64):
 *   np.dot(A, B)                        math.multiply(A, B)
 *   A + B                               math.add(A, B)
 *   A + b (b of shape (n, 1))           add_bias(A, b)
 *   np.multiply(A, B), A * B            math.dotMultiply(A, B)
 *   1 - A                               one_minus(A)
 *   A.T                                 math.transpose(A)
 *   np.tanh(A)                          tanh(A) = math.map(A, Math.tanh)  (math.tanh(matrix) throws in mathjs 15)
 *   np.concatenate((A, B), axis=0)      concatenate(A, B)
 *   np.sum(A, axis=1, keepdims=True)    sum_keepdims(A)
 *   A[i:j, :]                           rows(A, i, j)
 *   x[:, :, t] of x (n, m, T_x)         x[t]: a sequence is an array of T_x (n, m) matrices
 *
 * Tuples (caches) and dictionaries (gradients) are the seed's. Where the seed stops
 * ("Backpro of LSTM" has no code) and for the GRU, which the seed does not have, the code
 * is ours, written in the same notation.
 *
 * Tensors are converted to matrices once at the boundary (`mathjsBackend` at the end).
 */
import type { Matrix } from 'mathjs';
import type { Backend, CellName, Loss } from '../types';
import { lossInput } from '../loss-input';
import type { Arrays, Tensor } from '../../tensor';
import { REFERENCE_CELLS } from './cells';
import { REFERENCE_LOSSES } from './losses';
import { fromMatrix, fromSequence, type Run, type Sequence } from './math';

export * from './gru';
export { mathjsLayer } from './layer';
export * from './gru_reset_after';
export * from './rnn_relu';
export * from './losses';
export * from './lstm';
export * from './math';
export * from './rnn';

function run(cell: CellName, inputs: Arrays): Run {
  const ref = REFERENCE_CELLS[cell];
  if (!ref) throw new Error(`mathjs backend: unknown cell '${String(cell)}'`);
  return ref.run(inputs);
}

function toTensor(v: Matrix | Sequence): Tensor {
  return Array.isArray(v) ? fromSequence(v) : fromMatrix(v);
}

export const mathjsBackend: Backend = {
  name: 'mathjs',

  forward(cell: CellName, inputs: Arrays): Arrays {
    const r = run(cell, inputs);
    const out: Arrays = { a: fromSequence(r.a), y: fromSequence(r.y) };
    if (r.c) out.c = fromSequence(r.c);
    return out;
  },

  backward(cell: CellName, inputs: Arrays, loss: Loss): Arrays {
    return gradientsOf(cell, run(cell, inputs), loss);
  },

  loss(cell: CellName, inputs: Arrays, loss: Loss): number {
    return lossOfRun(run(cell, inputs), loss);
  },

  lossAndGradients(cell: CellName, inputs: Arrays, loss: Loss): { loss: number; gradients: Arrays } {
    const r = run(cell, inputs);
    return { loss: lossOfRun(r, loss), gradients: gradientsOf(cell, r, loss) };
  },
};

/** Every gradient of `loss` through the run `r` (the seed's backward functions, and the head's where the loss reaches it). */
function gradientsOf(cell: CellName, r: Run, loss: Loss): Arrays {
  const out: Arrays = {};
  const { da, head } = REFERENCE_LOSSES[loss.kind].upstream(r, lossInput(loss));
  if (head) {
    const [W, b] = REFERENCE_CELLS[cell].head;
    out['d' + W] = fromMatrix(head.dWy);
    out['d' + b] = fromMatrix(head.dby);
  }
  const gradients = r.backward(da);
  const result: Arrays = {};
  for (const [name, g] of Object.entries(gradients)) result[name] = toTensor(g);
  return { ...result, ...out };
}

/** The value of `loss` on the run `r`. */
function lossOfRun(r: Run, loss: Loss): number {
  return REFERENCE_LOSSES[loss.kind].value(r, lossInput(loss));
}
