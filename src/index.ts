/**
 * The `rnn` library API. Inputs may be mathjs matrices, plain nested arrays, or the Tensors
 * that `initFixture` and `NumpyRandom` return; results are mathjs matrices (the public
 * interchange type), typed per cell and loss (src/api-types.ts). The math runs on the float64
 * engine unless `{ backend: 'mathjs' }` asks for the literal reference implementation.
 *
 *   import { forward, backward } from 'rnn';
 *   const { a, y, c } = forward('lstm', { x, a0, Wf, bf, ... });
 *   const grads = backward('lstm', { x, a0, Wf, ... }, { da });          // sum loss
 *   const full  = backward('lstm', { x, a0, Wf, ... }, { labels });      // xent loss
 *
 * mathjs is a dependency, not bundled: results are matrices of the consumer's own mathjs (one
 * copy when the versions agree) — of its CommonJS build for require('rnn') (dist/index.js), of
 * its ES module build for import (dist/index.mjs; the two builds' classes differ).
 */
import { isMatrix, matrix, type Matrix } from 'mathjs';
import type { ArrayLike, CellInputs, Fixture, ForwardResult, Gradients, LossInput } from './api-types';
import { LOSS_INPUT, lossWith, type CellName, type Loss } from './backends/types';
import { getBackend, type BackendName } from './backends';
import { CELLS, isCellName } from './model/cells';
import { LOSS_NAMES } from './model/losses';
import { initFixture as init, type InitOptions } from './cli/commands/init';
import { InputError } from './errors';
import { printable, shown } from './escape';
import { formatShape, fromNested, sizeOf, toNested, type Arrays, type Tensor } from './tensor';
import { checkInputs } from './validate';

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as Tensor).data instanceof Float64Array && Array.isArray((v as Tensor).shape);
}

export interface Options {
  backend?: BackendName;
}

function toTensor(name: string, v: ArrayLike): Tensor {
  if (isTensor(v)) {
    const { shape, data } = v;
    if (!shape.every((n) => Number.isInteger(n) && n >= 0) || sizeOf(shape) !== data.length) {
      throw new InputError(`${shown(name)}: a Tensor of shape ${formatShape(shape)} must hold ${sizeOf(shape)} values, it holds ${data.length}`);
    }
    return { shape: [...shape], data: data.slice() }; // ours from here on: the caller's stays untouched
  }
  if (isMatrix(v)) return fromNested(v.toArray(), name);
  return fromNested(v, name);
}

function toMatrix(t: Tensor): Matrix {
  return matrix(toNested(t) as number[][], 'dense', 'number');
}

/** The named arrays of `inputs`; a name whose value is undefined is absent (as `a0?:` says). */
function toArrays(inputs: object): Arrays {
  const out = Object.create(null) as Arrays; // any name, even __proto__, is a plain key
  for (const [name, v] of Object.entries(inputs) as [string, ArrayLike | undefined][]) if (v !== undefined) out[name] = toTensor(name, v);
  return out;
}

function toMatrices(arrays: Arrays): Record<string, Matrix> {
  const out: Record<string, Matrix> = {};
  for (const [name, t] of Object.entries(arrays)) out[name] = toMatrix(t);
  return out;
}

function cellOf(cell: string): CellName {
  if (!isCellName(cell)) throw new InputError(`unknown cell '${printable(String(cell))}' (known: ${Object.keys(CELLS).join(', ')})`);
  return cell;
}

/** Forward over the sequence: { a, y } and, for the LSTM, { c }; each (n, m, T_x). */
export function forward<C extends CellName>(cell: C, inputs: CellInputs<C>, opts: Options = {}): ForwardResult<C> {
  const name = cellOf(cell);
  const { inputs: checked } = checkInputs(name, toArrays(inputs));
  return toMatrices(getBackend(opts.backend ?? 'float64').forward(name, checked)) as ForwardResult<C>;
}

/** The inputs and the loss's array, checked and converted to Tensors. */
function checkedWithLoss(cell: CellName, inputs: CellInputs<CellName>, l: LossInput): { name: CellName; checked: Arrays; loss: Loss } {
  const name = cellOf(cell);
  const given = LOSS_NAMES.filter((k) => (l as Record<string, unknown>)[LOSS_INPUT[k]] !== undefined);
  const each = LOSS_NAMES.map((k) => `{ ${LOSS_INPUT[k]} } (the ${k} loss)`).join(' or ');
  if (given.length > 1) throw new InputError(`pass either ${each}, not both`);
  const kind = given[0] ?? LOSS_NAMES[LOSS_NAMES.length - 1]; // none: the last one's array is reported missing
  const { inputs: checked } = checkInputs(name, toArrays({ ...inputs, ...l }), { [LOSS_INPUT[kind]]: true });
  return { name, checked, loss: lossWith(kind, checked) };
}

/** Gradients dx, da0 (dc0), d<param> of the given loss: `{ da }` (sum) or `{ labels }` (cross-entropy). */
export function backward<C extends CellName, L extends LossInput>(cell: C, inputs: CellInputs<C>, loss: L, opts: Options = {}): Gradients<C, L> {
  const { name, checked, loss: l } = checkedWithLoss(cell, inputs, loss);
  return toMatrices(getBackend(opts.backend ?? 'float64').backward(name, checked, l)) as Gradients<C, L>;
}

/** The scalar value of the loss. */
export function loss<C extends CellName>(cell: C, inputs: CellInputs<C>, l: LossInput, opts: Options = {}): number {
  const { name, checked, loss: lo } = checkedWithLoss(cell, inputs, l);
  return getBackend(opts.backend ?? 'float64').loss(name, checked, lo);
}

/**
 * A complete random fixture for a cell — every input, `da` and `labels` — drawn exactly as
 * numpy draws them after `np.random.seed(seed)` (README, "rnn init --seed S in numpy").
 */
export function initFixture<C extends CellName>(options: InitOptions & { readonly cell: C }): Fixture<C> {
  return init(options) as Fixture<C>;
}

export { CELLS, CELL_NAMES } from './model/cells';
export { InputError, CheckFailed } from './errors';
export { NumpyRandom } from './random';
export type { InitOptions } from './cli/commands/init';
export type { Backend, CellName, Dims, Loss } from './backends/types';
export type { Tensor, Arrays, Nested } from './tensor';
export type { ArrayLike, CellInputs, Fixture, ForwardResult, Gradients, LossInput, ParamName, SumLoss, XentLoss } from './api-types';
export type { BackendName } from './backends';
