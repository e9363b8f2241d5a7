/**
 * The products of src/exec/kernels.ts on the WebAssembly SIMD kernel (tools/wasm/generate.ts),
 * with the same signatures and bit-identical results (test/wasm.test.ts): ~4–8× the
 * TypeScript kernels, measured in bench/README.md. Also, on arena blocks and with the bits of
 * their JavaScript twins: σ and tanh in place (`activation`, src/exec/fastmath.ts's), the output
 * head's softmax (`softmax`), a strided transpose (`transposeBlock`) and the element-wise
 * formulas of src/exec/formulas.ts (`formula`).
 *
 * Two instances (two builds of the kernel): `wasmKernels()` on a private memory, and
 * `sharedKernels()` on a memory shared with a helper thread, which computes part of every
 * product of THREAD_MIN_WORK+ multiply-adds (src/exec/kernels.ts picks the instance; copies from
 * JS into shared memory run at ~15 GB/s instead of ~40, so smaller work stays private).
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
 */
import { KERNEL_SHARED_WASM_BASE64, KERNEL_WASM_BASE64 } from './kernel.wasm';
import { EXP_TABLES } from '../fastmath';

/** The slice of the WebAssembly API used here (tsconfig's lib has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A block of the memory (bytes). */
interface Block {
  at: number;
  bytes: number;
}

type Activation = (p: number, pairs: number, tab: number) => number;

type Gemm = (c: number, ldc: number, a: number, sr: number, sk: number, rows: number, kn: number, b: number, ldb: number, m: number, kb: number, aj: number, bias: number) => void;

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
   * src/exec/kernels.ts softmaxColumns on the (rows, w) blocks of Y and Z at `off`, arena blocks of
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
  /** Products shared with the helper so far, chunks of theirs this thread took back, and moves of the stack. */
  stats(): { shared: number; takenBack: number; stackMoves: number };
}

/** A resident range of an ArrayBuffer: bytes [start, end) live at byte `at` of the memory. */
interface Range {
  start: number;
  end: number;
  at: number;
  /** An output (copied back at the end); products may write only into outputs. */
  out: boolean;
}

const align16 = (bytes: number): number => (bytes + 15) & ~15;

/**
 * Products of at least this many multiply-adds are shared with the helper thread: handing out
 * a job costs more than smaller products save (bench/README.md, "Thresholds in the code").
 */
export const THREAD_MIN_WORK = 1 << 20;
/** A shared product's output rows are cut into at most this many chunks (≤ 64 flags)… */
const CHUNKS = 16;
/** …of at least this many multiply-adds each (smaller ones cost more to hand out than they save). */
const CHUNK_MIN_WORK = 1 << 16;
/**
 * A sum over items into one output (outerAdd's G += Σ_u D_u B_uᵀ: the weight gradients) is cut
 * by rows, and each chunk calls the gemm once per item on its rows alone: chunks of at least
 * this many rows: thinner chunks (4–16 rows at 16 chunks on the big nets) cost more than they
 * share (bench/README.md, "Thresholds in the code").
 */
const SUM_CHUNK_MIN_ROWS = 32;
/**
 * The first bytes of the memory are the helper's scratch, used by nothing else: a helper the
 * OS preempted mid-chunk may write there long after its job ended, harmlessly. A product
 * whose chunk would not fit runs on one thread.
 */
const HELPER_SCRATCH_BYTES = 1 << 20;
/** The memory's first bytes hold fastmath's tables for the activations (EXP_TABLES); the helper's scratch follows. */
const TABLES_BYTES = 4096;
const HELPER_SCRATCH_AT = TABLES_BYTES;

/**
 * A product is a JOB: the kernel's first ten gemm arguments, then a batch of `nb` items (item
 * u: C + u·cS, A + u·aS, B + u·bS, in elements; cS = 0: every item adds into the same C), cut
 * into chunks of `per` output rows (`byItems` 0) or `per` items (1), then the gemm's A column
 * blocks kb, aj and its bias (byte address of row 0's, or −1). Indices into JOB_ARGS.
 */
