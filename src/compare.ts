/**
 * `--expect`: compare our outputs (the reference) with yours, array by array, the way
 * numpy.testing.assert_allclose(actual=yours, desired=ours) does:
 *   |yours − ours| ≤ atol + rtol · |ours|   for every entry.
 * Which arrays are compared is decided by the name contract (src/names.ts).
 */
import { firstInTime, seedTime, type FirstMismatch, type TimeAxis, type TimeOrder } from './mismatch';
import type { Resolved } from './names';
import { sameShape, type Arrays, type Shape } from './tensor';
import { indexText } from './validate';

/**
 * Defaults: a float64 port of the same math lands within ~1e-14 relative, so 1e-6 / 1e-9
 * only forgives summation order; a float32 port needs about --rtol 1e-4 --atol 1e-6.
 */
export const DEFAULT_RTOL = 1e-6;
export const DEFAULT_ATOL = 1e-9;

export interface Comparison {
  /** Our name. */
  name: string;
  /** Your name for it: the same, or a notebook alias (`y_pred` for `y`). */
  yours: string;
  /** The file your array came from. */
  source?: string;
  ok: boolean;
  shape: Shape; // ours
  yourShape: Shape;
  checked: number;
  /** Entries outside the tolerance. */
  bad: number;
  maxAbs: number;
  /** Largest |yours − ours| / |ours| over entries with ours ≠ 0. */
  maxRel: number;
  /** The entry furthest outside (or closest to) the tolerance, as `[i, j, t]`. */
  worst?: { index: string; ours: number; yours: number };
  /** For arrays with a time axis: the first entry outside the tolerance, in the computation's time order. */
  firstMismatch?: FirstMismatch;
}

/** What `--expect` found: the comparisons, and what was not compared. */
export interface ExpectReport {
  comparisons: Comparison[];
  /** Arrays we produce that your files lack: not compared (`--strict` fails on them). */
  notCompared: string[];
  /** Inputs of the command found in your files: accepted, not compared. */
  inputs: string[];
  /** Your files. */
  files: string[];
  /** Time order of the compared arrays: forward outputs or gradients (see mismatch.ts). */
  order: TimeOrder;
}

export function compareArrays(
  ours: Arrays, yours: Arrays, resolved: Resolved, rtol: number, atol: number,
  origin: (name: string) => string | undefined = () => undefined, order: TimeOrder = 'forward', time: TimeAxis = seedTime,
): Comparison[] {
  return resolved.compared.map(({ name, yours: yourName }): Comparison => {
    const a = ours[name], b = yours[yourName];
    const base = { name, yours: yourName, source: origin(yourName), shape: a.shape, yourShape: b.shape };
    if (!sameShape(a.shape, b.shape)) {
      return { ...base, ok: false, checked: 0, bad: a.data.length, maxAbs: Infinity, maxRel: Infinity };
    }
    let bad = 0, maxAbs = 0, maxRel = 0, worstK = -1, worstRatio = -1;
    const wrong: number[] = [];
    for (let k = 0; k < a.data.length; k++) {
      const e = a.data[k], y = b.data[k];
      // As numpy.testing.assert_allclose: equal infinities and NaN against NaN agree; any other
      // NaN or Inf, in yours or in ours, is infinitely far off (a NaN must never compare as close).
      const same = e === y || (Number.isNaN(e) && Number.isNaN(y));
      const diff = same ? 0 : Number.isFinite(e) && Number.isFinite(y) ? Math.abs(y - e) : Infinity;
      const allowed = atol + rtol * Math.abs(e);
      if (!same && !(Number.isFinite(e) && diff <= allowed)) {
        bad++;
        wrong.push(k);
      }
      maxAbs = Math.max(maxAbs, diff);
      if (e !== 0) maxRel = Math.max(maxRel, diff / Math.abs(e));
      const ratio = diff === 0 ? 0 : allowed === 0 ? Infinity : diff / allowed;
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worstK = k;
      }
    }
    return {
      ...base,
      ok: bad === 0,
      checked: a.data.length,
      bad,
      maxAbs,
      maxRel,
      worst: worstK >= 0 ? { index: indexText(worstK, a.shape), ours: a.data[worstK], yours: b.data[worstK] } : undefined,
      firstMismatch: firstInTime(wrong, a.shape, order, name, time),
    };
  });
}
