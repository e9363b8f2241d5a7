/**
 * Per-array verdicts from the numbers: the numerical and analytic values of every item
 * (entry, or direction in fast mode), their noise floors, and where needed the refined
 * estimates' spread (see conclude() in index.ts).
 */
import type { ArrayCheck } from './index';
import type { Shape } from '../tensor';

/**
 * Largest relative spread between the two refined estimates that may excuse a difference. Up
 * to here finite differences still separate a correct gradient from every broken backward we
 * know (those miss by ≥ 3.4e-2, test/gradcheck-mutants.test.ts); beyond it they say nothing.
 */
export const SPREAD_CAP = 1e-3;

export function verdict(
  name: string, shape: Shape, num: number[], ana: number[], labels: string[], tol: number, floors: number[], refined: boolean,
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
    if (e <= floors[k]) continue;
    noisy = false;
    if (!inSpread) continue;
    const at = estimates!.map((r) => r[k]);
    const scale = Math.max(Math.abs(num[k]), Math.abs(ana[k])); // the cap is relative
    const s = Math.min(Math.max(...at) - Math.min(...at), SPREAD_CAP * scale);
    if (!(Math.min(...at.map((r) => Math.abs(r - ana[k]))) <= s)) inSpread = false;
    else spread = Math.max(spread, s / scale);
  }
  const den = Math.sqrt(num2) + Math.sqrt(ana2);
  const relError = den === 0 ? 0 : Number.isFinite(maxAbs) ? Math.sqrt(diff2) / den : Infinity;
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
    withinSpread,
    ...(withinSpread ? { spread } : {}),
    refined,
    refinementChanged: false,
  };
}

/**
 * Which items of a failing array are wrong — entries, or directions in fast mode. An item is
 * wrong when |num − ana| > tol · (|num| + |ana|) and the difference is above its
 * finite-difference noise floor, and, where the refined differences disagree among themselves
 * (`estimates`), the analytic value lies outside their spread (as in verdict() above).
 * If no item were wrong by the first test, ‖num − ana‖ ≤ tol · (‖num‖ + ‖ana‖) by the triangle
 * inequality and the array would pass: a FAIL has at least one item beyond tol, though in
 * principle all of them may lie under the noise floor.
 */
export function wrongItems(
  num: number[], ana: number[], tol: number, floors: number[], estimates?: number[][],
): number[] {
  const wrong: number[] = [];
  for (let k = 0; k < num.length; k++) {
    const e = Math.abs(num[k] - ana[k]);
    // NaN (a NaN in your gradient) is always wrong.
    if (e <= tol * (Math.abs(num[k]) + Math.abs(ana[k])) || e <= floors[k]) continue;
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
