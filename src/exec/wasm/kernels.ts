/**
 * The products of src/exec/kernels.ts on the WebAssembly SIMD kernel (tools/wasm/generate.ts),
 * with the same signatures and bit-identical results (test/wasm.test.ts), several times
 * faster than the TypeScript kernels (bench/README.md). Also, on arena blocks and with the bits of
 * their JavaScript twins: σ and tanh in place (`activation`, src/exec/fastmath.ts's), the output
 * head's softmax (`softmax`), a strided transpose (`transposeBlock`) and the element-wise
 * formulas of src/exec/formulas.ts (`formula`).
 *
 * Two instances (two builds of the kernel): `wasmKernels()` on a private memory, and
 * `sharedKernels()` on a memory shared with a helper thread, which computes part of every
 * product of THREAD_MIN_WORK+ multiply-adds (src/exec/kernels.ts picks the instance; copies from
 * JS into shared memory are slower than into private memory, so smaller work stays private).
 *
 * An operand is either copied in for the call (and an output back out), or RESIDENT:
 * `resident(inputs, outputs, body)` copies those arrays in once, every product inside `body`
 * that touches them (or any view inside them) uses them in place, and outputs are copied back
 * when `body` ends. The unroller keeps the weights resident for a whole pass and their
 * gradients for a whole backward: per call, copying a big LSTM's stacked W (786 KB) cost
 * about a third of the product. While an array is resident, only the products may touch it:
 * JS must neither write an input nor read or write an output — the products would not see
 * the change, or the copy back would undo it.
 *
 * Memory: [fastmath's tables | the helper's scratch (shared instance) | blocks handed out by an allocator]. One
 * block is the STACK: resident arrays, stacked as scopes nest, then the scratch of the current
 * call; when it is too small it moves to a bigger block (the resident ranges' addresses move
 * with it, so nothing outside this file may keep an address). This file's own views of the
 * memory are re-taken after it grows and never leave it.
 *
 * ARENA (shared instance): `alloc(n)` hands out blocks of the memory itself as Float64Arrays,
 * for the shared buffers of a pass (src/exec/pool.ts takes them there). Products use them in place —
 * nothing is copied in or out — and JS reads and writes them directly, so they need no scope.
 * They stay where they are: shared memory does not detach when it grows. A block goes back
 * with `free`; one whose view is garbage-collected first goes back by itself. A group worker
 * runs its products in place on them too, through `attachedKernels(memory)`: an instance on
 * the same memory that only ever works in place (no stack, nothing allocated).
 *
 * PACKED weights: `packed(C, P, …)` is mulAdd / mulTAdd / mulBias with A given as panels of 4
 * rows (`packPanels`), which the gemm's tiles walk with one pointer instead of four (same
 * sums, same bits). src/exec/kernels.ts routes the products given packed blocks (`packs`) to it.
 *
 * Both are undefined where WebAssembly SIMD (or, for the shared one, threads) is unavailable;
 * callers then keep the TypeScript kernels.
 *
 * Here: each call's operands (resident, arena, or copied through the stack) and the products
 * on them; the memory (allocator, stack, resident ranges, arena) is src/exec/wasm/memory.ts,
 * the helper thread and its switches src/exec/wasm/helper.ts.
 */
import { Helper, runChunk, type Gemm } from './helper';
import { KERNEL_SHARED_WASM_BASE64, KERNEL_WASM_BASE64 } from './kernel.wasm';
import { align16, KernelMemory, type InstanceKind, type WasmMemory } from './memory';

export { KERNEL_THREADS_OFF, kernelThreadsOn, setKernelThreads, THREAD_MIN_WORK, withoutHelper } from './helper';

