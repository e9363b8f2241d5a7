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
import { fillBias, mulAddTs, mulTAddTs, outerAddTs } from './kernels-ts';
import { attachedKernels, KERNEL_THREADS_OFF, sharedKernels, THREAD_MIN_WORK, wasmKernels, type Kernels } from './wasm/kernels';

/*
 * The products. Each exists twice with identical results: on the WebAssembly SIMD kernel
 * (src/exec/wasm/kernels.ts, faster) and in plain TypeScript (the *Ts functions, src/exec/kernels-ts.ts: the
 * fallback where WebAssembly SIMD is missing, and the oracle the SIMD kernel is tested
 * against). RNN_NO_SIMD=1 forces the TypeScript ones; small products use them anyway.
 *
 * The SIMD kernel runs on one of two memories: a private one, and one shared with a helper
 * thread that computes part of every product of THREAD_MIN_WORK+ multiply-adds (copies into
 * shared memory are slower, so smaller work stays private). RNN_KERNEL_THREADS=1: no helper.
 */
const NO_SIMD = process.env.RNN_NO_SIMD === '1';
// Both instantiated on first use: a course-size run never needs them.
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

/**
 * A pass on the arena whose biggest product has `work` multiply-adds is about to start: the
 * helper thread starts now if those products will be shared with it (THREAD_MIN_WORK), so that
 * it is ready for the first of them rather than the later ones (bench/README.md, "One cold run").
 */
export function startHelperFor(work: number): void {
  if (work >= THREAD_MIN_WORK) sharedOnes()?.startHelper();
}

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
 * tiles then walk one pointer per 4 rows, not four: faster on the recurrent products)
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

/** The kernels whose memory Z is a block of (the arena), if any: what lies there runs there, in SIMD (src/exec/elementwise.ts). */
export const arenaOf = (Z: Float64Array): Kernels | undefined => (attached?.isArena(Z) ? attached : pooled?.isArena(Z) ? pooled : undefined);

