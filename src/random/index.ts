/**
 * NumpyRandom: a bit-exact port of numpy's legacy global generator
 * (`np.random.seed` / `np.random.RandomState`, numpy 1.17+ and 2.x, which
 * freezes the stream of numpy <= 1.16), so that
 *
 *   np.random.seed(k); np.random.randn(...); np.random.randint(...); ...
 *
 * gives the same float64 / int64 values in TypeScript.  What it reproduces:
 *
 *  - seeding: `RandomState.seed(k)` -> `MT19937._legacy_seeding(k)` ->
 *    `mt19937_seed` (Matsumoto–Nishimura `init_genrand`), then
 *    `RandomState._reset_gauss()` (drops the cached gaussian).  Integer seeds
 *    only, 0 <= k <= 2^32-1 (numpy raises ValueError outside that range).
 *  - `next_uint32`: MT19937 `genrand_int32` (numpy's `mt19937_next32`).
 *  - `next_double`: `genrand_res53`, ((a >> 5) * 67108864 + (b >> 6)) / 2^53.
 *  - `randn` / `standard_normal`: `legacy_gauss` (numpy/random/src/legacy/
 *    legacy-distributions.c): polar Box–Muller; each accepted pair (x1, x2)
 *    returns f*x2 and caches f*x1 for the next call, across call boundaries.
 *  - `randint(low, high, size)` with the default dtype int64:
 *    `_rand_int64` -> `random_bounded_uint64_fill(off=low, rng=high-1-low,
 *    use_masked=true)`; for rng <= 0xFFFFFFFF that is masked rejection on
 *    32-bit draws (`buffered_bounded_masked_uint32`), rng == 0 draws nothing.
 *  - `random_sample`: `random_standard_uniform_fill` = next_double.
 *
 * All arrays are filled in C order, one draw after another, as numpy does.
 *
 * The one libm call is `log` in legacy_gauss, and numpy takes it from the C
 * library.  V8's Math.log (an fdlibm port) differs from glibc's log in the
 * last bit for ~7% of the r2 values, which changes ~3% of the gaussians; and
 * glibc's log is not correctly rounded either (~0.1% of inputs), so a
 * correctly-rounded log does not fit.  `glibcLog` below therefore reproduces
 * glibc's log (>= 2.28, x86-64 FMA build) exactly.  Measured: 0 mismatches
 * against numpy over 3 million gaussians and against glibc over 5.5 million
 * logs.  Caveat: numpy itself gives different last bits where its libm does
 * (glibc's non-FMA x86-64 build differs on ~1e-4 of inputs; macOS/Windows
 * use other libms).
 */
import { glibcLog } from './glibc-log';
import { Tensor, sizeOf } from '../tensor';

export { glibcLog };

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class NumpyRandom {
  private readonly mt = new Uint32Array(N);
  private pos = N;
  private hasGauss = false;
  private gauss = 0;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** `np.random.seed(seed)` for an integer seed: init_genrand + clear the cached gaussian. */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
    }
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.pos = N;
    this.hasGauss = false;
    this.gauss = 0;
  }

  /** An independent generator in this one's state: the same stream from here on. */
  clone(): NumpyRandom {
    const r = new NumpyRandom(0);
    r.mt.set(this.mt);
    r.pos = this.pos;
    r.hasGauss = this.hasGauss;
    r.gauss = this.gauss;
    return r;
  }

  /** MT19937 genrand_int32: the next raw 32-bit output, as an unsigned number. */
  nextUint32(): number {
    if (this.pos >= N) this.reload();
    let y = this.mt[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** genrand_res53: a uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** legacy_gauss: one standard normal, using (and refilling) the cached second value. */
  standardNormal(): number {
    if (this.hasGauss) {
      const g = this.gauss;
      this.hasGauss = false;
      this.gauss = 0;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2.0 * this.nextDouble() - 1.0;
      x2 = 2.0 * this.nextDouble() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * glibcLog(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** `np.random.randn(*shape)`; no arguments gives a rank-0 tensor holding one draw. */
  randn(...shape: number[]): Tensor {
    const data = new Float64Array(checkShape(shape, 'randn'));
    for (let i = 0; i < data.length; i++) data[i] = this.standardNormal();
    return { shape: [...shape], data };
  }

  /** `np.random.random_sample(shape)`: uniform doubles in [0, 1). */
  random_sample(...shape: number[]): Tensor {
    const data = new Float64Array(checkShape(shape, 'random_sample'));
    for (let i = 0; i < data.length; i++) data[i] = this.nextDouble();
    return { shape: [...shape], data };
  }

  /** `np.random.uniform(low, high, size=shape)`: low + (high − low) · random_sample (numpy's random_uniform). */
  uniform(low: number, high: number, ...shape: number[]): Tensor {
    const data = new Float64Array(checkShape(shape, 'uniform')), range = high - low;
    for (let i = 0; i < data.length; i++) data[i] = low + range * this.nextDouble();
    return { shape: [...shape], data };
  }

  /**
   * `np.random.randint(low, high, size=shape)` (dtype int64), values stored as
   * float64.  Supports ranges high - 1 - low <= 0xFFFFFFFF (numpy's 32-bit path).
   */
  randint(low: number, high: number, shape: number[]): Tensor {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
      throw new RangeError(`randint: low and high must be safe integers, got ${low}, ${high}`);
    }
    if (low >= high) throw new RangeError(`randint: low >= high (${low} >= ${high})`);
    const rng = high - 1 - low;
    if (rng > 0xffffffff) {
      throw new RangeError(`randint: range ${rng + 1} exceeds 2**32 (numpy's 64-bit path is not ported)`);
    }
    const data = new Float64Array(checkShape(shape, 'randint'));
    if (rng === 0) {
      data.fill(low);
    } else {
      const mask = genMask(rng);
      for (let i = 0; i < data.length; i++) {
        let v: number;
        do v = (this.nextUint32() & mask) >>> 0;
        while (v > rng);
        data[i] = low + v;
      }
    }
    return { shape: [...shape], data };
  }

  /** Regenerate the 624-word state block (mt19937_gen). */
  private reload(): void {
    const mt = this.mt;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }
}

function checkShape(shape: readonly number[], fn: string): number {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${fn}: bad dimension ${d} in shape [${shape.join(', ')}]`);
  }
  return sizeOf(shape);
}

/** Smallest 2^k - 1 >= max (numpy's gen_mask), for 0 < max <= 0xFFFFFFFF. */
function genMask(max: number): number {
  let m = max >>> 0;
  m |= m >>> 1;
  m |= m >>> 2;
  m |= m >>> 4;
  m |= m >>> 8;
  m |= m >>> 16;
  return m >>> 0;
}