/** The slice of the WebAssembly API used here (tsconfig's lib has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

type Activation = (p: number, pairs: number, tab: number) => number;

/** src/exec/kernels.ts's products, batches included (there: the meaning of every argument). */
export interface Kernels {
  mulAdd(C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number, B: Float64Array, m: number, cOff?: number, bOff?: number, nb?: number, cStep?: number, bStep?: number): void;
  mulBias(C: Float64Array, b: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number, B: Float64Array, m: number, cOff?: number, bOff?: number, nb?: number, cStep?: number, bStep?: number): void;
  mulTAdd(C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number, D: Float64Array, m: number, cOff?: number, dOff?: number, nb?: number, cStep?: number, dStep?: number): void;
  /**
   * C (rows, m) += A · B, or with a bias b C = b + A · B (C only written, as mulBias), where A
   * (rows, kn) is given packed (`packPanels`: P holds its panels) — mulAdd's, mulTAdd's and
   * mulBias's bits. Batch as mulAdd: item u is C at cOff + u·cStep times B at bOff + u·bStep.
   */
  packed(C: Float64Array, P: Float64Array, rows: number, kn: number, B: Float64Array, m: number, cOff?: number, bOff?: number, nb?: number, cStep?: number, bStep?: number, b?: Float64Array): void;
  /** Bt: B's items already transposed (`transposeItems`), item u at btOff + u·kn·m; B is then not read. */
  outerAdd(G: Float64Array, ldg: number, k0: number, D: Float64Array, rows: number, B: Float64Array, kn: number, m: number, dOff?: number, bOff?: number, nb?: number, dStep?: number, bStep?: number, w?: number, dGroup?: number, bGroup?: number, Bt?: Float64Array, btOff?: number): void;
  /**
   * Bt = outerAdd's B operand transposed item by item, as outerAdd lays it out for its gemm:
   * item u's (m, kn) matrix at u·kn·m (column groups of w as there) — for several outerAdds
   * on the same B to share one transposition.
   */
  transposeItems(Bt: Float64Array, B: Float64Array, kn: number, m: number, bOff?: number, nb?: number, bStep?: number, w?: number, bGroup?: number): void;
  /** Runs `body` with `inputs` and `outputs` resident (see above); returns what it returns. */
  resident<T>(inputs: readonly Float64Array[], outputs: readonly Float64Array[], body: () => T): T;
  /** Is (part of) this array resident here, or an arena block of this memory? Products on it must run here. */
  holds(X: Float64Array): boolean;
  /**
   * A new arena block of n values (shared instance), contents unspecified; undefined where
   * there is none (another instance, or the memory would pass wasm32's 4 GiB).
   */
  alloc(n: number): Float64Array | undefined;
  /** Gives an arena block back (the very view `alloc` returned). */
  free(X: Float64Array): void;
  /** Is X a view of an arena block of this memory? */
  isArena(X: Float64Array): boolean;
  /** The n values at byte `at` of the memory, as an arena view (a group worker's side of a block). */
  view(at: number, n: number): Float64Array;
  /** The memory (shared instance: for a group worker to attach to). */
  readonly memory: unknown;
  /** Tests: fills every free block with NaN, so that whatever still reads one shows. */
  poisonFree(): void;
  /**
   * σ or tanh in place on Z[off … off + 2·pairs), an arena block of this memory, in SIMD with
   * fastmath's bits (tools/wasm/generate.ts); true if values outside fastmath's first-pass range
   * were left for its second pass.
   */
  activation(f: 'sigmoid' | 'tanh', Z: Float64Array, off: number, pairs: number): boolean;
  /**
   * D = Sᵀ for arena blocks of this memory: S (rows × cols) from sOff, rows lds apart, into D
   * (cols × rows) from dOff, rows ldd apart (values; a pure copy).
   */
  transposeBlock(D: Float64Array, dOff: number, ldd: number, S: Float64Array, sOff: number, lds: number, rows: number, cols: number): void;
  /**
   * src/exec/elementwise.ts softmaxColumns on the (rows, w) blocks of Y and Z at `off`, arena blocks of
   * this memory, in SIMD by column pairs, from the first column on; returns the column where it
   * stopped, for the caller to finish: an odd last one, or a pair whose logits lie 704 or more
   * apart (or hold NaN), beyond the SIMD exp's range.
   */
  softmax(Y: Float64Array, Z: Float64Array, off: number, rows: number, w: number): number;
  /**
   * The kernel's export `name`, an element-wise formula (src/exec/formulas.ts formulaWat): called
   * with each operand's byte address in this memory, then the number of values.
   */
  formula(name: string): ((...args: number[]) => void) | undefined;
  /** Starts the helper thread if it may run; resolves true once it takes work (tests, bench). */
  helperReady(timeoutMs?: number): Promise<boolean>;
  /** Starts the helper thread if it may run and has not started, without waiting for it. */
  startHelper(): void;
  /** Products shared with the helper so far, chunks of theirs this thread took back, and moves of the stack. */
  stats(): { shared: number; takenBack: number; stackMoves: number };
}

