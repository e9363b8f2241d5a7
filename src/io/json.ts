/**
 * JSON fixtures: one object of name → nested array of numbers (any rank; rank 0 is a bare
 * number), e.g. `{"Wax": [[0.1, 0.2], [0.3, 0.4]], "b": 0.5}`.
 *
 * A small strict parser (RFC 8259) instead of JSON.parse, so that
 *   - errors say where: `line 3, column 12: expected ',' or ']' ...`, on one line;
 *   - a name defined twice in the object is an error instead of last-one-wins;
 *   - `NaN`, `Infinity` (what Python's json.dump writes) get a message saying why;
 *   - a number beyond float64 (`1e400`, which JSON.parse turns into Infinity) is an error;
 *   - nesting depth is bounded (no stack overflow on `[[[[…`).
 * Arrays must be rectangular; the first bad element is reported with its path, e.g.
 * `x[2][7]: expected 4 numbers, got 3`. Names are stored in a null-prototype object, so
 * `__proto__`, `constructor` and friends are ordinary array names and pollute nothing.
 *
 * Writing: numbers are written with JavaScript's shortest round-trip form (so every
 * float64 reads back bit-exactly, in JavaScript and in Python), `-0` as `-0.0`; NaN and ±Infinity cannot be written.
 */
import { InputError } from '../errors';
import { shown } from '../escape';
import { formatExact } from '../render/format';
import { formatShape, type Arrays, type Tensor } from '../tensor';
import { formatBytes, MAX_NDIM, printable, resolveMaxBytes, type ReadLimits } from './common';

/** Parse JSON text into arrays. `source` names the file (or `-`) in messages. */
export function parseJsonArrays(text: string, source: string, opts: ReadLimits = {}): Arrays {
  const maxBytes = resolveMaxBytes(opts.maxBytes);
  const values = parseDocument(text, source);
  const arrays = Object.create(null) as Arrays;
  let total = 0;
  for (const [name, value] of values) {
    const t = toTensor(value, name, source);
    total += t.data.length * 8;
    if (total > maxBytes) {
      throw new InputError(`'${printable(name)}' takes the arrays to ${formatBytes(total)} as float64, over the limit of ${formatBytes(maxBytes)} (raise it with --max-input, or maxBytes in the library)`, source);
    }
    arrays[name] = t;
  }
  return arrays;
}

/** Arrays → JSON text (`{"name": [[...], ...], ...}` with one row per line), ending in a newline. */
export function encodeJsonArrays(arrays: Arrays): string {
  checkJsonLength(arrays);
  const parts: string[] = [];
  try {
    for (const name of Object.keys(arrays)) {
      const t = arrays[name];
      const key = `  ${JSON.stringify(name)}: `;
      parts.push(key + formatTensor(t, name, key.length));
    }
    return parts.length === 0 ? '{}\n' : `{\n${parts.join(',\n')}\n}\n`;
  } catch (e) {
    // V8's "Invalid string length": the estimate below was short
    if (e instanceof RangeError) throw tooLongForJson(arrays);
    throw e;
  }
}

/** The longest string V8 makes (2^29 − 24 characters on 64-bit platforms). */
const MAX_STRING_LENGTH = 2 ** 29 - 24;

/**
 * Refuses, before formatting them, arrays whose JSON text would be longer than a JavaScript
 * string can be: its length estimated from up to 64 numbers of each array (each number
 * takes its text and a separator).
 */
function checkJsonLength(arrays: Arrays): void {
  let estimate = 0;
  for (const name of Object.keys(arrays)) {
    const data = arrays[name].data;
    const n = data.length;
    if (n === 0) continue;
    const step = Math.max(1, Math.floor(n / 64));
    let chars = 0, seen = 0;
    for (let k = 0; k < n; k += step, seen++) chars += formatJsonNumber(data[k]).length + 2;
    estimate += (chars / seen) * n;
  }
  if (estimate > MAX_STRING_LENGTH) throw tooLongForJson(arrays, estimate);
}

function tooLongForJson(arrays: Arrays, estimate?: number): InputError {
  const numbers = Object.values(arrays).reduce((s, t) => s + t.data.length, 0);
  const size = estimate === undefined ? '' : ` (about ${formatBytes(Math.round(estimate))})`;
  return new InputError(`${numbers} numbers are too many for JSON text${size}: a JavaScript string holds at most ${formatBytes(MAX_STRING_LENGTH)}; write .npz or .npy instead`);
}

