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
import { Tensor, sizeOf } from './tensor';

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

// ---------------------------------------------------------------------------
// glibcLog: glibc's log() (glibc >= 2.28, sysdeps/ieee754/dbl-64/e_log.c, from
// Arm Optimized Routines math/log.c, N = 128 table) as built for x86-64 CPUs
// with FMA (the `__log_fma` ifunc variant), reproduced operation by operation,
// including the fused multiply-adds GCC contracted in that build (read off its
// disassembly).  Constants are Arm Optimized Routines math/log_data.c.
// ---------------------------------------------------------------------------

const SPLITTER = 134217729; // 2^27 + 1
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[0] low word, u32[1] high word

/** fma(a, b, c) = a*b + c with one rounding (Boldo–Melquiond: exact product, TwoSum, round-to-odd). */
function fma(a: number, b: number, c: number): number {
  // a*b = ph + pl exactly (Veltkamp split / Dekker product).
  const ph = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const pl = ah * bh - ph + ah * bl + al * bh + al * bl;
  // c + ph = th + tl exactly.
  const th = c + ph;
  const bb = th - c;
  const tl = c - (th - bb) + (ph - bb);
  // v = tl + pl rounded to odd.
  let v = tl + pl;
  const vb = v - tl;
  const err = tl - (v - vb) + (pl - vb);
  if (err !== 0) {
    f64[0] = v;
    if ((u32[0] & 1) === 0) {
      // Step one ulp toward the exact sum: away from zero if err has v's sign.
      const up = err > 0 === v > 0;
      if (up) {
        if (u32[0] === 0xffffffff) { u32[0] = 0; u32[1]++; } else u32[0]++;
      } else {
        if (u32[0] === 0) { u32[0] = 0xffffffff; u32[1]--; } else u32[0]--;
      }
      v = f64[0];
    }
  }
  return th + v;
}

