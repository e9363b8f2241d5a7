/**
 * How text from outside — array names, zip member names, JSON keys, file and directory names,
 * option values — is printed: one escaping of characters, Python's `repr` rules. A character
 * is printable unless it is a control, format, surrogate, private-use or unassigned character
 * or a separator other than the space (Python's `str.isprintable`); the others are written as
 * `\n`, `\r`, `\t`, `\xhh`, `\uhhhh` or `\Uhhhhhhhh`. So no name can end a line, start a
 * line of its own (`rnn: …` forged), move the cursor, colour the terminal or reorder text.
 *
 * - `shown(s)`, for names and paths: unchanged when nothing needs escaping (`Wax`,
 *   `fixtures/cases/x.npz`), else quoted (`'extra\nrnn: fake.npy'`), so that a name and an
 *   escape are never confused.
 * - `printable(s)`: the same escaping for fragments of a file's text that a message quotes.
 * - `oneLine` and `terminalSafe`: the nets under every message and every write (src/cli/main.ts),
 *   so that whatever a message's maker forgot to escape still cannot reach the terminal raw.
 */

const UNPRINTABLE = /[\p{C}\p{Z}]/u;
const SHORT: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r' };

/** `ch` as Python's repr writes a character it does not print. */
function escapeChar(c: number): string {
  if (SHORT[c]) return SHORT[c];
  if (c <= 0xff) return `\\x${c.toString(16).padStart(2, '0')}`;
  if (c <= 0xffff) return `\\u${c.toString(16).padStart(4, '0')}`;
  return `\\U${c.toString(16).padStart(8, '0')}`;
}

const isPrintable = (ch: string): boolean => ch === ' ' || !UNPRINTABLE.test(ch);

/** `s` with unprintable characters escaped (and `\` and `'` when `quoting`), cut after `max` characters with `…`. */
function escaped(s: string, max: number, quoting: boolean): string {
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n++ >= max) {
      out += '…';
      break;
    }
    if (quoting && (ch === '\\' || ch === "'")) out += '\\' + ch;
    else out += isPrintable(ch) ? ch : escapeChar(ch.codePointAt(0)!);
  }
  return out;
}

/** Text from a file quoted in a message (`found '${printable(text)}'`): unprintable characters escaped; after `max` characters, `…`. */
export function printable(s: string, max = 40): string {
  return escaped(s, max, false);
}

/** Longest name or path shown in full (a JSON key can be megabytes long). */
export const SHOWN_MAX = 256;

/**
 * A name or path as messages and tables print it: itself when every character is printable
 * and it cannot be misread (not empty, no space or quote at either end, not cut); otherwise
 * between single quotes, with `\` and `'` escaped too, as Python's repr writes a string.
 */
export function shown(s: string, max = SHOWN_MAX): string {
  if (s !== '' && s.length <= max && !/^[\s'"]|[\s'"]$/.test(s) && [...s].every(isPrintable)) return s;
  return `'${escaped(s, max, true)}'`;
}

/** `a, b, c` of names, each `shown`. */
export const shownList = (names: readonly string[], sep = ', '): string => names.map((n) => shown(n)).join(sep);

/** The net under a one-line message: every unprintable character escaped, newlines too. */
export function oneLine(s: string): string {
  let out = '';
  for (const ch of s) out += isPrintable(ch) ? ch : escapeChar(ch.codePointAt(0)!);
  return out;
}

// Colour (SGR) sequences, else any unprintable character but the newline.
const UNSAFE_OUTPUT = /\x1b\[[0-9;]*m|[^\P{C}\n]|[^\P{Z} ]/gu;

/**
 * The net under everything written to stdout and stderr, tables and JSON included: every
 * unprintable character but the newline escaped, colour sequences kept. C0 controls are
 * escaped as `printable` does (JSON never holds them raw: its encoder escapes them), the
 * others as `\uhhhh` (a pair of them past U+FFFF), which JSON — where DEL, C1 controls,
 * format characters and separators may occur raw — reads back as the same text.
 */
export function terminalSafe(s: string): string {
  return s.replace(UNSAFE_OUTPUT, (m) => {
    if (m.length > 1 && m.charCodeAt(0) === 0x1b) return m;
    const c = m.codePointAt(0)!;
    if (c < 0x20) return escapeChar(c);
    let out = '';
    for (let i = 0; i < m.length; i++) out += `\\u${m.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}
