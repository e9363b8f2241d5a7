/**
 * Float64Array kernels the cells are written with. Matrices are row-major with the batch
 * (m) as the fast axis: a (rows, m) matrix M has M(i, j) = M[i * m + j].
 *
 * Weight matrices are addressed as a column block of a row-major matrix, so that
 * W·[a_prev; x] is computed as W[:, :n_a]·a_prev + W[:, n_a:]·x without building the
 * concatenation: `W` with leading dimension `ldw` (its row length) and first column `k0`.
 *
 * Nothing here allocates; every kernel accumulates into or overwrites a caller's buffer.
 */
import { attachedKernels, KERNEL_THREADS_OFF, sharedKernels, THREAD_MIN_WORK, wasmKernels, type Kernels } from './wasm/kernels';

/*
 * The products. Each exists twice with identical results: on the WebAssembly SIMD kernel
 * (src/exec/wasm/kernels.ts, ~4–8× faster) and in plain TypeScript (the *Ts functions below: the
 * fallback where WebAssembly SIMD is missing, and the oracle the SIMD kernel is tested
 * against). RNN_NO_SIMD=1 forces the TypeScript ones; small products use them anyway.
 *
 * The SIMD kernel runs on one of two memories: a private one, and one shared with a helper
 * thread that computes part of every product of THREAD_MIN_WORK+ multiply-adds (copies into
 * shared memory are ~2.5× slower, so smaller work stays private). RNN_KERNEL_THREADS=1: no helper.
 */
const NO_SIMD = process.env.RNN_NO_SIMD === '1';
// Both instantiated on first use (~0.5 and ~1 ms): a course-size run never needs them.
let simd: Kernels | undefined | null = null;
let pooled: Kernels | undefined | null = null;
const privateKernels = (): Kernels | undefined => (simd === null ? (simd = NO_SIMD ? undefined : wasmKernels()) : simd);
const sharedOnes = (): Kernels | undefined =>
  (pooled === null ? (pooled = NO_SIMD || KERNEL_THREADS_OFF ? undefined : sharedKernels()) : pooled);
/** A group worker's kernels on the main thread's arena (src/exec/group-worker.ts), once attached. */
let attached: Kernels | undefined;

/**
 * The arena (src/exec/wasm/kernels.ts): the shared kernels' memory, whose blocks the products use
 * in place. src/exec/pool.ts takes shared buffers there; undefined without SIMD or threads.
 */
export function kernelArena(): Kernels | undefined {
  const k = sharedOnes();
  if (k) arenaUsed = true;
  return k;
}
let arenaUsed = false;

/** The arena if anything has asked for it yet, without making one (src/exec/pool.ts: is this buffer an arena block?). */
export const arenaInUse = (): Kernels | undefined => (arenaUsed ? kernelArena() : undefined);

/**
 * Group workers: run products whose operands all lie in `memory` (the main thread's arena)
 * in place on it; returns the kernels attached to it (undefined without SIMD).
 */
export function attachArena(memory: unknown): Kernels | undefined {
  if (!NO_SIMD) attached ??= attachedKernels(memory);
  return attached;
}
/**
 * Products smaller than this many multiply-adds stay in TypeScript: at course size (≤ ~1000
 * per product) the copies in and out of WebAssembly memory cost about what SIMD saves.
 */
export const SIMD_MIN_WORK = 4096;
/** From this many multiply-adds on, products run on the memory shared with the helper thread. */
export const SHARED_MIN_WORK = THREAD_MIN_WORK;

/**
 * Where a product runs: where its output is resident, else where an input is, else by size
 * (undefined: TypeScript). `work`: multiply-adds of one item of a batch; `total`: of all of
 * them. A resident output must only ever be written where it lives.
 */
