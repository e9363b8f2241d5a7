/**
 * The three products of src/kernels.ts on the WebAssembly SIMD kernel (src/wasm/generate.ts),
 * with the same signatures and bit-identical results (test/wasm.test.ts): ~4–8× the
 * TypeScript kernels, measured in bench/README.md.
 *
 * Operands are copied into the module's memory for each call (the engine's buffers are plain
 * Float64Arrays, and gradcheck perturbs weights in place, so nothing can stay resident); the
 * copies cost a few percent at medium and big sizes. Views of the memory are re-taken after
 * it grows and never leave this file.
 *
 * `wasmKernels()` is undefined where WebAssembly SIMD is unavailable; callers then keep the
 * TypeScript kernels.
 */
import { KERNEL_WASM_BASE64 } from './kernel.wasm';

/** The slice of the WebAssembly API used here (tsconfig's lib has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

type Gemm = (c: number, ldc: number, a: number, sr: number, sk: number, rows: number, kn: number, b: number, ldb: number, m: number) => void;

export interface Kernels {
  mulAdd(C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number, B: Float64Array, m: number, cOff?: number, bOff?: number): void;
  mulTAdd(C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number, D: Float64Array, m: number, cOff?: number, dOff?: number): void;
  outerAdd(G: Float64Array, ldg: number, k0: number, D: Float64Array, rows: number, B: Float64Array, kn: number, m: number, dOff?: number, bOff?: number): void;
}

function instantiate(): Kernels | undefined {
  let exports: { memory: WasmMemory; gemm: Gemm; transpose: (d: number, s: number, rows: number, cols: number) => void };
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const mod = new wasm.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
    exports = new wasm.Instance(mod, {}).exports as typeof exports;
  } catch {
    return undefined; // no SIMD support
  }
  const { memory, gemm, transpose } = exports;
  let heap = new Float64Array(memory.buffer);

  /** Makes room for `n` doubles from byte 0 on; returns the heap view to copy into. */
  const reserve = (n: number): Float64Array => {
    const need = n * 8 + 64;
    if (need > memory.buffer.byteLength) {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      heap = new Float64Array(memory.buffer);
    }
    return heap;
  };

  /**
   * C[cOff …] (cN values) += a product of W's first wN values and X[xOff …] (xN values):
   * copies [W | X | C] in (each 16-byte aligned), lets `product` run on their byte offsets,
   * copies C back.
   */
  const withCopies = (
    C: Float64Array, cOff: number, cN: number, W: Float64Array, wN: number, X: Float64Array, xOff: number, xN: number,
    product: (pC: number, pW: number, pX: number) => void,
  ): void => {
    const pW = 0, pX = pW + ((wN + 1) & ~1), pC = pX + ((xN + 1) & ~1);
    const h = reserve(pC + cN);
    h.set(W.subarray(0, wN), pW);
    h.set(X.subarray(xOff, xOff + xN), pX);
    h.set(C.subarray(cOff, cOff + cN), pC);
    product(pC * 8, pW * 8, pX * 8);
    C.set(heap.subarray(pC, pC + cN), cOff);
  };

  return {
    mulAdd(C, W, ldw, k0, rows, kn, B, m, cOff = 0, bOff = 0) {
      withCopies(C, cOff, rows * m, W, (rows - 1) * ldw + k0 + kn, B, bOff, kn * m, (pC, pW, pB) =>
        gemm(pC, m, pW + k0 * 8, ldw, 1, rows, kn, pB, m, m));
    },
    mulTAdd(C, W, ldw, k0, rows, kn, D, m, cOff = 0, dOff = 0) {
      // output row kk, inner index i: A(kk, i) = W[i·ldw + k0 + kk]
      withCopies(C, cOff, kn * m, W, (rows - 1) * ldw + k0 + kn, D, dOff, rows * m, (pC, pW, pD) =>
        gemm(pC, m, pW + k0 * 8, 1, ldw, kn, rows, pD, m, m));
    },
    outerAdd(G, ldg, k0, D, rows, B, kn, m, dOff = 0, bOff = 0) {
      const gN = (rows - 1) * ldg + k0 + kn, dN = rows * m, bN = kn * m;
      // [G | D | B | Bᵀ]
      const pG = 0, pD = pG + ((gN + 1) & ~1), pB = pD + ((dN + 1) & ~1), pT = pB + ((bN + 1) & ~1);
      const h = reserve(pT + bN);
      h.set(G.subarray(0, gN), pG);
      h.set(D.subarray(dOff, dOff + dN), pD);
      h.set(B.subarray(bOff, bOff + bN), pB);
      transpose(pT * 8, pB * 8, kn, m); // Bᵀ (m × kn), so the sum over j runs in order
      gemm((pG + k0) * 8, ldg, pD * 8, m, 1, rows, m, pT * 8, kn, kn);
      G.set(heap.subarray(pG, pG + gN), 0);
    },
  };
}

let loaded: Kernels | undefined | null = null;

/** The SIMD kernels of this thread (instantiated on first use), or undefined without SIMD. */
export function wasmKernels(): Kernels | undefined {
  if (loaded === null) loaded = instantiate();
  return loaded;
}
