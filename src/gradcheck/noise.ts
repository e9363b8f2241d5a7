/**
 * The finite differences' rounding noise, and the floor below which a difference between the
 * numerical and the analytic value cannot be told from it (`PASS (noise)`).
 *
 * A centred difference (L⁺ − L⁻)/2h is summed term by term over the step actually taken
 * (Evaluator.entry, termDifference), so its rounding is the forwards' own, new on either side.
 * Its model σ (sigmaOf) adds two parts in quadrature: the terms' own rounding, 2⁻⁵²·√Σm² over
 * the terms the item changes (m: a term's size); and the rounding of every step's values
 * carried to the loss the way the item's own perturbation is, 2⁻⁵²·θ̄·‖Δterms‖/2h (θ̄: the
 * size of the values rounded where the item enters) — which grows with the dynamics'
 * amplification, where the first part does not. Measured: 0.1 … 20σ on bounded nets, up to
 * 10³σ where gradients explode and beyond where they cannot be resolved — but far closer
 * between the items of one array (bench/README.md, "The noise floor"), hence κ per array.
 *
 * The floor of an item is NOISE_Z·κ·σ, κ the noise measured on its own array in units of σ
 * (measuredNoise, at least KAPPA_MIN); nothing is excused before it is measured.
 *
 * Invariant: a floor grows only with rounding measured on this net and this array, never with
 * the size of the loss or of the analytic values; each item is judged by its own floor.
 */
import type { LossEvaluator } from './evaluation';
import type { Plan } from './index';
import { plainOk, scaleFor } from './norms';
import type { FirstPass } from './pass';
import type { Steps } from './steps';

/** The unit of rounding: ulp(1) of float64. */
const UNIT = 2 ** -52;
/** The floor, in measured standard deviations (κ·σ): fresh samples stay ≤ 10 κσ on all but chaotic nets (bench). */
export const NOISE_Z = 16;
/**
 * κ at least: where no term changes by an ulp (a gate saturated to exactly 1) the differences
 * repeat exactly (κ = 0), yet a derivative below ~σ was never visible to them.
 */
const KAPPA_MIN = 1 / 4;
/** Degrees of freedom of the measured noise, at least: its estimate is then ≥ 0.5× the true one with 99.9% probability. */
export const NOISE_DOF = 16;
/** Items of an array measured again for its noise, at most (spread over the array, so over its time steps and columns too). */
export const NOISE_ITEMS = 16;
/**
 * Relative change of the step between repeated differences: their truncation error moves by
 * ~2·2⁻²⁶ of itself per step, a straight line the fit removes (its curvature, ~2⁻⁵² of it, is
 * left), while θ ± h moves by ≳ 60 ulps for |θ| ≲ 1 and the rounding is new.
 */
const PROBE = 2 ** -26;
/** Rounding of a five-point estimate (4c(h) − c(2h))/3 in units of c(h)'s: √(4² + (1/2)²)/3. */
export const FIVE_POINT = Math.sqrt(16.25) / 3;

/** Model rounding σ of the centred difference at step h that `ev` just took along input `name`. */
export const sigmaOf = (ev: LossEvaluator, name: string, h: number): number => sigma(ev.magnitude, ev.typical(name), ev.change, h);

/**
 * σ = 2⁻⁵²·√(magnitude² + (typical·change/2h)²)/2h; where that overflows or comes out near
 * the subnormal range, the same with magnitude and change ×S, a power of two, and σ/S
 * (norms.ts: the plain expression's bits wherever it is exact).
 */
export function sigma(magnitude: number, typical: number, change: number, h: number): number {
  const plain = (UNIT * Math.hypot(magnitude, (typical * change) / (2 * h))) / (2 * h);
  if (plainOk(plain, 1) || (magnitude === 0 && change === 0)) return plain;
  const s = scaleFor(Math.max(magnitude, change));
  return (UNIT * Math.hypot(magnitude * s, (typical * (change * s)) / (2 * h))) / (2 * h) / s;
}

/**
 * Each item's noise floor, NOISE_Z·max(κ, KAPPA_MIN)·σ of its estimate (a direction's is
 * five-point: FIVE_POINT × its centred difference's σ).
 */
export function noiseFloors(first: FirstPass, pl: Plan, kappa: number): number[] {
  const z = NOISE_Z * Math.max(kappa, KAPPA_MIN);
  return first.sigma.map((s, i) => z * s * (i >= pl.entries.length ? FIVE_POINT : 1));
}

/**
 * The measured rounding noise of a plan's first pass, κ in units of σ: up to NOISE_ITEMS
 * items, each measured again at step·(1 + j·2⁻²⁶), j = 1 … r (r ≥ 2, and ≥ NOISE_DOF degrees
 * of freedom in all); a straight line through each item's r + 1 centred differences takes
 * out the drift of their truncation, and κ² is the pooled variance of the residuals over σ².
 * One step per difference. Directions are asked of `direction` at increasing indices.
 */
export function* measuredNoise(ev: LossEvaluator, pl: Plan, first: FirstPass, direction?: (i: number) => Float64Array): Steps<number> {
  const n = first.values.length;
  const items = Math.min(n, NOISE_ITEMS);
  const r = Math.max(2, Math.ceil(NOISE_DOF / items) + 1);
  let ss = 0, dof = 0;
  for (const k of spread(n, items)) {
    if (!(first.sigma[k] > 0)) continue; // no term changes: the difference is exactly 0
    const cs = [first.centred[k]];
    const e = k - pl.entries.length, v = e < 0 ? undefined : direction!(e);
    for (let j = 1; j <= r; j++) {
      const h = first.step[k] * (1 + j * PROBE);
      cs.push(v ? ev.centredAlong(pl.input, v, h) : ev.entry(pl.input, pl.entries[k], h));
      yield;
    }
    // (over cs·S, S a power of two bringing σ near 1: their bits, and no square overflows nor underflows, norms.ts)
    const scale = scaleFor(first.sigma[k]);
    ss += lineResiduals(cs.map((c) => c * scale)) / (first.sigma[k] * scale) ** 2;
    dof += r - 1;
  }
  return dof ? Math.sqrt(ss / dof) : 0;
}

/**
 * `count` distinct items of n, spread by the golden ratio: evenly over the array without
 * falling in step with its axes (every m-th entry of a0 is one column).
 */
export function spread(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, k) => k);
  const out = new Set<number>();
  for (let i = 0; out.size < count; i++) out.add(Math.floor(((0.5 + i * 0.6180339887498949) % 1) * n));
  return [...out].sort((a, b) => a - b);
}

/** Σ squared residuals of the least-squares line through (j, y[j]), j = 0 … n − 1. */
function lineResiduals(y: number[]): number {
  const n = y.length, jm = (n - 1) / 2, ym = y.reduce((a, b) => a + b) / n;
  let sjy = 0, sjj = 0;
  y.forEach((v, j) => {
    sjy += (j - jm) * (v - ym);
    sjj += (j - jm) ** 2;
  });
  const slope = sjy / sjj;
  return y.reduce((a, v, j) => a + (v - ym - slope * (j - jm)) ** 2, 0);
}
