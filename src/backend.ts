import type { CellName } from './cells';
import type { Arrays, Tensor } from './tensor';

/** The cells `rnn` knows: the keys of the CELLS table in src/cells/index.ts. */
export type { CellName };

/** Sizes of a problem, in the seed's notation. */
export interface Dims {
  n_x: number;
  n_a: number;
  n_y: number;
  m: number;
  T_x: number;
}

/**
 * The loss whose gradient `backward` computes.
 * - `sum`:  L = Σ da ⊙ a over every hidden state, i.e. `da` (n_a, m, T_x) is the upstream
 *           gradient of every a⟨t⟩, exactly the seed's `rnn_backward(da, caches)`.
 *           Gradients cover the recurrent part only (no dWya/dWy, dby).
 * - `xent`: L = -(1/m) Σ_t Σ_j log ŷ[labels[j,t], j, t], softmax cross-entropy of the
 *           predictions against integer class ids `labels` (m, T_x), summed over time and
 *           averaged over the batch. Gradients include the output head (dWya/dWy, dby).
 */
export type Loss = { kind: 'sum'; da: Tensor } | { kind: 'xent'; labels: Tensor };

export type LossKind = Loss['kind'];
/** Every loss, in the order commands check them. */
export const LOSS_KINDS: readonly LossKind[] = ['sum', 'xent'];
/** The array each loss reads besides the net's inputs. */
export const LOSS_INPUT: Readonly<Record<LossKind, 'da' | 'labels'>> = { sum: 'da', xent: 'labels' };

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
