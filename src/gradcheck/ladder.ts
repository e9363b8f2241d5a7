/**
 * How fast mode chooses the step of each direction (Evaluator.direction): five-point
 * estimates on a ladder of steps, from the step that moves each entry by LADDER_TOP·eps (root
 * mean square) down by halves, until two neighbours agree to CONVERGED, or they start to
 * disagree more again (past the point where rounding overtakes truncation), or the step
 * reaches LADDER_BOTTOM·eps. The estimate that agreed best with its coarser neighbour is
 * returned — agreement counted no finer than the estimate's own rounding σ (noise.ts): where
 * a derivative is all rounding, neighbours that agree exactly (nothing changed by an ulp) must
 * not pull the choice down to a step with more rounding. Measured in bench/README.md.
 */
import { fivePoint } from './norms';
import type { Steps } from './steps';

// First rung, last rung (per-entry steps in units of eps), and when to stop.
const LADDER_TOP = 10;
const LADDER_BOTTOM = 1e-3;
/** Neighbouring five-point estimates this close (relative) end the ladder. */
const CONVERGED = 1e-9;
/** The first two centred differences this close (relative) make the ladder unnecessary. */
const QUICK = 3e-9;
/** Past the best agreement (once it is at least PLAUSIBLE), a gap SAFE times larger ends the ladder. */
const SAFE = 2;
const PLAUSIBLE = 1e-6;

/** A rung: its per-entry step s, its centred difference c, what c's rounding scales with, and that rounding σ. */
export interface Rung {
  s: number;
  c: number;
  magnitude: number;
  change: number;
  sigma: number;
}

/** The ladder over `centred` (a rung at per-entry step s); yields between two rungs. */
export function* ladder(centred: (s: number) => Rung, eps: number): Steps<{ best: number; rung: Rung }> {
  let s = LADDER_TOP * eps;
  const top = centred(2 * s);
  yield;
  let coarse = centred(s);
  let prev = fivePoint(coarse.c, top.c);
  let best = prev, rung = coarse;
  // Two centred differences that already agree: truncation and rounding are both that small.
  if (Math.abs(coarse.c - top.c) <= QUICK * Math.abs(coarse.c)) return { best, rung };
  let bestGap = Infinity, bestScore = Infinity;
  while (s > LADDER_BOTTOM * eps) {
    s /= 2; // exact: the rung above is centred(2s), reused
    yield;
    const fine = centred(s);
    const est = fivePoint(fine.c, coarse.c);
    const gap = Math.abs(est - prev), score = Math.max(gap, fine.sigma);
    if (score <= bestScore) [best, bestGap, bestScore, rung] = [est, gap, score, fine];
    if (gap <= CONVERGED * Math.abs(est)) break;
    if (bestGap <= PLAUSIBLE * Math.abs(best) && gap > SAFE * bestGap) break;
    [coarse, prev] = [fine, est];
  }
  return { best, rung };
}