const LN2HI = 0.6931471805598903; // 0x1.62e42fefa3800p-1
const LN2LO = 5.497923018708371e-14; // 0x1.ef35793c76730p-45
const A0 = -0.5000000000000001, A1 = 0.33333333331825593, A2 = -0.2499999999622955;
const A3 = 0.20000304511814496, A4 = -0.16667054827627667;
const B0 = -0.5, B1 = 0.3333333333333352, B2 = -0.24999999999998432, B3 = 0.19999999999320328;
const B4 = -0.16666666669929706, B5 = 0.14285715076560868, B6 = -0.12499997863982555;
const B7 = 0.11110712032936046, B8 = -0.10000486757818193, B9 = 0.09181994006195467;
const B10 = -0.08328363062289341;
/** 128 pairs (invc, logc): interval i of [0x1.6p-1, 0x1.6p0) has centre c, invc ~ 1/c, logc ~ log(c). */
const LOG_TAB = new Float64Array([
  1.4504249240398293, -0.3718565645633589,
  1.442253508327276, -0.36620682668944937,
  1.4341736174350004, -0.3605888069791945,
  1.426183816329995, -0.3550022171419869,
  1.4182825527052965, -0.34944666968829097,
  1.4104682921759335, -0.3439217713603284,
  1.4027396147468003, -0.3384271921261188,
  1.3950954438932313, -0.332962831494342,
  1.3875338232485754, -0.32752794345742586,
  1.3800539211058593, -0.32212257167088865,
  1.3726542695419708, -0.3167462884799761,
  1.3653332798446802, -0.3113985598928366,
  1.358090204587874, -0.3060794515165526,
  1.3509234892132138, -0.300788424667644,
  1.3438320840699889, -0.2955252968476998,
  1.3368146974742003, -0.29028969275850613,
  1.329870114677736, -0.2850812793277555,
  1.322997339161106, -0.27989987391470095,
  1.316195352741367, -0.27474526621870154,
  1.3094628125672239, -0.2696169863701243,
  1.3027990455471041, -0.26451506180308115,
  1.2962024229438942, -0.2594387762767383,
  1.2896726275815547, -0.2543884090981692,
  1.2832080305745537, -0.24936321635129843,
  1.276807885983376, -0.24436312405975968,
  1.2704714060687552, -0.23938801747897287,
  1.2641976054949482, -0.23443761696705678,
  1.257985357514882, -0.22951151871518505,
  1.2518337750655457, -0.2246094963439873,
  1.2457421919097305, -0.21973149037705753,
  1.2397094966625508, -0.2148770752847895,
  1.2337348463589233, -0.210046029103637,
  1.2278176973028803, -0.20523836373934046,
  1.2219570190618474, -0.20045368751368642,
  1.2161519732977757, -0.1956917537758045,
  1.2104018095009725, -0.19095237845203883,
  1.204705805718973, -0.18623539250290833,
  1.1990631185441964, -0.18154051731551135,
  1.1934733004462308, -0.1768677957431919,
  1.1879350812847385, -0.17221657406412305,
  1.1824481322833125, -0.16758697765942543,
  1.1770114976921955, -0.16297859687290384,
  1.1716248121809465, -0.15839151377804228,
  1.1662869231674715, -0.15382513241456763,
  1.1609977486762766, -0.14927976358922024,
  1.1557563220795803, -0.14475495398119165,
  1.1505619105480347, -0.14025044090817573,
  1.1454138888505974, -0.1357660466685502,
  1.140311877374656, -0.1313018016355727,
  1.1352550225747513, -0.12685731518763532,
  1.1302429094831266, -0.1224325737671279,
  1.1252747693068048, -0.11802724521862729,
  1.1203501571039876, -0.11364127671663482,
  1.1154683327680124, -0.10927434611278386,
  1.1106291463292157, -0.10492665324943573,
  1.1058315813301596, -0.10059761422644442,
  1.1010752177696026, -0.09628717309055901,
  1.0963597137952512, -0.09199534069557558,
  1.0916844827550398, -0.08772190036688698,
  1.0870487291277784, -0.08346643613867855,
  1.082452357388312, -0.07922916827544668,
  1.0778948225025884, -0.0750099004750382,
  1.0733751731601076, -0.07080805133352897,
  1.068893585073351, -0.06662408085151128,
  1.0644491706655506, -0.06245745471915143,
  1.0600414846328305, -0.0583080438042316,
  1.0556701316181605, -0.05417576112313327,
  1.051334750556926, -0.050060547896805474,
  1.0470347288442157, -0.045962101199052086,
  1.0427699229652954, -0.04188056008865715,
  1.0385395013738175, -0.03781540056183985,
  1.034343418940345, -0.03376684757915882,
  1.0301811073173315, -0.029734619131772888,
  1.026052043621297, -0.025718470239212365,
  1.0219561082336197, -0.021718543925430822,
  1.0178926505784922, -0.01773446126981071,
  1.0138614436244586, -0.013766252464051831,
  1.0098620186501341, -0.009813706322574944,
  1.0058938559734134, -0.005876555150052809,
  1.00195696235014, -0.0019550499938532084,
  0.9961089923088509, 0.0038985973556009412,
  0.9884170338185201, 0.011650571286395461,
  0.9808429191005297, 0.019342955478919066,
  0.9733840169987446, 0.0269766014846482,
  0.9660377568876556, 0.034552359728422744,
  0.9588014945307369, 0.04207121767183253,
  0.9516728569073111, 0.049533940950141186,
  0.9446494635965822, 0.056941358295944156,
  0.9377288993026223, 0.06429439168346107,
  0.9309091073790681, 0.0715936354946507,
  0.924187681612722, 0.07884010933776153,
  0.9175626765599192, 0.08603438905970506,
  0.9110320403624034, 0.09317721180013905,
  0.9045935839762024, 0.10026951462748457,
  0.8982456375922825, 0.10731170956330516,
  0.8919860966782501, 0.11430473320717738,
  0.8858131121185129, 0.12124928503033061,
  0.879725075760676, 0.12814583422959913,
  0.8737201372634685, 0.1349951636851756,
  0.8677966405782273, 0.1417978768189414,
  0.8619528050060739, 0.14855476039031146,
  0.8561872354420692, 0.1552661937658968,
  0.8504983927816893, 0.16193275688146969,
  0.8448844572790304, 0.16855539792220497,
  0.8393442741575965, 0.1751343179947753,
  0.8338762249349438, 0.1816702989864325,
  0.8284789320557778, 0.18816387146023317,
  0.8231510800065832, 0.1946155228479256,
  0.8178913903778707, 0.20102572579389744,
  0.8126984007245374, 0.2073952090795501,
  0.8075710029460227, 0.21372429840596396,
  0.8025078881160415, 0.2200135945981856,
  0.7975077379364331, 0.22626374162859975,
  0.792569604966373, 0.23247494747693054,
  0.7876923641254114, 0.23864766620658884,
  0.7828746724940998, 0.24478265647405806,
  0.7781155388790811, 0.25088025827324145,
  0.7734139557869777, 0.2569408552510595,
  0.7687687179914933, 0.26296511155101143,
  0.7641790698041854, 0.2689531327189343,
  0.7596438763692399, 0.27490553924610595,
  0.7551621951078668, 0.2808227248478943,
  0.7507331780216866, 0.286704979267256,
  0.7463557196361751, 0.29255295645509705,
  0.7420289364869653, 0.2983670386142876,
  0.7377521537065876, 0.30414734587282055,
  0.7335242966002608, 0.30989455774829366,
  0.729344777457841, 0.31560871301871884,

]);

