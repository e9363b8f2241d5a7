import type { Dims } from '../dims';
import type { Mat, Ops } from '../../exec/ops';

/** Parameters of a cell by name, each a row-major Float64Array (bias vectors are (n, 1)). */
export type Params = Record<string, Float64Array>;

/** The same parameters as the math reads them: a (rows, cols) view of each, stacks included. */
export type ParamViews = Readonly<Record<string, Mat>>;

export interface ParamSpec {
  /** The seed's name: `Wax`, `Wf`, `by`, ... */
  readonly name: string;
  /** Shape from the problem's dims, e.g. Wf: (n_a, n_a + n_x). */
  shape(d: Dims): [number, number];
  /** `head` parameters (Wya/Wy, by) only get a gradient from the xent loss. */
  readonly role: 'recurrent' | 'head';
}

/**
 * One time step's views, all (rows, m) with the batch as the fast axis (a column group's
 * width for m). The forward step reads zx (its input projections), aPrev (and cPrev) and
 * writes a (and c) and its private `cache`; the backward step reads aPrev, cPrev, a, c and
 * the cache. (The input x⟨t⟩ itself only enters through zx: the unroller takes every
 * product with it.) Made once per trace: the views a cell cuts from them are kept (Mat).
 */
export interface Step {
  /** The input projections of this step, (projection rows, m): see CellSpec.projections. */
  readonly zx: Mat;
  readonly aPrev: Mat; // (n_a, m)
  readonly cPrev: Mat; // (n_a, m), LSTM only (no rows otherwise)
  readonly a: Mat; // (n_a, m)
  readonly c: Mat; // (n_a, m), LSTM only (no rows otherwise)
  readonly cache: Mat; // (cacheRows(d), m), the cell's gates
}

/**
 * An input projection, hoisted out of the time loop: zx⟨t⟩ = W[:, k0:k0+n_x]·x⟨t⟩ + b for
 * `rows` rows. It does not depend on the recurrence, so the unroller computes it for every
 * step before the loop, and gradcheck keeps it across evaluations that cannot change it.
 */
export interface Projection {
  /**
   * A parameter or a stack (see CellSpec.stacks) whose columns k0 … k0+n_x−1 multiply x⟨t⟩.
   * Absent: the projection has no input part, zx⟨t⟩ = b — the bias of a recurrent part that
   * stands apart from the input's (PyTorch's GRU: r ⊙ (W_hn h + b_hn)).
   */
  readonly W?: string;
  readonly b: string;
  /** First x column of W: 0 for the RNN's Wax, n_a for a gate on [a_prev; x]. */
  k0(d: Dims): number;
  rows(d: Dims): number;
  /**
   * The same gates' recurrent part, W_h[:, 0:n_a]·h⟨t⟩: `W` names W_h (the same matrix for
   * gates on [h; x]), and h⟨t⟩ is a⟨t−1⟩ or, with `cacheRow`, n_a rows of step t's cache
   * from that row on (the GRU's candidate: rt ⊙ a_prev). The cell's steps compute it and its
   * share of da_prev; the unroller accumulates dW_h[:, :n_a] += Σ_t dz⟨t⟩ h⟨t⟩ᵀ. Absent: the
   * gates' pre-activations have no recurrent part of their own (their dz is not W_h's).
   */
  readonly recurrent?: { readonly W: string; readonly cacheRow?: (d: Dims) => number };
}

/**
 * The backward step's buffers. `da` is the total gradient of the loss w.r.t. a⟨t⟩
 * (upstream plus what came back from t+1) and `dc` w.r.t. c⟨t⟩ (LSTM); both may be
 * used as scratch. The step writes `dz`, the gradient w.r.t. its gates' pre-activations
 * (stacked as its input projections, Step.zx), and overwrites daPrev (and dcPrev): only what
 * feeds back into the recurrence. Parameter gradients and dx⟨t⟩ follow from dz⟨t⟩ — the
 * unroller computes them after the time loop, for all steps at once (CellSpec.projections).
 */
export interface StepGrad {
  readonly da: Mat;
  readonly dc: Mat;
  dz: Mat; // (projection rows, m): the unroller points it at step t's block
  readonly daPrev: Mat; // (n_a, m)
  readonly dcPrev: Mat; // (n_a, m), LSTM only
  /** Scratch of (workRows(d), m). */
  readonly work: Mat;
}

/**
 * A recurrent cell, registered as data in CELLS (src/model/cells/index.ts). The unroller
 * (src/exec/unroll/) does the time loop, BPTT and the softmax output head for every cell;
 * a cell only says how one step goes forward and back.
 */
export interface CellSpec {
  /** Its key in CELLS (a string here: CellName is derived from the specs themselves). */
  readonly name: string;
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
  /** Input projections, stacked in this order in Step.zx. */
  readonly projections: readonly Projection[];
  /** The output head: ŷ = softmax(W a + b). */
  readonly head: { readonly W: string; readonly b: string };
  /** Does the cell carry a cell state c (and take c0, return dc0)? */
  readonly hasCellState: boolean;
  /**
   * Its activation is unbounded (a ReLU): with the course's randn weights (`rnn init --scale 1`)
   * its states grow without bound over long sequences, and no bias saturates it. What the
   * gradient checker's accuracy tests assume of randn nets holds for it at smaller weights.
   */
  readonly unbounded?: boolean;
  /** Rows of the per-step cache (times m values). */
  cacheRows(d: Dims): number;
  /**
   * Where its forward step copies zx, first thing: the cache's first projection rows (its
   * gates' pre-activations; then its gate gradients must read no cache row below them,
   * Projection `cacheRow`), or a⟨t⟩ itself (then its projections have n_a rows). A one-shot
   * pass may then compute the projections there directly — Step.zx is that very block, and
   * copying a view onto itself does nothing — and keep no zx buffer (src/exec/unroll/trace.ts
   * `StepLayout.zxIn`). test/cells-contract.test.ts holds a cell that says so to the same bits.
   */
  readonly zxInto?: 'cache' | 'a';
  /** Rows of backward scratch (times m values). */
  workRows(d: Dims): number;
  /** One step forward, written against `ops` (src/exec/ops.ts): how it runs is not the cell's business. */
  forward(ops: Ops, p: ParamViews, d: Dims, s: Step): void;
  backward(ops: Ops, p: ParamViews, d: Dims, s: Step, g: StepGrad): void;
}
