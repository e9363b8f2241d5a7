/**
 * Fast float64 exp, sigmoid and tanh for the kernels' tight loops.
 *
 * V8's Math.exp / Math.tanh are fdlibm ports; these are table-driven, faster (bench/README.md),
 * and as accurate (errors measured against mpmath on ~10^6 points; the
 * test suite checks them against test/fastmath-reference.json):
 *
 *   exp      < 0.51 ulp over the whole double range: normal and subnormal results, overflow to
 *            ∞ (x > 709.78), underflow to 0 (x < −745.13), exp(NaN) = NaN (Math.exp: < 0.87)
 *   sigmoid  < 2.4 ulp, every double; finite and NaN-free for every finite z (old formula: 2.1)
 *   tanh     < 2.8 ulp, every double; odd, tanh(±0) = ±0, ±1 exactly for |x| ≥ 19.1 (Math.tanh: 2.1)
 *
 * Method (after ARM optimized-routines' exp): with N = 128 and k = round(x·N/ln2) (via the
 * 1.5·2^52 shift trick), x = k·ln2/N + r with |r| ≤ ln2/(2N) (Cody–Waite: ln2/N split into a
 * 29-bit head, so k·head is exact, and a tail), and
 *
 *   exp(x) = 2^(k>>7) · 2^((k&127)/N) · exp(r),
 *
 * where 2^(j/N) comes from a 128-entry table as a double plus its relative rounding error, the
 * power of two from a table of exact powers, and exp(r) − 1 from a degree-5 Taylor polynomial
 * (truncation < 6e-19). The result is s + s·tmp with s = 2^(k>>7)·T[j] exact, so it carries one
 * rounding plus ~0.01 ulp. Results that would leave the normal range are scaled in two steps.
 * tanh(a) = (1 − e^(−2a))/(1 + e^(−2a)) with the same kernel, both operands compensated, which
 * keeps full relative accuracy near 0 (fdlibm's expm1 formula, in effect).
 *
 * Speed: the in-place array versions are the fastest form (their loops contain no call). The
 * scalar functions are small enough for V8 to inline, but TurboFan's cumulative inlining budget
 * (~920 bytecode bytes per optimized function; sigmoid ≈ 200, tanh ≈ 280) means a loop that
 * calls five of them inlines only some and makes real calls for the rest.
 *
 * Tables regenerated with python3 + mpmath: T[j] = 2^(j/128) rounded to nearest,
 * TAIL[j] = (2^(j/128) − T[j]) / T[j] rounded to nearest.
 */

const SHIFT = 6755399441055744; // 1.5·2^52: (v + SHIFT) − SHIFT rounds v to an integer (|v| < 2^51)
const INV_LN2_N = 184.6649652337873; // N/ln2, N = 128 table entries
const LN2_HI_N = 0.005415212348452769; // ln2/N, 29 significant bits: k·LN2_HI_N is exact for |k| < 2^24
const LN2_LO_N = -3.2819649005320973e-13; // ln2/N − LN2_HI_N
const C2 = 0.5;
const C3 = 0.16666666666666666;
const C4 = 0.041666666666666664;
const C5 = 0.008333333333333333;

/** T[j] = 2^(j/128) rounded to nearest. */
const T = new Float64Array([
  1.0, 1.0054299011128027, 1.0108892860517005, 1.016378314910953,
  1.0218971486541166, 1.0274459491187637, 1.0330248790212284, 1.0386341019613787,
  1.0442737824274138, 1.0499440858006872, 1.0556451783605572, 1.061377227289262,
  1.0671404006768237, 1.0729348675259756, 1.0787607977571199, 1.0846183622133092,
  1.0905077326652577, 1.0964290818163769, 1.102382583307841, 1.1083684117236787,
  1.1143867425958924, 1.1204377524096067, 1.1265216186082418, 1.1326385195987192,
  1.1387886347566916, 1.1449721444318042, 1.1511892299529827, 1.1574400736337511,
  1.1637248587775775, 1.1700437696832502, 1.1763969916502812, 1.182784710984341,
  1.189207115002721, 1.1956643920398273, 1.202156731452703, 1.2086843236265816,
  1.215247359980469, 1.2218460329727576, 1.22848053610687, 1.2351510639369334,
  1.241857812073484, 1.2486009771892048, 1.255380757024691, 1.2621973503942507,
  1.2690509571917332, 1.275941778396392, 1.2828700160787783, 1.2898358734066657,
  1.2968395546510096, 1.3038812651919358, 1.3109612115247644, 1.318079601266064,
  1.3252366431597413, 1.3324325470831615, 1.339667524053303, 1.3469417862329458,
  1.3542555469368927, 1.3616090206382248, 1.3690024229745905, 1.3764359707545302,
  1.383909881963832, 1.3914243757719262, 1.3989796725383112, 1.4065759938190154,
  1.4142135623730951, 1.4218926021691656, 1.42961333839197, 1.4373759974489824,
  1.4451808069770467, 1.4530279958490526, 1.460917794180647, 1.4688504333369818,
  1.4768261459394993, 1.4848451658727524, 1.4929077282912648, 1.5010140696264256,
  1.5091644275934228, 1.5173590411982147, 1.5255981507445384, 1.533881997840956,
  1.5422108254079407, 1.550584877685, 1.559004400237837, 1.567469639965553,
  1.5759808451078865, 1.5845382652524937, 1.593142151342267, 1.6017927556826934,
  1.6104903319492543, 1.6192351351948637, 1.6280274218573478, 1.6368674497669644,
  1.645755478153965, 1.6546917676561943, 1.6636765803267364, 1.6727101796415966,
  1.681792830507429, 1.6909247992693053, 1.7001063537185235, 1.709337763100463,
  1.718619298122478, 1.7279512309618377, 1.7373338352737062, 1.746767386199169,
  1.7562521603732995, 1.7657884359332727, 1.7753764925265212, 1.785016611318935,
  1.7947090750031072, 1.804454167806624, 1.8142521755003989, 1.8241033854070534,
  1.8340080864093424, 1.843966568958626, 1.8539791250833855, 1.864046048397789,
  1.8741676341103, 1.8843441790323345, 1.8945759815869656, 1.9048633418176741,
  1.9152065613971474, 1.925605943636125, 1.9360617934922943, 1.9465744175792332,
  1.9571441241754002, 1.9677712232331759, 1.978456026387951, 1.9891988469672663,]);

