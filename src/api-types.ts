/**
 * The library's per-cell types, derived from the cells' literal specs (CellTypes, the CELLS
 * table in src/model/cells/index.ts): a parameter's name and role, and whether the cell carries a
 * cell state, decide what `forward` and `backward` take and return — the same rules as
 * `gradientNames` and `stateInputs` at run time. A new cell gets its types from its spec.
 */
import type { Matrix } from 'mathjs';
import type { CellName, CellTypes } from './model/cells';
import type { LOSSES, LossName } from './model/losses';
import type { Nested, Tensor } from './tensor';

/**
 * What the API accepts for an array: a mathjs matrix, nested arrays, or a Tensor
 * `{ shape, data: Float64Array }` (row-major) as `initFixture` and `NumpyRandom` return.
 */
export type ArrayLike = Matrix | Nested | Tensor;

type ParamOf<C extends CellName> = CellTypes[C]['params'][number];
/** A cell's parameter names, e.g. `'Waa' | 'Wax' | 'Wya' | 'ba' | 'by'` for the RNN. */
export type ParamName<C extends CellName> = ParamOf<C>['name'];
type RecurrentParam<C extends CellName> = Extract<ParamOf<C>, { readonly role: 'recurrent' }>['name'];
type HeadParam<C extends CellName> = Extract<ParamOf<C>, { readonly role: 'head' }>['name'];
/** `T` for a cell with a cell state c (the LSTM), nothing otherwise. */
type IfCellState<C extends CellName, T> = CellTypes[C]['hasCellState'] extends true ? T : unknown;
/** One flat object type, so that editors show `{ a: Matrix; y: Matrix; c: Matrix }`. */
type Flat<T> = { [K in keyof T]: T[K] } & {};

/** The inputs of a cell: its parameters and `x`; `a0` (and the LSTM's `c0`) default to zeros. */
export type CellInputs<C extends CellName> = C extends CellName
  ? Flat<{ readonly [K in ParamName<C> | 'x']: ArrayLike } & { readonly a0?: ArrayLike } & IfCellState<C, { readonly c0?: ArrayLike }>>
  : never;

/** `forward`'s result: `a`, `y` and, for the LSTM, `c`; each (n, m, T_x). */
export type ForwardResult<C extends CellName> = C extends CellName ? Flat<{ a: Matrix; y: Matrix } & IfCellState<C, { c: Matrix }>> : never;

/** The array loss `K` reads, by its name in LOSSES (src/model/losses/): sum → da, xent → labels. */
type InputOf<K extends LossName> = (typeof LOSSES)[K]['input']['name'];
/** Loss `K` as the API takes it: its array by name, and no other loss's. */
export type LossOf<K extends LossName> = K extends LossName
  ? Flat<{ readonly [N in InputOf<K>]: ArrayLike } & { readonly [N in InputOf<Exclude<LossName, K>>]?: never }>
  : never;
/** The sum loss L = Σ da ⊙ a: `da` (n_a, m, T_x) is the upstream gradient of every hidden state. */
export type SumLoss = LossOf<'sum'>;
/** Softmax cross-entropy against integer class ids `labels` (m, T_x). */
export type XentLoss = LossOf<'xent'>;
/** The loss for `backward` and `loss`: the array of one of LOSSES (`{ da }` or `{ labels }`), never two. */
export type LossInput = LossOf<LossName>;
/** The losses that reach the output head (their gradients include the head's). */
type HeadLoss = { [K in LossName]: (typeof LOSSES)[K]['usesHead'] extends true ? K : never }[LossName];

/**
 * `backward`'s result: dx, da0 (dc0 for the LSTM) and d<param> of every recurrent parameter;
 * a loss that reaches the output head (xent) adds the head's (dWya or dWy, and dby).
 */
export type Gradients<C extends CellName, L extends LossInput = LossInput> = C extends CellName
  ? Flat<
      { dx: Matrix; da0: Matrix } & IfCellState<C, { dc0: Matrix }> & { [K in `d${RecurrentParam<C>}`]: Matrix } &
        (L extends LossOf<HeadLoss> ? { [K in `d${HeadParam<C>}`]: Matrix } : unknown)
    >
  : never;

/** What `initFixture` returns for a cell: every input, `da` and `labels`, as Tensors. */
export type Fixture<C extends CellName> = C extends CellName
  ? Flat<{ [K in ParamName<C> | 'x' | 'a0' | 'da' | 'labels']: Tensor } & IfCellState<C, { c0: Tensor }>>
  : never;
