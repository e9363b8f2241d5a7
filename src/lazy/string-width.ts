/**
 * Stands in for `string-width` (4.x) inside the bundle — cli-table3 measures every cell with
 * it, twice or more, at every start (an esbuild alias, src/bundle.ts). The common case, a cell
 * of printable ASCII with or without colour codes, is answered here; anything else goes to the
 * real string-width, loaded on first use. Same results: for such a string the real one returns
 * the length after removing the colour codes too.
 */
type StringWidth = (s: string) => number;
let real: StringWidth | undefined;
// A relative path, so that the alias (which maps 'string-width') does not catch it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (): StringWidth => (real ??= require('../../node_modules/string-width/index.js') as StringWidth);

/** SGR colour codes, as chalk writes them (ESC [ digits and semicolons m). */
const SGR = /\u001b\[[\d;]*m/g;

function stringWidth(s: string): number {
  if (typeof s !== 'string' || s.length === 0) return 0;
  const plain = s.includes('\u001b') ? s.replace(SGR, '') : s;
  for (let i = 0; i < plain.length; i++) {
    const c = plain.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return load()(s);
  }
  return plain.length;
}

export = Object.assign(stringWidth, { default: stringWidth });
