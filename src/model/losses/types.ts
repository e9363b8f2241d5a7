import type { Mat, Ops } from '../../exec/ops';
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
    /** Its first entry the loss cannot take, and why (after "labels[3, 1] = 2.5 "); undefined when all can be. */
    invalid?(t: Tensor, d: Dims): { at: number; why: string } | undefined;
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
  /** Its equation in full (`backward`'s heading) and short (gradcheck's). */
  readonly equation: string;
  readonly short: string;
  /** For --help: what it is, in a few words. */
  readonly help: string;
}
