/**
 * A kernel instance's memory (src/exec/wasm/kernels.ts has the whole picture):
 * [fastmath's tables | the helper's scratch (shared instance) | blocks handed out by an allocator].
 * One block is the STACK: resident arrays, stacked as scopes nest, then the scratch of the
 * current call; when it is too small it moves to a bigger block (the resident ranges'
 * addresses move with it, so nothing outside the instance may keep an address). The ARENA's
 * blocks are handed out as views and stay where they are. `heap`, the instance's own view, is
 * re-taken after the memory grows and never leaves it.
 */
import { EXP_TABLES } from '../fastmath';
import { HELPER_SCRATCH_AT, HELPER_SCRATCH_BYTES, TABLES_BYTES } from './helper';

/** The slice of the WebAssembly Memory API used here (tsconfig's lib has no WebAssembly types). */
export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

export type InstanceKind = 'own' | 'shared' | 'attached';

/** A block of the memory (bytes). */
interface Block {
  at: number;
  bytes: number;
}

/** A resident range of an ArrayBuffer: bytes [start, end) live at byte `at` of the memory. */
interface Range {
  start: number;
  end: number;
  at: number;
  /** An output (copied back at the end); products may write only into outputs. */
  out: boolean;
}

export const align16 = (bytes: number): number => (bytes + 15) & ~15;

export class KernelMemory {
  /** The whole memory as float64s (re-taken when it grows: a private memory's detach). */
  heap: Float64Array;
  /** The memory's ArrayBuffers (one per size it has had): views on them are arena views. */
  private readonly buffers: WeakSet<ArrayBufferLike>;
  /** Resident ranges by the ArrayBuffer they copy. */
  private readonly ranges = new Map<ArrayBufferLike, Range[]>();
  /** The memory's size, kept here: reading memory.buffer costs more, and only we grow it. */
  private memoryBytes: number;

  /** Free blocks, by address, none touching another; the memory's end is free too. */
  private readonly freeBlocks: Block[] = [];
  /** Where the allocator's blocks start: above the tables and (shared) the helper's scratch. */
  private readonly base: number;

  /** [stackAt, stackEnd): the stack's block; `top`: the first byte above the resident arrays. */
  private stackAt = -1;
  private stackEnd = -1;
  top = -1;
  stackMoves = 0;

  /** Live arena blocks, by their view's byte offset (the block starts `pad` bytes before it). */
  private readonly blocks = new Map<number, Block>();
  private readonly reclaim = new FinalizationRegistry<number>((start) => {
    const b = this.blocks.get(start);
    if (b === undefined) return;
    this.blocks.delete(start);
    this.freeBytes(b.at, b.bytes);
  });
  /**
   * Views start at staggered offsets: blocks of 2^k values one after another would all start
   * on the same L1 cache sets (4 KiB apart), and a loop over a dozen of them, as a cell's
   * backward step is, thrashes them (bench/README.md, "Thresholds in the code"). The n-th
   * block's view starts 64·((7n) mod 64) bytes into it.
   */
  private colour = 0;
  /** Whether any arena view was ever made here: until then nothing is one, without a lookup (small nets). */
  private viewsMade = false;

  constructor(readonly memory: WasmMemory, private readonly kind: InstanceKind) {
    this.heap = new Float64Array(memory.buffer);
    this.buffers = new WeakSet<ArrayBufferLike>([memory.buffer]);
    this.memoryBytes = memory.buffer.byteLength;
    let base = TABLES_BYTES;
    if (kind === 'shared') {
      this.grow(HELPER_SCRATCH_AT + HELPER_SCRATCH_BYTES);
      base = HELPER_SCRATCH_AT + HELPER_SCRATCH_BYTES;
    }
    this.base = base;
    if (kind !== 'attached') this.heap.set(EXP_TABLES, 0); // (an attached memory has them from its owner)
  }

  /** Makes the memory at least `bytes` long (views re-taken: a private memory's detach). */
  private grow(bytes: number): void {
    if (bytes > this.memoryBytes) {
      this.memory.grow(Math.ceil((bytes - this.memoryBytes) / 65536));
      this.heap = new Float64Array(this.memory.buffer);
      this.buffers.add(this.memory.buffer);
      this.memoryBytes = this.heap.byteLength;
    }
  }

  // ---- the allocator: the memory above the helper's scratch, in 16-byte aligned blocks ----

  /** A block of `bytes` (a multiple of 16): first fit, else at the end of the memory, grown. */
  private allocBytes(bytes: number): number {
    const freeBlocks = this.freeBlocks;
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
    const at = last && last.at + last.bytes === this.memoryBytes ? freeBlocks.pop()!.at : Math.max(this.memoryBytes, this.base);
    this.grow(at + bytes); // (throws past 4 GiB)
    if (this.memoryBytes > at + bytes) this.freeBytes(at + bytes, this.memoryBytes - at - bytes);
    return at;
  }

  private freeBytes(at: number, bytes: number): void {
    const freeBlocks = this.freeBlocks;
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
  }

  // ---- the stack: resident arrays, then the current call's scratch, from `top` on ----

