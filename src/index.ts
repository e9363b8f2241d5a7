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
 *   const { output, h_n, c_n } = torchForward({ ...lstm.state_dict, input });   // a PyTorch module
 *
 * mathjs is a dependency, not bundled: results are matrices of the consumer's own mathjs (one
 * copy when the versions agree) — of its CommonJS build for require('rnn') (dist/index.js), of
 * its ES module build for import (dist/index.mjs; the two builds' classes differ).
 */
import { isMatrix, matrix, type Matrix } from 'mathjs';
import type { ArrayLike, CellInputs, Fixture, ForwardResult, Gradients, LossInput } from './api-types';
import { LOSS_INPUT, lossWith, type CellName, type Loss } from './backends/types';
import { getBackend, getLayerEngine, type BackendName } from './backends';
import { torchBackward as runTorchBackward, torchForward as runTorchForward, torchProblem, type TorchProblem } from './layouts/torch';
import { CELLS, isCellName } from './model/cells';
import { LOSS_NAMES } from './model/losses';
import { initFixture as init, type InitOptions } from './cli/commands/init';
import { InputError } from './errors';
import { printable, shown } from './escape';
import { formatShape, fromNested, sizeOf, toNested, type Arrays, type Tensor } from './tensor';
import { checkFinite, checkInputs } from './validate';

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

/** Options of a PyTorch module (`--layout torch`): see `torchForward`. */
export interface TorchOptions extends Options {
  /** 'rnn', 'lstm' or 'gru': checked against the shapes (else read from them). */
  cell?: string;
  /** The module's path in its model, when the names carry several modules' ('encoder.lstm'). */
  prefix?: string;
  /** input and output are (N, T, …), as with batch_first=True. */
  batchFirst?: boolean;
  /** An nn.RNN's nonlinearity (a state_dict does not record it): 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/** PyTorch's results of a module: output, h_n, and for an LSTM c_n. */
export interface TorchOutputs {
  output: Matrix;
  h_n: Matrix;
  c_n?: Matrix;
}

/** The gradients, named as PyTorch's hooks name them: grad_input, grad_h_0 (grad_c_0), grad_ + each parameter. */
export type TorchGradients = { grad_input: Matrix; grad_h_0: Matrix; grad_c_0?: Matrix } & Record<`grad_${string}`, Matrix>;

function torchRun(arrays: Record<string, ArrayLike>, opts: TorchOptions): { problem: TorchProblem; tensors: Arrays } {
  const tensors = toArrays(arrays);
  for (const [name, t] of Object.entries(tensors)) checkFinite(name, t);
  return { problem: torchProblem(tensors, opts), tensors };
}

/**
 * A PyTorch nn.RNN / nn.LSTM / nn.GRU forward, in its own terms (README, "PyTorch modules"):
 * its parameters under their state_dict names (`weight_ih_l0`, `bias_hh_l1_reverse`, …), `input`
 * (T, N, H_in) — (N, T, H_in) with batchFirst, (T, H_in) unbatched — and optionally `h_0`, `c_0`.
 * Stacked and bidirectional modules as PyTorch composes them, eval mode.
 */
export function torchForward(arrays: Record<string, ArrayLike>, opts: TorchOptions = {}): TorchOutputs {
  const { problem } = torchRun(arrays, opts);
  return toMatrices(runTorchForward(problem, getLayerEngine(opts.backend ?? 'float64'))) as unknown as TorchOutputs;
}

/**
 * What torch.autograd.backward([output, h_n, c_n], [grad_output, grad_h_n, grad_c_n]) computes,
 * with `grad_output` (required), `grad_h_n`, `grad_c_n` among `arrays`: the loss
 * L = Σ grad_output ⊙ output + Σ grad_h_n ⊙ h_n + Σ grad_c_n ⊙ c_n, the outputs, and the gradients.
 */
export function torchBackward(arrays: Record<string, ArrayLike>, opts: TorchOptions = {}): { loss: number; outputs: TorchOutputs; gradients: TorchGradients } {
  const { problem, tensors } = torchRun(arrays, opts);
  const r = runTorchBackward(problem, tensors, {}, getLayerEngine(opts.backend ?? 'float64'));
  return { loss: r.loss, outputs: toMatrices(r.outputs) as unknown as TorchOutputs, gradients: toMatrices(r.gradients) as TorchGradients };
}

export { CELLS, CELL_NAMES } from './model/cells';
export { InputError, CheckFailed } from './errors';
export { NumpyRandom } from './random';
export type { InitOptions } from './cli/commands/init';
export type { Backend, CellName, Dims, Loss } from './backends/types';
export type { Tensor, Arrays, Nested } from './tensor';
export type { ArrayLike, CellInputs, Fixture, ForwardResult, Gradients, LossInput, ParamName, SumLoss, XentLoss } from './api-types';
export type { BackendName } from './backends';
export type { TorchNet, TorchModule } from './layouts/torch';