function pick(work: number, total: number, out: Float64Array, x: Float64Array, y: Float64Array): Kernels | undefined {
  // (a group worker: in place on the main thread's arena when every operand lies there)
  if (attached?.isArena(out) && attached.isArena(x) && attached.isArena(y)) return attached;
  if (pooled?.holds(out)) return pooled;
  if (simd?.holds(out)) return simd;
  if (pooled && (pooled.holds(x) || pooled.holds(y))) return pooled;
  if (simd && (simd.holds(x) || simd.holds(y))) return simd;
  if (work < SIMD_MIN_WORK) return undefined;
  return (total >= SHARED_MIN_WORK ? sharedOnes() : undefined) ?? privateKernels();
}

/*
 * Packed weights. A product given `packs` whose A is one of the listed weight blocks —
 * W[:, k0:k0+kn] of `rows` rows for mulAdd and mulBias, its transpose for mulTAdd (`trans`) —
 * runs on the panels P the caller packed it into (src/exec/wasm/kernels.ts packPanels: the gemm's
 * tiles then walk one pointer per 4 rows, not four; 1.1–1.25× on the recurrent products)
 * instead of on W. Same sums in the same order: the same bits. P is an arena block; its product
 * runs on the instance that owns that memory (or, in a group worker, is attached to it) and
 * otherwise, or without SIMD, the product runs on W as usual. The caller keeps P equal to W's
 * block while it passes it (src/exec/unroll/packs.ts packs a pass's weights at its start).
 */
export interface Packing {
  /** The weight matrix, by identity, its first column and the block's size. */
  readonly W: Float64Array;
  readonly k0: number;
  readonly kn: number;
  readonly rows: number;
  /** Packed as mulTAdd reads the block (Wᵀ: kn rows of `rows`), not as mulAdd and mulBias do. */
  readonly trans: boolean;
  readonly P: Float64Array;
}
/** Products this thread ran on packed panels (tests, bench). */
let packedProducts = 0;
export const packedStats = (): { products: number } => ({ products: packedProducts });
const NO_PACKS: readonly Packing[] = [];

/**
 * Runs C (+)= A·B on W's packed block if `packings` lists it (A = W[:, k0:k0+kn], or its
 * transpose for mulTAdd: `trans`) and its panels' instance can take C and B; false otherwise,
 * for the caller to run the product on W. With a bias b, mulBias's C = b + A·B.
 */
function packedProduct(
  packings: readonly Packing[], W: Float64Array, k0: number, kn: number, rows: number, trans: boolean, C: Float64Array, B: Float64Array, m: number,
  cOff: number, bOff: number, nb: number, cStep: number, bStep: number, b?: Float64Array,
): boolean {
  for (const e of packings) {
    if (e.W !== W || e.k0 !== k0 || e.kn !== kn || e.rows !== rows || e.trans !== trans) continue;
    const k = attached?.isArena(e.P) ? (attached.isArena(C) && attached.isArena(B) ? attached : undefined) : pooled?.isArena(e.P) ? pooled : undefined;
    if (!k) return false;
    packedProducts++;
    if (trans) k.packed(C, e.P, kn, rows, B, m, cOff, bOff, nb, cStep, bStep);
    else k.packed(C, e.P, rows, kn, B, m, cOff, bOff, nb, cStep, bStep, b);
    return true;
  }
  return false;
}

/*
 * Batches. Each product takes an optional batch of `nb` items whose operands sit at fixed
 * strides (in elements) from the first item's: the time steps of a sequence, whose blocks
 * lie one after another in one buffer. A batch means exactly the loop of its items in order —
 * same sums, same bits — but runs as one job: on big nets a product over all T_x steps at
 * once, which the kernels split between two threads with far less hand-over per
 * multiply-add than T_x products of one step each (src/exec/unroll/ hoists those out of BPTT).
 */

/**
 * C (rows, m) += W[:, k0:k0+kn] · B (kn, m); C and B may start at offsets cOff and bOff.
 * Batch: item u is C at cOff + u·cStep times B at bOff + u·bStep.
 */
