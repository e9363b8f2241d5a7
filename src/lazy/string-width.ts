/**
 * Stands in for `string-width` (4.x) inside the bundle — cli-table3 measures every cell with
 * it, twice or more, at every start (an esbuild alias, src/bundle.ts). Cells made only of
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
const load = (): StringWidth => (real ??= require('../../node_modules/string-width/index.js') as StringWidth);

/** SGR colour codes, as chalk writes them (ESC [ digits and semicolons m). */
const SGR = /\u001b\[[\d;]*m/g;

/**
 * Is the UTF-16 unit c a character that string-width 4 counts as one column, whatever stands
 * next to it? Left out: controls, combining marks (0 columns), Hangul jamo (2), U+2300 and up
 * (some are emoji, some wide), surrogates (astral characters) and the joiners of emoji
 * sequences (ZWJ U+200D, keycap U+20E3; the variation selector U+FE0F is above the ranges).
 */
function oneColumn(c: number): boolean {
  if (c >= 0x20 && c <= 0x7e) return true;
  if (c < 0xa0) return false;
  if (c < 0x2300) return !(c >= 0x300 && c <= 0x36f) && !(c >= 0x1100 && c <= 0x115f) && c !== 0x200d && c !== 0x20e3;
  return (c >= 0x2500 && c <= 0x25fc) || (c >= 0x27e6 && c <= 0x27ef); // box drawing, blocks, shapes; ⟦⟧⟨⟩⟪⟫⟬⟭⟮⟯
}

function stringWidth(s: string): number {
  if (typeof s !== 'string' || s.length === 0) return 0;
  const plain = s.includes('\u001b') ? s.replace(SGR, '') : s;
  for (let i = 0; i < plain.length; i++) {
    if (!oneColumn(plain.charCodeAt(i))) return load()(s);
  }
  return plain.length;
}

export = Object.assign(stringWidth, { default: stringWidth, oneColumn });
