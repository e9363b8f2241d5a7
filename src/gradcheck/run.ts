/**
 * Running a prepared check on this thread: the first pass of each array in steps of about
 * STEP_WORK multiply-adds, then its verdict (index.ts concludePlan), array after array.
 * gradcheck() drains the steps at once; the CLI drives them with pauses (steps.ts).
 */
import { Directions } from './directions';
import { Evaluator } from './evaluator';
import type { LossEvaluator } from './evaluation';
import { concludePlan, finish, LADDER_PAIRS, prepare, type ArrayCheck, type GradcheckOptions, type GradcheckResult, type Plan, type PlannedCheck, type Prepared } from './index';
import { emptyPass, measureEntries, pushDirection, type FirstPass } from './pass';
import { drain, type Steps } from './steps';

/**
 * Multiply-adds between two steps of a check: often enough for the event loop, rarely enough
 * that a course-size check does not pay for a step per evaluation (bench/README.md); a big
 * net's evaluations are steps of their own.
 */
export const STEP_WORK = 2 ** 20;

/**
 * The numerical side of one plan at step h: one value per entry, then per direction (with
 * what their noise needs), each direction drawn by `draw` as it is reached. A step ends every
 * STEP_WORK multiply-adds (and after the last item); `tick` counts its items.
 */
export function* measurePlan(
  prep: PlannedCheck, ev: LossEvaluator, pl: Plan, h: number, tick?: (items: number, direction: boolean) => void, draw?: () => Float64Array,
): Steps<FirstPass> {
  const out = emptyPass(); // (filled in order, entries then directions: packed arrays)
  const perEntry = Math.max(1, Math.floor(STEP_WORK / prep.cost(pl.input, false)));
  for (let i = 0; i < pl.entries.length; i += perEntry) {
    const n = measureEntries(ev, pl.input, pl.entries, h, i, Math.min(i + perEntry, pl.entries.length), out);
    tick?.(n, false);
    yield;
  }
  // A direction is a ladder of centred differences (Evaluator.directionSteps): its rungs end steps too.
  const rung = prep.cost(pl.input, true) / LADDER_PAIRS;
  let work = 0;
  if (pl.directions && !draw) throw new Error(`gradcheck: ${pl.name} has directions and nothing to draw them`);
  for (let i = 0; i < pl.directions; i++) {
    const ladder = ev.directionSteps(pl.input, draw!(), h);
    let r = ladder.next();
    while (!r.done) {
      work += rung;
      if (work >= STEP_WORK) {
        work = 0;
        yield;
      }
      r = ladder.next();
    }
    pushDirection(ev, pl.input, r.value, out);
    tick?.(1, true);
  }
  if (pl.directions) yield;
  return out;
}

/** Items (entries + directions) of all plans: what progress counts. */
export function itemCount(plans: Plan[]): number {
  return plans.reduce((s, p) => s + p.entries.length + p.directions, 0);
}

/** The check, on this thread. */
export function gradcheck(o: GradcheckOptions): GradcheckResult {
  return runHere(prepare(o));
}

/** Runs a prepared check on this thread. */
export function runHere(prep: Prepared): GradcheckResult {
  const ev = new Evaluator(prep.o.cell, prep.o.inputs, prep.o.loss);
  try {
    return runOn(prep, ev);
  } finally {
    ev.release(); // (its buffers back to the pool and the arena)
  }
}

/** A prepared check on this thread, with `ev`. */
export function runOn(prep: Prepared, ev: LossEvaluator): GradcheckResult {
  return drain(checkSteps(prep, ev));
}

/** The whole check on this thread as steps: each array measured, then concluded (and reported) at once. */
export function* checkSteps(prep: Prepared, ev: LossEvaluator): Steps<GradcheckResult> {
  const started = process.hrtime.bigint();
  const { o } = prep;
  const total = itemCount(prep.plans);
  let done = 0, work = 0;
  const arrays: ArrayCheck[] = [];
  const directions = new Directions(prep);
  for (let p = 0; p < prep.plans.length; p++) {
    const pl = prep.plans[p];
    const cost = [prep.cost(pl.input, false), prep.cost(pl.input, true)];
    const tick = (items: number, direction: boolean): void => {
      done += items;
      work += items * cost[+direction];
      o.onProgress?.({ done, total, work });
    };
    const first = yield* measurePlan(prep, ev, pl, prep.eps, tick, () => directions.next(p));
    arrays.push(yield* concludePlan(prep, ev, p, first, directions));
    directions.done(p);
    o.onArray?.(arrays[p], p);
  }
  return finish(prep, ev, arrays, 0, started);
}