const JOB_ARGS = 19;

/**
 * Chunk k of a job (J: the JOB_ARGS words): its gemm calls, item by item. With `scr` < 0 the
 * chunk adds straight into C; else into a copy of its part of C at byte `scr` (blocks of its
 * rows × m, one per item it writes), and the returned `commit` copies that back. Runs on both
 * threads: the helper gets this very function as source text, so it refers to nothing
 * outside itself.
 */
function runChunk(gemm: Gemm, f64: Float64Array, J: ArrayLike<number>, k: number, scr: number): () => void {
  const c = J[0], ldc = J[1], a = J[2], sr = J[3], sk = J[4], rows = J[5], kn = J[6], b = J[7], ldb = J[8], m = J[9];
  const nb = J[10], cS = J[11], aS = J[12], bS = J[13], per = J[14], byItems = J[15], kb = J[16], aj = J[17], bias = J[18];
  const u0 = byItems ? k * per : 0, u1 = byItems ? Math.min(nb, u0 + per) : nb;
  const r0 = byItems ? 0 : k * per, rr = byItems ? rows : Math.min(per, rows - r0);
  const blocks = cS === 0 ? 1 : u1 - u0;
  /** The chunk's part of C, item q (counted from u0): byte address and leading dimension. */
  const out = (q: number): number => c + ((u0 + q) * cS + r0 * ldc) * 8;
  const copy = (back: boolean): void => {
    for (let q = 0; q < blocks; q++) {
      for (let i = 0; i < rr; i++) {
        const ci = (out(q) >> 3) + i * ldc, si = (scr >> 3) + (q * rr + i) * m;
        if (back) f64.copyWithin(ci, si, si + m);
        else f64.copyWithin(si, ci, ci + m);
      }
    }
  };
  if (scr >= 0 && bias < 0) copy(false); // (with a bias, C is only written)
  for (let u = u0; u < u1; u++) {
    const q = cS === 0 ? 0 : u - u0;
    gemm(scr >= 0 ? scr + q * rr * m * 8 : out(q), scr >= 0 ? m : ldc, a + (u * aS + r0 * sr) * 8, sr, sk, rr, kn, b + u * bS * 8, ldb, m, kb, aj, bias < 0 ? -1 : bias + r0 * 8);
  }
  return () => copy(true);
}

/**
 * Int32 words of the control block shared with the helper: the current job's number and
 * JOB_ARGS words, its number of chunks, a claim counter, and one flag per chunk holding
 * job·4 + state: 0 claimed or not yet, 1 being committed by the helper, 2 done.
 */
const CTL = { job: 0, park: 1, ready: 2, chunks: 3, next: 4, args: 8, flags: 32, length: 32 + 64 } as const;
const JOB_WRAP = 1 << 28; // job·4 + 3 must fit an int32

/**
 * The helper thread. It claims chunks of the current job until none are left; each one it
 * computes into a copy of the chunk's part of C in its own scratch, then commits it (copies
 * it back) only if it wins the chunk's flag. So the main thread never has to wait for a
 * helper that the OS has preempted: after its own chunks it waits briefly, then takes back
 * (recomputes) any chunk still open, and a late helper loses the flag and drops its result.
 * Each entry is computed by the same gemm calls from the same starting value whoever
 * computes it: results are bit-identical to one thread's.
 *
 * Between jobs it spins for 2 ms (a pass hands out products more often than that, and a futex
 * wake-up is slow on a VM; bench/README.md, "Thresholds in the code"), then sleeps until
 * woken — at once while parked (withoutHelper: a group worker needs the core).
 */