/** TAIL[j] = (2^(j/128) − T[j]) / T[j]: the relative rounding error of T[j]. */
const TAIL = new Float64Array([
  0.0, 9.447885451727066e-17, -1.507066976926039e-17, -5.679155082825012e-17,
  4.9997448722726326e-17, -4.823683599994895e-17, 7.357846871247418e-18, 5.773230223741951e-17,
  8.189317638195515e-17, 5.326891139980878e-17, 1.6665881442326747e-18, -1.128113245461828e-17,
  -7.402825309426177e-17, -3.578659767309563e-18, -6.170654745608695e-17, 2.919139999949279e-17,
  -2.7939114859515733e-17, -5.399285355184285e-17, 4.776959425256223e-17, -7.927701432338473e-17,
  9.341710609905046e-17, -5.534520675707472e-17, 4.585670326662351e-17, 2.8582430411116143e-17,
  7.826573258636076e-17, 4.053626906769216e-17, 2.823784425951061e-17, -7.882802262487991e-17,
  3.2904726646008416e-17, -1.5792094703347882e-18, 4.721368121170128e-17, 1.3045277096919659e-17,
  3.3484623336251524e-17, 3.8611199774925664e-17, 5.527550048505249e-17, -3.927184172445234e-17,
  -6.346552106729483e-17, -8.684417614865944e-17, -1.5456342819397733e-17, -8.70763476495455e-17,
  3.750854201303127e-17, -6.616854503526488e-17, -5.346099009198751e-18, -2.443726321015018e-17,
  2.1023049675215714e-18, 7.771067937501065e-17, 1.3357510088834541e-17, 6.938291696959204e-17,
  1.9572585293112036e-17, 6.632256961675804e-17, -5.478069123926778e-17, -4.140839310392624e-17,
  -2.1571477251208752e-17, -3.8287766552120535e-17, 6.663804589232195e-17, 2.3936187400285282e-17,
  5.68648095791174e-17, 1.1264523354521684e-18, 7.007875046906994e-17, -5.0119214278381254e-17,
  -4.8923067513522756e-17, -3.5260089953269434e-17, -6.872303720902018e-17, 5.001446664133532e-18,
  -6.835808657661922e-17, -1.1307344092910212e-17, -8.416011634717156e-18, -2.9247977035436566e-17,
  -2.092304381843353e-17, -3.9778645875427124e-17, -3.833464968654295e-17, 5.763611164480894e-17,
  -2.3591094770850053e-17, 7.260074661098575e-17, 9.50689710108796e-18, -4.272956133839906e-17,
  -6.735219232374683e-17, -2.8396044410430936e-17, -7.226635472101257e-17, 5.786121003395918e-17,
  5.1548301170786783e-17, -9.416257568878152e-18, 2.4253985766689806e-17, -6.604314051707707e-17,
  -6.432131775424189e-18, -1.2204007601863921e-17, -6.336161863401293e-17, -3.7800879246373815e-17,
  1.5341410053603723e-17, 1.2932855580427452e-17, -4.123367330661149e-17, 4.703083974463456e-17,
  -6.152602891550265e-17, 5.827849326195279e-17, 3.540948262646183e-17, -3.2741571320938764e-17,
  4.875160526227062e-17, -5.718569790077838e-17, -4.719539664590972e-18, -5.773451958805706e-17,
  -1.0772487078934056e-17, -6.221808618533911e-17, 1.821405440362259e-17, -6.155536546227639e-17,
  1.685487290628973e-17, 5.3581249177694816e-17, 3.621615935336894e-17, 8.588379527574144e-18,
  1.01562190116415e-17, -2.869134889187244e-17, -5.495118966122005e-17, -5.56965572431627e-17,
  1.790126907604513e-17, -3.2211766346200164e-17, 5.265370768556274e-17, 3.5089866402403033e-17,
  -3.266924100901318e-17, -4.3657593008079375e-17, 1.7963932659833022e-17, 3.4300925275214166e-17,
  -5.545065618639427e-17, -5.149009745457733e-17, 5.336805878514151e-17, 3.498978661192973e-17,
  4.5784915277060095e-17, -5.241934575393899e-17, 2.0414278897578303e-17, 4.124842848606488e-18,]);

