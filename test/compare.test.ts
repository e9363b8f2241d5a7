import { strict as assert } from 'assert';
import { compareArrays } from '../src/compare';
import type { Arrays } from '../src/tensor';

/** compareArrays of one array: ours against yours, entry by entry. */
function compare(ours: number[], yours: number[]): { ok: boolean; bad: number } {
  const t = (v: number[]): Arrays => ({ a: { shape: [v.length], data: Float64Array.from(v) } });
  const [c] = compareArrays(t(ours), t(yours), { compared: [{ name: 'a', yours: 'a' }], missing: [], inputs: [] }, 1e-6, 1e-9);
  return { ok: c.ok, bad: c.bad };
}

describe('compareArrays: non-finite entries, as numpy.testing.assert_allclose', () => {
  it('a NaN or Inf on either side fails against a finite value', () => {
    assert.deepEqual(compare([NaN, 1], [1, 1]), { ok: false, bad: 1 });
    assert.deepEqual(compare([1, 1], [NaN, 1]), { ok: false, bad: 1 });
    assert.deepEqual(compare([Infinity, 2], [1e308, 2]), { ok: false, bad: 1 });
    assert.deepEqual(compare([5, -Infinity], [5, -1]), { ok: false, bad: 1 });
  });
  it('equal infinities agree, NaN agrees with NaN, opposite infinities do not', () => {
    assert.deepEqual(compare([Infinity, -Infinity, NaN], [Infinity, -Infinity, NaN]), { ok: true, bad: 0 });
    assert.deepEqual(compare([Infinity, NaN], [-Infinity, Infinity]), { ok: false, bad: 2 });
  });
  it('finite values: within atol + rtol·|ours|, and no further', () => {
    assert.deepEqual(compare([1, 1e300, 0], [1 + 1e-6, 1e300 * (1 + 9e-7), 9e-10]), { ok: true, bad: 0 });
    assert.deepEqual(compare([1, -1e308], [1 + 3e-6, 1e308]), { ok: false, bad: 2 });
  });
});
