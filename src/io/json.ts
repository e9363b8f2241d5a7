/**
 * JSON fixtures: one object of name → nested array of numbers (any rank; rank 0 is a bare
 * number), e.g. `{"Wax": [[0.1, 0.2], [0.3, 0.4]], "b": 0.5}`.
 *
 * Read in two passes over the UTF-8 bytes, instead of JSON.parse on a string:
 *   1. json-count.ts counts the numbers — nothing stored — and refuses the input at the number
 *      that takes it over `maxBytes` of float64 (for standard input, as the bytes arrive);
 *   2. json-parse.ts, a small strict parser (RFC 8259), fills each array's Float64Array, so that
 *      - errors say where: `line 3, column 12: expected ',' or ']' ...`, on one line;
 *      - a name defined twice in the object is an error instead of last-one-wins;
 *      - `NaN`, `Infinity` (what Python's json.dump writes) get a message saying why;
 *      - a number beyond float64 (`1e400`, which JSON.parse turns into Infinity) is an error;
 *      - nesting depth is bounded (no stack overflow on `[[[[…`);
 *      - no string of the whole text is made: a file over V8's string limit (~512 MiB) reads too.
 * Arrays must be rectangular; the first bad element is reported with its path, e.g.
 * `x[2][7]: expected 4 numbers, got 3`. Names are stored in a null-prototype object, so
 * `__proto__`, `constructor` and friends are ordinary array names and pollute nothing.
 *
 * Writing: numbers are written with JavaScript's shortest round-trip form (so every
 * float64 reads back bit-exactly, in JavaScript and in Python), `-0` as `-0.0`; NaN and ±Infinity cannot be written,
 * nor text longer than one JavaScript string (~512 MiB).
 */
import { constants } from 'buffer';
import { InputError } from '../errors';
import { shown } from '../escape';
import { formatExact } from '../cli/render/format';
import { formatShape, type Arrays, type Tensor } from '../tensor';
import { asBytes, formatBytes, printable, resolveMaxBytes, type ReadLimits } from './common';
import { utf8 } from './json-bytes';
import { JsonCounter } from './json-count';
import { parseJsonBytes } from './json-parse';

/**
 * Parse a JSON fixture: its bytes (UTF-8) or its text. `source` names the file (or `-`) in
 * messages. Refused when its numbers take more than `maxBytes` as float64, before any is stored.
 */
export function parseJsonArrays(input: string | Uint8Array, source: string, opts: ReadLimits = {}): Arrays {
  const bytes = typeof input === 'string' ? utf8(input, source) : asBytes(input);
  const counter = new JsonCounter(resolveMaxBytes(opts.maxBytes), source);
  counter.feed(bytes);
  return parseJsonBytes(bytes, source, counter);
}

/** Parse bytes a counter has already seen in full (standard input, counted as it was read). */
export function parseCountedJson(bytes: Uint8Array, source: string, counter: JsonCounter): Arrays {
  if (counter.fed !== bytes.length) throw new Error(`json: counted ${counter.fed} bytes of ${bytes.length}`);
  return parseJsonBytes(bytes, source, counter);
}

/**
 * Arrays → JSON text (`{"name": [[...], ...], ...}` with one row per line), ending in a newline.
 * Text longer than `maxChars` — by default the most V8 holds in one string, ~512 MiB — is an
 * InputError naming the array that passes it, found before that string is made.
 */
export function encodeJsonArrays(arrays: Arrays, maxChars = constants.MAX_STRING_LENGTH): string {
  const parts: string[] = [];
  const room = { left: maxChars - 3, maxChars }; // '{\n' … '\n}\n', and ',\n' after each but the last array
  for (const name of Object.keys(arrays)) {
    const t = arrays[name];
    const key = `  ${JSON.stringify(name)}: `;
    room.left -= key.length + 2;
    parts.push(key + formatTensor(t, name, key.length, room));
  }
  return parts.length === 0 ? '{}\n' : `{\n${parts.join(',\n')}\n}\n`;
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

function formatTensor(t: Tensor, name: string, indent: number, room: { left: number; maxChars: number }): string {
  const { shape, data } = t;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      throw new InputError(`cannot write '${name}' as JSON: element ${indexOf(k, shape)} is ${formatExact(data[k])} and JSON has no NaN or Infinity (write .npy or .npz instead)`);
    }
  }
  if (shape.length === 0) {
    const v = formatJsonNumber(data[0]);
    if ((room.left -= v.length) < 0) tooLong(name, room.maxChars);
    return v;
  }
  const zeroAt = shape.indexOf(0);
  if (zeroAt >= 0 && zeroAt < shape.length - 1) {
    throw new InputError(`cannot write '${name}' as JSON: shape ${formatShape(shape)} would read back as ${formatShape(shape.slice(0, zeroAt + 1))} (JSON cannot show the axes after an empty one); write .npy or .npz instead`);
  }
  let k = 0;
  const build = (depth: number): string => {
    const n = shape[depth];
    if (depth === shape.length - 1) {
      const items: string[] = new Array(n);
      let length = n === 0 ? 2 : 2 * n;
      for (let i = 0; i < n; i++) length += (items[i] = formatJsonNumber(data[k++])).length;
      if ((room.left -= length) < 0) tooLong(name, room.maxChars);
      return `[${items.join(', ')}]`;
    }
    const rows: string[] = new Array(n);
    for (let i = 0; i < n; i++) rows[i] = build(depth + 1);
    if (n === 0) {
      if ((room.left -= 2) < 0) tooLong(name, room.maxChars);
      return '[]';
    }
    // Rows on their own lines, aligned under the opening bracket.
    const pad = ' '.repeat(indent + depth + 1);
    if ((room.left -= (n - 1) * (pad.length + 2) + 2) < 0) tooLong(name, room.maxChars);
    return `[${rows.join(`,\n${pad}`)}]`;
  };
  return build(0);
}

function tooLong(name: string, maxChars: number): never {
  throw new InputError(`cannot write the arrays as JSON: at '${printable(name)}' the text passes ${formatBytes(maxChars)}, the most one string holds; write .npz or .npy instead`);
}

function indexOf(k: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(k % shape[i]);
    k = Math.floor(k / shape[i]);
  }
  return `[${idx.join(', ')}]`;
}
