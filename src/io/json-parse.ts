/**
 * The JSON fixture parser proper (RFC 8259, strict), on the UTF-8 bytes: no string of the whole
 * text is ever made, so a file over V8's string limit (~512 MiB) reads like any other, and the
 * numbers go straight into each array's Float64Array — sized by the counting pass
 * (json-count.ts), so a valid file allocates each array once — with the array's shape checked
 * as they come. The first problem in the text is the one reported.
 *
 * Shape: the first element at each depth fixes the rank (a number, or an empty array), and the
 * first array at each depth its length; every later array at that depth must have that length.
 * Numbers convert exactly as JSON.parse does (correctly rounded): those with a significand below
 * 2^53 and a power of ten up to 22 by one float64 operation (one rounding), the others by V8's
 * own JSON.parse on runs of them (Number() on one string per number costs ~3x as much).
 */
import { InputError } from '../errors';
import { formatExact } from '../cli/render/format';
import type { Arrays, Tensor } from '../tensor';
import { MAX_NDIM, printable } from './common';
import { ascii, charLength, ESCAPES, isDigit, isHex, NOT_UTF8, WS } from './json-bytes';

/** Where the parser finds each member's number count (json-count.ts); a missing hint is fine. */
export interface SizeHints {
  hint(k: number): number | undefined;
}

/** Longest array name, in bytes of JSON text (a zip member name, as in .npz, has at most 65535). */
export const MAX_NAME_BYTES = 65535;
/** Longest number token; no float64 needs more than ~770 significant digits. */
export const MAX_NUMBER_CHARS = 1 << 20;
/** Text converted by one JSON.parse call (see `convertRun`). */
const RUN_BYTES = 1 << 16;

const TOO_BIG = (text: string): string => `${text} is too big for float64 (it would become Infinity)`;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k); // exact: 10^22 = 2^22 · 5^22, 5^22 < 2^53
const TWO53 = 2 ** 53;
const decoder = new TextDecoder();


