/**
 * One gate on a concatenation [h; xt] with a (n_a, n_h + n_x) weight W — the building
 * block of the LSTM and GRU. The concatenation is never built:
 *   W·[h; xt] = W[:, :n_h]·h + W[:, n_h:]·xt
 */
import type { Dims } from '../backend';
import { fillBias, mulAdd, mulTAdd, outerAdd, rowSumAdd } from '../kernels';

/** Shape of a gate's weight on [a_prev; x]: (n_a, n_a + n_x). */
export const gateWeights = (d: Dims): [number, number] => [d.n_a, d.n_a + d.n_x];
/** Shape of a gate's bias: (n_a, 1). */
export const gateBias = (d: Dims): [number, number] => [d.n_a, 1];

/** z (n_a, m) = W·[h; xt] + b, before the activation. */
export function gateForward(
  z: Float64Array, W: Float64Array, b: Float64Array, h: Float64Array, xt: Float64Array,
  n_a: number, n_h: number, n_x: number, m: number,
): void {
  const ldw = n_h + n_x;
  fillBias(z, b, n_a, m);
  mulAdd(z, W, ldw, 0, n_a, n_h, h, m);
  mulAdd(z, W, ldw, n_h, n_a, n_x, xt, m);
}

/**
 * Given dz = ∂L/∂z: dW += dz·[h; xt]ᵀ, db += Σ_batch dz, and ACCUMULATES
 * dh += W[:, :n_h]ᵀ dz, dxt += W[:, n_h:]ᵀ dz.
 */
export function gateBackward(
  dz: Float64Array, W: Float64Array, dW: Float64Array, db: Float64Array,
  h: Float64Array, xt: Float64Array, dh: Float64Array, dxt: Float64Array,
  n_a: number, n_h: number, n_x: number, m: number,
): void {
  const ldw = n_h + n_x;
  outerAdd(dW, ldw, 0, dz, n_a, h, n_h, m);
  outerAdd(dW, ldw, n_h, dz, n_a, xt, n_x, m);
  rowSumAdd(db, dz, n_a, m);
  mulTAdd(dh, W, ldw, 0, n_a, n_h, dz, m);
  mulTAdd(dxt, W, ldw, n_h, n_a, n_x, dz, m);
}
