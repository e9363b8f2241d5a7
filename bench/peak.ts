/**
 * The machine's limits, for the engine section of `npm run bench`, measured in the same run:
 * our SIMD kernel alone on the product it spends the most time on (the big LSTM step's
 * 512×128 · 128×32, operands resident, one thread) — the most our products reach here —
 * and numpy's matmul on 2048×2048 matrices (numpy_side.py `peak`, OpenBLAS on every core).
 *
 * Why they differ: WebAssembly SIMD has 128-bit vectors and no FMA that keeps bits (relaxed
 * SIMD's may fuse or not), so each core does 2 f64 lanes per multiply and per add; OpenBLAS
 * uses 256-bit (AVX2/AVX-512) FMA, twice the lanes and the multiply and add in one.
 */
import { packPanels, panelsLength, wasmKernels } from '../src/exec/wasm/kernels';

/**
 * GFLOP/s of the kernel on (rows × kn) · (kn × m), best of `samples` timed batches of calls:
 * W as it is, or (`packed`) in the panels the big nets' passes use for their weights.
 */
export function kernelPeak(rows = 512, kn = 128, m = 32, samples = 20, packed = false): number | undefined {
  const k = wasmKernels();
  if (!k) return undefined;
  const W = Float64Array.from({ length: rows * kn }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const B = Float64Array.from({ length: kn * m }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const C = new Float64Array(rows * m);
  const P = new Float64Array(panelsLength(rows, kn));
  packPanels(P, W, 0, kn, 1, rows, kn);
  const calls = Math.max(1, Math.round(2e8 / (2 * rows * kn * m))); // ~0.2 GFLOP per sample
  let best = 0;
  k.resident([packed ? P : W, B], [C], () => {
    for (let s = 0; s < samples + 5; s++) {
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) {
        if (packed) k.packed(C, P, rows, kn, B, m);
        else k.mulAdd(C, W, kn, 0, rows, kn, B, m);
      }
      const seconds = (performance.now() - t0) / 1e3;
      if (s >= 5) best = Math.max(best, (2 * rows * kn * m * calls) / seconds / 1e9); // the first: V8's baseline code
    }
  });
  return best;
}