/** Values of A (rows, kn) packed in panels of 4 rows (`packPanels`): the last panel padded. */
export const panelsLength = (rows: number, kn: number): number => 4 * Math.ceil(rows / 4) * kn;

/**
 * Writes A (rows, kn), A(r, k) = A[aOff + r·sr + k·sk], into P as the gemm's packed operand
 * (tools/wasm/generate.ts): panels of 4 rows one after another, in each the 4 rows' values at
 * k side by side — P[(r − r mod 4)·kn + 4k + r mod 4] — rows past the last padded with 0.
 */
export function packPanels(P: Float64Array, A: Float64Array, aOff: number, sr: number, sk: number, rows: number, kn: number): void {
  let r0 = 0;
  for (; r0 + 4 <= rows; r0 += 4) {
    const a0 = aOff + r0 * sr, a1 = a0 + sr, a2 = a1 + sr, a3 = a2 + sr;
    for (let k = 0, q = r0 * kn, ak = 0; k < kn; k++, q += 4, ak += sk) {
      P[q] = A[a0 + ak];
      P[q + 1] = A[a1 + ak];
      P[q + 2] = A[a2 + ak];
      P[q + 3] = A[a3 + ak];
    }
  }
  if (r0 < rows) {
    const base = r0 * kn;
    for (let r = 0; r < 4; r++) {
      if (r0 + r >= rows) {
        for (let k = 0; k < kn; k++) P[base + 4 * k + r] = 0;
        continue;
      }
      const a = aOff + (r0 + r) * sr;
      for (let k = 0, q = base + r; k < kn; k++, q += 4) P[q] = A[a + k * sk];
    }
  }
}

/**
 * The kernel on a private memory (`own`), on a shared one with the helper thread (`shared`),
 * or on a shared one that another thread's `shared` instance owns (`attached`: in place only).
 */
