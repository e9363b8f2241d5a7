/**
 * Gates on a concatenation [h; xt] — the building block of the LSTM and GRU. Several gates
 * on the same input run as ONE product: their weights are stacked row-wise in one buffer
 * (see `stacks` in CellSpec, e.g. the LSTM's [Wf; Wi; Wc; Wo], (4·n_a, n_a + n_x)). The
 * concatenation is never built:
 *   W·[h; xt] = W[:, :n_h]·h + W[:, n_h:]·xt
 * The xt part is the cell's input projection (hoisted out of the time loop by the unroller)
 * and the cell's steps do the h part; backward, the steps leave their gates' gradient dz and
 * the unroller takes dW, db and dxt from it (src/exec/unroll/pass.ts, gateGradients).
 */
import type { Dims } from '../dims';

/** Shape of a gate's weight on [a_prev; x]: (n_a, n_a + n_x). */
export const gateWeights = (d: Dims): [number, number] => [d.n_a, d.n_a + d.n_x];
/** Shape of a gate's bias: (n_a, 1). */
export const gateBias = (d: Dims): [number, number] => [d.n_a, 1];
