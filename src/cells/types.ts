import type { CellName, Dims } from '../backend';

/** Parameters of a cell by name, each a row-major Float64Array (bias vectors are (n, 1)). */
export type Params = Record<string, Float64Array>;

export interface ParamSpec {
  /** The seed's name: `Wax`, `Wf`, `by`, ... */
  readonly name: string;
  /** Shape from the problem's dims, e.g. Wf: (n_a, n_a + n_x). */
  shape(d: Dims): [number, number];
  /** `head` parameters (Wya/Wy, by) only get a gradient from the xent loss. */
  readonly role: 'recurrent' | 'head';
}

/**
 * One time step's buffers, all (rows, m) row-major with the batch as the fast axis.
 * The forward step reads xt, aPrev (and cPrev) and writes a (and c) and its private
 * `cache`; the backward step reads exactly those buffers again — nothing else.
 */
export interface Step {
  readonly xt: Float64Array; // (n_x, m)
  readonly aPrev: Float64Array; // (n_a, m)
  readonly cPrev: Float64Array; // (n_a, m), LSTM only (empty otherwise)
  readonly a: Float64Array; // (n_a, m)
  readonly c: Float64Array; // (n_a, m), LSTM only (empty otherwise)
  readonly cache: Float64Array; // (cacheRows(d), m), the cell's gates
}

/**
 * The backward step's buffers. `da` is the total gradient of the loss w.r.t. a⟨t⟩
 * (upstream plus what came back from t+1) and `dc` w.r.t. c⟨t⟩ (LSTM); both may be
 * used as scratch. The step overwrites dxt, daPrev (and dcPrev) and ACCUMULATES (+=)
 * into `grads`, keyed 'd' + parameter name.
 */
export interface StepGrad {
  readonly da: Float64Array;
  readonly dc: Float64Array;
  readonly dxt: Float64Array; // (n_x, m)
  readonly daPrev: Float64Array; // (n_a, m)
  readonly dcPrev: Float64Array; // (n_a, m), LSTM only
  readonly grads: Params;
  /** Scratch of workRows(d) * m values. */
  readonly work: Float64Array;
}

/**
 * A recurrent cell, registered as data in CELLS (src/cells/index.ts). The unroller
 * (src/unroll.ts) does the time loop, BPTT and the softmax output head for every cell;
 * a cell only says how one step goes forward and back.
 */
export interface CellSpec {
  readonly name: CellName;
  /** One line for `--help` and tables. */
  readonly title: string;
  /** All parameters, in the order the seed draws them with np.random.randn (see `rnn init`). */
  readonly params: readonly ParamSpec[];
  /**
   * Parameters kept in one contiguous buffer, row-stacked in `members` order, so that the
   * gates on one input run as one product. The buffer is p[name]; each member stays
   * addressable as p[member], a view into it (and likewise 'd' + name for gradients).
   */
  readonly stacks: readonly { readonly name: string; readonly members: readonly string[] }[];
  /** The output head: ŷ = softmax(W a + b). */
  readonly head: { readonly W: string; readonly b: string };
  /** Does the cell carry a cell state c (and take c0, return dc0)? */
  readonly hasCellState: boolean;
  /** Rows of the per-step cache (times m values). */
  cacheRows(d: Dims): number;
  /** Rows of backward scratch (times m values). */
  workRows(d: Dims): number;
  forward(p: Params, d: Dims, s: Step): void;
  backward(p: Params, d: Dims, s: Step, g: StepGrad): void;
}