/**
 * A number as JSON text that reads back to the same float64: JavaScript's shortest
 * round-trip form, and `-0.0` for negative zero (`-0` would keep its sign in JavaScript
 * but Python's json reads it as the integer 0).
 */
export function formatJsonNumber(v: number): string {
  if (Object.is(v, -0)) return '-0.0';
  return String(v);
}

function formatTensor(t: Tensor, name: string, indent: number): string {
  const { shape, data } = t;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      throw new InputError(`cannot write '${name}' as JSON: element ${indexOf(k, shape)} is ${formatExact(data[k])} and JSON has no NaN or Infinity (write .npy or .npz instead)`);
    }
  }
  if (shape.length === 0) return formatJsonNumber(data[0]);
  const zeroAt = shape.indexOf(0);
  if (zeroAt >= 0 && zeroAt < shape.length - 1) {
    throw new InputError(`cannot write '${name}' as JSON: shape ${formatShape(shape)} would read back as ${formatShape(shape.slice(0, zeroAt + 1))} (JSON cannot show the axes after an empty one); write .npy or .npz instead`);
  }
  let k = 0;
  const build = (depth: number): string => {
    const n = shape[depth];
    if (depth === shape.length - 1) {
      const items: string[] = new Array(n);
      for (let i = 0; i < n; i++) items[i] = formatJsonNumber(data[k++]);
      return `[${items.join(', ')}]`;
    }
    const rows: string[] = new Array(n);
    for (let i = 0; i < n; i++) rows[i] = build(depth + 1);
    if (n === 0) return '[]';
    // Rows on their own lines, aligned under the opening bracket.
    const pad = ' '.repeat(indent + depth + 1);
    return `[${rows.join(`,\n${pad}`)}]`;
  };
  return build(0);
}

function indexOf(k: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(k % shape[i]);
    k = Math.floor(k / shape[i]);
  }
  return `[${idx.join(', ')}]`;
}

// ---------------------------------------------------------------------------------------
// parsing

/** A JSON value that cannot be part of an array of numbers, kept only to be reported. */
class NotNumber {
  /** `overflow`: a JSON number too big for float64 (`what` is its text). */
  constructor(readonly what: string, readonly overflow = false) {}
}
type Value = number | Value[] | NotNumber;