const HELPER_SOURCE = `
const { workerData } = require('worker_threads');
const { bytes, memory, control } = workerData;
const ctl = new Int32Array(control);
const { gemm } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
const runChunk = ${runChunk.toString()};
let f64 = new Float64Array(memory.buffer);
Atomics.store(ctl, ${CTL.ready}, 1);
let seen = 0;
for (;;) {
  const idle = performance.now();
  let spins = 0;
  while (Atomics.load(ctl, ${CTL.job}) === seen) {
    if ((++spins & 1023) === 0 && (Atomics.load(ctl, ${CTL.park}) === 1 || performance.now() - idle > 2)) Atomics.wait(ctl, ${CTL.job}, seen, 1000);
  }
  const job = seen = Atomics.load(ctl, ${CTL.job});
  const J = ctl.slice(${CTL.args}, ${CTL.args + JOB_ARGS}), n = ctl[${CTL.chunks}];
  if (f64.length * 8 !== memory.buffer.byteLength) f64 = new Float64Array(memory.buffer);
  for (;;) {
    const k = Atomics.add(ctl, ${CTL.next}, 1);
    if (k >= n || Atomics.load(ctl, ${CTL.job}) !== job) break;
    const commit = runChunk(gemm, f64, J, k, ${HELPER_SCRATCH_AT});
    if (Atomics.compareExchange(ctl, ${CTL.flags} + k, job * 4, job * 4 + 1) !== job * 4) continue;
    commit();
    Atomics.store(ctl, ${CTL.flags} + k, job * 4 + 2);
  }
}`;

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

/** RNN_KERNEL_THREADS=1: no helper thread (src/exec/kernels.ts then keeps big products private too). */
export const KERNEL_THREADS_OFF = process.env.RNN_KERNEL_THREADS === '1';

/**
 * Whether big products may use the helper thread, and column groups the group worker
 * (src/exec/groups.ts): tests and benchmarks compare both.
 */
let threadsOn = true;
export function setKernelThreads(on: boolean): void {
  threadsOn = on;
}
export const kernelThreadsOn = (): boolean => threadsOn;

/**
 * Runs `body` with the helper thread left alone, and told to stop spinning for jobs
 * (src/exec/groups.ts: the other core runs a group worker's time loop meanwhile).
 */
let helperOff = 0;
const parkers: ((on: boolean) => void)[] = [];
export function withoutHelper<T>(body: () => T): T {
  if (helperOff++ === 0) for (const park of parkers) park(true);
  try {
    return body();
  } finally {
    if (--helperOff === 0) for (const park of parkers) park(false);
  }
}

/**
 * The kernel on a private memory (`own`), on a shared one with the helper thread (`shared`),
 * or on a shared one that another thread's `shared` instance owns (`attached`: in place only).
 */
