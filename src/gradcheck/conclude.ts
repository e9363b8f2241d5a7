/**
 * An array's verdict from its first pass (index.ts FirstPass: computed on this thread or by
 * worker threads), with what more it needs measured on this thread: its rounding noise
 * (noise.ts) and, for entries, the refinement of their differences.
 */
import { firstInTime } from '../mismatch';
import { indexText } from '../validate';
import type { Directions } from './directions';
import type { LossEvaluator } from './evaluation';
import type { ArrayCheck, Plan, PlannedCheck } from './index';
import type { FirstPass } from './pass';
import { measuredNoise, noiseFloors } from './noise';
import { fivePoint as combine } from './norms';
import { measurePlan } from './run';
import type { Steps } from './steps';
import { verdict, wrongItems, type Noise } from './verdict';

/**
 * The verdict of array `p` from its first pass, refining it on this thread if it fails; its
 * directions (fast mode) as `directions` drew them.
 */
export function* concludePlan(prep: PlannedCheck, ev: LossEvaluator, p: number, first: FirstPass, directions?: Directions): Steps<ArrayCheck> {
  const { eps, tol } = prep;
  const pl = prep.plans[p];
  if (!pl.shapeOk) {
    return {
      name: pl.name, shape: pl.shape, checked: 0, relError: Infinity, maxAbsError: Infinity, pass: false, belowNoise: false,
      noiseFloor: 0, withinSpread: false, refined: false, refinementChanged: false, shapeMismatch: pl.ana.shape,
    };
  }
  const { ana, labels } = analyticSide(pl, directions?.analytic(p) ?? []);
  const num = first.values;
  // An item is within noise when its first-pass difference lies within its floor — never a
  // refined one: those rest on shorter steps and are noisier (a wrong value could hide there).
  // No floor before the noise is measured.
  let noise: Noise = { at: num, floors: num.map(() => 0) };
  const judge = (at: number[], refined: boolean, estimates?: number[][]): ArrayCheck =>
    verdict(pl.name, pl.shape, at, ana, labels, tol, noise, refined, estimates);
  // A FAIL says which items are wrong (verdict.ts); entries of x in BPTT's time order.
  const failing = (v: ArrayCheck, at: number[], estimates?: number[][]): ArrayCheck => {
    if (v.pass) return v;
    const wrong = wrongItems(at, ana, tol, noise, estimates);
    const firstMismatch = pl.directions ? undefined : firstInTime(wrong.map((i) => pl.entries[i]), pl.shape, 'backward', pl.name, prep.time);
    return { ...v, wrong: wrong.length, ...(firstMismatch ? { firstMismatch } : {}) };
  };
  const firstVerdict = judge(num, false);
  if (firstVerdict.pass) return firstVerdict;
  // Measure how much this net's differences are rounded, for every item's floor. (A
  // direction's ladder already chose its steps: it is not refined.)
  const kappa = yield* measuredNoise(ev, pl, first, pl.directions ? directions!.again(p) : undefined);
  noise = { at: num, floors: noiseFloors(first, pl, kappa) };
  const measured: ArrayCheck = { ...judge(num, false), noise: kappa };
  if (measured.pass || pl.directions) return failing(measured, num);
  // Not converged? Where the loss curves hard (saturated gates, large weights, gradients
  // exploding through time) the centred difference's truncation error ~eps²·L‴ can exceed
  // tol at eps. Refine every entry at h = eps/10 and eps/100 with the five-point stencil,
  // (4·c(h) − c(2h))/3 from centred differences c at h and 2h — truncation ~h⁴·L⁽⁵⁾ — and
  // keep, per entry, the finer estimate where it agrees at least as well with the coarser
  // one as that does with the first. (An exploding GRU, measured: the centred difference is
  // off by 6e-5 even at 1e-8, the five-point one agrees with the analytic to 1e-8.) This
  // only makes the numerical side more exact: a wrong analytic gradient disagrees with it
  // all the same.
  const steps = [eps, eps / 10, eps / 100];
  function* fivePoint(h: number): Steps<number[]> {
    const c1 = (yield* measurePlan(prep, ev, pl, h)).values, c2 = (yield* measurePlan(prep, ev, pl, 2 * h)).values;
    return c1.map((c, k) => combine(c, c2[k]));
  }
  const runs = [num, yield* fivePoint(steps[1]), yield* fivePoint(steps[2])];
  const best = num.map((_, k) => (Math.abs(runs[2][k] - runs[1][k]) <= Math.abs(runs[1][k] - runs[0][k]) ? 2 : 1));
  // Where the refined estimates still disagree (a third one, at eps/30, joins them for this),
  // finite differences cannot resolve the gradient more finely than their spread: an analytic
  // value within the spread of one of them (up to SPREAD_CAP) is reported as such, not as a
  // failure. Only computed when the refined verdict alone fails.
  const bestNum = best.map((b, k) => runs[b][k]);
  const refined = judge(bestNum, true);
  if (refined.pass) return { ...refined, noise: kappa, refinementChanged: true };
  const estimates = [runs[1], yield* fivePoint(eps / 30), runs[2]];
  const spread = { ...judge(bestNum, true, estimates), noise: kappa };
  return spread.pass ? { ...spread, refinementChanged: true } : failing(spread, bestNum, estimates);
}

/** Analytic values and labels, entry by entry, then direction by direction (vᵀg, as directions.ts took them). */
function analyticSide(pl: Plan, dots: number[]): { ana: number[]; labels: string[] } {
  const ana: number[] = [], labels: string[] = [];
  for (const k of pl.entries) {
    ana.push(pl.ana.data[k]);
    labels.push(indexText(k, pl.shape));
  }
  if (dots.length !== pl.directions) throw new Error(`gradcheck: ${pl.name}: ${dots.length} of ${pl.directions} directions drawn`);
  dots.forEach((dot, i) => {
    ana.push(dot);
    labels.push(`v${i}`);
  });
  return { ana, labels };
}
