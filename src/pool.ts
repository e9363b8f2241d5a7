/**
 * Big buffers reused from one pass to the next. A big LSTM pass needs ~60 MB of traces and
 * gradients; fresh, every page of them is a page fault (and the ArrayBuffers pressure V8
 * into garbage collections): allocating and first touching 52 MB took ~30 ms on this VM,
 * reusing them ~5 ms. So the engine hands buffers back when a pass is over (src/engine.ts
 * knows when: its backends' traces never leave them) and takes them from here.
 *
 * Only buffers of at least POOL_MIN_VALUES values are kept, at most POOL_MAX_BYTES in all
 * (the oldest go first): a process that stops calling keeps at most that much.
 */

/** Smaller buffers are cheap to allocate; they are not kept. */
export const POOL_MIN_VALUES = 1 << 16;
/** The most the pool holds (two big LSTM passes' worth). */
export const POOL_MAX_BYTES = 128 << 20;

const free = new Map<string, Float64Array[]>();
/** Every kept buffer, oldest first, for the byte budget. */
const order: Float64Array[] = [];
let bytes = 0;
let poison = false;

const keyOf = (n: number, shared: boolean): string => `${shared ? 's' : 'p'}${n}`;
const isShared = (X: Float64Array): boolean => typeof SharedArrayBuffer !== 'undefined' && X.buffer instanceof SharedArrayBuffer;

/**
 * A buffer of n values, on a SharedArrayBuffer when `shared` (src/groups.ts). `zero`: all
 * zeros, else whatever a previous pass left there — only for buffers the caller writes in
 * full before reading them.
 */
export function take(n: number, shared: boolean, zero = true): Float64Array {
  const list = n >= POOL_MIN_VALUES ? free.get(keyOf(n, shared)) : undefined;
  const X = list?.pop();
  if (!X) return shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
  order.splice(order.indexOf(X), 1);
  bytes -= X.byteLength;
  if (zero) X.fill(0);
  else if (poison) X.fill(NaN);
  return X;
}

/** Hands buffers back for later passes; nothing may use them any more. Views and small buffers are ignored. */
export function give(...bufs: Float64Array[]): void {
  for (const X of bufs) {
    if (X.length < POOL_MIN_VALUES || X.byteOffset !== 0 || X.byteLength !== X.buffer.byteLength || order.includes(X)) continue;
    const key = keyOf(X.length, isShared(X));
    const list = free.get(key) ?? [];
    list.push(X);
    free.set(key, list);
    order.push(X);
    bytes += X.byteLength;
  }
  while (bytes > POOL_MAX_BYTES) {
    const old = order.shift()!;
    const list = free.get(keyOf(old.length, isShared(old)))!;
    list.splice(list.indexOf(old), 1);
    bytes -= old.byteLength;
  }
}

/**
 * Tests: empty the pool, and (poison) fill every reused buffer handed out without zeroing
 * with NaN, so that reading one before writing it shows in the results.
 */
export function resetPool(withPoison = false): void {
  free.clear();
  order.length = 0;
  bytes = 0;
  poison = withPoison;
}

/** What the pool holds now (tests). */
export const poolBytes = (): number => bytes;