function parseDocument(text: string, source: string): Array<[string, Value]> {
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // UTF-8 byte order mark

  const position = (at: number): string => {
    let line = 1, col = 1;
    for (let k = 0; k < at && k < n; k++) {
      if (text.charCodeAt(k) === 0x0a) { line++; col = 1; } else col++;
    }
    return `line ${line}, column ${col}`;
  };
  const failAt = (at: number, msg: string): never => {
    throw new InputError(`${position(at)}: ${msg}`, source);
  };
  const found = (): string => {
    if (i >= n) return 'end of input';
    return `'${printable(text.slice(i, i + 1))}'`;
  };
  const expected = (what: string): never => failAt(i, `expected ${what}, found ${found()}`);
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };

  const string = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let run = i;
    for (;;) {
      if (i >= n) return failAt(start, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) { out += text.slice(run, i); i++; return out; }
      if (c < 0x20) return failAt(i, 'control character in a string (escape it)');
      if (c === 0x5c) {
        out += text.slice(run, i);
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && Object.prototype.hasOwnProperty.call(simple, e)) { out += simple[e]; i += 2; }
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else return failAt(i, `invalid escape '${printable(text.slice(i, i + 2))}' in a string`);
        run = i;
        continue;
      }
      i++;
    }
  };

  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
  const number = (): number | NotNumber => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m || m[0] === '-' || m[0] === '') return expected('a value');
    const after = text.charCodeAt(i + m[0].length);
    // `01`, `1.`, `.5`, `1e` are not JSON numbers.
    if ((after >= 0x30 && after <= 0x39) || after === 0x2e || after === 0x65 || after === 0x45) {
      return failAt(i, `invalid number '${printable(text.slice(i, i + m[0].length + 1))}'`);
    }
    i += m[0].length;
    const v = Number(m[0]);
    if (!Number.isFinite(v)) return new NotNumber(printable(m[0]), true);
    return v;
  };

  const nonFinite = (): never => {
    const word = /^-?(?:NaN|Infinity|inf|nan)/i.exec(text.slice(i, i + 10));
    return failAt(i, `${word ? word[0] : 'this'} is not a JSON number (JSON has no NaN or Infinity; Python writes them unless json.dump(..., allow_nan=False); use .npy or .npz for non-finite values)`);
  };

  /** Any JSON value; arrays are kept, everything that is not a number is only described. */
  const value = (depth: number): Value => {
    ws();
    if (i >= n) return expected('a value');
    const c = text[i];
    if (c === '[') {
      if (depth > MAX_NDIM) return failAt(i, `arrays nested deeper than ${MAX_NDIM} levels`);
      i++;
      const items: Value[] = [];
      ws();
      if (text[i] === ']') { i++; return items; }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return items; }
        return expected("',' or ']' after an array element");
      }
    }
    if (c === '{') {
      if (depth > MAX_NDIM) return failAt(i, `objects nested deeper than ${MAX_NDIM} levels`);
      i++;
      ws();
      if (text[i] === '}') { i++; return new NotNumber('an object'); }
      for (;;) {
        ws();
        if (text[i] !== '"') return expected('a string key');
        string();
        ws();
        if (text[i] !== ':') return expected("':' after a key");
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return new NotNumber('an object'); }
        return expected("',' or '}' after an object member");
      }
    }
    if (c === '"') {
      const s = string();
      return new NotNumber(`a string "${printable(s, 20)}"`);
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      if (c === '-' && /[NIin]/.test(text[i + 1] ?? '')) return nonFinite();
      return number();
    }
    if (text.startsWith('true', i)) { i += 4; return new NotNumber('true'); }
    if (text.startsWith('false', i)) { i += 5; return new NotNumber('false'); }
    if (text.startsWith('null', i)) { i += 4; return new NotNumber('null'); }
    if (/^(?:NaN|Infinity|inf|nan)/i.test(text.slice(i, i + 8))) return nonFinite();
    return expected('a value');
  };

  // The top level: an object of name → value.
  ws();
  if (i >= n) return failAt(i, 'empty input (expected an object of name → array)');
  if (text[i] !== '{') {
    const at = i;
    const v = value(0);
    const what = Array.isArray(v) ? 'an array' : v instanceof NotNumber ? v.what : 'a number';
    return failAt(at, `the top level must be an object of name → array, got ${what}`);
  }
  i++;
  const out: Array<[string, Value]> = [];
  const seen = new Map<string, number>();
  ws();
  if (text[i] === '}') i++;
  else {
    for (;;) {
      ws();
      if (text[i] !== '"') return expected('a string key');
      const keyAt = i;
      const key = string();
      if (key === '') return failAt(keyAt, 'an array name cannot be empty');
      const before = seen.get(key);
      if (before !== undefined) return failAt(keyAt, `'${printable(key)}' is defined twice (first at ${position(before)})`);
      seen.set(key, keyAt);
      ws();
      if (text[i] !== ':') return expected("':' after a key");
      i++;
      out.push([key, value(1)]);
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; break; }
      return expected("',' or '}' after an array");
    }
  }
  ws();
  if (i < n) return failAt(i, `unexpected ${found()} after the top-level object`);
  return out;
}

/** A parsed value → Tensor; the first ragged or non-numeric element is reported with its path. */
function toTensor(value: Value, name: string, source: string): Tensor {
  const shape: number[] = [];
  let probe: Value = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  let count = 1;
  for (const d of shape) count *= d;
  const data = new Float64Array(count);
  let k = 0;
  const label = shown(name);
  const fail = (path: string, msg: string): never => { throw new InputError(`${path}: ${msg}`, source); };
  const walk = (v: Value, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v === 'number') { data[k++] = v; return; }
      if (v instanceof NotNumber) return fail(path, v.overflow ? TOO_BIG(v.what) : `expected a number, got ${v.what}`);
      return fail(path, `expected a number, got an array of ${v.length}`);
    }
    if (!Array.isArray(v)) {
      const got = typeof v === 'number' ? `the number ${formatExact(v)}` : v.overflow ? `the number ${v.what}` : v.what;
      return fail(path, `expected an array of ${shape[depth]}, got ${got}`);
    }
    if (v.length !== shape[depth]) {
      const unit = depth + 1 === shape.length ? 'numbers' : 'arrays';
      return fail(path, `expected ${shape[depth]} ${unit}, got ${v.length}`);
    }
    for (let j = 0; j < v.length; j++) walk(v[j], depth + 1, `${path}[${j}]`);
  };
  if (value instanceof NotNumber) {
    fail(label, value.overflow ? TOO_BIG(value.what) : `expected a number or an array of numbers, got ${value.what}`);
  }
  walk(value, 0, label);
  return { shape, data };
}

const TOO_BIG = (text: string): string => `${text} is too big for float64 (it would become Infinity)`;