function instantiate(kind: 'own' | 'shared' | 'attached', given?: WasmMemory): Kernels | undefined {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const bytes = Buffer.from(kind === 'own' ? KERNEL_WASM_BASE64 : KERNEL_SHARED_WASM_BASE64, 'base64');
  // Not `exports`: in the CommonJS output a local of that name would shadow the module's own
  // exports object, through which this file's exported constants (KERNEL_THREADS_OFF,
  // THREAD_MIN_WORK) are read — they read as undefined in here.
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
  let heap = new Float64Array(memory.buffer);
  /** The memory's ArrayBuffers (one per size it has had): views on them are arena views. */
  const buffers = new WeakSet<ArrayBufferLike>([memory.buffer]);

  /** Resident ranges by the ArrayBuffer they copy. */
  const ranges = new Map<ArrayBufferLike, Range[]>();

  /** The memory's size, kept here: reading memory.buffer costs ~0.1 µs, and only we grow it. */
  let memoryBytes = memory.buffer.byteLength;
  /** Makes the memory at least `bytes` long (views re-taken: a private memory's detach). */
  const grow = (bytes: number): void => {
    if (bytes > memoryBytes) {
      memory.grow(Math.ceil((bytes - memoryBytes) / 65536));
      heap = new Float64Array(memory.buffer);
      buffers.add(memory.buffer);
      memoryBytes = heap.byteLength;
    }
  };

  // ---- the allocator: the memory above the helper's scratch, in 16-byte aligned blocks ----
  /** Free blocks, by address, none touching another; the memory's end is free too. */
  const freeBlocks: Block[] = [];
  let base = TABLES_BYTES;
  if (kind === 'shared') {
    grow(HELPER_SCRATCH_AT + HELPER_SCRATCH_BYTES);
    base = HELPER_SCRATCH_AT + HELPER_SCRATCH_BYTES;
  }
  if (kind !== 'attached') heap.set(EXP_TABLES, 0); // (an attached memory has them from its owner)
  /** A block of `bytes` (a multiple of 16): first fit, else at the end of the memory, grown. */
  const allocBytes = (bytes: number): number => {
    for (let k = 0; k < freeBlocks.length; k++) {
      const b = freeBlocks[k];
      if (b.bytes < bytes) continue;
      const at = b.at;
      b.at += bytes;
      b.bytes -= bytes;
      if (b.bytes === 0) freeBlocks.splice(k, 1);
      return at;
    }
    const last = freeBlocks[freeBlocks.length - 1];
    const at = last && last.at + last.bytes === memoryBytes ? freeBlocks.pop()!.at : Math.max(memoryBytes, base);
    grow(at + bytes); // (throws past 4 GiB)
    if (memoryBytes > at + bytes) freeBytes(at + bytes, memoryBytes - at - bytes);
    return at;
  };
  const freeBytes = (at: number, bytes: number): void => {
    let k = 0;
    while (k < freeBlocks.length && freeBlocks[k].at < at) k++;
    freeBlocks.splice(k, 0, { at, bytes });
    const next = freeBlocks[k + 1], prev = freeBlocks[k - 1];
    if (next && at + bytes === next.at) {
      freeBlocks[k].bytes += next.bytes;
      freeBlocks.splice(k + 1, 1);
    }
    if (prev && prev.at + prev.bytes === at) {
      prev.bytes += freeBlocks[k].bytes;
      freeBlocks.splice(k, 1);
    }
  };

  // ---- the stack: resident arrays, then the current call's scratch, from `top` on ----
  /** [stackAt, stackEnd): the stack's block; `top`: the first byte above the resident arrays. */
  let stackAt = -1, stackEnd = -1, top = -1, stackMoves = 0;
  /**
   * Makes room for `bytes` above `top`, moving the stack to a bigger block if it must (the
   * resident ranges move with it). Only between products: no job is out while it runs.
   */
  const reserve = (bytes: number): void => {
    if (top >= 0 && top + bytes <= stackEnd) return;
    if (kind === 'attached') throw new Error('internal: an attached kernel instance has no stack (operands must be arena views)');
    const used = top >= 0 ? top - stackAt : 0;
    const cap = align16(Math.max(used + bytes, 2 * (stackEnd - stackAt), 1 << 20));
    const at = allocBytes(cap);
    if (used > 0) heap.copyWithin(at >> 3, stackAt >> 3, (stackAt + used + 7) >> 3);
    for (const list of ranges.values()) for (const r of list) r.at += at - stackAt;
    if (top >= 0) freeBytes(stackAt, stackEnd - stackAt);
    stackAt = at;
    stackEnd = at + cap;
    top = at + used;
    stackMoves++;
  };

  // ---- the arena: blocks of the memory handed out as views ----
  /** Live arena blocks, by their view's byte offset (the block starts `pad` bytes before it). */
  const blocks = new Map<number, Block>();
  const reclaim = new FinalizationRegistry<number>((start) => {
    const b = blocks.get(start);
    if (b === undefined) return;
    blocks.delete(start);
    freeBytes(b.at, b.bytes);
  });
  /**
   * Views start at staggered offsets: blocks of 2^k values one after another would all start
   * on the same L1 cache sets (4 KiB apart), and a loop over a dozen of them, as a cell's
   * backward step is, thrashes them (bench/README.md, "Thresholds in the code"). The n-th
   * block's view starts 64·((7n) mod 64) bytes into it.
   */
  let colour = 0;
  /** Whether any arena view was ever made here: until then nothing is one, without a lookup (small nets). */
  let viewsMade = false;
  const isArena = (X: Float64Array): boolean => viewsMade && buffers.has(X.buffer);
  /** The n values at byte `at` as an arena view. */
  const viewAt = (at: number, n: number): Float64Array => {
    const X = new Float64Array(memory.buffer, at, n);
    buffers.add(X.buffer);
    viewsMade = true;
    return X;
  };

  // ---- the helper thread: started on the first big product, used once it is ready ----
  const ctl = new Int32Array(new SharedArrayBuffer(CTL.length * 4));
  parkers.push((on) => Atomics.store(ctl, CTL.park, on ? 1 : 0));
  let helper: 'none' | 'starting' | 'off' = 'none';
  let job = 0;
  let shared = 0, takenBack = 0;
  const startHelper = (): void => {
    helper = 'off';
    if (KERNEL_THREADS_OFF) return;
    const threads = require('worker_threads') as typeof import('worker_threads');
    const os = require('os') as typeof import('os');
    // gradcheck's own workers already keep every core busy: no helper inside them
    if (!threads.isMainThread || os.availableParallelism() < 2) return;
    let w: import('worker_threads').Worker;
    try {
      w = new threads.Worker(HELPER_SOURCE, { eval: true, workerData: { bytes, memory, control: ctl.buffer } });
    } catch {
      return; // workers not allowed here (e.g. node --experimental-permission): one thread
    }
    w.unref(); // never keeps the process alive: between jobs it only waits
    w.on('error', () => undefined); // a helper that failed to start is simply never ready
    helper = 'starting';
  };

  /**
   * How a job is cut for two threads: fills in J's `per` and `byItems` and returns the number
   * of chunks, or 0 to run it on this thread (too small to pay, or a chunk would not fit the
   * helper's scratch). Items are split when there are enough of them, else output rows.
   */
  const chunking = (J: number[]): number => {
    const rows = J[5], kn = J[6], m = J[9], nb = J[10], cS = J[11];
    const work = nb * rows * kn * m;
    if (work < THREAD_MIN_WORK) return 0;
    const chunks = Math.min(CHUNKS, Math.floor(work / CHUNK_MIN_WORK));
    if (cS !== 0 && nb >= chunks) {
      const per = Math.ceil(nb / chunks);
      if (per * rows * m * 8 <= HELPER_SCRATCH_BYTES) {
        J[14] = per;
        J[15] = 1;
        return Math.ceil(nb / per);
      }
    }
    let per = 4 * Math.ceil(rows / chunks / 4);
    if (cS === 0 && nb > 1) per = Math.max(per, SUM_CHUNK_MIN_ROWS);
    if (rows < 8 || (cS === 0 ? 1 : nb) * per * m * 8 > HELPER_SCRATCH_BYTES) return 0;
    J[14] = per;
    J[15] = 0;
    return Math.ceil(rows / per);
  };

  /**
   * A batch of `nb` gemm calls (item u: C + u·cS, A + u·aS, B + u·bS; elements), on this
   * thread or, when big enough to pay, shared with the helper (see HELPER_SOURCE).
   */
  const batch = (c: number, ldc: number, a: number, sr: number, sk: number, rows: number, kn: number, b: number, ldb: number, m: number,
    nb = 1, cS = 0, aS = 0, bS = 0, kb = kn, aj = 0, bias = -1): void => {
    const J = [c, ldc, a, sr, sk, rows, kn, b, ldb, m, nb, cS, aS, bS, rows, 0, kb, aj, bias];
    const n = kind === 'shared' ? chunking(J) : 0;
    if (n > 0 && helper === 'none') startHelper();
    if (n === 0 || helper !== 'starting' || !threadsOn || helperOff > 0 || Atomics.load(ctl, CTL.ready) !== 1) {
      J[14] = rows;
      J[15] = 0;
      runChunk(gemmHere, heap, J, 0, -1);
      return;
    }
    job = (job % JOB_WRAP) + 1;
    shared++;
    const tag = job * 4;
    /** Chunk k, computed here straight into C and marked done. */
    const mine = (k: number): void => {
      runChunk(gemmHere, heap, J, k, -1);
      Atomics.store(ctl, CTL.flags + k, tag + 2);
    };
    for (let k = 0; k < JOB_ARGS; k++) ctl[CTL.args + k] = J[k];
    ctl[CTL.chunks] = n;
    for (let k = 0; k < n; k++) ctl[CTL.flags + k] = tag;
    Atomics.store(ctl, CTL.next, 0);
    Atomics.store(ctl, CTL.job, job);
    Atomics.notify(ctl, CTL.job, 1);
    let done = 0;
    const t0 = performance.now();
    for (;;) {
      const k = Atomics.add(ctl, CTL.next, 1);
      if (k >= n) break;
      mine(k);
      done++;
    }
    // The helper's: wait about two chunks' time for them, then take back whatever is still open.
    const deadline = performance.now() + 2 * (performance.now() - t0) / Math.max(done, 1);
    for (let k = 0; k < n; k++) {
      let f: number;
      while ((f = Atomics.load(ctl, CTL.flags + k)) === tag && performance.now() < deadline);
      if (f === tag && Atomics.compareExchange(ctl, CTL.flags + k, tag, tag + 1) === tag) {
        takenBack++;
        mine(k);
      }
      while (Atomics.load(ctl, CTL.flags + k) !== tag + 2); // the helper is committing it
    }
  };

  /** Byte address of X[off … off+n) if that lies in a resident range, else -1. */
  const residentAt = (X: Float64Array, off: number, n: number, write = false): number => {
    if (isArena(X)) return X.byteOffset + off * 8;
    if (ranges.size === 0) return -1;
    const list = ranges.get(X.buffer);
    if (list === undefined) return -1;
    const s = X.byteOffset + off * 8, e = s + n * 8;
    for (const r of list) {
      if (s < r.start || e > r.end) continue;
      if (write && !r.out) throw new Error('internal: a product writes into a resident input');
      return r.at + (s - r.start);
    }
    return -1;
  };

  /**
   * One call's operands: each is resident (its address known) or gets a slot in the call's
   * scratch, above `top`; the memory grows, if it must, before any data is copied in (growing
   * detaches `heap`). Residency is looked up once per operand.
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
      const at = residentAt(X, off, n, write);
      if (at < 0) need += align16(n * 8);
      return { X, off, n, at, copied: at < 0 };
    });
    if (need > 0) {
      // room above the stack first; if that moved the stack, the resident addresses moved with it
      const moves = stackMoves;
      reserve(need + 16 + 64);
      if (stackMoves !== moves) ops.forEach((o, k) => o.copied || (o.at = residentAt(o.X, o.off, o.n, list[k][3])));
    }
    let end = top;
    for (const o of ops) {
      if (!o.copied) continue;
      o.at = align16(end);
      end = o.at + o.n * 8;
    }
    const extra = align16(end); // `extraScratch` doubles for the caller's own use
    ops.forEach((o, k) => {
      if (o.copied && !list[k][4]) heap.set(o.X.subarray(o.off, o.off + o.n), o.at >> 3);
    });
    return { ops, extra };
  };
  const copyOut = (o: Operand): void => {
    if (o.copied) o.X.set(heap.subarray(o.at >> 3, (o.at >> 3) + o.n), o.off);
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
      C.set(heap.subarray(at, at + rows * m), cOff + u * cStep);
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

    resident(inputs, outputs, body) {
      // (arena views are in the memory already: nothing to do for them)
      const outside = (X: Float64Array): boolean => X.length > 0 && residentAt(X, 0, X.length) < 0;
      if (!inputs.some(outside) && !outputs.some(outside)) return body();
      reserve(0);
      const saved = top - stackAt; // (the stack may move inside: keep the offset)
      const added: { X: Float64Array; range: Range }[] = [];
      const add = (X: Float64Array, out: boolean): void => {
        if (X.length === 0 || residentAt(X, 0, X.length) >= 0) return; // already resident (an outer scope copies it back)
        reserve(X.length * 8 + 16 + 64);
        const at = align16(top);
        heap.set(X, at >> 3);
        top = at + X.length * 8;
        const range = { start: X.byteOffset, end: X.byteOffset + X.byteLength, at, out };
        const list = ranges.get(X.buffer) ?? [];
        list.push(range);
        ranges.set(X.buffer, list);
        added.push({ X, range });
      };
      for (const X of inputs) add(X, false);
      for (const X of outputs) add(X, true);
      try {
        return body();
      } finally {
        for (let k = added.length - 1; k >= 0; k--) {
          const { X, range } = added[k];
          if (range.out) X.set(heap.subarray(range.at >> 3, (range.at >> 3) + X.length));
          const list = ranges.get(X.buffer)!;
          list.pop(); // scopes nest: this scope's ranges are the last ones
          if (list.length === 0) ranges.delete(X.buffer);
        }
        top = stackAt + saved;
      }
    },

    alloc(n) {
      if (kind !== 'shared' || n === 0) return undefined;
      const pad = 64 * ((7 * colour++) % 64);
      const bytes = align16(pad + n * 8);
      let at: number;
      try {
        at = allocBytes(bytes);
      } catch {
        return undefined; // past wasm32's 4 GiB: the caller takes ordinary memory
      }
      blocks.set(at + pad, { at, bytes });
      const X = viewAt(at + pad, n);
      reclaim.register(X, at + pad, X);
      return X;
    },

    free(X) {
      const b = blocks.get(X.byteOffset);
      if (!isArena(X) || !b || b.at + b.bytes !== align16(X.byteOffset + X.length * 8)) throw new Error('internal: freeing what is not an arena block');
      reclaim.unregister(X);
      blocks.delete(X.byteOffset);
      freeBytes(b.at, b.bytes);
    },

    isArena,

    activation(f, Z, off, pairs) {
      return (f === 'sigmoid' ? sigmoid : tanh)(Z.byteOffset + off * 8, pairs, 0) !== 0;
    },

    transposeBlock: (D, dOff, ldd, S, sOff, lds, rows, cols) => transpose(D.byteOffset + dOff * 8, S.byteOffset + sOff * 8, rows, cols, lds, ldd),

    softmax: (Y, Z, off, rows, w) => softmax(Y.byteOffset + off * 8, Z.byteOffset + off * 8, rows, w, 0),

    formula: (name) => (api as unknown as Record<string, ((...args: number[]) => void) | undefined>)[name],

    poisonFree() {
      for (const b of freeBlocks) heap.fill(NaN, b.at >> 3, (b.at + b.bytes) >> 3);
    },

    view: (at, n) => viewAt(at, n),

    memory,

    async helperReady(timeoutMs = 10_000) {
      if (helper === 'none') startHelper();
      const until = Date.now() + timeoutMs;
      while (helper === 'starting' && Atomics.load(ctl, CTL.ready) !== 1 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 5));
      }
      return helper === 'starting' && Atomics.load(ctl, CTL.ready) === 1;
    },

    stats: () => ({ shared, takenBack, stackMoves }),

    holds(X) {
      return isArena(X) || (ranges.size > 0 && ranges.has(X.buffer));
    },
  };
}

const loaded: Partial<Record<'own' | 'shared' | 'attached', Kernels | null>> = {};

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