/** glibc's log(x) bit for bit (FMA build); Math.log for x <= 0, infinities and NaN, where they agree. */
export function glibcLog(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x);
  f64[0] = x;
  let hi = u32[1];
  // Near 1: 1 - 2^-4 <= x < 1 + 0x1.09p-4.
  if (hi >= 0x3fee0000 && hi < 0x3ff10900) {
    if (x === 1) return 0;
    const r = x - 1.0;
    const r2 = r * r;
    const r3 = r * r2;
    let p = fma(r3, B10, fma(r2, B9, fma(r, B8, B7)));
    p = fma(p, r3, fma(r2, B6, fma(r, B5, B4)));
    p = fma(p, r3, fma(r2, B3, fma(r, B2, B1)));
    const w = r * 134217728; // 2^27
    const rhi = r + w - w;
    const rlo = r - rhi;
    const ww = rhi * rhi * B0; // exact
    const h = r + ww;
    let l = r - h + ww;
    l = fma(B0 * rlo, rhi + r, l);
    return fma(r3, p, l) + h;
  }
  let k0 = 0;
  if (hi < 0x00100000) {
    // Subnormal: scale into the normal range.
    f64[0] = x * 4503599627370496; // 2^52
    hi = u32[1];
    k0 = -52;
  }
  // x = 2^k z, z in [0x1.6p-1, 0x1.6p0); tmp = ix - 0x3fe6000000000000 (low word unaffected).
  const tmp = (hi - 0x3fe60000) | 0;
  const i = (tmp >>> 13) & 127;
  const k = (tmp >> 20) + k0;
  u32[1] = (hi - (tmp & 0xfff00000)) >>> 0; // z keeps x's (possibly scaled) low word
  const z = f64[0];
  const invc = LOG_TAB[2 * i];
  const logc = LOG_TAB[2 * i + 1];
  const r = fma(z, invc, -1.0);
  const w = fma(k, LN2HI, logc);
  const h = w + r;
  const l = fma(k, LN2LO, w - h + r);
  const r2 = r * r;
  const p = fma(fma(r, A4, A3), r2, fma(r, A2, A1));
  return fma(r * r2, p, fma(r2, A0, l)) + h;
}
