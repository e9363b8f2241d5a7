import type { CellName } from '../model/cells';
import { LOSSES, LOSS_NAMES, type LossInputName, type LossName } from '../model/losses';
import type { Dims } from '../model/dims';
import type { Arrays, Tensor } from '../tensor';

/** The cells `rnn` knows: the keys of the CELLS table in src/model/cells/index.ts. */
export type { CellName };

/** Sizes of a problem, in the seed's notation (src/model/dims.ts). */
export type { Dims };

/**
 * The loss whose gradient `backward` computes, one of LOSSES (src/model/losses/), with the array it
 * reads: `{ kind: 'sum', da }` (L = Σ da ⊙ a, the seed's `rnn_backward(da, caches)`; the
 * recurrent part's gradients only) or `{ kind: 'xent', labels }` (softmax cross-entropy on
 * class ids; the output head's gradients too).
 */
export type Loss = { [K in LossName]: { kind: K } & { [N in LossInputName<K>]: Tensor } & (K extends 'xent' ? { mask?: Tensor } : unknown) }[LossName];

export type LossKind = LossName;
/** Every loss, in the order commands check them. */
export const LOSS_KINDS: readonly LossKind[] = LOSS_NAMES;
/** The array each loss reads besides the net's inputs. */
export const LOSS_INPUT = Object.fromEntries(LOSS_NAMES.map((k) => [k, LOSSES[k].input.name])) as { readonly [K in LossKind]: LossInputName<K> };

/** The loss `kind` on the array it reads from `arrays` (trusted to be there: validated). */
export function lossWith(kind: LossKind, arrays: Arrays): Loss {
  const weights = (LOSSES[kind] as { weights?: { name: string } }).weights;
  const loss: Record<string, unknown> = { kind, [LOSS_INPUT[kind]]: arrays[LOSS_INPUT[kind]] };
  if (weights && arrays[weights.name]) loss[weights.name] = arrays[weights.name];
  return loss as Loss;
}
/** The names of the losses' weights arrays (xent's mask). */
export const LOSS_WEIGHTS: readonly string[] = LOSS_NAMES.flatMap((k) => {
  const w = (LOSSES[k] as { weights?: { name: string } }).weights;
  return w ? [w.name] : [];
});

/**
 * A complete implementation of the three cells. `inputs` holds the cell's parameters
 * (Wax Waa Wya ba by | Wf bf Wi bi Wc bc Wo bo Wy by | Wu bu Wr br Wc bc Wy by), `x`
 * (n_x, m, T_x), and optionally `a0` (n_a, m) and, for LSTM, `c0` (n_a, m) — both zeros
 * when absent. Shapes are trusted: callers validate at the boundary.
 *
 * forward  -> { a (n_a, m, T_x), y (n_y, m, T_x), c (n_a, m, T_x) for LSTM only }
 * backward -> { dx, da0, dc0 (LSTM), d<param> for every recurrent parameter,
 *               plus d<Wya|Wy> and dby for the xent loss }
 * loss     -> the scalar value of the loss
 * lossAndGradients -> both, from one forward pass (`rnn backward` prints both)
 */
export interface Backend {
  readonly name: string;
  forward(cell: CellName, inputs: Arrays): Arrays;
  backward(cell: CellName, inputs: Arrays, loss: Loss): Arrays;
  loss(cell: CellName, inputs: Arrays, loss: Loss): number;
  lossAndGradients(cell: CellName, inputs: Arrays, loss: Loss): { loss: number; gradients: Arrays };
}