export function mulAdd(
  C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number,
  B: Float64Array, m: number, cOff = 0, bOff = 0, nb = 1, cStep = 0, bStep = 0, packs = NO_PACKS,
): void {
  if (packs.length > 0 && packedProduct(packs, W, k0, kn, rows, false, C, B, m, cOff, bOff, nb, cStep, bStep)) return;
  const k = pick(rows * kn * m, nb * rows * kn * m, C, W, B);
  if (k) k.mulAdd(C, W, ldw, k0, rows, kn, B, m, cOff, bOff, nb, cStep, bStep);
  else for (let u = 0; u < nb; u++) mulAddTs(C, W, ldw, k0, rows, kn, B, m, cOff + u * cStep, bOff + u * bStep);
}

/**
 * C (rows, m) = b (rows, 1) + W[:, k0:k0+kn] · B (kn, m): fillBias then mulAdd, bit for bit, with
 * C only written (the SIMD kernel then neither reads it nor copies it in). Batch as mulAdd.
 */
export function mulBias(
  C: Float64Array, b: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number,
  B: Float64Array, m: number, cOff = 0, bOff = 0, nb = 1, cStep = 0, bStep = 0, packs = NO_PACKS,
): void {
  if (packs.length > 0 && packedProduct(packs, W, k0, kn, rows, false, C, B, m, cOff, bOff, nb, cStep, bStep, b)) return;
  const k = pick(rows * kn * m, nb * rows * kn * m, C, W, B);
  if (k) return k.mulBias(C, b, W, ldw, k0, rows, kn, B, m, cOff, bOff, nb, cStep, bStep);
  for (let u = 0; u < nb; u++) {
    fillBias(C, b, rows, m, cOff + u * cStep);
    mulAddTs(C, W, ldw, k0, rows, kn, B, m, cOff + u * cStep, bOff + u * bStep);
  }
}

/**
 * C (kn, m) += W[:, k0:k0+kn]ᵀ · D (rows, m); C and D may start at offsets cOff, dOff.
 * Batch: item u is C at cOff + u·cStep from D at dOff + u·dStep.
 */
export function mulTAdd(
  C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number,
  D: Float64Array, m: number, cOff = 0, dOff = 0, nb = 1, cStep = 0, dStep = 0, packs = NO_PACKS,
): void {
  if (packs.length > 0 && packedProduct(packs, W, k0, kn, rows, true, C, D, m, cOff, dOff, nb, cStep, dStep)) return;
  const k = pick(rows * kn * m, nb * rows * kn * m, C, W, D);
  if (k) k.mulTAdd(C, W, ldw, k0, rows, kn, D, m, cOff, dOff, nb, cStep, dStep);
  else for (let u = 0; u < nb; u++) mulTAddTs(C, W, ldw, k0, rows, kn, D, m, cOff + u * cStep, dOff + u * dStep);
}

/**
 * B's items transposed once (`transposeItems`) for several outerAdds on that B (src/exec/unroll/pass.ts:
 * a⟨t⟩ feeds both a recurrent weight's gradient and the head's): the items of `of` from
 * element `from`, `step` apart, laid out in T as the SIMD outerAdd lays out its B operand.
 */
export interface TransposedItems {
  readonly T: Float64Array;
  readonly of: Float64Array;
  readonly from: number;
  readonly nb: number;
  readonly step: number;
  readonly kn: number;
  readonly m: number;
  readonly w: number;
  readonly group: number;
}

/**
 * Fills T, an arena block of nb·kn·m values, with B's items transposed (column groups of w,
 * `bGroup` apart, as in outerAdd); undefined where T is not an arena block (no SIMD arena).
 */
export function transposeItems(T: Float64Array, B: Float64Array, kn: number, m: number, bOff = 0, nb = 1, bStep = 0, w = m, bGroup = 0): TransposedItems | undefined {
  const k = arenaInUse();
  if (!k?.isArena(T)) return undefined;
  k.transposeItems(T, B, kn, m, bOff, nb, bStep, w, bGroup);
  return { T, of: B, from: bOff, nb, step: bStep, kn, m, w, group: bGroup };
}

