/**
 * Buffers of a pass: shared ones from the kernels' arena where there is one, and big ones
 * reused from one pass to the next. A big LSTM pass needs ~60 MB of traces and
 * gradients; fresh, every page of them is a page fault (and the ArrayBuffers pressure V8
 * into garbage collections; figures in bench/README.md, "Thresholds in the code"). So the
 * engine hands buffers back when a pass is over (src/backends/float64.ts knows when: its backends'
 * traces never leave them) and takes them from here.
 *
 * Only buffers of at least POOL_MIN_VALUES values are kept, at most POOL_MAX_BYTES in all
 * (the oldest go first): a process that stops calling keeps at most that much.
 */

import { arenaInUse, kernelArena } from './kernels';

/**
 * Smaller buffers are cheap to allocate; they are not kept (arena blocks go straight back to
 * the arena). Medium nets' passes take ~1 MB in buffers of 2^10 to 2^16 values, which pay to
 * keep (bench/README.md, "Thresholds in the code").
 */
export const POOL_MIN_VALUES = 1 << 10;
/** The most the pool holds (two big LSTM passes' worth). */
export const POOL_MAX_BYTES = 128 << 20;

const free = new Map<string, Float64Array[]>();
/** Every kept buffer, oldest first, for the byte budget. */
const order: Float64Array[] = [];
let bytes = 0;
let poison = false;

/** Where a buffer lives: the arena, a SharedArrayBuffer, or private memory. */
type Kind = 'a' | 's' | 'p';
const kindOf = (X: Float64Array): Kind =>
  arenaInUse()?.isArena(X) ? 'a' : typeof SharedArrayBuffer !== 'undefined' && X.buffer instanceof SharedArrayBuffer ? 's' : 'p';
const keyOf = (n: number, kind: Kind): string => `${kind}${n}`;

/**
 * A buffer of n values. `shared`: one that a group worker can use too (src/exec/groups.ts) — a
 * block of the kernels' arena (src/exec/wasm/kernels.ts), where the products use it in place,
 * or else a SharedArrayBuffer. Arena blocks must be handed back (`give`), or their views
 * garbage-collected, to be used again. `zero`: all zeros, else whatever a previous pass left
 * there — only for buffers the caller writes in full before reading them.
 */
export function take(n: number, shared: boolean, zero = true): Float64Array {
  const arena = shared && n > 0 ? kernelArena() : undefined;
  const kind: Kind = arena ? 'a' : shared ? 's' : 'p';
  const list = n >= POOL_MIN_VALUES ? free.get(keyOf(n, kind)) : undefined;
  const X = list?.pop();
  if (!X) {
    const A = arena?.alloc(n); // (its contents: whatever an earlier block left)
    if (A) return zero ? A.fill(0) : poison ? A.fill(NaN) : A;
    return shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
  }
  order.splice(order.indexOf(X), 1);
  bytes -= X.byteLength;
  if (zero) X.fill(0);
  else if (poison) X.fill(NaN);
  return X;
}

/**
 * Hands buffers back for later passes; nothing may use them any more. Small arena blocks go
 * straight back to the arena; other small buffers and views are ignored.
 */
export function give(...bufs: Float64Array[]): void {
  for (const X of bufs) {
    if (order.includes(X)) continue;
    const kind = kindOf(X);
    if (kind === 'a' && X.length < POOL_MIN_VALUES) {
      arenaInUse()!.free(X);
      continue;
    }
    if (X.length < POOL_MIN_VALUES || (kind !== 'a' && (X.byteOffset !== 0 || X.byteLength !== X.buffer.byteLength))) continue;
    const key = keyOf(X.length, kind);
    const list = free.get(key) ?? [];
    list.push(X);
    free.set(key, list);
    order.push(X);
    bytes += X.byteLength;
  }
  while (bytes > POOL_MAX_BYTES) {
    const old = order.shift()!;
    const kind = kindOf(old);
    const list = free.get(keyOf(old.length, kind))!;
    list.splice(list.indexOf(old), 1);
    bytes -= old.byteLength;
    if (kind === 'a') arenaInUse()!.free(old);
  }
}

/**
 * Tests: empty the pool, and (poison) fill every reused buffer handed out without zeroing
 * with NaN, so that reading one before writing it shows in the results.
 */
export function resetPool(withPoison = false): void {
  for (const X of order) if (kindOf(X) === 'a') arenaInUse()!.free(X);
  free.clear();
  order.length = 0;
  bytes = 0;
  poison = withPoison;
}

/** Tests: are reused buffers handed out without zeroing to be filled with NaN (`resetPool`)? */
export const poisonReused = (): boolean => poison;

/** What the pool holds now (tests). */
export const poolBytes = (): number => bytes;
