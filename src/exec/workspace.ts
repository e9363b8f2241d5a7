/**
 * The buffers of a pass, by name, each handed out in a stated state: `alloc(name, n, 'zero')`
 * is all zeros; `'any'` holds whatever the last pass left there, for a buffer the caller
 * writes in full before it reads it.
 *
 * A kept workspace (`keep`) holds its buffers from one pass to the next: a name gives the
 * same buffer every time, so views cut from it (a trace's step views) stay valid, and a small
 * net's pass allocates nothing. Otherwise every `alloc` takes from the pool (src/exec/pool.ts:
 * arena blocks, shared buffers, big buffers reused) and `free` hands them back.
 */
import { poisonReused, give, take } from './pool';

export type BufferState = 'zero' | 'any';

export class Workspace {
  private readonly kept = new Map<string, Float64Array>();

  constructor(
    /** Buffers a group worker or the SIMD kernels use in place (src/exec/pool.ts `take`). */
    readonly shared: boolean,
    readonly keep: boolean,
  ) {}

  alloc(name: string, n: number, state: BufferState): Float64Array {
    if (!this.keep) return take(n, this.shared, state === 'zero');
    let X = this.kept.get(name);
    if (X === undefined || X.length !== n) {
      if (X) give(X);
      this.kept.set(name, (X = take(n, this.shared, state === 'zero')));
    } else if (state === 'zero') X.fill(0);
    else if (poisonReused()) X.fill(NaN); // (tests: reading one before writing it shows)
    return X;
  }

  /** This pass is done with `bufs` (a kept workspace keeps them for the next). */
  free(...bufs: Float64Array[]): void {
    if (!this.keep) give(...bufs);
  }

  /** Hands every kept buffer back to the pool: nothing of this workspace is used again. */
  close(): void {
    give(...this.kept.values());
    this.kept.clear();
  }
}