/** Where this outerAdd's items start in bt.T (elements), or −1 if bt does not hold them. */
function transposedAt(bt: TransposedItems, B: Float64Array, kn: number, m: number, bOff: number, nb: number, bStep: number, w: number, bGroup: number): number {
  if (bt.of !== B || bt.kn !== kn || bt.m !== m || bt.w !== w || bt.group !== bGroup || (nb > 1 && bt.step !== bStep)) return -1;
  const first = bOff === bt.from ? 0 : (bOff - bt.from) / bt.step;
  return Number.isInteger(first) && first >= 0 && first + nb <= bt.nb ? first * kn * m : -1;
}

/**
 * G[:, k0:k0+kn] += D (rows, m) · B (kn, m)ᵀ (leading dimension ldg); offsets dOff, bOff.
 * Batch: every item adds into the same G — G += Σ_u D_u B_uᵀ, item by item, with D_u at
 * dOff + u·dStep and B_u at bOff + u·bStep (a weight's gradient summed over time).
 *
 * Column groups (src/exec/unroll/): with w < m, D's and B's m columns come as m/w groups of w,
 * group q a (rows, w) block of D at q·dGroup and a (kn, w) block of B at q·bGroup. Each sum
 * over the m columns still runs in column order, so the bits are those of the plain matrices.
 * bt: B's items already transposed (`transposeItems`), which the SIMD kernel then takes
 * instead of transposing them itself — where bt holds exactly this call's items of this B.
 */
export function outerAdd(
  G: Float64Array, ldg: number, k0: number, D: Float64Array, rows: number,
  B: Float64Array, kn: number, m: number, dOff = 0, bOff = 0, nb = 1, dStep = 0, bStep = 0,
  w = m, dGroup = 0, bGroup = 0, bt?: TransposedItems,
): void {
  const k = pick(rows * kn * m, nb * rows * kn * m, G, D, B);
  const at = k && bt ? transposedAt(bt, B, kn, m, bOff, nb, bStep, w, bGroup) : -1;
  if (k) k.outerAdd(G, ldg, k0, D, rows, B, kn, m, dOff, bOff, nb, dStep, bStep, w, dGroup, bGroup, at >= 0 ? bt!.T : undefined, at);
  else for (let u = 0; u < nb; u++) outerAddTs(G, ldg, k0, D, rows, B, kn, m, dOff + u * dStep, bOff + u * bStep, w, dGroup, bGroup);
}

/**
 * Runs `body` with `inputs` and `outputs` resident in a SIMD kernel's memory, copied in once
 * instead of once per product (src/exec/wasm/kernels.ts); outputs are copied back at the end.
 * Only for big work (`work`: multiply-adds of a typical product inside, ≥ SHARED_MIN_WORK),
 * whose products run on the shared memory: there copies are slow and the operands big. On
 * medium nets (measured) the scopes cost more than the copies they save; below, and without
 * SIMD, it just runs `body`. `operands` lists what to keep. Inside, JS code must not write
 * the inputs nor touch the outputs: only the products may.
 */
export function resident<T>(work: number, operands: () => Residents, body: () => T): T {
  const k = work < SHARED_MIN_WORK ? undefined : sharedOnes() ?? privateKernels();
  if (!k) return body(); // (operands not even listed: small passes take µs)
  let { inputs, outputs = [] } = operands();
  if (attached) {
    // a group worker: arena views need no scope (nor a copy in this thread's own memory)
    inputs = inputs.filter((X) => !attached!.isArena(X));
    outputs = outputs.filter((X) => !attached!.isArena(X));
  }
  return k.resident(inputs, outputs, body);
}

/** What `resident` keeps in the kernel's memory. */
export interface Residents {
  inputs: readonly Float64Array[];
  outputs?: readonly Float64Array[];
}

