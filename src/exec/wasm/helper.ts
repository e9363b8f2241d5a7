/**
 * The helper thread of the shared kernel instance (src/exec/wasm/kernels.ts): big products are
 * cut into chunks that this thread and the helper claim one by one; results are bit-identical
 * to one thread's (HELPER_SOURCE says why). Also the switches that keep it off: RNN_KERNEL_THREADS=1,
 * `setKernelThreads`, `withoutHelper`.
 */

/** The kernel's gemm export (tools/wasm/generate.ts): byte addresses and sizes. */
export type Gemm = (c: number, ldc: number, a: number, sr: number, sk: number, rows: number, kn: number, b: number, ldb: number, m: number, kb: number, aj: number, bias: number) => void;

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
export const HELPER_SCRATCH_BYTES = 1 << 20;
/** The memory's first bytes hold fastmath's tables for the activations (EXP_TABLES); the helper's scratch follows. */
export const TABLES_BYTES = 4096;
export const HELPER_SCRATCH_AT = TABLES_BYTES;

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
export function runChunk(gemm: Gemm, f64: Float64Array, J: ArrayLike<number>, k: number, scr: number): () => void {
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
 * The helper of one shared instance: started on the first product big enough to share (or
 * before, `begin`), used once it is ready.
 */
export class Helper {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CTL.length * 4));
  private state: 'none' | 'starting' | 'off' = 'none';
  private job = 0;
  /** Products shared so far, and chunks of the helper's this thread took back. */
  shared = 0;
  takenBack = 0;

  /** `bytes`: the kernel's module, instantiated by the helper on `memory`. */
  constructor(private readonly bytes: Uint8Array, private readonly memory: unknown) {
    parkers.push((on) => Atomics.store(this.ctl, CTL.park, on ? 1 : 0));
  }

  private start(): void {
    this.state = 'off';
    if (KERNEL_THREADS_OFF) return;
    const threads = require('worker_threads') as typeof import('worker_threads');
    const os = require('os') as typeof import('os');
    // gradcheck's own workers already keep every core busy: no helper inside them
    if (!threads.isMainThread || os.availableParallelism() < 2) return;
    let w: import('worker_threads').Worker;
    try {
      w = new threads.Worker(HELPER_SOURCE, { eval: true, workerData: { bytes: this.bytes, memory: this.memory, control: this.ctl.buffer } });
    } catch {
      return; // workers not allowed here (e.g. node --experimental-permission): one thread
    }
    w.unref(); // never keeps the process alive: between jobs it only waits
    w.on('error', () => undefined); // a helper that failed to start is simply never ready
    this.state = 'starting';
  }

  /** Starts the thread now if it is not started yet: it is then ready sooner for the products to come. */
  begin(): void {
    if (this.state === 'none' && threadsOn) this.start();
  }

  private get ready(): boolean {
    return this.state === 'starting' && Atomics.load(this.ctl, CTL.ready) === 1;
  }

  /**
   * Runs job J (the JOB_ARGS words) shared with the helper, when it is big enough to pay and
   * the helper is ready: true. False: nothing was run (the caller runs it on this thread).
   */
  share(J: number[], gemm: Gemm, heap: Float64Array): boolean {
    const n = chunking(J);
    if (n > 0 && this.state === 'none') this.start();
    if (n === 0 || this.state !== 'starting' || !threadsOn || helperOff > 0 || Atomics.load(this.ctl, CTL.ready) !== 1) return false;
    const ctl = this.ctl;
    this.job = (this.job % JOB_WRAP) + 1;
    this.shared++;
    const tag = this.job * 4;
    /** Chunk k, computed here straight into C and marked done. */
    const mine = (k: number): void => {
      runChunk(gemm, heap, J, k, -1);
      Atomics.store(ctl, CTL.flags + k, tag + 2);
    };
    for (let k = 0; k < JOB_ARGS; k++) ctl[CTL.args + k] = J[k];
    ctl[CTL.chunks] = n;
    for (let k = 0; k < n; k++) ctl[CTL.flags + k] = tag;
    Atomics.store(ctl, CTL.next, 0);
    Atomics.store(ctl, CTL.job, this.job);
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
        this.takenBack++;
        mine(k);
      }
      while (Atomics.load(ctl, CTL.flags + k) !== tag + 2); // the helper is committing it
    }
    return true;
  }

  /** Starts the helper if it may run; resolves true once it takes work (tests, bench). */
  async whenReady(timeoutMs: number): Promise<boolean> {
    if (this.state === 'none') this.start();
    const until = Date.now() + timeoutMs;
    while (this.state === 'starting' && !this.ready && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.ready;
  }
}

/**
 * How a job is cut for two threads: fills in J's `per` and `byItems` and returns the number
 * of chunks, or 0 to run it on this thread (too small to pay, or a chunk would not fit the
 * helper's scratch). Items are split when there are enough of them, else output rows.
 */
function chunking(J: number[]): number {
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
}
