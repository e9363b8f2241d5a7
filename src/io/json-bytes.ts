/**
 * Bytes of JSON text: UTF-8 checked as strictly as TextDecoder's fatal mode (no overlongs, no
 * surrogates, nothing past U+10FFFF), the escapes and characters the parser (json-parse.ts) needs,
 * and text given as a string turned into UTF-8.
 */
import { InputError } from '../errors';

export const NOT_UTF8 = 'not valid UTF-8 text (a .json fixture is UTF-8 JSON)';
export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
export const WS = new Uint8Array(256);
WS[0x20] = WS[0x0a] = WS[0x0d] = WS[0x09] = 1;

/** Length of the valid UTF-8 sequence at `i` (1–4), or 0 if the bytes there are not UTF-8. */
export function charLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => b[i + k] >= lo && b[i + k] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80, hi = c === 0xed ? 0x9f : 0xbf; // no overlongs, no surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80, hi = c === 0xf4 ? 0x8f : 0xbf; // up to U+10FFFF
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** ASCII bytes (number tokens, words) as a string. */
export function ascii(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let p = from; p < to; p += 8192) s += String.fromCharCode.apply(null, b.subarray(p, Math.min(to, p + 8192)) as unknown as number[]);
  return s;
}

export const ESCAPES: Array<string | undefined> = [];
for (const [c, s] of Object.entries({ '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' })) ESCAPES[c.charCodeAt(0)] = s;

export const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** Text → UTF-8; a lone surrogate (which UTF-8 cannot hold) is an error, not a silent U+FFFD. */
export function utf8(text: string, source: string): Uint8Array {
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.exec(text);
  if (lone) {
    const before = text.slice(0, lone.index);
    const line = before.split('\n').length;
    const column = lone.index - before.lastIndexOf('\n');
    throw new InputError(`line ${line}, column ${column}: a lone surrogate (\\u${text.charCodeAt(lone.index).toString(16)}) is not Unicode text`, source);
  }
  return new TextEncoder().encode(text);
}
