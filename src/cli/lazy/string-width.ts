/**
 * Stands in for `string-width` (4.x) inside the bundle — cli-table3 measures every cell with
 * it, twice or more, at every start (an esbuild alias, tools/bundle.ts). Cells made only of
 * one-column characters (printable ASCII, Latin, Greek, Cyrillic, punctuation such as … and ‖,
 * arrows, mathematical operators, box drawing; with or without colour codes) are answered
 * here; anything else goes to the real string-width, loaded on first use. The real one
 * compiles a ~10 KB emoji regular expression on its first call and runs it on every call
 * (bench/README.md, section 1); test/lazy.test.ts checks every character of the ranges below.
 */
type StringWidth = (s: string) => number;
let real: StringWidth | undefined;
// A relative path, so that the alias (which maps 'string-width') does not catch it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (): StringWidth => (real ??= require('../../../node_modules/string-width/index.js') as StringWidth);

/** SGR colour codes, as chalk writes them (ESC [ digits and semicolons m). */
const SGR = /\u001b\[[\d;]*m/g;

/**
 * The strings string-width 4 measures as one column per UTF-16 unit, whatever stands next to
 * each: printable ASCII, then U+00A0–U+22FF without the combining marks (0 columns), Hangul
 * jamo (2), the joiners of emoji sequences (ZWJ U+200D, keycap U+20E3; the variation selector
 * U+FE0F is beyond the ranges), box drawing and shapes to U+25FC, ⟦⟧⟨⟩⟪⟫⟬⟭⟮⟯. U+2300 and up are
 * left out (some are emoji, some wide), and surrogates (astral characters). One regular
 * expression, so that a cell costs one native test rather than a loop (cli-table3 measures
 * every cell several times, and V8 optimises whatever it calls that often).
 */
const ONE_COLUMN = /^[\x20-\x7e\xa0-\u02ff\u0370-\u10ff\u1160-\u200c\u200e-\u20e2\u20e4-\u22ff\u2500-\u25fc\u27e6-\u27ef]*$/;

/** Is the UTF-16 unit c one such character (for the tests)? */
const oneColumn = (c: number): boolean => ONE_COLUMN.test(String.fromCharCode(c));

function stringWidth(s: string): number {
  if (typeof s !== 'string' || s.length === 0) return 0;
  const plain = s.includes('\u001b') ? s.replace(SGR, '') : s;
  return ONE_COLUMN.test(plain) ? plain.length : load()(s);
}

export = Object.assign(stringWidth, { default: stringWidth, oneColumn });
