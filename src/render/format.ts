/**
 * Pure text formatting: numbers the way numpy prints them, shapes, and small matrices.
 * Nothing here writes to a stream or knows about colour.
 */
import { formatShape, type Tensor } from '../tensor';

export const DEFAULT_PRECISION = 8;

/**
 * A float with `precision` significant digits, trailing zeros dropped, in scientific
 * notation when very small or very large (numpy's rule of thumb: |v| < 1e-4 or ≥ 1e8).
 */
export function formatNumber(v: number, precision = DEFAULT_PRECISION): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.' : '0.';
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e8) {
    const [mant, exp] = v.toExponential(precision - 1).split('e');
    const e = Number(exp);
    return `${trimZeros(mant)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const s = v.toPrecision(precision);
  return s.includes('e') ? String(Number(s)) : trimZeros(s);
}

function trimZeros(s: string): string {
  if (!s.includes('.')) return s + '.';
  return s.replace(/0+$/, '');
}

export { formatShape };

/** Columns to show out of m: all when m ≤ max, else the first and last few with a gap (-1). */
export function pickColumns(m: number, max = 8): number[] {
  if (m <= max) return Array.from({ length: m }, (_, j) => j);
  const head = Math.ceil(max / 2), tail = Math.floor(max / 2);
  return [
    ...Array.from({ length: head }, (_, j) => j),
    -1,
    ...Array.from({ length: tail }, (_, j) => m - tail + j),
  ];
}

/** Frobenius norm. */
export function norm(t: Tensor): number {
  let s = 0;
  for (const v of t.data) s += v * v;
  return Math.sqrt(s);
}

export interface Stats {
  min: number;
  max: number;
  mean: number;
  nan: number;
  inf: number;
}

/** min / max / mean over the finite entries, and how many are NaN or ±Inf. */
export function stats(t: Tensor): Stats {
  let min = Infinity, max = -Infinity, sum = 0, n = 0, nan = 0, inf = 0;
  for (const v of t.data) {
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      n++;
    }
  }
  return { min: n ? min : NaN, max: n ? max : NaN, mean: n ? sum / n : NaN, nan, inf };
}
