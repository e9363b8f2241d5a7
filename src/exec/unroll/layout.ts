/**
 * The unroller's memory layout: T_x time-major step blocks of (rows, m), each in the layout of
 * the batch's column groups (src/exec/unroll/index.ts), and the conversions from and to the public
 * (rows, m, T_x) C-order arrays.
 */
import { transposeBlock } from '../elementwise';

/**
 * Where each entry of a (rows, m) matrix lies in the groups' layout: entry (i, j) at
 * base[j] + i·stride[j].
 */
export function placement(m: number, rows: number, widths: readonly number[]): { base: Int32Array; stride: Int32Array } {
  const base = new Int32Array(m), stride = new Int32Array(m);
  let j0 = 0;
  for (const w of widths) {
    for (let j = j0; j < j0 + w; j++) {
      base[j] = rows * j0 + (j - j0);
      stride[j] = w;
    }
    j0 += w;
  }
  return { base, stride };
}

/**
 * Where entry r = i·m + j of a (rows, m) matrix lies in a step block in the layout of the
 * column groups `widths` (r itself with one group).
 */
function stepIndex(rows: number, m: number, widths: readonly number[]): Int32Array {
  const { base, stride } = placement(m, rows, widths);
  const q = new Int32Array(rows * m);
  for (let i = 0, r = 0; i < rows; i++) for (let j = 0; j < m; j++, r++) q[r] = base[j] + i * stride[j];
  return q;
}

/**
 * Entries per tile of the conversions to and from time-major: each reads (or writes) TILE
 * rows of the (rows·m, T) array at once, so that a step block is written (or read) TILE
 * neighbours at a time instead of one entry per step 16 KiB apart (big nets; figures in
 * bench/README.md, "Thresholds in the code").
 */
const TILE = 32;

/**
 * A (rows, m, T_x) C-order array, time-major: T_x blocks of (rows, m) in one buffer (new, or
 * `buf`, every value of which is written), each in the layout of the column groups `widths`.
 */
export function toTimeMajor(
  src: Float64Array, rows: number, m: number, T: number, widths: readonly number[] = [m], buf: Float64Array = new Float64Array(rows * m * T),
): Float64Array {
  const block = rows * m;
  const q = widths.length > 1 ? stepIndex(rows, m, widths) : undefined;
  for (let r0 = 0; r0 < block; r0 += TILE) {
    const r1 = Math.min(block, r0 + TILE);
    for (let t = 0; t < T; t++) {
      const o = t * block;
      if (q) for (let r = r0; r < r1; r++) buf[o + q[r]] = src[r * T + t];
      else for (let r = r0; r < r1; r++) buf[o + r] = src[r * T + t];
    }
  }
  return buf;
}

/** Split a (rows, m, T_x) C-order array into T_x views of (rows, m) on one new buffer. */
export function toSteps(src: Float64Array, rows: number, m: number, T: number, widths: readonly number[] = [m]): Float64Array[] {
  return views(toTimeMajor(src, rows, m, T, widths), rows * m, T);
}

/** Join T_x (rows, m) blocks (in the layout of `widths`) back into a (rows, m, T_x) C-order array. */
export function fromSteps(blocks: readonly Float64Array[], rows: number, m: number, widths: readonly number[] = [m]): Float64Array {
  const T = blocks.length, block = rows * m;
  const q = widths.length > 1 ? stepIndex(rows, m, widths) : undefined;
  const out = new Float64Array(block * T);
  for (let r0 = 0; r0 < block; r0 += TILE) {
    const r1 = Math.min(block, r0 + TILE);
    for (let t = 0; t < T; t++) {
      const b = blocks[t];
      if (q) for (let r = r0; r < r1; r++) out[r * T + t] = b[q[r]];
      else for (let r = r0; r < r1; r++) out[r * T + t] = b[r];
    }
  }
  return out;
}

/** A (rows, m) matrix from or into the layout of `widths` (into `dst`). */
export function regroup(dst: Float64Array, src: Float64Array, rows: number, m: number, widths: readonly number[], into: boolean): void {
  const { base, stride } = placement(m, rows, widths);
  for (let i = 0, r = 0; i < rows; i++) {
    for (let j = 0; j < m; j++, r++) {
      if (into) dst[base[j] + i * stride[j]] = src[r];
      else dst[r] = src[base[j] + i * stride[j]];
    }
  }
}

/** `count` views of `block` values each, one after another in `buf`. */
export function views(buf: Float64Array, block: number, count: number): Float64Array[] {
  const out: Float64Array[] = new Array(count);
  for (let t = 0; t < count; t++) out[t] = buf.subarray(t * block, (t + 1) * block);
  return out;
}

/**
 * Group g's views of a time-major buffer of T_x step blocks of `rows` rows: its
 * (rows, width) matrix in each step, or `count` of them from step `from` on.
 */
export function groupViews(buf: Float64Array, rows: number, m: number, j0: number, w: number, from = 0, count = buf.length / (rows * m) - from): Float64Array[] {
  const out: Float64Array[] = new Array(count);
  for (let t = 0; t < count; t++) {
    const at = (from + t) * rows * m + rows * j0;
    out[t] = buf.subarray(at, at + rows * w);
  }
  return out;
}

/**
 * Columns j0 … j0+w−1 of T time-major (rows, m) step blocks (in the groups' layout, those
 * columns a group's (rows, w) matrix in each) and of a (rows, m, T) C-order array: into the
 * C-order array (`out`: fromSteps for one group, its dx) or from it (toTimeMajor for one group,
 * its x), which a group's job does on its own thread, while the data is in its core's cache.
 */
export function groupColumns(steps: Float64Array, rows: number, m: number, T: number, j0: number, w: number, pub: Float64Array, out: boolean): void {
  const block = rows * m;
  for (let i = 0; i < rows; i++) {
    // row i's columns: in the steps a (T, w) matrix from (i, j0) of step 0, rows a step block
    // apart; in `pub` a (w, T) matrix from row i·m + j0
    const q = rows * j0 + i * w, r = (i * m + j0) * T;
    if (out) transposeBlock(pub, r, T, steps, q, block, T, w);
    else transposeBlock(steps, q, block, pub, r, T, w, T);
  }
}

/**
 * Zeroes columns j0 … j0+w−1 of T time-major (rows, m) step blocks in the groups' layout (in
 * each, that group's contiguous (rows, w) matrix): a group's job clears its own share of a
 * buffer it then accumulates into, on its own thread and just before use.
 */
export function zeroColumns(buf: Float64Array, rows: number, m: number, T: number, j0: number, w: number): void {
  for (let t = 0, at = rows * j0; t < T; t++, at += rows * m) buf.fill(0, at, at + rows * w);
}
