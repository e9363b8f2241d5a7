import type { Dims } from '../dims';
import type { Tensor } from '../../tensor';

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
  /** Does it reach the output head? Its gradients then include the head's (dWy, dby). */
  readonly usesHead: boolean;
  /** Its equation in full (`backward`'s heading) and short (gradcheck's). */
  readonly equation: string;
  readonly short: string;
  /** For --help: what it is, in a few words. */
  readonly help: string;
}