  /**
   * Makes room for `bytes` above `top`, moving the stack to a bigger block if it must (the
   * resident ranges move with it). Only between products: no job is out while it runs.
   */
  reserve(bytes: number): void {
    if (this.top >= 0 && this.top + bytes <= this.stackEnd) return;
    if (this.kind === 'attached') throw new Error('internal: an attached kernel instance has no stack (operands must be arena views)');
    const used = this.top >= 0 ? this.top - this.stackAt : 0;
    const cap = align16(Math.max(used + bytes, 2 * (this.stackEnd - this.stackAt), 1 << 20));
    const at = this.allocBytes(cap);
    if (used > 0) this.heap.copyWithin(at >> 3, this.stackAt >> 3, (this.stackAt + used + 7) >> 3);
    for (const list of this.ranges.values()) for (const r of list) r.at += at - this.stackAt;
    if (this.top >= 0) this.freeBytes(this.stackAt, this.stackEnd - this.stackAt);
    this.stackAt = at;
    this.stackEnd = at + cap;
    this.top = at + used;
    this.stackMoves++;
  }

  /** Byte address of X[off … off+n) if that lies in a resident range or the arena, else -1. */
  residentAt(X: Float64Array, off: number, n: number, write = false): number {
    if (this.isArena(X)) return X.byteOffset + off * 8;
    if (this.ranges.size === 0) return -1;
    const list = this.ranges.get(X.buffer);
    if (list === undefined) return -1;
    const s = X.byteOffset + off * 8, e = s + n * 8;
    for (const r of list) {
      if (s < r.start || e > r.end) continue;
      if (write && !r.out) throw new Error('internal: a product writes into a resident input');
      return r.at + (s - r.start);
    }
    return -1;
  }

  /** Is (part of) X resident here, or an arena block of this memory? */
  holds(X: Float64Array): boolean {
    return this.isArena(X) || (this.ranges.size > 0 && this.ranges.has(X.buffer));
  }

  /** Runs `body` with `inputs` and `outputs` resident (src/exec/wasm/kernels.ts: RESIDENT); returns what it returns. */
  resident<T>(inputs: readonly Float64Array[], outputs: readonly Float64Array[], body: () => T): T {
    // (arena views are in the memory already: nothing to do for them)
    const outside = (X: Float64Array): boolean => X.length > 0 && this.residentAt(X, 0, X.length) < 0;
    if (!inputs.some(outside) && !outputs.some(outside)) return body();
    this.reserve(0);
    const saved = this.top - this.stackAt; // (the stack may move inside: keep the offset)
    const added: { X: Float64Array; range: Range }[] = [];
    const add = (X: Float64Array, out: boolean): void => {
      if (X.length === 0 || this.residentAt(X, 0, X.length) >= 0) return; // already resident (an outer scope copies it back)
      this.reserve(X.length * 8 + 16 + 64);
      const at = align16(this.top);
      this.heap.set(X, at >> 3);
      this.top = at + X.length * 8;
      const range = { start: X.byteOffset, end: X.byteOffset + X.byteLength, at, out };
      const list = this.ranges.get(X.buffer) ?? [];
      list.push(range);
      this.ranges.set(X.buffer, list);
      added.push({ X, range });
    };
    for (const X of inputs) add(X, false);
    for (const X of outputs) add(X, true);
    try {
      return body();
    } finally {
      for (let k = added.length - 1; k >= 0; k--) {
        const { X, range } = added[k];
        if (range.out) X.set(this.heap.subarray(range.at >> 3, (range.at >> 3) + X.length));
        const list = this.ranges.get(X.buffer)!;
        list.pop(); // scopes nest: this scope's ranges are the last ones
        if (list.length === 0) this.ranges.delete(X.buffer);
      }
      this.top = this.stackAt + saved;
    }
  }

  // ---- the arena: blocks of the memory handed out as views ----

  /** Is X a view of an arena block of this memory? */
  readonly isArena = (X: Float64Array): boolean => this.viewsMade && this.buffers.has(X.buffer);

  /** The n values at byte `at` as an arena view. */
  viewAt(at: number, n: number): Float64Array {
    const X = new Float64Array(this.memory.buffer, at, n);
    this.buffers.add(X.buffer);
    this.viewsMade = true;
    return X;
  }

  /** A new arena block of n values (shared instance), contents unspecified; undefined where there is none. */
  alloc(n: number): Float64Array | undefined {
    if (this.kind !== 'shared' || n === 0) return undefined;
    const pad = 64 * ((7 * this.colour++) % 64);
    const bytes = align16(pad + n * 8);
    let at: number;
    try {
      at = this.allocBytes(bytes);
    } catch {
      return undefined; // past wasm32's 4 GiB: the caller takes ordinary memory
    }
    this.blocks.set(at + pad, { at, bytes });
    const X = this.viewAt(at + pad, n);
    this.reclaim.register(X, at + pad, X);
    return X;
  }

  /** Gives an arena block back (the very view `alloc` returned). */
  free(X: Float64Array): void {
    const b = this.blocks.get(X.byteOffset);
    if (!this.isArena(X) || !b || b.at + b.bytes !== align16(X.byteOffset + X.length * 8)) throw new Error('internal: freeing what is not an arena block');
    this.reclaim.unregister(X);
    this.blocks.delete(X.byteOffset);
    this.freeBytes(b.at, b.bytes);
  }

  /** Tests: fills every free block with NaN, so that whatever still reads one shows. */
  poisonFree(): void {
    for (const b of this.freeBlocks) this.heap.fill(NaN, b.at >> 3, (b.at + b.bytes) >> 3);
  }
}
