/**
 * Sequences between a framework's layout — (T, N, F), (N, T, F) or (T, F) — and the seed's
 * (F, N, T), which the engine reads: plain copies, the same bits either way.
 */
import { tensor, type Tensor } from '../tensor';

/** How (T, N, F) sequences sit in a framework's arrays: time-major (PyTorch's default), batch-first (N, T, F: PyTorch's batch_first, CS231n's, Keras's), or unbatched (T, F). */
export interface SeqLayout {
  readonly T: number;
  readonly N: number;
  readonly batchFirst: boolean;
  readonly unbatched: boolean;
}

/**
 * Element (s, n, f) of a sequence in `L`'s layout — (T, N, F), or (N, T, F) batch-first — is
 * element (f, n, s) of the seed's (F, N, T). Copied one way or the other in tiles of
 * TILE steps so that both sides are read and written along runs of memory.
 */
function copySeq(seq: Float64Array, seed: Float64Array, F: number, L: SeqLayout, toSeed: boolean): void {
  const { T, N } = L;
  const step = L.batchFirst ? F : N * F; // from step s to s+1 in seq
  for (let n = 0; n < N; n++) {
    for (let s0 = 0; s0 < T; s0 += TILE) {
      const s1 = Math.min(T, s0 + TILE);
      for (let f = 0; f < F; f++) {
        const row = (f * N + n) * T, base = (L.batchFirst ? n * T * F : n * F) + f;
        if (toSeed) for (let s = s0; s < s1; s++) seed[row + s] = seq[base + s * step];
        else for (let s = s0; s < s1; s++) seq[base + s * step] = seed[row + s];
      }
    }
  }
}
const TILE = 16;

/** A sequence array (T, N, F) in `L`'s layout as the seed's (F, N, T). */
export function toSeed(t: Tensor, L: SeqLayout): Tensor {
  const F = t.shape[t.shape.length - 1], out = new Float64Array(F * L.N * L.T);
  copySeq(t.data, out, F, L, true);
  return tensor([F, L.N, L.T], out);
}

/** The seed's (F, N, T) as a sequence array in `L`'s layout. */
export function fromSeed(x: Tensor, L: SeqLayout): Tensor {
  const [F, N, T] = x.shape, out = new Float64Array(F * N * T);
  copySeq(out, x.data, F, L, false);
  return tensor(L.unbatched ? [T, F] : L.batchFirst ? [N, T, F] : [T, N, F], out);
}