/*
 * The TypeScript products are register-tiled: each pass of the inner loop produces a 4×2
 * tile of the output from 8 running sums, which keeps ~2 GMAC/s at course and medium
 * sizes (vs ~0.4 for the naive i-k-j loop; bench/README.md). Every output entry is summed
 * in the same order (k = 0 … kn−1, then added to C) whichever path computes it, so a
 * one-column problem gives bit-identical columns to the full batch.
 */

/**
 * C (rows, m) += W[:, k0:k0+kn] · B (kn, m). C and B may start at offsets cOff and bOff of
 * their buffers (a block of a bigger buffer, without a view per call).
 */
export function mulAddTs(
  C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number,
  B: Float64Array, m: number, cOff = 0, bOff = 0,
): void {
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const w0 = i * ldw + k0, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
    const c0 = cOff + i * m, c1 = c0 + m, c2 = c1 + m, c3 = c2 + m;
    let j = 0;
    for (; j + 2 <= m; j += 2) {
      let s00 = 0, s10 = 0, s20 = 0, s30 = 0, s01 = 0, s11 = 0, s21 = 0, s31 = 0;
      for (let k = 0, bk = bOff + j; k < kn; k++, bk += m) {
        const b0 = B[bk], b1 = B[bk + 1];
        const a0 = W[w0 + k], a1 = W[w1 + k], a2 = W[w2 + k], a3 = W[w3 + k];
        s00 += a0 * b0; s10 += a1 * b0; s20 += a2 * b0; s30 += a3 * b0;
        s01 += a0 * b1; s11 += a1 * b1; s21 += a2 * b1; s31 += a3 * b1;
      }
      C[c0 + j] += s00; C[c1 + j] += s10; C[c2 + j] += s20; C[c3 + j] += s30;
      C[c0 + j + 1] += s01; C[c1 + j + 1] += s11; C[c2 + j + 1] += s21; C[c3 + j + 1] += s31;
    }
    for (; j < m; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0, bk = bOff + j; k < kn; k++, bk += m) {
        const b = B[bk];
        s0 += W[w0 + k] * b; s1 += W[w1 + k] * b; s2 += W[w2 + k] * b; s3 += W[w3 + k] * b;
      }
      C[c0 + j] += s0; C[c1 + j] += s1; C[c2 + j] += s2; C[c3 + j] += s3;
    }
  }
  for (; i < rows; i++) {
    const ci = cOff + i * m, wi = i * ldw + k0;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0, bk = bOff + j; k < kn; k++, bk += m) s += W[wi + k] * B[bk];
      C[ci + j] += s;
    }
  }
}

/** C (kn, m) += W[:, k0:k0+kn]ᵀ · D (rows, m); C and D may start at offsets cOff, dOff. */
export function mulTAddTs(
  C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number,
  D: Float64Array, m: number, cOff = 0, dOff = 0,
): void {
  let k = 0;
  for (; k + 4 <= kn; k += 4) {
    const c0 = cOff + k * m, c1 = c0 + m, c2 = c1 + m, c3 = c2 + m;
    let j = 0;
    for (; j + 2 <= m; j += 2) {
      let s00 = 0, s10 = 0, s20 = 0, s30 = 0, s01 = 0, s11 = 0, s21 = 0, s31 = 0;
      for (let i = 0, wi = k0 + k, di = dOff + j; i < rows; i++, wi += ldw, di += m) {
        const d0 = D[di], d1 = D[di + 1];
        const a0 = W[wi], a1 = W[wi + 1], a2 = W[wi + 2], a3 = W[wi + 3];
        s00 += a0 * d0; s10 += a1 * d0; s20 += a2 * d0; s30 += a3 * d0;
        s01 += a0 * d1; s11 += a1 * d1; s21 += a2 * d1; s31 += a3 * d1;
      }
      C[c0 + j] += s00; C[c1 + j] += s10; C[c2 + j] += s20; C[c3 + j] += s30;
      C[c0 + j + 1] += s01; C[c1 + j + 1] += s11; C[c2 + j + 1] += s21; C[c3 + j + 1] += s31;
    }
    for (; j < m; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let i = 0, wi = k0 + k, di = dOff + j; i < rows; i++, wi += ldw, di += m) {
        const d = D[di];
        s0 += W[wi] * d; s1 += W[wi + 1] * d; s2 += W[wi + 2] * d; s3 += W[wi + 3] * d;
      }
      C[c0 + j] += s0; C[c1 + j] += s1; C[c2 + j] += s2; C[c3 + j] += s3;
    }
  }
  for (; k < kn; k++) {
    const ck = cOff + k * m;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0, wi = k0 + k, di = dOff + j; i < rows; i++, wi += ldw, di += m) s += W[wi] * D[di];
      C[ck + j] += s;
    }
  }
}

