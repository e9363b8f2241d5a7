/**
 * A plan's first pass and how it is filled, on this thread or a worker's (kept apart from
 * index.ts so that the worker's bundle stays the evaluator's).
 */
import type { LossEvaluator } from './evaluation';
import { sigmaOf } from './noise';

/**
 * Per item (entries, then directions): the estimate, and the centred difference it rests on —
 * its step, its value, and its model rounding σ (noise.ts) — where its noise can be measured
 * again (an entry's: the estimate itself, at eps; a direction's: the rung of its ladder that
 * the estimate came from).
 */
export interface FirstPass {
  values: number[];
  sigma: number[];
  step: number[];
  centred: number[];
}

export const emptyPass = (): FirstPass => ({ values: [], sigma: [], step: [], centred: [] });

/** Entries from … to − 1 of `entries` appended to `out` (a plain loop: the hot path stays out of generators). */
export function measureEntries(ev: LossEvaluator, input: string, entries: number[], h: number, from: number, to: number, out: FirstPass): number {
  for (let i = from; i < to; i++) {
    const c = ev.entry(input, entries[i], h);
    out.values.push(c);
    out.sigma.push(sigmaOf(ev, input, h));
    out.step.push(h);
    out.centred.push(c);
  }
  return to - from;
}

/** A direction's estimate, just measured by `ev` (Evaluator.direction), appended to `out` with its rung. */
export function pushDirection(ev: LossEvaluator, input: string, value: number, out: FirstPass): void {
  out.values.push(value);
  out.sigma.push(sigmaOf(ev, input, ev.rung.step));
  out.step.push(ev.rung.step);
  out.centred.push(ev.rung.centred);
}
