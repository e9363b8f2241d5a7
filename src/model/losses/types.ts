import type { Mat, Ops } from '../../exec/ops';
import type { NumpyRandom } from '../../random';
import type { Tensor } from '../../tensor';
import type { Dims } from '../dims';

/**
 * A loss, registered as data in LOSSES (src/model/losses/index.ts): what it reads, whether it
 * reaches the output head, and how it is written. The CLI's choices, the fixture names,
 * the name contracts of --expect and --grads, loss inference and the tables take it from
 * here.
 */
export interface LossSpec {
  /** Its key in LOSSES. */
  readonly name: string;
  /** The array it reads besides the net's inputs. */
  readonly input: {
    /** Its name in a fixture. */
    readonly name: string;
    shape(d: Dims): number[];
    /** The same in the seed's symbols, for messages: 'n_a, m, T_x'. */
    readonly dims: string;
    /** What it is, for messages: 'the upstream gradient of every a⟨t⟩'. */
    readonly what: string;
    /** gradcheck may draw it at random when the fixture has none (an upstream gradient, not data). */
    readonly drawn: boolean;
    /** How `rnn init` draws it, in numpy's calls (after the parameters, in LOSSES order). */
    draw(rng: NumpyRandom, d: Dims): Tensor;
    /** Its first entry the loss cannot take, and why (after "labels[3, 1] = 2.5 "); undefined when all can be. */
    invalid?(t: Tensor, d: Dims): { at: number; why: string } | undefined;
  };
  /**
   * An optional array of the input's shape that weighs each of its terms (xent's `mask`: 0 drops
   * a term, as CS231n's temporal_softmax_loss takes it). With it, the loss's array as the engine
   * reads it is the input with the weights stacked under it (src/backends/loss-input.ts): each
   * step's block has the input's row(s), then the weights'.
   */
  readonly weights?: {
    readonly name: string;
    readonly what: string;
    invalid(t: Tensor): { at: number; why: string } | undefined;
  };
  /**
   * Does it reach the output head? It then reads the head's logits z⟨t⟩ = Wy a⟨t⟩ + by and ŷ⟨t⟩ =
   * softmax(z⟨t⟩) (n_y rows), its gradients include the head's (dWy, dby), and the engine takes
   * ∂L/∂a⟨t⟩ = Wyᵀ ∂L/∂z⟨t⟩. Else it reads the states a⟨t⟩ (n_a rows) and the head does not run.
   */
  readonly usesHead: boolean;
  /**
   * The value, as one running sum over the steps in time order: `addStep` adds step t's terms to
   * L, `finish` ends it. `out` is step t's logits z⟨t⟩ (usesHead) or a⟨t⟩, `input` its block
   * of the loss's array (labels: one row), both (rows, m).
   */
  addStep(L: number, step: { out: Mat; input: Mat }, d: Dims): number;
  finish(L: number, d: Dims): number;
  /**
   * Step t's ∂L/∂z⟨t⟩ (usesHead; `out` is then ŷ⟨t⟩) or ∂L/∂a⟨t⟩ (`out` a⟨t⟩) into `grad`, for a
   * block of the batch's columns: all three (rows, w) blocks of the same columns.
   */
  gradient(ops: Ops, step: { grad: Mat; out: Mat; input: Mat }, d: Dims): void;
  /**
   * ∂L/∂a⟨t⟩ is the loss's array itself (`gradient` copies its input): the engine reads the
   * array in place instead of a copy, one buffer of the pass's size less
   * (test/losses-contract.test.ts holds `gradient` to it).
   */
  readonly upstreamIsInput?: boolean;
  /**
   * The loss as the gradient checker differences it (src/gradcheck/evaluator.ts): a sum of
   * terms, `rows` per column and step, whose change L⁺ − L⁻ is summed term by term from the two
   * sides' values — each difference of two nearby values exact or nearly, so the rounding of
   * two long sums of large terms does not enter it.
   */
  readonly terms: {
    rows(d: Dims): number;
    /**
     * Step t's values from its `out` (as `addStep`'s) and `input` blocks, and what each one's
     * rounding scales with into `sizes` where the loss has sizes: written into `into`, or, where
     * they are `out` itself (sum: a), `out` returned as it is (the checker copies what it keeps).
     */
    values(step: { out: Mat; input: Mat }, into: Mat, sizes: Mat): Mat;
    /** Adds a step's terms' changes (kept − now), their squares, and their sizes' squares to `sums`, term by term in order. */
    accumulate(sums: TermSums, kept: Mat, now: Mat, input: Mat, sizes: Mat): void;
    /** One term's change, as `accumulate` adds it (`input`: the input's entry at its place; the input has `rows` rows too). */
    difference(kept: number, now: number, input: number): number;
    /** What one term's rounding scales with, as `accumulate` squares it (`sizeNow`: its entry of `values`' sizes). */
    size(kept: number, now: number, input: number, sizeNow: number): number;
    /** A sum of terms, or a norm of them, as the loss scales it (xent: / m). */
    scaled(x: number, d: Dims): number;
  };
  /** Its equation in full (`backward`'s heading) and short (gradcheck's). */
  readonly equation: string;
  readonly short: string;
  /** For --help: what it is, in a few words. */
  readonly help: string;
}

/** Running sums over a loss's terms (LossSpec.terms.accumulate): Σ change, Σ change², Σ size². */
export interface TermSums {
  s: number;
  c2: number;
  m2: number;
}