/**
 * G[:, k0:k0+kn] += D (rows, m) · B (kn, m)ᵀ, G row-major with leading dimension ldg;
 * D and B may start at offsets dOff, bOff; column groups of w as in outerAdd.
 */
export function outerAddTs(
  G: Float64Array, ldg: number, k0: number, D: Float64Array, rows: number,
  B: Float64Array, kn: number, m: number, dOff = 0, bOff = 0, w = m, dGroup = 0, bGroup = 0,
): void {
  const groups = m / w;
  let i = 0;
  for (; i + 2 <= rows; i += 2) {
    const g0 = i * ldg + k0, g1 = g0 + ldg;
    let k = 0;
    for (; k + 2 <= kn; k += 2) {
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let q = 0; q < groups; q++) {
        const d0 = dOff + q * dGroup + i * w, d1 = d0 + w;
        const b0 = bOff + q * bGroup + k * w, b1 = b0 + w;
        for (let j = 0; j < w; j++) {
          const x0 = D[d0 + j], x1 = D[d1 + j], y0 = B[b0 + j], y1 = B[b1 + j];
          s00 += x0 * y0; s01 += x0 * y1; s10 += x1 * y0; s11 += x1 * y1;
        }
      }
      G[g0 + k] += s00; G[g0 + k + 1] += s01; G[g1 + k] += s10; G[g1 + k + 1] += s11;
    }
    for (; k < kn; k++) {
      let s0 = 0, s1 = 0;
      for (let q = 0; q < groups; q++) {
        const d0 = dOff + q * dGroup + i * w, d1 = d0 + w, bk = bOff + q * bGroup + k * w;
        for (let j = 0; j < w; j++) {
          const y = B[bk + j];
          s0 += D[d0 + j] * y; s1 += D[d1 + j] * y;
        }
      }
      G[g0 + k] += s0; G[g1 + k] += s1;
    }
  }
  for (; i < rows; i++) {
    const gi = i * ldg + k0;
    for (let k = 0; k < kn; k++) {
      let s = 0;
      for (let q = 0; q < groups; q++) {
        const di = dOff + q * dGroup + i * w, bk = bOff + q * bGroup + k * w;
        for (let j = 0; j < w; j++) s += D[di + j] * B[bk + j];
      }
      G[gi + k] += s;
    }
  }
}

/** Z (rows, m) = b (rows, 1) broadcast over the batch; Z may start at offset zOff. */
export function fillBias(Z: Float64Array, b: Float64Array, rows: number, m: number, zOff = 0): void {
  for (let i = 0, k = zOff; i < rows; i++) {
    const v = b[i];
    for (let j = 0; j < m; j++, k++) Z[k] = v;
  }
}

/**
 * Activations: float64-accurate and about 2× faster than V8's Math.exp / Math.tanh, which
 * dominate small nets (src/exec/fastmath.ts: ≤ 0.51 ulp exp, ≤ 2.5 ulp sigmoid, ≤ 3 ulp tanh).
 * sigmoid is stable: finite and NaN-free for any finite z.
 */
