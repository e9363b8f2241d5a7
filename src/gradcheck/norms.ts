/**
 * Sums of squares (norms, the relative error, the noise model's sizes) that neither overflow
 * nor underflow at any magnitude where the values themselves are finite: the plain Σx² where
 * it is exact to rounding, else the same sum over the values scaled by a power of two S chosen
 * from the largest of them (LAPACK's dnrm2 scales them too, Blue's / Anderson's algorithm).
 *
 * Invariant: scaling by a power of two is exact, and rounding commutes with it while every
 * result stays normal (0, or ≥ 2^-1022 and finite). So the scaled sum is the plain one's very
 * bits ×S² wherever the plain one neither overflowed nor rounded a square into the subnormal
 * range: ordinary values keep every bit, and values ×2^k give the same relative error.
 */

/**
 * Whether a plain Σx² over n terms can be trusted: finite (no term and no partial sum
 * overflowed; NaN is not) and at least n·2^-969, so that what the squares lost to underflow,
 * under 2^-1075 each, is under 2^-106 of it. Zero is not: it may be all underflow.
 */
export function plainOk(ss: number, n: number): boolean {
  return ss < Infinity && ss >= n * 2 ** -969;
}

/** A power of two S with max·S near [1, 2): max·S·√n cannot overflow, nor max·S underflow. */
export function scaleFor(max: number): number {
  if (!(max > 0 && max < Infinity)) return 1;
  return 2 ** -Math.max(-1023, Math.min(1023, Math.floor(Math.log2(max))));
}

/** Σ(x·S)² over what `each` visits (it is called twice), with S = scaleFor(max |x|): Σx² = ss / S². */
export function scaledSquares(each: (visit: (x: number) => void) => void): { ss: number; scale: number } {
  let max = 0;
  each((x) => {
    const a = Math.abs(x);
    if (a > max) max = a;
  });
  const scale = scaleFor(max);
  let ss = 0;
  each((x) => {
    const y = x * scale;
    ss += y * y;
  });
  return { ss, scale };
}

/** √Σx² over what `each` visits, as scaledSquares() keeps it: the plain √Σx²'s bits wherever that one is exact. */
export function scaledNorm(each: (visit: (x: number) => void) => void): number {
  const { ss, scale } = scaledSquares(each);
  return Math.sqrt(ss) / scale;
}

/** |x − y| ≤ tol·(|x| + |y|), also where |x| + |y| overflows (then halved, exactly); never for a non-finite value. */
export function withinTol(x: number, y: number, tol: number): boolean {
  const s = Math.abs(x) + Math.abs(y);
  if (s < Infinity) return Math.abs(x - y) <= tol * s;
  if (!(Number.isFinite(x) && Number.isFinite(y))) return false;
  return Math.abs(x / 2 - y / 2) <= tol * (Math.abs(x / 2) + Math.abs(y / 2));
}

/** The five-point estimate (4c(h) − c(2h))/3 from centred differences at h and 2h; where 4c(h) overflows, at an eighth of the size. */
export function fivePoint(c1: number, c2: number): number {
  const p = (4 * c1 - c2) / 3;
  if (Math.abs(p) < Infinity || !(Number.isFinite(c1) && Number.isFinite(c2))) return p;
  return ((4 * (c1 / 8) - c2 / 8) / 3) * 8;
}
