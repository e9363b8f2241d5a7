/**
 * The first pass over a JSON fixture: counts its numbers as its bytes arrive, before anything
 * is parsed or allocated, so that an input over the float64 budget is refused at the number that
 * passes it — without storing a value, and without reading the rest (json-read.ts).
 *
 * It only tracks strings (so that digits in names do not count), nesting depth and runs of
 * number characters. Every number the parser (json-parse.ts) stores starts with `-` or a digit
 * right after whitespace or `[ , :` outside a string, which is exactly what starts a count here:
 * the count is never below what the parser stores, and equal to it for valid JSON. So the parser
 * needs no budget of its own, and the count per top-level member is the exact size of each array
 * of a valid file (the parser allocates it once).
 */
import { InputError } from '../errors';
import { formatBytes, printable } from './common';

/**
 * Most arrays in one JSON input. A fixture is the arrays of one net — tens; empty arrays cost
 * nothing of the float64 budget but ~1 KB each to hold and report (50 MB of `"a1": [],` was 3 M
 * arrays, 3.5 GB and minutes for `rnn inspect`). 65536 is as many as a zip without zip64 holds.
 */
export const MAX_ARRAYS = 1 << 16;
/** Bytes of a name kept for the refusal message. */
const KEY_KEEP = 256;

/** Byte classes: what a byte can start, outside strings. */
const OTHER = 0, NUMBER = 1, NUMBER_MORE = 2, QUOTE = 3, OPEN = 4, CLOSE = 5, COMMA = 6;
const CLASS = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = NUMBER;
CLASS[0x2d] = NUMBER; // -
for (const c of [0x2e, 0x65, 0x45, 0x2b]) CLASS[c] = NUMBER_MORE; // . e E +
CLASS[0x22] = QUOTE;
CLASS[0x5b] = OPEN; CLASS[0x7b] = OPEN;
CLASS[0x5d] = CLOSE; CLASS[0x7d] = CLOSE;
CLASS[0x2c] = COMMA;

/** Where the last fed bytes ended: between tokens, inside a number, a string, or just after a backslash in one. */
const BETWEEN = 0, IN_NUMBER = 1, IN_STRING = 2, IN_ESCAPE = 3;

export class JsonCounter {
  /** Numbers seen so far. */
  total = 0;
  /** Numbers per top-level member, in order. */
  readonly members: number[] = [];
  /** Bytes fed so far. */
  fed = 0;
  private readonly maxNumbers: number;
  private state = BETWEEN;
  private depth = 0;
  /** The next string at depth 1 is a name (after `{` or `,`); `key`: the bytes of the one being read. */
  private expectKey = false;
  private key: number[] | undefined;
  private lastKey: number[] | undefined;

  /** `maxBytes`: the budget of float64 bytes; `source` names the input in the refusal. */
  constructor(readonly maxBytes: number, readonly source: string) {
    this.maxNumbers = Math.floor(maxBytes / 8);
  }

  /** Counts `b`, the next bytes of the input. Throws the refusal as soon as the count passes the budget. */
  feed(b: Uint8Array): void {
    const n = b.length;
    let { state, depth, total } = this;
    let i = 0;
    while (i < n) {
      if (state === IN_NUMBER) {
        while (i < n && CLASS[b[i]] - 1 >>> 0 <= 1) i++; // NUMBER or NUMBER_MORE
        if (i < n) state = BETWEEN;
        continue;
      }
      if (state !== BETWEEN) {
        // in a string: to the closing quote, over escapes (`state` is IN_ESCAPE after a backslash)
        const from = i;
        while (i < n) {
          if (state === IN_ESCAPE) { state = IN_STRING; i++; continue; }
          const c = b[i];
          if (c === 0x22) break;
          if (c === 0x5c) state = IN_ESCAPE;
          i++;
        }
        if (this.key !== undefined) this.keep(b, from, i);
        if (i < n) {
          state = BETWEEN;
          i++;
          if (this.key !== undefined) { this.lastKey = this.key; this.key = undefined; }
        }
        continue;
      }
      const k = CLASS[b[i++]];
      if (k === OTHER || k === NUMBER_MORE) {
        while (i < n && CLASS[b[i]] === OTHER) i++; // whitespace, letters: nothing to count
        continue;
      }
      if (k === NUMBER) {
        state = IN_NUMBER;
        total++;
        if (depth >= 1 && this.members.length > 0) this.members[this.members.length - 1]++;
        if (total > this.maxNumbers) {
          this.total = total;
          this.refuse();
        }
      } else if (k === QUOTE) {
        state = IN_STRING;
        if (depth === 1 && this.expectKey) { this.key = []; this.expectKey = false; }
      } else if (k === OPEN) {
        depth++;
        if (depth === 1 && b[i - 1] === 0x7b) this.member();
      } else if (k === CLOSE) depth--;
      else if (depth === 1) this.member(); // COMMA
    }
    this.state = state;
    this.depth = depth;
    this.total = total;
    this.fed += n;
  }

  private member(): void {
    this.expectKey = true;
    if (this.members.length === MAX_ARRAYS) {
      throw new InputError(`holds more than ${MAX_ARRAYS} arrays (a fixture is the arrays of one net)`, this.source);
    }
    this.members.push(0);
  }

  private keep(b: Uint8Array, from: number, to: number): void {
    const key = this.key!;
    for (let p = from; p < to && key.length < KEY_KEEP; p++) key.push(b[p]);
  }

  private refuse(): never {
    const over = `over the limit of ${formatBytes(this.maxBytes)} as float64: more than ${this.maxNumbers} numbers (raise it with --max-input, or maxBytes in the library)`;
    if (this.lastKey === undefined) throw new InputError(`the arrays take ${over}`, this.source);
    throw new InputError(`'${printable(keyText(this.lastKey))}' takes the arrays ${over}`, this.source);
  }

  /** The size hint of member `k` (0-based), or undefined when none was kept. */
  hint(k: number): number | undefined {
    return k < this.members.length ? this.members[k] : undefined;
  }
}

/** A name's raw bytes as text for a message: its JSON escapes decoded when they are whole. */
function keyText(raw: number[]): string {
  const text = new TextDecoder().decode(Uint8Array.from(raw));
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return text;
  }
}