/** Parse a JSON fixture from its bytes (a UTF-8 byte order mark is skipped). */
export function parseJsonBytes(b: Uint8Array, source: string, hints?: SizeHints): Arrays {
  const n = b.length;
  const begin = n >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  let i = begin;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);

  /** `line 3, column 12`: columns count UTF-16 code units, as an editor does. */
  const position = (at: number): string => {
    let line = 1, start = begin;
    for (let p = begin; p < at && p < n; p++) if (b[p] === 0x0a) { line++; start = p + 1; }
    let col = 1;
    for (let p = start; p < at && p < n; p++) if ((b[p] & 0xc0) !== 0x80) col += b[p] >= 0xf0 ? 2 : 1;
    return `line ${line}, column ${col}`;
  };
  const failAt = (at: number, msg: string): never => {
    throw new InputError(`${position(at)}: ${msg}`, source);
  };
  const found = (): string => {
    if (i >= n) return 'end of input';
    const len = charLength(b, i);
    if (len === 0) return failAt(i, NOT_UTF8);
    return `'${printable(decoder.decode(b.subarray(i, i + len)))}'`;
  };
  const expected = (what: string): never => {
    const f = found();
    return failAt(i, `expected ${what}, found ${f}`);
  };
  const ws = (): void => {
    let p = i;
    while (p < n && WS[b[p]] === 1) p++;
    i = p;
  };

  /**
   * A string at `i`, decoded, keeping its first `keep` characters or so (all of a name;
   * a string value is only ever shown in a message). `maxBytes`: longest allowed, for names.
   */
  const string = (keep: number, maxBytes = Infinity): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let run = i;
    const flush = (to: number): void => {
      if (out.length <= keep && to > run) out += decoder.decode(b.subarray(run, Math.min(to, run + 4 * (keep + 1))));
    };
    for (;;) {
      if (i - start > maxBytes) return failAt(start, `an array name longer than ${maxBytes} bytes`);
      if (i >= n) return failAt(start, 'unterminated string');
      const c = b[i];
      if (c === 0x22) { flush(i); i++; return out; }
      if (c < 0x20) return failAt(i, 'control character in a string (escape it)');
      if (c === 0x5c) {
        flush(i);
        const e = b[i + 1];
        const simple = ESCAPES[e];
        if (simple !== undefined) { out += simple; i += 2; }
        else if (e === 0x75 && isHex(b[i + 2]) && isHex(b[i + 3]) && isHex(b[i + 4]) && isHex(b[i + 5])) {
          out += String.fromCharCode(parseInt(ascii(b, i + 2, i + 6), 16));
          i += 6;
        } else {
          const len = i + 1 < n ? charLength(b, i + 1) : 0;
          if (i + 1 < n && len === 0) return failAt(i + 1, NOT_UTF8);
          return failAt(i, `invalid escape '${printable(decoder.decode(b.subarray(i, i + 1 + len)))}' in a string`);
        }
        run = i;
        continue;
      }
      if (c < 0x80) i++;
      else {
        const len = charLength(b, i);
        if (len === 0) return failAt(i, NOT_UTF8);
        i += len;
      }
    }
  };

  /** Token bounds of the last number that `number()` left to `exactly()` (it returned NaN). */
  let tokStart = 0, tokEnd = 0;
  /**
   * A number at `i` (which holds `-` or a digit): its value, ±Infinity if it is beyond float64,
   * or NaN when only `exactly()` can convert it — never for one that could be beyond float64.
   */
  const number = (): number => {
    const start = i;
    let p = i; // (a local: `i` is shared by the closures, and slower to touch in a loop)
    const neg = b[p] === 0x2d;
    if (neg) p++;
    // mant: the significant digits while they stay below 2^53 (then exact = false); exp10: its power of ten
    let mant = 0, digits = 0, exp10 = 0, exact = true, intDropped = 0;
    let c = b[p];
    if (c === 0x30) c = b[++p];
    else if (c >= 0x31 && c <= 0x39) {
      do {
        const m = mant * 10 + (c - 0x30);
        if (exact && m < TWO53) { mant = m; digits++; } else { exact = false; intDropped++; }
        c = b[++p];
      } while (c >= 0x30 && c <= 0x39);
    } else return expected('a value');
    if (c === 0x2e && isDigit(b[p + 1])) {
      c = b[++p];
      do {
        if (mant === 0 && c === 0x30) exp10--;
        else {
          const m = mant * 10 + (c - 0x30);
          if (exact && m < TWO53) { mant = m; digits++; exp10--; } else exact = false;
        }
        c = b[++p];
      } while (c >= 0x30 && c <= 0x39);
    }
    if (c === 0x65 || c === 0x45) {
      let j = p + 1;
      const eneg = b[j] === 0x2d;
      if (eneg || b[j] === 0x2b) j++;
      if (isDigit(b[j])) {
        let e = 0;
        do { if (e < 1e6) e = e * 10 + (b[j] - 0x30); j++; } while (isDigit(b[j]));
        exp10 += eneg ? -e : e;
        p = j;
        c = b[p];
      }
    }
    i = p;
    // `01`, `1.`, `.5`, `1e` are not JSON numbers.
    if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45) return failAt(start, `invalid number '${printable(ascii(b, start, p + 1))}'`);
    if (exact && exp10 >= -22 && exp10 <= 22) {
      // Clinger's fast path: mant and 10^|exp10| are exact, so one operation rounds once, correctly.
      const v = exp10 >= 0 ? mant * POW10[exp10] : mant / POW10[-exp10];
      return neg ? -v : v;
    }
    if (p - start > MAX_NUMBER_CHARS) return failAt(start, `a number of ${p - start} characters (at most ${MAX_NUMBER_CHARS} are read)`);
    tokStart = start;
    tokEnd = p;
    if (digits + intDropped + exp10 <= 308) return NaN; // |value| < 10^308: finite
    return exactly(start, p);
  };
  /** The exact value of the number token b[from, to) (as JSON.parse and Number() read it). */
  const exactly = (from: number, to: number): number => Number(text(from, to));
  const text = (from: number, to: number): string => buf.toString('latin1', from, to);

  const nonFinite = (): never => {
    const word = /^-?(?:NaN|Infinity|inf|nan)/i.exec(ascii(b, i, Math.min(n, i + 10)));
    return failAt(i, `${word ? word[0] : 'this'} is not a JSON number (JSON has no NaN or Infinity; Python writes them unless json.dump(..., allow_nan=False); use .npy or .npz for non-finite values)`);
  };
  const startsNonFinite = (c: number): boolean => c === 0x4e || c === 0x49 || c === 0x69 || c === 0x6e; // N I i n
  const word = (w: string): boolean => {
    for (let k = 0; k < w.length; k++) if (b[i + k] !== w.charCodeAt(k)) return false;
    return true;
  };

  /**
   * What a value that is neither a number nor an array is, for a message: a string (read),
   * an object (not read), true, false or null; anything else is a syntax error.
   */
  const describe = (): string => {
    const c = b[i];
    if (c === 0x22) return `a string "${printable(string(21), 20)}"`;
    if (c === 0x7b) return 'an object';
    for (const w of ['true', 'false', 'null']) if (word(w)) return w;
    if (/^(?:NaN|Infinity|inf|nan)/i.test(ascii(b, i, Math.min(n, i + 8)))) return nonFinite();
    return expected('a value');
  };

  /** Reads past any JSON value (to count an array's elements for a message); returns its length if an array. */
  const skip = (depth: number): number => {
    ws();
    if (i >= n) return expected('a value');
    const c = b[i];
    if (c === 0x5b || c === 0x7b) {
      const close = c === 0x5b ? 0x5d : 0x7d;
      if (depth >= MAX_NDIM) return failAt(i, `${c === 0x5b ? 'arrays' : 'objects'} nested deeper than ${MAX_NDIM} levels`);
      i++;
      ws();
      if (b[i] === close) { i++; return 0; }
      for (let len = 1; ; len++) {
        if (c === 0x7b) {
          ws();
          if (b[i] !== 0x22) return expected('a string key');
          string(0);
          ws();
          if (b[i] !== 0x3a) return expected("':' after a key");
          i++;
        }
        skip(depth + 1);
        ws();
        if (b[i] === 0x2c) { i++; continue; }
        if (b[i] === close) { i++; return len; }
        return expected(c === 0x5b ? "',' or ']' after an array element" : "',' or '}' after an object member");
      }
    }
    if (c === 0x2d || isDigit(c)) {
      if (c === 0x2d && startsNonFinite(b[i + 1])) return nonFinite();
      number();
      return 0;
    }
    describe();
    if (c === 0x22) return 0;
    i += b[i] === 0x66 ? 5 : 4; // true, null / false
    return 0;
  };

  /** One member's value → Tensor. */
  const member = (name: string, hint: number | undefined): Tensor => {
    let data = new Float64Array(hint ?? 16);
    let k = 0;
    // Numbers left to exactly(), converted a run at a time by JSON.parse (as fast as V8 gets):
    // data[runK, runKEnd) are the tokens of b[runStart, runEnd), all in one row, which the parser
    // has checked to be numbers separated by commas and whitespace.
    // (Numbers in the run that the fast path converted are converted again, to the same value.)
    let runStart = -1, runEnd = 0, runK = 0, runKEnd = 0;
    const convertRun = (): void => {
      const values = JSON.parse(`[${text(runStart, runEnd)}]`) as number[];
      if (values.length !== runKEnd - runK) throw new Error(`json: ${values.length} numbers in a run of ${runKEnd - runK}`);
      data.set(values, runK);
      runStart = -1;
    };
    let rank = -1;
    const dims: number[] = [];
    const idx: number[] = [];
    const fail = (depth: number, msg: string): never => {
      let path = printable(name);
      for (let d = 0; d < depth; d++) path += `[${idx[d]}]`;
      throw new InputError(`${path}: ${msg}`, source);
    };
    const unit = (depth: number): string => (depth + 1 === rank ? 'numbers' : 'arrays');

    const value = (depth: number): void => {
      ws();
      if (i >= n) return expected('a value');
      const c = b[i];
      if (c === 0x5b) {
        if (rank >= 0 && depth >= rank) fail(depth, `expected a number, got an array of ${skip(depth)}`);
        return array(depth);
      }
      if (c === 0x2d || isDigit(c)) {
        if (c === 0x2d && startsNonFinite(b[i + 1])) return nonFinite();
        const at = i;
        let v = number();
        if (rank < 0) rank = depth;
        if (depth < rank) {
          if (Number.isNaN(v)) v = exactly(at, i);
          fail(depth, `expected an array of ${dims[depth]}, got the number ${Number.isFinite(v) ? formatExact(v) : printable(ascii(b, at, i))}`);
        }
        if (v === Infinity || v === -Infinity) fail(depth, TOO_BIG(printable(ascii(b, at, i))));
        if (k === data.length) {
          const bigger = new Float64Array(Math.max(16, 2 * k));
          bigger.set(data);
          data = bigger;
        }
        if (v === v) data[k++] = v;
        else {
          if (runStart < 0) { runStart = tokStart; runK = k; }
          runEnd = tokEnd;
          data[k++] = 0;
          runKEnd = k;
          if (runEnd - runStart > RUN_BYTES) convertRun();
        }
        return;
      }
      const what = describe();
      if (depth === 0) fail(0, `expected a number or an array of numbers, got ${what}`);
      if (rank < 0 || depth === rank) fail(depth, `expected a number, got ${what}`);
      fail(depth, `expected an array of ${dims[depth]}, got ${what}`);
    };

    const array = (depth: number): void => {
      if (depth >= MAX_NDIM) return failAt(i, `arrays nested deeper than ${MAX_NDIM} levels`);
      i++;
      const first = dims[depth] === undefined;
      const want = first ? -1 : dims[depth];
      let len = 0;
      ws();
      if (b[i] === 0x5d) i++;
      else {
        for (;;) {
          if (len === want) {
            let more = 0;
            for (;;) {
              skip(depth + 1);
              more++;
              ws();
              if (b[i] === 0x2c) { i++; continue; }
              if (b[i] === 0x5d) break;
              return expected("',' or ']' after an array element");
            }
            return fail(depth, `expected ${want} ${unit(depth)}, got ${want + more}`);
          }
          idx[depth] = len;
          value(depth + 1);
          len++;
          ws();
          if (b[i] === 0x2c) { i++; continue; }
          if (b[i] === 0x5d) { i++; break; }
          return expected("',' or ']' after an array element");
        }
      }
      if (runStart >= 0) convertRun();
      if (first) {
        dims[depth] = len;
        if (len === 0 && rank < 0) rank = depth + 1;
      } else if (len !== want) fail(depth, `expected ${want} ${unit(depth)}, got ${len}`);
    };

    value(0);
    if (runStart >= 0) convertRun();
    const shape = dims.slice(0, rank);
    if (shape.reduce((a, d) => a * d, 1) !== k) throw new Error(`json: ${k} numbers read for shape (${shape.join(', ')})`);
    return { shape, data: k === data.length ? data : data.slice(0, k) };
  };

  // The top level: an object of name → value.
  ws();
  if (i >= n) return failAt(i, 'empty input (expected an object of name → array)');
  if (b[i] !== 0x7b) {
    const at = i;
    const c = b[i];
    let what: string;
    if (c === 0x5b) what = 'an array';
    else if (c === 0x2d || isDigit(c)) {
      if (c === 0x2d && startsNonFinite(b[i + 1])) return nonFinite();
      number();
      what = 'a number';
    } else what = describe();
    return failAt(at, `the top level must be an object of name → array, got ${what}`);
  }
  i++;
  const arrays = Object.create(null) as Arrays;
  const seen = new Map<string, number>();
  ws();
  if (b[i] === 0x7d) i++;
  else {
    for (let m = 0; ; m++) {
      ws();
      if (b[i] !== 0x22) return expected('a string key');
      const keyAt = i;
      const key = string(Infinity, MAX_NAME_BYTES);
      if (key === '') return failAt(keyAt, 'an array name cannot be empty');
      const before = seen.get(key);
      if (before !== undefined) return failAt(keyAt, `'${printable(key)}' is defined twice (first at ${position(before)})`);
      seen.set(key, keyAt);
      ws();
      if (b[i] !== 0x3a) return expected("':' after a key");
      i++;
      arrays[key] = member(key, hints?.hint(m));
      ws();
      if (b[i] === 0x2c) { i++; continue; }
      if (b[i] === 0x7d) { i++; break; }
      return expected("',' or '}' after an array");
    }
  }
  ws();
  if (i < n) return failAt(i, `unexpected ${found()} after the top-level object`);
  return arrays;
}
