/**
 * The bundle's cli-table3 (src/cli/render/table-patches.ts) against the real one: the same table options
 * and rows render to the same string. Rows have spans and gaps (the layout's fill-in is one of
 * the patches), options reach every merged name (chars, padding, per-cell style).
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { patchedTable, patchTableSource, TABLE_PATCHES } from '../src/cli/render/table-patches';

const ROOT = path.join(__dirname, '..');
type TableCtor = new (o?: object) => unknown[] & { toString(): string };
/* eslint-disable @typescript-eslint/no-require-imports */
const Real = require('cli-table3') as TableCtor;
const Patched = require(patchedTable(ROOT, 'rnn-test')) as TableCtor;
/* eslint-enable @typescript-eslint/no-require-imports */

function render(T: TableCtor, options: object, rows: unknown[][]): string {
  const t = new T(JSON.parse(JSON.stringify(options)) as object);
  for (const r of JSON.parse(JSON.stringify(rows)) as unknown[][]) t.push(r);
  return t.toString();
}

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String), fc.constantFrom('', 'a\nbb\nccc', '…‖ŷ', '\u001b[31mred\u001b[39m'));
const cell = fc.oneof(
  { weight: 4, arbitrary: text },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        content: text,
        colSpan: fc.integer({ min: 1, max: 3 }),
        rowSpan: fc.integer({ min: 1, max: 3 }),
        hAlign: fc.constantFrom('left', 'center', 'right'),
        vAlign: fc.constantFrom('top', 'center', 'bottom'),
        chars: fc.record({ left: fc.constantFrom('|', '#'), 'top-left': fc.constantFrom('+', '*') }, { requiredKeys: [] }),
        style: fc.record({ 'padding-left': fc.integer({ min: 0, max: 3 }), paddingRight: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] }),
      },
      { requiredKeys: ['content'] },
    ),
  },
);
const options = fc.record(
  {
    head: fc.array(text, { maxLength: 4 }),
    colAligns: fc.array(fc.constantFrom('left', 'center', 'right'), { maxLength: 4 }),
    chars: fc.record({ mid: fc.constantFrom('', '─'), 'left-mid': fc.constantFrom('', '├'), 'mid-mid': fc.constantFrom('', '┼'), 'right-mid': fc.constantFrom('', '┤') }, { requiredKeys: [] }),
    style: fc.record({ head: fc.constant([]), border: fc.constant([]), compact: fc.boolean(), 'padding-left': fc.integer({ min: 0, max: 2 }) }, { requiredKeys: ['head', 'border'] }),
  },
  { requiredKeys: ['style'] },
);

describe('cli-table3 as bundled (speed patches) against cli-table3', () => {
  it('renders every table to the same string (random rows with spans, gaps and options)', () => {
    fc.assert(
      fc.property(options, fc.array(fc.array(cell, { maxLength: 5 }), { maxLength: 8 }), (o, rows) => {
        let want: string | Error, got: string | Error;
        try {
          want = render(Real, o, rows);
        } catch (e) {
          want = e as Error;
        }
        try {
          got = render(Patched, o, rows);
        } catch (e) {
          got = e as Error;
        }
        if (want instanceof Error || got instanceof Error) assert.equal(String(got), String(want));
        else assert.equal(got, want);
      }),
      { numRuns: 400, seed: 15 },
    );
  });

  it('renders the tables of rnn forward the same (rectangular, right-aligned numbers)', () => {
    const rows = Array.from({ length: 9 }, (_, t) => [t, ...Array.from({ length: 8 }, (_, j) => (Math.sin(t * 9 + j) * 10 ** (j - 3)).toPrecision(8))]);
    const o = { head: ['t', ...'abcdefgh'], style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, colAligns: Array(9).fill('right') };
    assert.equal(render(Patched, o, rows), render(Real, o, rows));
  });

  it('fails the build when cli-table3 is not the text it patches', () => {
    const p = TABLE_PATCHES[0];
    assert.throws(() => patchTableSource(p.file, 'module.exports = 1;'), /not there exactly once/);
    assert.throws(() => patchTableSource(p.file, `${p.from}\n${p.from}`), /not there exactly once/);
    const real = fs.readFileSync(require.resolve(`cli-table3/${p.file}`), 'utf8');
    assert.ok(patchTableSource(p.file, real).includes(p.to));
  });
});