function instantiate(kind: InstanceKind, given?: WasmMemory): Kernels | undefined {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const bytes = Buffer.from(kind === 'own' ? KERNEL_WASM_BASE64 : KERNEL_SHARED_WASM_BASE64, 'base64');
  // Not `exports`: in the CommonJS output a local of that name would shadow the module's own
  // exports object, through which this file's exported constants are read — they read as
  // undefined in here.
  let api: {
    gemm: Gemm; transpose: (d: number, s: number, rows: number, cols: number, lds: number, ldd: number) => void; sigmoid: Activation; tanh: Activation;
    softmax: (y: number, z: number, rows: number, w: number, tab: number) => number; memory?: WasmMemory;
  };
  let memory: WasmMemory;
  try {
    if (kind === 'own') {
      api = new wasm.Instance(new wasm.Module(bytes), {}).exports as typeof api;
      memory = api.memory!;
    } else {
      memory = given ?? new wasm.Memory({ initial: 1, maximum: 65536, shared: true });
      api = new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports as typeof api;
    }
  } catch {
    return undefined; // no SIMD (or, shared, no threads) support
  }
  const { gemm: gemmHere, transpose, sigmoid, tanh, softmax } = api;
  const mem = new KernelMemory(memory, kind);
  const helper = kind === 'shared' ? new Helper(bytes, memory) : undefined;

  /**
   * A batch of `nb` gemm calls (item u: C + u·cS, A + u·aS, B + u·bS; elements), on this
   * thread or, when big enough to pay, shared with the helper (src/exec/wasm/helper.ts).
   */
  const batch = (c: number, ldc: number, a: number, sr: number, sk: number, rows: number, kn: number, b: number, ldb: number, m: number,
    nb = 1, cS = 0, aS = 0, bS = 0, kb = kn, aj = 0, bias = -1): void => {
    const J = [c, ldc, a, sr, sk, rows, kn, b, ldb, m, nb, cS, aS, bS, rows, 0, kb, aj, bias];
    if (helper?.share(J, gemmHere, mem.heap)) return;
    J[14] = rows;
    J[15] = 0;
    runChunk(gemmHere, mem.heap, J, 0, -1);
  };

  /**
   * One call's operands: each is resident (its address known) or gets a slot in the call's
   * scratch, above the stack's top; the memory grows, if it must, before any data is copied in
   * (growing detaches the heap). Residency is looked up once per operand.
   */
  interface Operand {
    X: Float64Array;
    off: number;
    n: number;
    /** Byte address in the memory. */
    at: number;
    copied: boolean;
  }
  const operands = (list: readonly [X: Float64Array, off: number, n: number, write: boolean, writeOnly?: boolean][], extraScratch = 0): { ops: Operand[]; extra: number } => {
    let need = extraScratch * 8;
    const ops = list.map(([X, off, n, write]): Operand => {
      const at = mem.residentAt(X, off, n, write);
      if (at < 0) need += align16(n * 8);
      return { X, off, n, at, copied: at < 0 };
    });
    if (need > 0) {
      // room above the stack first; if that moved the stack, the resident addresses moved with it
      const moves = mem.stackMoves;
      mem.reserve(need + 16 + 64);
      if (mem.stackMoves !== moves) ops.forEach((o, k) => o.copied || (o.at = mem.residentAt(o.X, o.off, o.n, list[k][3])));
    }
    let end = mem.top;
    for (const o of ops) {
      if (!o.copied) continue;
      o.at = align16(end);
      end = o.at + o.n * 8;
    }
    const extra = align16(end); // `extraScratch` doubles for the caller's own use
    const heap = mem.heap;
    ops.forEach((o, k) => {
      if (o.copied && !list[k][4]) heap.set(o.X.subarray(o.off, o.off + o.n), o.at >> 3);
    });
    return { ops, extra };
  };
  const copyOut = (o: Operand): void => {
    if (o.copied) o.X.set(mem.heap.subarray(o.at >> 3, (o.at >> 3) + o.n), o.off);
  };

  /** Values spanned by nb items of n values, `step` apart. */
  const span = (nb: number, step: number, n: number): number => (nb - 1) * step + n;

  /** C[cOff …] (cN values) += a product of W's first wN values and X[xOff …] (xN values). */
  const product = (
    C: Float64Array, cOff: number, cN: number, W: Float64Array, wN: number, X: Float64Array, xOff: number, xN: number,
    run: (pC: number, pW: number, pX: number) => void,
  ): void => {
    const [w, x, c] = operands([[W, 0, wN, false], [X, xOff, xN, false], [C, cOff, cN, true]]).ops;
    run(c.at, w.at, x.at);
    copyOut(c);
  };

  /**
   * Writes B's nb items (item u at byte b + u·bStep·8, its column groups of w bGroup apart),
   * each transposed, at byte `to`: item u's (m × kn) at u·kn·m, group q's (kn × w) block giving
   * its rows q·w … q·w + w − 1.
   */
  const transposeInto = (to: number, b: number, kn: number, m: number, nb: number, bStep: number, w: number, bGroup: number): void => {
    const bN = kn * m;
    for (let u = 0; u < nb; u++) {
      for (let q = 0; q < m / w; q++) transpose(to + (u * bN + q * w * kn) * 8, b + (u * bStep + q * bGroup) * 8, kn, w, w, kn);
    }
  };

  /**
   * C = b + A·B item by item, with A(r, k) at A[a0 + r·sr + k·sk] (aN values of A in use; kb as
   * the gemm's: kn plain, −1 packed). C is only written: not copied in, and only the items'
   * blocks copied out (anything between them stays as it is).
   */
  const biased = (
    C: Float64Array, b: Float64Array, A: Float64Array, aN: number, a0: number, sr: number, sk: number, kb: number, rows: number, kn: number,
    B: Float64Array, m: number, cOff: number, bOff: number, nb: number, cStep: number, bStep: number,
  ): void => {
    const [a, x, bb, c] = operands([
      [A, 0, aN, false], [B, bOff, span(nb, bStep, kn * m), false], [b, 0, rows, false],
      [C, cOff, span(nb, cStep, rows * m), true, true],
    ]).ops;
    batch(c.at, m, a.at + a0 * 8, sr, sk, rows, kn, x.at, m, m, nb, cStep, 0, bStep, kb, 0, bb.at);
    if (!c.copied) return;
    for (let u = 0; u < nb; u++) {
      const at = (c.at >> 3) + u * cStep;
      C.set(mem.heap.subarray(at, at + rows * m), cOff + u * cStep);
    }
  };

  return {
    mulBias(C, b, W, ldw, k0, rows, kn, B, m, cOff = 0, bOff = 0, nb = 1, cStep = 0, bStep = 0) {
      biased(C, b, W, (rows - 1) * ldw + k0 + kn, k0, ldw, 1, kn, rows, kn, B, m, cOff, bOff, nb, cStep, bStep);
    },
    packed(C, P, rows, kn, B, m, cOff = 0, bOff = 0, nb = 1, cStep = 0, bStep = 0, b) {
      // A(r, k) at panel ⌊r/4⌋ (4·kn values, so sr = kn finds a 4-row chunk's panel), kb −1: packed
      if (b) return biased(C, b, P, P.length, 0, kn, 0, -1, rows, kn, B, m, cOff, bOff, nb, cStep, bStep);
      product(C, cOff, span(nb, cStep, rows * m), P, P.length, B, bOff, span(nb, bStep, kn * m), (pC, pP, pB) =>
        batch(pC, m, pP, kn, 0, rows, kn, pB, m, m, nb, cStep, 0, bStep, -1));
    },
    mulAdd(C, W, ldw, k0, rows, kn, B, m, cOff = 0, bOff = 0, nb = 1, cStep = 0, bStep = 0) {
      product(C, cOff, span(nb, cStep, rows * m), W, (rows - 1) * ldw + k0 + kn, B, bOff, span(nb, bStep, kn * m), (pC, pW, pB) =>
        batch(pC, m, pW + k0 * 8, ldw, 1, rows, kn, pB, m, m, nb, cStep, 0, bStep));
    },
    mulTAdd(C, W, ldw, k0, rows, kn, D, m, cOff = 0, dOff = 0, nb = 1, cStep = 0, dStep = 0) {
      // output row kk, inner index i: A(kk, i) = W[i·ldw + k0 + kk]
      product(C, cOff, span(nb, cStep, kn * m), W, (rows - 1) * ldw + k0 + kn, D, dOff, span(nb, dStep, rows * m), (pC, pW, pD) =>
        batch(pC, m, pW + k0 * 8, 1, ldw, kn, rows, pD, m, m, nb, cStep, 0, dStep));
    },
    outerAdd(G, ldg, k0, D, rows, B, kn, m, dOff = 0, bOff = 0, nb = 1, dStep = 0, bStep = 0, w = m, dGroup = 0, bGroup = 0, Bt, btOff = 0) {
      const bN = kn * m, groups = m / w;
      const { ops: [g, d, bb], extra } = operands([
        [G, 0, (rows - 1) * ldg + k0 + kn, true],
        [D, dOff, span(nb, dStep, (groups - 1) * dGroup + rows * w), false],
        Bt ? [Bt, btOff, nb * bN, false] : [B, bOff, span(nb, bStep, (groups - 1) * bGroup + kn * w), false],
      ], Bt ? 0 : nb * bN);
      // each B_uᵀ (m × kn) one after another, so the sums over j run in order
      const pT = Bt ? bb.at : extra;
      if (!Bt) transposeInto(pT, bb.at, kn, m, nb, bStep, w, bGroup);
      // A(r, j) = D_u[r·w + j] within a group, the next group dGroup further on: blocks of w
      batch(g.at + k0 * 8, ldg, d.at, w, 1, rows, m, pT, kn, kn, nb, 0, dStep, bN, w, dGroup - w);
      copyOut(g);
    },
    transposeItems(Bt, B, kn, m, bOff = 0, nb = 1, bStep = 0, w = m, bGroup = 0) {
      const [bb, t] = operands([
        [B, bOff, span(nb, bStep, (m / w - 1) * bGroup + kn * w), false], [Bt, 0, nb * kn * m, true, true],
      ]).ops;
      transposeInto(t.at, bb.at, kn, m, nb, bStep, w, bGroup);
      copyOut(t);
    },

    resident: (inputs, outputs, body) => mem.resident(inputs, outputs, body),

    alloc: (n) => mem.alloc(n),

    free: (X) => mem.free(X),

    isArena: mem.isArena,

    activation(f, Z, off, pairs) {
      return (f === 'sigmoid' ? sigmoid : tanh)(Z.byteOffset + off * 8, pairs, 0) !== 0;
    },

    transposeBlock: (D, dOff, ldd, S, sOff, lds, rows, cols) => transpose(D.byteOffset + dOff * 8, S.byteOffset + sOff * 8, rows, cols, lds, ldd),

    softmax: (Y, Z, off, rows, w) => softmax(Y.byteOffset + off * 8, Z.byteOffset + off * 8, rows, w, 0),

    formula: (name) => (api as unknown as Record<string, ((...args: number[]) => void) | undefined>)[name],

    poisonFree: () => mem.poisonFree(),

    view: (at, n) => mem.viewAt(at, n),

    memory,

    helperReady: async (timeoutMs = 10_000) => (helper ? helper.whenReady(timeoutMs) : false),
    startHelper: () => helper?.begin(),

    stats: () => ({ shared: helper?.shared ?? 0, takenBack: helper?.takenBack ?? 0, stackMoves: mem.stackMoves }),

    holds: (X) => mem.holds(X),
  };
}

const loaded: Partial<Record<InstanceKind, Kernels | null>> = {};

/** The SIMD kernels of this thread on a private memory (instantiated on first use), or undefined without SIMD. */
export function wasmKernels(): Kernels | undefined {
  if (loaded.own === undefined) loaded.own = instantiate('own') ?? null;
  return loaded.own ?? undefined;
}

/** The SIMD kernels on the memory shared with the helper thread, or undefined without SIMD or threads. */
export function sharedKernels(): Kernels | undefined {
  if (loaded.shared === undefined) loaded.shared = instantiate('shared') ?? null;
  return loaded.shared ?? undefined;
}

/**
 * This thread's kernels on `memory`, the shared memory of another thread's sharedKernels()
 * (a group worker's view of the main thread's arena): products whose operands are all arena
 * views run in place on it. The first call attaches; undefined without SIMD or threads.
 */
export function attachedKernels(memory: unknown): Kernels | undefined {
  if (loaded.attached === undefined) loaded.attached = instantiate('attached', memory as WasmMemory) ?? null;
  return loaded.attached ?? undefined;
}
