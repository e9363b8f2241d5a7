/**
 * Pure text formatting: numbers the way numpy prints them, shapes, and small matrices.
 * Nothing here writes to a stream or knows about colour.
 */
import { formatShape, type Tensor } from '../../tensor';

export const DEFAULT_PRECISION = 8;

/*
 * Numbers the way numpy prints them, with trailing zeros and a trailing point trimmed (numpy's
 * trim='-': `0`, `137`, `0.5`, `1e-09`, never `0.` or `1.e-09`). `precision` counts significant
 * digits, as `--precision` does; in numpy's terms that is
 *   positional:  np.format_float_positional(v, precision=P, unique=True, fractional=False, trim='-')
 *   scientific:  np.format_float_scientific(v, precision=P - 1, unique=True, trim='-')
 * (numpy's own `precision` counts digits after the point, hence fractional=False and P - 1).
 * unique=True: the shortest string that identifies the float when it has at most P digits, else
 * the exact binary value rounded to P digits, halfway cases to the even digit (Dragon4).
 * A precision of Infinity (or anything ≥ 17) gives the shortest string, numpy's precision=None.
 * Exponents have at least two digits as numpy's do (`1e-09`); option values use one (`1e-6`).
 * Which notation a set of values takes is numpy's array-printing rule (`scientificFor`): a
 * table column, a printed array and one number on its own all follow it.
 * fixtures/format/ holds numpy's strings for hundreds of values; test/format.test.ts checks them.
 */

/** How to write one float: digits, notation, and the least number of exponent digits. */
export interface FloatFormat {
  /** significant digits (an integer ≥ 1); Infinity: as many as identify the float */
  precision: number;
  scientific: boolean;
  /** exponent digits at least (numpy's exp_digits); 2 unless said */
  expDigits?: number;
}

/** One float in the given notation (numpy's format_float_positional / _scientific, trim='-'). */
export function formatFloat(v: number, f: FloatFormat): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (!(Number.isInteger(f.precision) ? f.precision >= 1 : f.precision === Infinity)) {
    throw new RangeError(`precision must be a whole number ≥ 1, got ${f.precision}`);
  }
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const expDigits = f.expDigits ?? 2;
  if (v === 0) return sign + (f.scientific ? `0e+${'0'.repeat(expDigits)}` : '0');
  const { digits, exp } = decimalDigits(Math.abs(v), f.precision);
  return sign + (f.scientific ? scientificText(digits, exp, expDigits) : positionalText(digits, exp));
}

/**
 * numpy's choice of notation for an array (arrayprint.FloatingFormat): scientific when, over
 * the finite nonzero values, max |v| ≥ 1e8, min |v| < 1e-4 or max / min > 1e3.
 */
export function scientificFor(values: Iterable<number>): boolean {
  let max = 0, min = Infinity;
  for (const v of values) {
    const a = Math.abs(v);
    if (a === 0 || !Number.isFinite(a)) continue;
    if (a > max) max = a;
    if (a < min) min = a;
  }
  return max > 0 && (max >= 1e8 || min < 1e-4 || max / min > 1e3);
}

/** One number on its own: numpy's rule applied to it alone (`0.5`, `137`, `1e-09`, `1.2e+10`). */
export function formatNumber(v: number, precision = DEFAULT_PRECISION): string {
  return formatFloat(v, { precision, scientific: scientificFor([v]) });
}

/**
 * Values shown together (a table column, a printed array, a pair compared side by side): one
 * notation for all of them, as numpy prints an array, so `4.99e-01` never stands next to `0.499`.
 */
export function formatColumn(values: readonly number[], precision = DEFAULT_PRECISION): string[] {
  const scientific = scientificFor(values);
  return values.map((v) => formatFloat(v, { precision, scientific }));
}

/** A table column: the numbers formatted as one column with their points aligned, '—' where there is none. */
export function formatCells(values: readonly (number | undefined)[], precision = DEFAULT_PRECISION): string[] {
  const present = values.filter((v): v is number => v !== undefined);
  const texts = alignNumbers(formatColumn(present, precision));
  let k = 0;
  return values.map((v) => (v === undefined ? '—' : texts[k++]));
}

