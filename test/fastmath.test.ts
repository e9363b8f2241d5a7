import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { exp, sigmoid, sigmoidInPlace, tanh, tanhInPlace } from '../src/exec/fastmath';

// Reference values made with mpmath at 256 bits by the script stored in the JSON's "generator"
// field: rows [x, hi, frac], hi = f(x) correctly rounded, frac = (f(x) − hi)/ulp(hi).
type Row = [number, number, number];
const REF = JSON.parse(fs.readFileSync(path.join(__dirname, 'fastmath-reference.json'), 'utf8')) as Record<
  'exp' | 'sigmoid' | 'tanh',
  Row[]
>;

// Bounds in ulps, a little above the maxima measured on ~10^6 mpmath points (0.509, 2.35, 2.71).
const EXP_ULP = 0.52;
const SIGMOID_ULP = 2.5;
const TANH_ULP = 3;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
/** The gap from |h| up to the next double: 2^(E−52) for 2^E ≤ |h| < 2^(E+1); 2^−1074 for 0 and subnormals. */
function ulp(h: number): number {
  const a = Math.abs(h);
  if (a === Number.MAX_VALUE) return 2 ** 971;
  f64[0] = a;
  u64[0] += 1n;
  return f64[0] - a;
}

/** Largest |error| in ulps of f over the rows, and where. */
function maxUlpError(f: (x: number) => number, rows: Row[]): { err: number; at: number } {
  let err = 0;
  let at = NaN;
  for (const [x, hi, frac] of rows) {
    const e = Math.abs((f(x) - hi) / ulp(hi) - frac);
    if (!(e <= err)) {
      err = e;
      at = x;
    }
  }
  return { err, at };
}

/** Distance between two doubles of the same sign in ulps of the larger one. */
function ulpDistance(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / ulp(Math.max(Math.abs(a), Math.abs(b)));
}