export { sigmoid, tanh } from './fastmath';
import { formulaExport, formulaJs, parseFormula, register, type Formula } from './formulas';
import { exp, sigmoidInPlace as sigmoidTs, sigmoidRest, tanhInPlace as tanhTs, tanhRest } from './fastmath';

/** The kernels whose memory Z is a block of (the arena), if any: its activations run there, in SIMD. */
const arenaOf = (Z: Float64Array): Kernels | undefined => (attached?.isArena(Z) ? attached : pooled?.isArena(Z) ? pooled : undefined);
/** Is Z a block of this thread's arena (the main thread's, or the one a group worker is attached to)? */
export const onArena = (Z: Float64Array): boolean => arenaOf(Z) !== undefined;

/**
 * In place: Z[k] = σ(Z[k]) (tanh) for off ≤ k < off + n — fastmath's sigmoidInPlace, bit for
 * bit; on an arena block two at a time in SIMD (tools/wasm/generate.ts), fastmath finishing what
 * that leaves. Passes whose buffers are never arena blocks call fastmath's own loops (src/exec/ops.ts
 * `plainOps`): V8 inlines those into the cells' steps, which this wrapper prevents
 * (bench/README.md, "Thresholds in the code").
 */
export const sigmoidInPlace = anywhere('sigmoid', sigmoidTs, sigmoidRest);
export const tanhInPlace = anywhere('tanh', tanhTs, tanhRest);

/**
 * An activation for arena blocks too: in SIMD there (two f64x2 at a time), fastmath finishing
 * what that leaves and an odd last value; fastmath's own loop elsewhere. Bit for bit the same.
 */
function anywhere(f: 'sigmoid' | 'tanh', ts: typeof sigmoidTs, rest: typeof sigmoidRest): typeof sigmoidTs {
  return (Z, off, n) => {
    const k = n >= 2 ? arenaOf(Z) : undefined;
    if (!k) return ts(Z, off, n);
    const pairs = n >> 1;
    if (k.activation(f, Z, off, pairs)) rest(Z, off, 2 * pairs);
    if (n & 1) ts(Z, off + n - 1, 1);
  };
}

/**
 * D = Sᵀ: S (rows × cols) from sOff with rows lds apart, into D (cols × rows) from dOff with
 * rows ldd apart — in SIMD where both are arena blocks of one memory. A pure copy.
 */
export function transposeBlock(D: Float64Array, dOff: number, ldd: number, S: Float64Array, sOff: number, lds: number, rows: number, cols: number): void {
  const k = arenaOf(D);
  if (k?.isArena(S)) return k.transposeBlock(D, dOff, ldd, S, sOff, lds, rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) D[dOff + j * ldd + i] = S[sOff + i * lds + j];
}

/**
 * An element-wise loop written as a formula (src/exec/formulas.ts has the notation): `js(n, X0, o0,
 * X1, o1, …)` computes elements o_j … o_j + n − 1 of each operand X_j, the operands in the
 * formula's order (its inputs, then the outputs that are not inputs), in JavaScript.
 * `anywhere` is the same loop that, where every operand is an arena block, runs the kernel's
 * SIMD copy of the formula instead (~3.5× faster, the same bits), assembled from it by
 * tools/wasm/generate.ts. Each is made on first use.
 */
export interface Elementwise {
  readonly formula: Formula;
  readonly js: (n: number, ...operands: (Float64Array | number)[]) => void;
  readonly anywhere: (n: number, ...operands: (Float64Array | number)[]) => void;
}
/** Runs of element-wise loops on this thread's SIMD kernel (tests). */
const loopStats = { simd: 0 };
export const elementwiseStats = (): { simd: number } => ({ ...loopStats });

/**
 * The loop of a formula (src/exec/formulas.ts: `name`, 'inputs -> outputs', statements), parsed and
 * compiled on first use: a run needs a few of the thirty-odd formulas, and making them all cost
 * every start ~3 ms (bench/README.md, section 1). What it makes is what an eager make would
 * have made, so the bits are the same.
 */
