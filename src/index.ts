/**
 * The `rnn` library API. Inputs may be mathjs matrices, plain nested arrays, or the Tensors
 * that `initFixture` and `NumpyRandom` return; results are mathjs matrices (the public
 * interchange type). The math runs on the float64 engine unless
 * `{ backend: 'mathjs' }` asks for the literal reference implementation.
 *
 *   import { forward, backward } from 'rnn';
 *   const { a, y, c } = forward('lstm', { x, a0, Wf, bf, ... });
 *   const grads = backward('lstm', { x, a0, Wf, ... }, { da });          // sum loss
 *   const full  = backward('lstm', { x, a0, Wf, ... }, { labels });      // xent loss
 */
import { isMatrix, matrix, type Matrix } from 'mathjs';
import type { CellName, Loss } from './backend';
import { getBackend, type BackendName } from './backends';
import { CELLS, isCellName } from './cells';
import { InputError } from './errors';
import { formatShape, fromNested, sizeOf, toNested, type Arrays, type Nested, type Tensor } from './tensor';
import { checkInputs } from './validate';

/**
 * What the API accepts for an array: a mathjs matrix, nested arrays, or a Tensor
 * `{ shape, data: Float64Array }` (row-major) as `initFixture` and `NumpyRandom` return.
 */
export type ArrayLike = Matrix | Nested | Tensor;

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as Tensor).data instanceof Float64Array && Array.isArray((v as Tensor).shape);
}

export interface Options {
  backend?: BackendName;
}

function toTensor(name: string, v: ArrayLike): Tensor {
  if (isMatrix(v)) return fromNested(v.toArray(), name);
  if (isTensor(v)) {
    const { shape, data } = v;
    if (!shape.every((n) => Number.isInteger(n) && n >= 0) || sizeOf(shape) !== data.length) {
      throw new InputError(`${name}: a Tensor of shape ${formatShape(shape)} must hold ${sizeOf(shape)} values, it holds ${data.length}`);
    }
    return { shape: [...shape], data: data.slice() }; // ours from here on: the caller's stays untouched
  }
  return fromNested(v, name);
}

function toMatrix(t: Tensor): Matrix {
  return matrix(toNested(t) as number[][], 'dense', 'number');
}

function toArrays(inputs: Record<string, ArrayLike>): Arrays {
  const out = Object.create(null) as Arrays; // any name, even __proto__, is a plain key
  for (const [name, v] of Object.entries(inputs)) out[name] = toTensor(name, v);
  return out;
}

function toMatrices(arrays: Arrays): Record<string, Matrix> {
  const out: Record<string, Matrix> = {};
  for (const [name, t] of Object.entries(arrays)) out[name] = toMatrix(t);
  return out;
}

function cellOf(cell: string): CellName {
  if (!isCellName(cell)) throw new InputError(`unknown cell '${cell}' (known: ${Object.keys(CELLS).join(', ')})`);
  return cell;
}

/** Forward over the sequence: { a, y } and, for the LSTM, { c }; each (n, m, T_x). */
export function forward(cell: CellName, inputs: Record<string, ArrayLike>, opts: Options = {}): Record<string, Matrix> {
  const name = cellOf(cell);
  const { inputs: checked } = checkInputs(name, toArrays(inputs));
  return toMatrices(getBackend(opts.backend ?? 'float64').forward(name, checked));
}

/** The loss for `backward`: `{ da }` (sum loss) or `{ labels }` (softmax cross-entropy). */
export type LossInput = { da: ArrayLike } | { labels: ArrayLike };

function lossOf(loss: LossInput, arrays: Arrays): Loss {
  if ('da' in loss) return { kind: 'sum', da: arrays.da };
  return { kind: 'xent', labels: arrays.labels };
}

/** Gradients dx, da0 (dc0), d<param> of the given loss. */
export function backward(cell: CellName, inputs: Record<string, ArrayLike>, loss: LossInput, opts: Options = {}): Record<string, Matrix> {
  const name = cellOf(cell);
  const arrays = toArrays({ ...inputs, ...loss } as Record<string, ArrayLike>);
  const { inputs: checked } = checkInputs(name, arrays, 'da' in loss ? { da: true } : { labels: true });
  return toMatrices(getBackend(opts.backend ?? 'float64').backward(name, checked, lossOf(loss, checked)));
}

/** The scalar value of the loss. */
export function loss(cell: CellName, inputs: Record<string, ArrayLike>, l: LossInput, opts: Options = {}): number {
  const name = cellOf(cell);
  const arrays = toArrays({ ...inputs, ...l } as Record<string, ArrayLike>);
  const { inputs: checked } = checkInputs(name, arrays, 'da' in l ? { da: true } : { labels: true });
  return getBackend(opts.backend ?? 'float64').loss(name, checked, lossOf(l, checked));
}

export { CELLS, CELL_NAMES } from './cells';
export { InputError, CheckFailed } from './errors';
export { NumpyRandom } from './random';
export { initFixture } from './commands/init';
export type { Backend, CellName, Dims, Loss } from './backend';
export type { Tensor, Arrays } from './tensor';
