/**
 * The WebAssembly SIMD products: the committed bytes are what src/wasm/generate.ts assembles
 * to, and every product is bit-identical to the TypeScript kernels (the oracle).
 */
import { strict as assert } from 'assert';
import { mulAddTs, mulTAddTs, outerAddTs } from '../src/kernels';
import { assembleKernel } from '../src/wasm/build';
import { KERNEL_WASM_BASE64 } from '../src/wasm/kernel.wasm';
import { wasmKernels } from '../src/wasm/kernels';
import { hex, rng } from './helpers';

const simd = wasmKernels();

describe('WebAssembly SIMD kernels', () => {
  it('are available on this Node (SIMD is on by default since Node 16.4)', () => {
    assert.ok(simd, 'WebAssembly SIMD did not instantiate');
  });

  it('the committed bytes are what src/wasm/generate.ts assembles to (npm run build:wasm)', async () => {
    const bytes = await assembleKernel();
    assert.equal(Buffer.from(bytes).toString('base64'), KERNEL_WASM_BASE64);
  });

  it('every product is bit-identical to the TypeScript kernel, any shape, offset and leading dimension', () => {
    const r = rng(11);
    const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => r.gauss());
    const shapes: [number, number, number][] = [];
    for (const rows of [1, 2, 3, 4, 5, 7, 9, 20]) for (const kn of [1, 2, 3, 5, 8, 13]) for (const m of [1, 2, 3, 4, 5, 10, 17]) shapes.push([rows, kn, m]);
    shapes.push([128, 48, 8], [64, 33, 31]);
    for (const [rows, kn, m] of shapes) {
      const k0 = (rows + kn) % 3, ldw = k0 + kn + (m % 2), cOff = m % 3, bOff = (kn + 1) % 2;
      const W = fill(rows * ldw), B = fill(bOff + kn * m + 1), C0 = fill(cOff + rows * m + 2);
      const a = C0.slice(), b = C0.slice();
      mulAddTs(a, W, ldw, k0, rows, kn, B, m, cOff, bOff);
      simd!.mulAdd(b, W, ldw, k0, rows, kn, B, m, cOff, bOff);
      assert.equal(hex(b), hex(a), `mulAdd ${rows}x${kn}x${m}`);

      const D = fill(bOff + rows * m + 1), T0 = fill(cOff + kn * m + 1);
      const c = T0.slice(), d = T0.slice();
      mulTAddTs(c, W, ldw, k0, rows, kn, D, m, cOff, bOff);
      simd!.mulTAdd(d, W, ldw, k0, rows, kn, D, m, cOff, bOff);
      assert.equal(hex(d), hex(c), `mulTAdd ${rows}x${kn}x${m}`);

      const G0 = fill(rows * ldw), e = G0.slice(), f = G0.slice();
      outerAddTs(e, ldw, k0, D, rows, B, kn, m, bOff, bOff);
      simd!.outerAdd(f, ldw, k0, D, rows, B, kn, m, bOff, bOff);
      assert.equal(hex(f), hex(e), `outerAdd ${rows}x${kn}x${m}`);
    }
  });
});