class Loop implements Elementwise {
  #formula: Formula | undefined;
  #js: Elementwise['js'] | undefined;
  #anywhere: Elementwise['anywhere'] | undefined;
  constructor(private readonly text: readonly [name: string, signature: string, body: string]) {}
  get formula(): Formula {
    return (this.#formula ??= parseFormula(...this.text));
  }
  get js(): Elementwise['js'] {
    return (this.#js ??= formulaJs(this.formula));
  }
  get anywhere(): Elementwise['anywhere'] {
    return (this.#anywhere ??= anywhereLoop(this));
  }
}

/** Makes the loop of a formula, to be parsed and compiled when it first runs (Loop). */
export function elementwise(name: string, signature: string, body: string): Elementwise {
  const loop = new Loop([name, signature, body]);
  register(name, () => loop.formula);
  return loop;
}

/**
 * `loop` on arena blocks in SIMD, elsewhere in JavaScript: a function of the formula's arity
 * (no rest arguments in the hot path), which finds the kernel's export once per instance.
 */
function anywhereLoop(loop: Elementwise): Elementwise['anywhere'] {
  const n = loop.formula.operands.length, name = formulaExport(loop.formula);
  const params = Array.from({ length: n }, (_, j) => `X${j}, o${j}`).join(', ');
  const onArena = Array.from({ length: n - 1 }, (_, j) => ` && k.isArena(X${j + 1})`).join('');
  const addrs = Array.from({ length: n }, (_, j) => `X${j}.byteOffset + 8 * o${j}`).join(', ');
  const src = `let lastK, lastF;
    return function ${loop.formula.name}Anywhere(n, ${params}) {
      const k = n >= 2 ? arenaOf(X0) : undefined;
      if (k !== undefined${onArena}) {
        if (k !== lastK) { lastK = k; lastF = k.formula(name); }
        if (lastF !== undefined) {
          stats.simd++;
          return lastF(${addrs}, n);
        }
      }
      return js(n, ${params});
    };`;
  return new Function('arenaOf', 'js', 'name', 'stats', src)(arenaOf, loop.js, name, loopStats) as Elementwise['anywhere'];
}

/**
 * Softmax over axis 0 of a (rows, m) matrix at offset `off`: every column sums to 1. In place,
 * or (Z given) of Z's matrix at the same offset into Y's. Subtracts the column max first, so
 * it is finite for any finite logits. On arena blocks the column pairs run in SIMD, with the
 * same bits (tools/wasm/generate.ts softmaxWat).
 */
export function softmaxColumns(Y: Float64Array, rows: number, m: number, off = 0, Z: Float64Array = Y): void {
  const k = m >= 2 ? arenaOf(Y) : undefined;
  softmaxTs(Y, rows, m, off, Z, k?.isArena(Z) ? k.softmax(Y, Z, off, rows, m) : 0);
}

/** softmaxColumns in JavaScript, for columns j0 … m − 1. */
function softmaxTs(Y: Float64Array, rows: number, m: number, off: number, Z: Float64Array, j0: number): void {
  for (let j = off + j0; j < off + m; j++) {
    let max = -Infinity;
    for (let i = 0; i < rows; i++) if (Z[i * m + j] > max) max = Z[i * m + j];
    let s = 0;
    for (let i = 0; i < rows; i++) {
      const e = exp(Z[i * m + j] - max);
      Y[i * m + j] = e;
      s += e;
    }
    for (let i = 0; i < rows; i++) Y[i * m + j] /= s;
  }
}

/** log softmax(z)[label] for column j of a (rows, m) logits matrix, computed stably. */
export function logSoftmaxAt(Z: Float64Array, rows: number, m: number, j: number, label: number): number {
  let max = -Infinity;
  for (let i = 0; i < rows; i++) if (Z[i * m + j] > max) max = Z[i * m + j];
  let s = 0;
  for (let i = 0; i < rows; i++) s += exp(Z[i * m + j] - max);
  return Z[label * m + j] - max - Math.log(s);
}