/** A value the user gave (an input, a label): every digit needed to identify it. */
export function formatExact(v: number): string {
  return formatNumber(v, Infinity);
}

/** An option's value as the help and README write it and a user types it: `1e-6`, `0.5`, `1024`. */
export function formatSetting(v: number): string {
  return formatFloat(v, { precision: Infinity, scientific: scientificFor([v]), expDigits: 1 });
}

/**
 * Texts of one printed array padded as numpy pads them: the integer parts right-aligned and the
 * rest (point, fraction, exponent) left-aligned, so points line up; nan and inf right-aligned.
 */
export function alignNumbers(texts: readonly string[]): string[] {
  const parts = texts.map((s) => /^-?\d+/.exec(s)?.[0]);
  let left = 0, right = 0;
  texts.forEach((s, k) => {
    const n = parts[k]?.length;
    if (n === undefined) return;
    left = Math.max(left, n);
    right = Math.max(right, s.length - n);
  });
  const width = Math.max(left + right, ...texts.map((s) => s.length));
  return texts.map((s, k) => {
    const n = parts[k]?.length;
    return n === undefined ? s.padStart(width) : (s.slice(0, n).padStart(left) + s.slice(n).padEnd(right)).padStart(width);
  });
}

/** Digits of a finite a > 0 without leading or trailing zeros, and the power of ten of the first. */
function decimalDigits(a: number, precision: number): { digits: string; exp: number } {
  // JavaScript's shortest round-trip digits are Dragon4's unique ones (ties to even, boundaries
  // included for even significands, as in numpy's dragon4.c).
  const shortest = splitExponential(a.toExponential());
  const n = shortest.digits.length;
  if (n <= precision) return shortest;
  // Past P digits: toExponential(P - 1) rounds the exact value, halfway cases away from zero,
  // where numpy takes the even digit. A halfway case is exactly P + 1 digits ending in 5, and
  // then those are its shortest digits too (nothing shorter exists, and nothing is closer).
  if (n === precision + 1 && shortest.digits.endsWith('5') && isExactly(a, shortest.digits, shortest.exp)) {
    const kept = shortest.digits.slice(0, precision);
    if ((kept.charCodeAt(precision - 1) - 48) % 2 === 0) return { digits: kept.replace(/0+$/, ''), exp: shortest.exp };
  }
  return splitExponential(a.toExponential(precision - 1));
}

/** `1.2300e-5` → digits '123', exp -5. */
function splitExponential(s: string): { digits: string; exp: number } {
  const e = s.indexOf('e');
  const digits = (s[0] + s.slice(2, e)).replace(/0+$/, '');
  return { digits: digits === '' ? '0' : digits, exp: Number(s.slice(e + 1)) };
}

function positionalText(digits: string, exp: number): string {
  if (exp < 0) return '0.' + '0'.repeat(-exp - 1) + digits;
  if (digits.length <= exp + 1) return digits + '0'.repeat(exp + 1 - digits.length);
  return digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
}

function scientificText(digits: string, exp: number, expDigits: number): string {
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(expDigits, '0')}`;
}

const bits = new DataView(new ArrayBuffer(8));

/** Whether the double a equals the decimal d.ddd · 10^exp (digits 'dddd') exactly, not just rounds to it. */
function isExactly(a: number, digits: string, exp: number): boolean {
  bits.setFloat64(0, a);
  const hi = bits.getUint32(0), lo = bits.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  // a = m · 2^q
  let m = BigInt((hi & 0xfffff) * 2 ** 32 + lo), q = -1074;
  if (biased !== 0) {
    m += 1n << 52n;
    q = biased - 1075;
  }
  // the decimal = d · 10^j
  let d = BigInt(digits);
  const j = exp - (digits.length - 1);
  if (q >= 0) m <<= BigInt(q);
  else d <<= BigInt(-q);
  if (j >= 0) d *= 10n ** BigInt(j);
  else m *= 10n ** BigInt(-j);
  return m === d;
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
