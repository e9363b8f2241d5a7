/**
 * Per-array verdicts from the numbers: the numerical and analytic values of every item
 * (entry, or direction in fast mode), their noise floors, and where needed the refined
 * estimates' spread (see conclude.ts).
 */
import type { ArrayCheck } from './index';
import type { Shape } from '../tensor';
import { plainOk, scaleFor, withinTol } from './norms';

/**
 * Largest relative spread between the two refined estimates that may excuse a difference. Up
 * to here finite differences still separate a correct gradient from every broken backward we
 * know (those miss by ≥ 3.4e-2, test/gradcheck-mutants.test.ts); beyond it they say nothing.
 */
export const SPREAD_CAP = 1e-3;

/**
 * Which items are within the noise: item k is when |at[k] − ana[k]| ≤ floors[k], `at` being
 * its first-pass difference (noise.ts), whichever estimate the verdict is about.
 */
export interface Noise {
  at: number[];
  floors: number[];
}

// (a floor that overflowed would excuse anything: it excuses nothing)
const withinNoise = (noise: Noise, ana: number[], k: number): boolean => Math.abs(noise.at[k] - ana[k]) <= noise.floors[k] && noise.floors[k] < Infinity;

export function verdict(
  name: string, shape: Shape, num: number[], ana: number[], labels: string[], tol: number, noise: Noise, refined: boolean,
  estimates?: number[][],
): ArrayCheck {
  let diff2 = 0, num2 = 0, ana2 = 0, maxAbs = 0, worst = -1, noisy = true, inSpread = estimates !== undefined, spread = 0;
  for (let k = 0; k < num.length; k++) {
    const e = Math.abs(num[k] - ana[k]);
    diff2 += e * e;
    num2 += num[k] * num[k];
    ana2 += ana[k] * ana[k];
    // NaN from a user's gradient must never look like a small error.
    if (!(e <= maxAbs)) {
      maxAbs = Number.isNaN(e) ? Infinity : e;
      worst = k;
    }
    // (an item within tol on its own needs no excuse: wrongItems() below)
    if (withinTol(num[k], ana[k], tol) || withinNoise(noise, ana, k)) continue;
    noisy = false;
    if (!inSpread) continue;
    const at = estimates!.map((r) => r[k]);
    const scale = Math.max(Math.abs(num[k]), Math.abs(ana[k])); // the cap is relative
    const s = Math.min(Math.max(...at) - Math.min(...at), SPREAD_CAP * scale);
    if (!(Math.min(...at.map((r) => Math.abs(r - ana[k]))) <= s)) inSpread = false;
    else spread = Math.max(spread, s / scale);
  }
  const n = num.length;
  // (maxAbs is Infinity for a NaN or an infinite value, or for a difference of finite ones that overflows)
  const finite = Number.isFinite(maxAbs) || (num.every(Number.isFinite) && ana.every(Number.isFinite));
  const relError = !finite
    ? Infinity
    : plainOk(diff2, n) && plainOk(num2, n) && plainOk(ana2, n)
      ? Math.sqrt(diff2) / (Math.sqrt(num2) + Math.sqrt(ana2))
      : scaledRelError(num, ana);
  const belowNoise = relError > tol && noisy;
  const withinSpread = relError > tol && !noisy && inSpread;
  return {
    name,
    shape,
    checked: num.length,
    relError,
    maxAbsError: maxAbs,
    worst: worst >= 0 ? { index: labels[worst], numeric: num[worst], analytic: ana[worst] } : undefined,
    pass: relError <= tol || belowNoise || withinSpread,
    belowNoise,
    noiseFloor: noise.floors.reduce((a, b) => Math.max(a, b), 0),
    withinSpread,
    ...(withinSpread ? { spread } : {}),
    refined,
    refinementChanged: false,
  };
}

/**
 * ‖num − ana‖ / (‖num‖ + ‖ana‖) of finite values over num·S and ana·S, S a power of two that
 * brings the largest of them near 1 (norms.ts): the plain formula's bits wherever its sums are
 * exact, and the same ratio for values ×2^k at any magnitude (0 when all are 0).
 */
function scaledRelError(num: number[], ana: number[]): number {
  let max = 0;
  for (let k = 0; k < num.length; k++) max = Math.max(max, Math.abs(num[k]), Math.abs(ana[k]));
  const s = scaleFor(max);
  let diff2 = 0, num2 = 0, ana2 = 0;
  for (let k = 0; k < num.length; k++) {
    const x = num[k] * s, y = ana[k] * s, e = x - y;
    diff2 += e * e;
    num2 += x * x;
    ana2 += y * y;
  }
  const den = Math.sqrt(num2) + Math.sqrt(ana2);
  return den === 0 ? 0 : Math.sqrt(diff2) / den;
}

/**
 * Which items of a failing array are wrong — entries, or directions in fast mode. An item is
 * wrong when |num − ana| > tol · (|num| + |ana|) and the difference is above its
 * finite-difference noise floor, and, where the refined differences disagree among themselves
 * (`estimates`), the analytic value lies outside their spread (as in verdict() above).
 * verdict() passes an array exactly when r ≤ tol or no item is wrong (an item within tol on its
 * own needs no excuse), so a FAIL names at least one wrong item.
 */
export function wrongItems(
  num: number[], ana: number[], tol: number, noise: Noise, estimates?: number[][],
): number[] {
  const wrong: number[] = [];
  for (let k = 0; k < num.length; k++) {
    // NaN (a NaN in your gradient) is always wrong.
    if (withinTol(num[k], ana[k], tol) || withinNoise(noise, ana, k)) continue;
    if (estimates) {
      const at = estimates.map((r) => r[k]);
      const scale = Math.max(Math.abs(num[k]), Math.abs(ana[k]));
      const s = Math.min(Math.max(...at) - Math.min(...at), SPREAD_CAP * scale);
      if (Math.min(...at.map((r) => Math.abs(r - ana[k]))) <= s) continue;
    }
    wrong.push(k);
  }
  return wrong;
}
