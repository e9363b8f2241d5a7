/**
 * src/gradcheck/norms.ts at the edges of float64: the verdict's sums of squares, the per-entry
 * tolerance and the five-point combination hold up to the largest finite values and down to
 * the subnormal ones, and take the plain formulas' bits in between (the CLI's view of the same:
 * test/cli-gradcheck-magnitude.test.ts).
 */
import { strict as assert } from 'assert';
import { fivePoint, plainOk, scaledNorm, withinTol } from '../src/gradcheck/norms';
import { verdict } from '../src/gradcheck/verdict';

const noNoise = (n: number) => ({ at: new Array<number>(n).fill(0), floors: new Array<number>(n).fill(0) });
const check = (num: number[], ana: number[]) => verdict('dW', [num.length], num, ana, num.map((_, k) => `[${k}]`), 1e-6, noNoise(num.length), false);
const norm = (xs: number[]) => scaledNorm((visit) => xs.forEach(visit));

describe('gradcheck norms at the edges of float64', () => {
  it('the relative error of values near the largest float64, and of subnormal ones, is that of the same values near 1', () => {
    const num = [1.25, -0.5, 0.75 + 2 ** -40, 1], ana = [1.25 + 2 ** -30, -0.5, 0.75, 1 - 2 ** -35];
    const r = check(num, ana).relError;
    assert.ok(r > 0 && r < 1e-8, `${r}`);
    for (const k of [1020, 900, 600, -600, -1000]) {
      const s = 2 ** k;
      const at = check(num.map((v) => v * s), ana.map((v) => v * s));
      assert.equal(at.relError, r, `×2^${k}`);
      assert.equal(at.pass, true);
    }
    // a wrong sign near the top: r = 1, FAIL, never a PASS from an overflowed sum
    const top = check([1.5e308, 1e308], [-1.5e308, 1e308]);
    assert.ok(Math.abs(top.relError - 3 / (2 * Math.sqrt(3.25))) < 1e-15 && !top.pass, `${top.relError}`);
  });

  it('withinTol and fivePoint past the overflow of |x| + |y| and 4x; scaledNorm of all zeros, of overflowing and of underflowing squares', () => {
    assert.equal(withinTol(1.7e308, -1.7e308, 1e-6), false); // before: Inf ≤ tol·Inf
    assert.equal(withinTol(1.7e308, 1.7e308 * (1 - 1e-9), 1e-6), true);
    assert.equal(withinTol(Infinity, 1, 1e-6), false);
    assert.equal(fivePoint(1e308, 1e308), 1e308);
    assert.equal(fivePoint(3, 1), (4 * 3 - 1) / 3);
    assert.equal(norm([0, 0]), 0);
    assert.equal(norm([3 * 2 ** 1000, 4 * 2 ** 1000]), 5 * 2 ** 1000);
    assert.equal(norm([3 * 2 ** -600, 4 * 2 ** -600]), 5 * 2 ** -600);
    assert.equal(norm([3 * 2 ** -1074, 4 * 2 ** -1074]), 5 * 2 ** -1074);
    assert.equal(plainOk(0, 1), false);
    assert.equal(plainOk(Infinity, 1), false);
    assert.equal(plainOk(NaN, 1), false);
    assert.equal(plainOk(1e-200, 1e6), true);
  });
});
