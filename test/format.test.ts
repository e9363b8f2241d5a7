/**
 * The number formatter against numpy's own strings (fixtures/format/numpy_format.json, written by
 * fixtures/format/generate_format.py): every value, precision and notation, numpy's choice of
 * notation for single values and for columns, and option values as the help writes them.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { alignNumbers, formatColumn, formatExact, formatFloat, formatNumber, formatSetting, scientificFor } from '../src/cli/render/format';

interface Scalar { x: string; scientific: boolean; sci: string[]; pos?: string[]; setting: string }
interface Column { x: string[]; precision: number | null; scientific: boolean; strings: string[] }
const oracle = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'format', 'numpy_format.json'), 'utf8')) as {
  precisions: (number | null)[];
  scalars: Scalar[];
  columns: Column[];
};

/** Python's repr of a float ('nan', 'inf', '-0.0', '1e-09') as a number. */
const parse = (s: string): number => (s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));
const precisionOf = (p: number | null): number => p ?? Infinity;

/** Collects every mismatch so that one run shows them all. */
function mismatches(check: (fail: (what: string, ours: string, numpy: string) => void) => void): string[] {
  const out: string[] = [];
  check((what, ours, numpy) => {
    if (ours !== numpy) out.push(`${what}: ours ${ours}, numpy ${numpy}`);
  });
  return out;
}

describe('number formatting: numpy\'s strings', () => {
  it('the oracle covers what it claims', () => {
    const xs = oracle.scalars.map((s) => parse(s.x));
    assert.ok(xs.length > 500);
    for (const want of [0, -0, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, 1e-4, 1e8, 9.9999999e-5, 0.125]) {
      assert.ok(xs.some((x) => Object.is(x, want)), `no ${want}`);
    }
    // halfway cases where JavaScript's rounding (away from zero) differs from numpy's (to even)
    const mantissa = (s: string): string => s.split('e')[0].replace(/(\.\d*?)0*$/, '$1').replace(/\.$/, '');
    let halfway = 0;
    for (const s of oracle.scalars) {
      const x = parse(s.x);
      if (!Number.isFinite(x) || x === 0) continue;
      const shortest = mantissa(x.toExponential()).replace(/[-.]/g, '').length;
      oracle.precisions.forEach((p, k) => {
        if (p !== null && shortest > p && mantissa(x.toExponential(p - 1)) !== mantissa(s.sci[k])) halfway++;
      });
    }
    assert.ok(halfway >= 10, `only ${halfway} strings where rounding half to even matters`);
    assert.ok(oracle.columns.some((c) => c.scientific) && oracle.columns.some((c) => !c.scientific));
  });

  it('positional and scientific strings at every precision', () => {
    const bad = mismatches((fail) => {
      for (const s of oracle.scalars) {
        const x = parse(s.x);
        oracle.precisions.forEach((p, k) => {
          const precision = precisionOf(p);
          fail(`${s.x} scientific p=${p}`, formatFloat(x, { precision, scientific: true }), s.sci[k]);
          if (s.pos) fail(`${s.x} positional p=${p}`, formatFloat(x, { precision, scientific: false }), s.pos[k]);
        });
      }
    });
    assert.deepEqual(bad, []);
  });

  it('one number on its own takes the notation numpy gives an array of it', () => {
    const bad = mismatches((fail) => {
      for (const s of oracle.scalars) {
        const x = parse(s.x);
        fail(`${s.x} notation`, String(scientificFor([x])), String(s.scientific));
        oracle.precisions.forEach((p, k) => {
          const want = s.scientific ? s.sci[k] : s.pos![k];
          fail(`${s.x} p=${p}`, p === null ? formatExact(x) : formatNumber(x, p), want);
        });
      }
    });
    assert.deepEqual(bad, []);
  });

  it('a column takes one notation, as numpy prints an array', () => {
    const bad = mismatches((fail) => {
      for (const c of oracle.columns) {
        const xs = c.x.map(parse);
        const what = `[${c.x.join(', ')}] p=${c.precision}`;
        fail(`${what} notation`, String(scientificFor(xs)), String(c.scientific));
        fail(what, formatColumn(xs, precisionOf(c.precision)).join(' '), c.strings.join(' '));
      }
    });
    assert.deepEqual(bad, []);
  });

  it('option values as the README writes them: one exponent digit', () => {
    const bad = mismatches((fail) => {
      for (const s of oracle.scalars) fail(s.x, formatSetting(parse(s.x)), s.setting);
    });
    assert.deepEqual(bad, []);
    assert.equal(formatSetting(1e-6), '1e-6');
    assert.equal(formatSetting(1e-9), '1e-9');
    assert.equal(formatSetting(1024), '1024');
  });

  it('the issue\'s examples', () => {
    assert.equal(formatNumber(1e-9), '1e-09');
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(137), '137');
    assert.equal(formatNumber(1048e9, 2), '1e+12');
    assert.deepEqual(formatColumn([0.499, 4.99e-5], 3), ['4.99e-01', '4.99e-05']);
    assert.deepEqual(formatColumn([0.499, 0.25], 3), ['0.499', '0.25']);
  });

  it('precision must be a whole number ≥ 1 or Infinity', () => {
    for (const precision of [0, -1, 2.5, NaN]) assert.throws(() => formatFloat(1, { precision, scientific: false }), RangeError);
  });
});

describe('number formatting: aligned arrays', () => {
  it('lines up the points, left-pads integer parts, right-aligns nan and inf', () => {
    assert.deepEqual(alignNumbers(['0.5', '137', '-2.25']), ['  0.5 ', '137   ', ' -2.25']);
    assert.deepEqual(alignNumbers(['1e-05', '-2.5e+03']), [' 1e-05  ', '-2.5e+03']);
    assert.deepEqual(alignNumbers(['nan', '0.5', '-inf']), [' nan', ' 0.5', '-inf']);
    assert.deepEqual(alignNumbers(['nan', '1']), ['nan', '  1']);
  });
});