/** T then TAIL, one after the other: what the SIMD activations read (tools/wasm/generate.ts). */
export const EXP_TABLES = new Float64Array([...T, ...TAIL]);

/** P2[e + P2_OFF] = 2^e exactly, for the normal exponents −1022 ≤ e ≤ 1023. */
const P2_OFF = 1022;
const P2 = new Float64Array(2046);
{
  let p = 1;
  for (let e = 0; e <= 1023; e++, p *= 2) P2[e + P2_OFF] = p;
  p = 1;
  for (let e = 0; e >= -1022; e--, p /= 2) P2[e + P2_OFF] = p;
}
const TWO_M1022 = 2.2250738585072014e-308; // 2^−1022

/**
 * The kernel, no checks: e^x for −704 < x < 708, where 2^(k>>7), s = T[j]·2^(k>>7) (exact), s·tmp
 * and the result are all normal; the result rounds once, plus ~0.01 ulp from the rest.
 */
function expCore(x: number): number {
  const kd = x * INV_LN2_N + SHIFT - SHIFT;
  const k = kd | 0;
  const r = x - kd * LN2_HI_N - kd * LN2_LO_N;
  const j = k & 127;
  const s = T[j] * P2[(k >> 7) + P2_OFF];
  const r2 = r * r;
  return s + s * (TAIL[j] + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5));
}

/** e^x, < 0.51 ulp from the correctly rounded value; exp(NaN) = NaN, exp(−∞) = 0, exp(∞) = ∞. */
export function exp(x: number): number {
  // Below −704, s·tmp could be subnormal (an absolute error that is no longer negligible).
  if (x < 708 && x > -704) return expCore(x);
  return expEdge(x);
}

/** exp outside (−704, 708), and NaN: overflow to ∞, underflow through the subnormals to 0. */
function expEdge(x: number): number {
  if (x !== x) return x;
  if (x > 709.8) return Infinity; // e^709.8 > MAX_VALUE + ulp/2
  if (x < -745.2) return 0; // e^−745.2 < 2^−1075
  const kd = x * INV_LN2_N + SHIFT - SHIFT;
  const k = kd | 0;
  const r = x - kd * LN2_HI_N - kd * LN2_LO_N;
  const j = k & 127;
  const r2 = r * r;
  const tmp = TAIL[j] + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5);
  if (k > 0) {
    // 2^(k>>7) may be 2^1024: scale by half of it, then double (overflowing to ∞ if it must).
    const s = T[j] * P2[(k >> 7) - 1 + P2_OFF];
    return (s + s * tmp) * 2;
  }
  // k ≤ 0: compute y = e^x·2^1022, to be scaled back by 2^−1022. If the result is subnormal
  // (y < 1), first round y once, onto the multiples of 2^−52 that survive that scaling, by
  // adding 1 to its compensated value: no double rounding (ARM optimized-routines' trick).
  const s = T[j] * P2[(k >> 7) + 1022 + P2_OFF];
  const st = s * tmp;
  let y = s + st;
  if (y < 1) {
    const lo = s - y + st;
    const hi = 1 + y;
    y = hi + (1 - hi + y + lo) - 1;
  }
  return y * TWO_M1022;
}

const SIG_LIM = 704; // |z| < SIG_LIM: e^−z comes from expCore

/**
 * Logistic sigmoid 1/(1 + e^−z), < 2.4 ulp; finite and NaN-free for every finite z (in [0, 1]),
 * σ(∞) = 1, σ(−∞) = 0, σ(NaN) = NaN. While e^−z is finite one formula serves both signs.
 */
export function sigmoid(z: number): number {
  if (Math.abs(z) < SIG_LIM) return 1 / (1 + expCore(-z));
  return sigmoidEdge(z);
}

