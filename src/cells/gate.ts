/**
 * Gates on a concatenation [h; xt] — the building block of the LSTM and GRU. Several gates
 * on the same input run as ONE product: their weights are stacked row-wise in one buffer
 * (see `stacks` in CellSpec, e.g. the LSTM's [Wf; Wi; Wc; Wo], (4·n_a, n_a + n_x)), so
 * `rows` below is n_a times the number of gates. The concatenation is never built:
 *   W·[h; xt] = W[:, :n_h]·h + W[:, n_h:]·xt
 * Forward, the xt part is the cell's input projection (hoisted by the unroller) and the cell
 * adds the h part itself; backward is the same for both cells, here.
 */
import type { Dims } from '../backend';
import { mulTAdd, outerAdd, resident, rowSumAdd } from '../kernels';

/** Shape of a gate's weight on [a_prev; x]: (n_a, n_a + n_x). */
export const gateWeights = (d: Dims): [number, number] => [d.n_a, d.n_a + d.n_x];
/** Shape of a gate's bias: (n_a, 1). */
export const gateBias = (d: Dims): [number, number] => [d.n_a, 1];

/** Where dz, h and dh start in their buffers (blocks of a step's cache or scratch). */
export interface GateOffsets {
  dz?: number;
  h?: number;
  dh?: number;
}

/**
 * Given dz (rows, m) = ∂L/∂z: dW += dz·[h; xt]ᵀ, db += Σ_batch dz, and ACCUMULATES
 * dh += W[:, :n_h]ᵀ dz, dxt += W[:, n_h:]ᵀ dz.
 */
export function gateBackward(
  dz: Float64Array, W: Float64Array, dW: Float64Array, db: Float64Array,
  h: Float64Array, xt: Float64Array, dh: Float64Array, dxt: Float64Array,
  rows: number, n_h: number, n_x: number, m: number, off: GateOffsets = {},
): void {
  const ldw = n_h + n_x;
  const dzOff = off.dz ?? 0;
  const products = (): void => {
    outerAdd(dW, ldw, 0, dz, rows, h, n_h, m, dzOff, off.h ?? 0);
    outerAdd(dW, ldw, n_h, dz, rows, xt, n_x, m, dzOff);
    rowSumAdd(db, dz, rows, m, dzOff);
    mulTAdd(dh, W, ldw, 0, rows, n_h, dz, m, off.dh ?? 0, dzOff);
    mulTAdd(dxt, W, ldw, n_h, rows, n_x, dz, m, 0, dzOff);
  };
  // dz feeds four products: on big nets it goes into the kernel's memory once, not four times
  resident(rows * n_h * m, () => ({ inputs: [dz.subarray(dzOff, dzOff + rows * m)] }), products);
}
