/**
 * `--expect`: compare our outputs (the reference) with a user's arrays of the same names,
 * the way numpy.testing.assert_allclose(actual=theirs, desired=ours) does:
 *   |theirs − ours| ≤ atol + rtol · |ours|   for every entry.
 */
import { formatShape, sameShape, type Arrays, type Shape } from './tensor';
import { indexText } from './validate';

/**
 * Defaults: a float64 port of the same math lands within ~1e-14 relative, so 1e-6 / 1e-9
 * only forgives summation order; a float32 port needs about --rtol 1e-4 --atol 1e-6.
 */
export const DEFAULT_RTOL = 1e-6;
export const DEFAULT_ATOL = 1e-9;

export interface Comparison {
  name: string;
  /** Where the user's array came from. */
  source?: string;
  ok: boolean;
  shape: Shape; // ours
  theirShape: Shape;
  checked: number;
  /** Entries outside the tolerance. */
  bad: number;
  maxAbs: number;
  /** Largest |theirs − ours| / |ours| over entries with ours ≠ 0. */
  maxRel: number;
  /** The entry furthest outside (or closest to) the tolerance, as `[i, j, t]`. */
  worst?: { index: string; ours: number; theirs: number };
}

export function compareArrays(
  ours: Arrays, theirs: Arrays, rtol: number, atol: number, origin: (name: string) => string | undefined = () => undefined,
): Comparison[] {
  const out: Comparison[] = [];
  for (const name of Object.keys(ours)) {
    if (!(name in theirs)) continue;
    const a = ours[name], b = theirs[name];
    const base = { name, source: origin(name), shape: a.shape, theirShape: b.shape };
    if (!sameShape(a.shape, b.shape)) {
      out.push({ ...base, ok: false, checked: 0, bad: a.data.length, maxAbs: Infinity, maxRel: Infinity });
      continue;
    }
    let bad = 0, maxAbs = 0, maxRel = 0, worstK = -1, worstRatio = -1;
    for (let k = 0; k < a.data.length; k++) {
      const e = a.data[k];
      // A NaN or Inf in theirs counts as infinitely far off.
      const diff = Number.isFinite(b.data[k]) ? Math.abs(b.data[k] - e) : Infinity;
      const allowed = atol + rtol * Math.abs(e);
      if (diff > allowed) bad++;
      maxAbs = Math.max(maxAbs, diff);
      if (e !== 0) maxRel = Math.max(maxRel, diff / Math.abs(e));
      const ratio = diff === 0 ? 0 : allowed === 0 ? Infinity : diff / allowed;
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worstK = k;
      }
    }
    out.push({
      ...base,
      ok: bad === 0,
      checked: a.data.length,
      bad,
      maxAbs,
      maxRel,
      worst: worstK >= 0 ? { index: indexText(worstK, a.shape), ours: a.data[worstK], theirs: b.data[worstK] } : undefined,
    });
  }
  return out;
}

export function describeMismatch(c: Comparison): string {
  if (!sameShape(c.shape, c.theirShape)) return `${c.name}: shape ${formatShape(c.theirShape)}, expected ${formatShape(c.shape)}`;
  return `${c.name}: ${c.bad} of ${c.checked} entries differ`;
}