/** sigmoid for |z| ≥ SIG_LIM, and NaN. */
function sigmoidEdge(z: number): number {
  if (z >= SIG_LIM) return 1; // 1/(1 + e^−z) with e^−z < 2^−1000 rounds to 1
  const e = exp(z); // z ≤ −SIG_LIM, −∞ or NaN: e^z/(1 + e^z) = e^z, down through the subnormals
  return e / (1 + e);
}

const TANH_TINY = 7.450580596923828e-9; // 2^−27: up to here tanh(x) = x − x³/3 + … rounds to x
const TANH_ONE = 22; // above ~19.06, tanh(x) rounds to 1

/** The constants above, for the SIMD activations (tools/wasm/generate.ts), which must use the very same doubles. */
export const FASTMATH_CONSTANTS = { SHIFT, INV_LN2_N, LN2_HI_N, LN2_LO_N, C2, C3, C4, C5, SIG_LIM, TANH_TINY, TANH_ONE } as const;

/**
 * tanh(a) for TANH_TINY < a < TANH_ONE, no checks. With u = e^(−2a) = s·(1 + tmp), s exact,
 * tanh(a) = (1 − u)/(1 + u), where 1 ∓ s are formed with their rounding errors (Fast2Sum, as
 * 1 ≥ s), so each operand of the quotient is rounded once and the quotient once more.
 */
function tanhCore(a: number): number {
  const y = -2 * a;
  const kd = y * INV_LN2_N + SHIFT - SHIFT;
  const k = kd | 0;
  const r = y - kd * LN2_HI_N - kd * LN2_LO_N;
  const j = k & 127;
  const s = T[j] * P2[(k >> 7) + P2_OFF];
  const r2 = r * r;
  const st = s * (TAIL[j] + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5));
  const nh = 1 - s;
  const dh = 1 + s;
  return (nh + (1 - nh - s - st)) / (dh + (1 - dh + s + st));
}

/** Hyperbolic tangent, < 2.8 ulp; odd, tanh(±0) = ±0, tanh(±x) = ±1 exactly for |x| ≥ 19.1. */
export function tanh(x: number): number {
  const a = Math.abs(x);
  if (a < TANH_ONE && a > TANH_TINY) {
    const v = tanhCore(a);
    return x < 0 ? -v : v;
  }
  return tanhEdge(x);
}

/** tanh for |x| ≥ TANH_ONE, |x| ≤ TANH_TINY (±0 included) and NaN. */
function tanhEdge(x: number): number {
  if (x >= TANH_ONE) return 1;
  if (x <= -TANH_ONE) return -1;
  return x;
}

// The in-place loops make two passes: the first handles the common range inline and only notes
// that an entry lies outside it (keeping that loop free of calls, which V8 otherwise compiles
// into slower code); the second, run only then, finishes those entries. Results of the first
// pass are left alone by the second (σ ∈ [0, 1]; |tanh| ≤ 1, and tanhEdge(v) = v for tiny v).

/** In place: Z[k] = sigmoid(Z[k]) for off ≤ k < off + n. */
export function sigmoidInPlace(Z: Float64Array, off: number, n: number): void {
  const end = off + n;
  let rest = false;
  for (let k = off; k < end; k++) {
    const z = Z[k];
    if (Math.abs(z) < SIG_LIM) Z[k] = 1 / (1 + expCore(-z));
    else rest = true;
  }
  if (rest) sigmoidRest(Z, off, n);
}

/** sigmoidInPlace's second pass: the entries its first pass leaves (|z| ≥ SIG_LIM, NaN). */
export function sigmoidRest(Z: Float64Array, off: number, n: number): void {
  for (let k = off; k < off + n; k++) {
    const z = Z[k];
    if (!(Math.abs(z) < SIG_LIM)) Z[k] = sigmoidEdge(z);
  }
}

/** In place: Z[k] = tanh(Z[k]) for off ≤ k < off + n. */
export function tanhInPlace(Z: Float64Array, off: number, n: number): void {
  const end = off + n;
  let rest = false;
  for (let k = off; k < end; k++) {
    const x = Z[k];
    const a = Math.abs(x);
    if (a < TANH_ONE && a > TANH_TINY) {
      const v = tanhCore(a);
      Z[k] = x < 0 ? -v : v;
    } else rest = true;
  }
  if (rest) tanhRest(Z, off, n);
}

/** tanhInPlace's second pass: the entries its first pass leaves (|x| ≥ TANH_ONE, |x| ≤ TANH_TINY, NaN). */
export function tanhRest(Z: Float64Array, off: number, n: number): void {
  for (let k = off; k < off + n; k++) {
    const x = Z[k];
    const a = Math.abs(x);
    if (!(a < TANH_ONE && a > TANH_TINY)) Z[k] = tanhEdge(x);
  }
}