/** Deterministic uniform [0, 1) generator (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function oldSigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

describe('fastmath', () => {
  it('the reference file covers every function with enough points', () => {
    assert.ok(REF.exp.length > 800 && REF.sigmoid.length > 500 && REF.tanh.length > 600);
    for (const rows of [REF.exp, REF.sigmoid, REF.tanh])
      for (const [x, hi, frac] of rows) assert.ok(Number.isFinite(x) && Number.isFinite(hi) && Math.abs(frac) <= 0.5);
  });

  describe('exp', () => {
    it(`is within ${EXP_ULP} ulp of the correctly rounded value (normal, subnormal and zero results)`, () => {
      const { err, at } = maxUlpError(exp, REF.exp);
      assert.ok(err <= EXP_ULP, `max error ${err} ulp at x = ${at}`);
      // the reference points reach the subnormal range and the underflow to 0
      assert.ok(REF.exp.some(([, hi]) => hi > 0 && hi < 2.2250738585072014e-308));
      assert.ok(REF.exp.some(([x, hi]) => hi === 0 && x > -746));
    });

    it('special values and edges', () => {
      assert.equal(exp(0), 1);
      assert.equal(exp(-0), 1);
      assert.equal(exp(5e-324), 1);
      assert.equal(exp(-1e-300), 1);
      assert.ok(Number.isNaN(exp(NaN)));
      assert.equal(exp(Infinity), Infinity);
      assert.equal(exp(-Infinity), 0);
      assert.ok(Object.is(exp(-Infinity), 0));
      assert.equal(exp(709.782712893384), 1.7976931348622732e308); // largest finite result
      assert.equal(exp(709.7827128933841), Infinity);
      for (const x of [709.79, 709.8, 709.81, 710, 1000, 1e308, Number.MAX_VALUE]) assert.equal(exp(x), Infinity);
      assert.equal(exp(-745.1332191019411), 5e-324); // just above 2^−1075: rounds up to the least subnormal
      for (const x of [-745.1332191019412, -745.2, -745.3, -746, -1000, -1e308, -Number.MAX_VALUE])
        assert.ok(Object.is(exp(x), 0), `exp(${x})`);
      // across the fast-path limits (−704, 708) and the normal/subnormal boundary (−708.3964)
      for (const x of [-745, -720, -708.4, -708.3964185322641, -708.39, -708, -704.0000000000001, -704, -703.99])
        assert.ok(ulpDistance(exp(x), Math.exp(x)) <= 1, `exp(${x}) = ${exp(x)}, Math.exp: ${Math.exp(x)}`);
      for (const x of [703.99, 704, 707.99, 708, 708.0000000000001, 709, 709.78])
        assert.ok(ulpDistance(exp(x), Math.exp(x)) <= 1, `exp(${x})`);
    });

    it('agrees with Math.exp to 1 ulp on 10^6 random inputs', () => {
      const next = rng(1);
      let worst = 0;
      let at = NaN;
      for (let i = 0; i < 1_000_000; i++) {
        const u = next();
        // half over the whole finite-result range, half in [−20, 20]
        const x = i & 1 ? -745.2 + 1455 * u : -20 + 40 * u;
        const d = ulpDistance(exp(x), Math.exp(x));
        if (d > worst) {
          worst = d;
          at = x;
        }
      }
      assert.ok(worst <= 1, `max distance ${worst} ulp at x = ${at}`);
    });

    it('is monotone across the table and range boundaries', () => {
      const next = rng(2);
      for (let i = 0; i < 20_000; i++) {
        const x = -745 + 1454 * next();
        let y = exp(x);
        let xi = x;
        for (let s = 0; s < 4; s++) {
          const x1 = xi + Math.abs(xi) * 2 ** -52;
          const y1 = exp(x1);
          assert.ok(y1 >= y, `exp not monotone at ${xi}`);
          xi = x1;
          y = y1;
        }
      }
    });
  });

  describe('sigmoid', () => {
    it(`is within ${SIGMOID_ULP} ulp of 1/(1 + e^−z)`, () => {
      const { err, at } = maxUlpError(sigmoid, REF.sigmoid);
      assert.ok(err <= SIGMOID_ULP, `max error ${err} ulp at z = ${at}`);
    });

    it('special values and edges', () => {
      assert.equal(sigmoid(0), 0.5);
      assert.equal(sigmoid(-0), 0.5);
      assert.equal(sigmoid(Infinity), 1);
      assert.equal(sigmoid(-Infinity), 0);
      assert.ok(Number.isNaN(sigmoid(NaN)));
      for (const z of [37.5, 40, 703.9, 704, 709.9, 1000, 1e300]) assert.equal(sigmoid(z), 1);
      for (const z of [-746, -1000, -1e300]) assert.ok(Object.is(sigmoid(z), 0));
      // deep negative z: e^z itself, down through the subnormals
      for (const z of [-703.9, -704, -708, -709.9, -720, -740, -745])
        assert.ok(ulpDistance(sigmoid(z), oldSigmoid(z)) <= 1, `sigmoid(${z})`);
      assert.ok(sigmoid(-740) > 0 && sigmoid(-740) < 2.2250738585072014e-308);
    });

    it('is finite, in [0, 1] and NaN-free for every finite z, and agrees with the old formula on 10^6 inputs', () => {
      const next = rng(3);
      let worst = 0;
      let at = NaN;
      for (let i = 0; i < 1_000_000; i++) {
        const u = next();
        const z = i % 3 === 0 ? -800 + 1600 * u : i % 3 === 1 ? -40 + 80 * u : (u - 0.5) * 2 ** (1 + 1023 * next());
        const s = sigmoid(z);
        assert.ok(s >= 0 && s <= 1, `sigmoid(${z}) = ${s}`);
        const d = ulpDistance(s, oldSigmoid(z));
        if (d > worst) {
          worst = d;
          at = z;
        }
      }
      assert.ok(worst <= 4, `max distance ${worst} ulp at z = ${at}`);
      for (const z of [Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, -5e-324]) assert.ok(Number.isFinite(sigmoid(z)));
    });
  });

  describe('tanh', () => {
    it(`is within ${TANH_ULP} ulp of tanh (relative, down to the smallest arguments)`, () => {
      const { err, at } = maxUlpError(tanh, REF.tanh);
      assert.ok(err <= TANH_ULP, `max error ${err} ulp at x = ${at}`);
      assert.ok(REF.tanh.some(([x]) => Math.abs(x) < 1e-9));
    });

    it('special values and edges', () => {
      assert.ok(Object.is(tanh(0), 0));
      assert.ok(Object.is(tanh(-0), -0));
      assert.equal(tanh(Infinity), 1);
      assert.equal(tanh(-Infinity), -1);
      assert.ok(Number.isNaN(tanh(NaN)));
      for (const x of [19.1, 20, 21.999, 22, 30, 1000, 1e300, Number.MAX_VALUE]) {
        assert.equal(tanh(x), 1, `tanh(${x})`);
        assert.equal(tanh(-x), -1, `tanh(${-x})`);
      }
      for (const x of [5e-324, 1e-310, 1e-200, 1e-20, 3.7e-9, 7e-9, 2 ** -27]) {
        assert.equal(tanh(x), x, `tanh(${x})`);
        assert.equal(tanh(-x), -x, `tanh(${-x})`);
      }
    });

    it('is odd, bounded by 1, and agrees with Math.tanh on 10^6 random inputs', () => {
      const next = rng(4);
      let worst = 0;
      let at = NaN;
      for (let i = 0; i < 1_000_000; i++) {
        const u = next() - 0.5;
        const x = i % 3 === 0 ? 50 * u : i % 3 === 1 ? 2 * u : u * 2 ** -(40 * next());
        const t = tanh(x);
        assert.ok(Math.abs(t) <= 1 && Object.is(tanh(-x), -t), `tanh(${x})`);
        const d = ulpDistance(t, Math.tanh(x));
        if (d > worst) {
          worst = d;
          at = x;
        }
      }
      assert.ok(worst <= 4, `max distance ${worst} ulp at x = ${at}`);
    });
  });

  describe('in-place versions', () => {
    const specials = [
      0, -0, 5e-324, -5e-324, 1e-10, -3.7e-9, 2 ** -27, -(2 ** -27) * 1.0000001, 0.5, -0.5, 1, -1, 8, -8, 19.5, -21.9, 22, -22, 30, 703.9, -703.9,
      704, -704, 708, -708, 709.9, -709.9, 740, -740, 746, -746, 1000, -1000, Infinity, -Infinity, NaN,
    ];
    const next = rng(5);
    const mixed = Float64Array.from({ length: 2000 }, (_, i) => (i % 40 === 0 ? specials[(i / 40) % specials.length] : -12 + 24 * next()));
    const inRange = Float64Array.from({ length: 1000 }, () => -10 + 20 * next());

    for (const [name, inPlace, scalar] of [
      ['sigmoidInPlace', sigmoidInPlace, sigmoid],
      ['tanhInPlace', tanhInPlace, tanh],
    ] as const) {
      it(`${name} gives exactly the scalar results and touches only [off, off + n)`, () => {
        for (const src of [Float64Array.from(specials), mixed, inRange]) {
          for (const [off, n] of [
            [0, src.length],
            [3, src.length - 10],
            [7, 0],
            [src.length - 1, 1],
          ]) {
            const Z = src.slice();
            inPlace(Z, off, n);
            for (let k = 0; k < src.length; k++) {
              const want = k >= off && k < off + n ? scalar(src[k]) : src[k];
              assert.ok(Object.is(Z[k], want), `${name}: [${k}] of ${src[k]} gave ${Z[k]}, want ${want}`);
            }
          }
        }
      });
    }
  });
});
