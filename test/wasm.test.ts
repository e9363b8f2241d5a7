/**
 * The WebAssembly SIMD products: the committed bytes are what tools/wasm/generate.ts assembles
 * to, and every product is bit-identical to the TypeScript kernels (the oracle).
 */
import { strict as assert } from 'assert';
import * as os from 'os';
import { gradients, trace } from '../src/backends/float64';
import { outerAdd, transposeItems } from '../src/exec/kernels';
import { fillBias, mulAddTs, mulTAddTs, outerAddTs } from '../src/exec/kernels-ts';
import { sigmoidInPlace, softmaxColumns, tanhInPlace, transposeBlock } from '../src/exec/elementwise';
import * as fm from '../src/exec/fastmath';
import { kernelArena } from '../src/exec/kernels';
import { assembleKernel } from '../tools/wasm/build';
import { KERNEL_SHARED_WASM_BASE64, KERNEL_WASM_BASE64 } from '../src/exec/wasm/kernel.wasm';
import { KERNEL_THREADS_OFF, packPanels, panelsLength, setKernelThreads, sharedKernels, THREAD_MIN_WORK, wasmKernels } from '../src/exec/wasm/kernels';
import { hex, randomInputs, rng } from './helpers';

const simd = wasmKernels();
const shared = sharedKernels();

describe('WebAssembly SIMD kernels', () => {
  it('are available on this Node (SIMD is on by default since Node 16.4, threads since 16)', () => {
    assert.ok(simd, 'WebAssembly SIMD did not instantiate');
    assert.ok(shared, 'WebAssembly SIMD on shared memory did not instantiate');
  });

  it('the committed bytes are what tools/wasm/generate.ts assembles to (npm run build:wasm)', async () => {
    assert.equal(Buffer.from(await assembleKernel('own')).toString('base64'), KERNEL_WASM_BASE64);
    assert.equal(Buffer.from(await assembleKernel('shared')).toString('base64'), KERNEL_SHARED_WASM_BASE64);
  });

  for (const [name, kernels] of [['private', simd], ['shared', shared]] as const) it(`every product (${name} memory) is bit-identical to the TypeScript kernel, any shape, offset and leading dimension`, () => {
    const simd = kernels;
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

      const bias = fill(rows), g1 = C0.slice(), g2 = C0.slice();
      fillBias(g1, bias, rows, m, cOff);
      mulAddTs(g1, W, ldw, k0, rows, kn, B, m, cOff, bOff);
      simd!.mulBias(g2, bias, W, ldw, k0, rows, kn, B, m, cOff, bOff);
      assert.equal(hex(g2), hex(g1), `mulBias ${rows}x${kn}x${m}`);

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

  for (const [name, kernels] of [['private', simd], ['shared', shared]] as const) it(`a batch (${name} memory) is bit-identical to the loop of its items on the TypeScript kernel`, () => {
    const r = rng(13);
    const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => r.gauss());
    for (const [rows, kn, m, nb] of [[1, 1, 1, 1], [5, 3, 7, 4], [9, 13, 5, 3], [20, 8, 10, 7]]) {
      const ldw = kn + 2, k0 = 1, W = fill(rows * ldw);
      // items a few values apart (strides larger than a block), from offsets
      const bStep = kn * m + 3, dStep = rows * m + 2, cStep = rows * m + 1, tStep = kn * m + 5;
      const B = fill(2 + nb * bStep), D = fill(1 + nb * dStep), C0 = fill(3 + nb * cStep), T0 = fill(1 + nb * tStep), G0 = fill(rows * ldw);
      const a = C0.slice(), b = C0.slice();
      for (let u = 0; u < nb; u++) mulAddTs(a, W, ldw, k0, rows, kn, B, m, 3 + u * cStep, 2 + u * bStep);
      kernels!.mulAdd(b, W, ldw, k0, rows, kn, B, m, 3, 2, nb, cStep, bStep);
      assert.equal(hex(b), hex(a), `mulAdd ${rows}x${kn}x${m} ×${nb}`);
      const c = T0.slice(), d = T0.slice();
      for (let u = 0; u < nb; u++) mulTAddTs(c, W, ldw, k0, rows, kn, D, m, 1 + u * tStep, 1 + u * dStep);
      kernels!.mulTAdd(d, W, ldw, k0, rows, kn, D, m, 1, 1, nb, tStep, dStep);
      assert.equal(hex(d), hex(c), `mulTAdd ${rows}x${kn}x${m} ×${nb}`);
      // mulBias writes only the items' blocks: what lies between them stays
      const bias = fill(rows), g1 = C0.slice(), g2 = C0.slice();
      for (let u = 0; u < nb; u++) {
        fillBias(g1, bias, rows, m, 3 + u * cStep);
        mulAddTs(g1, W, ldw, k0, rows, kn, B, m, 3 + u * cStep, 2 + u * bStep);
      }
      kernels!.mulBias(g2, bias, W, ldw, k0, rows, kn, B, m, 3, 2, nb, cStep, bStep);
      assert.equal(hex(g2), hex(g1), `mulBias ${rows}x${kn}x${m} ×${nb}`);
      const e = G0.slice(), f = G0.slice();
      for (let u = 0; u < nb; u++) outerAddTs(e, ldw, k0, D, rows, B, kn, m, 1 + u * dStep, 2 + u * bStep);
      kernels!.outerAdd(f, ldw, k0, D, rows, B, kn, m, 1, 2, nb, dStep, bStep);
      assert.equal(hex(f), hex(e), `outerAdd ${rows}x${kn}x${m} ×${nb}`);
    }
  });

  for (const [name, kernels] of [['private', simd], ['shared', shared]] as const) it(`packed A (${name} memory): the bits of mulAdd, mulTAdd and mulBias, any shape, batches included`, () => {
    const r = rng(19);
    const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => r.gauss());
    for (const [rows, kn, m, nb] of [[1, 1, 1, 1], [4, 3, 4, 1], [5, 7, 3, 2], [7, 2, 9, 3], [12, 13, 17, 2], [33, 16, 16, 3], [64, 40, 5, 1]]) {
      const ldw = kn + rows + 1, k0 = 2, W = fill(rows * ldw + k0 + kn);
      const bStep = Math.max(kn, rows) * m + 3, cStep = Math.max(kn, rows) * m + 1;
      const B = fill(2 + nb * bStep), C0 = fill(3 + nb * cStep);
      // A = W[:, k0:k0+kn] (mulAdd, mulBias) and its transpose (mulTAdd), each packed
      const P = new Float64Array(panelsLength(rows, kn)).fill(NaN), PT = new Float64Array(panelsLength(kn, rows)).fill(NaN);
      packPanels(P, W, k0, ldw, 1, rows, kn);
      packPanels(PT, W, k0, 1, ldw, kn, rows);
      const a = C0.slice(), b = C0.slice();
      for (let u = 0; u < nb; u++) mulAddTs(a, W, ldw, k0, rows, kn, B, m, 3 + u * cStep, 2 + u * bStep);
      kernels!.packed(b, P, rows, kn, B, m, 3, 2, nb, cStep, bStep);
      assert.equal(hex(b), hex(a), `as mulAdd ${rows}x${kn}x${m} ×${nb}`);
      const c = C0.slice(), d = C0.slice();
      for (let u = 0; u < nb; u++) mulTAddTs(c, W, ldw, k0, rows, kn, B, m, 3 + u * cStep, 2 + u * bStep);
      kernels!.packed(d, PT, kn, rows, B, m, 3, 2, nb, cStep, bStep);
      assert.equal(hex(d), hex(c), `as mulTAdd ${rows}x${kn}x${m} ×${nb}`);
      const bias = fill(rows), e = C0.slice(), f = C0.slice();
      for (let u = 0; u < nb; u++) {
        fillBias(e, bias, rows, m, 3 + u * cStep);
        mulAddTs(e, W, ldw, k0, rows, kn, B, m, 3 + u * cStep, 2 + u * bStep);
      }
      kernels!.packed(f, P, rows, kn, B, m, 3, 2, nb, cStep, bStep, bias);
      assert.equal(hex(f), hex(e), `as mulBias ${rows}x${kn}x${m} ×${nb}`);
    }
  });

  for (const [name, kernels] of [['private', simd], ['shared', shared]] as const) it(`outerAdd on B transposed once (transposeItems, ${name} memory) gives outerAdd's bits`, () => {
    const r = rng(23);
    const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => r.gauss());
    for (const [rows, kn, w, groups, nb] of [[1, 1, 1, 1, 1], [5, 3, 4, 2, 3], [9, 13, 5, 3, 2], [20, 8, 16, 2, 4]]) {
      const m = w * groups, ldg = kn + 3, k0 = 1;
      const dGroup = rows * w + 3, bGroup = kn * w + 2, dStep = groups * dGroup + 1, bStep = groups * bGroup + 5;
      const D = fill(1 + nb * dStep), B = fill(2 + nb * bStep), G0 = fill(rows * ldg);
      const want = G0.slice(), got = G0.slice();
      kernels!.outerAdd(want, ldg, k0, D, rows, B, kn, m, 1, 2, nb, dStep, bStep, w, dGroup, bGroup);
      const Bt = new Float64Array(nb * kn * m).fill(NaN);
      kernels!.transposeItems(Bt, B, kn, m, 2, nb, bStep, w, bGroup);
      kernels!.outerAdd(got, ldg, k0, D, rows, new Float64Array(0), kn, m, 1, 2, nb, dStep, bStep, w, dGroup, bGroup, Bt);
      assert.equal(hex(got), hex(want), `${rows}x${kn}, ${groups} groups of ${w} ×${nb}`);
    }
  });

  for (const [name, kernels] of [['private', simd], ['shared', shared]] as const) it(`outerAdd over column groups (${name} memory) gives the bits of the plain matrices, TypeScript and SIMD`, () => {
    const r = rng(17);
    const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => r.gauss());
    for (const [rows, kn, w, groups, nb] of [[1, 1, 1, 2, 1], [5, 3, 4, 2, 3], [9, 13, 5, 3, 2], [20, 8, 16, 2, 4], [7, 6, 3, 4, 1]]) {
      const m = w * groups, ldg = kn + 3, k0 = 2;
      // grouped items: group q of item u at u·step + q·group, a (rows, w) / (kn, w) block; gaps between
      const dGroup = rows * w + 3, bGroup = kn * w + 2, dStep = groups * dGroup + 1, bStep = groups * bGroup + 5;
      const D = fill(1 + nb * dStep), B = fill(2 + nb * bStep), G0 = fill(rows * ldg);
      // the same items as plain (rows, m) and (kn, m) matrices
      const plainD = new Float64Array(nb * rows * m), plainB = new Float64Array(nb * kn * m);
      for (let u = 0; u < nb; u++) {
        for (let q = 0; q < groups; q++) {
          for (let j = 0; j < w; j++) {
            for (let i = 0; i < rows; i++) plainD[u * rows * m + i * m + q * w + j] = D[1 + u * dStep + q * dGroup + i * w + j];
            for (let k = 0; k < kn; k++) plainB[u * kn * m + k * m + q * w + j] = B[2 + u * bStep + q * bGroup + k * w + j];
          }
        }
      }
      const want = G0.slice();
      for (let u = 0; u < nb; u++) outerAddTs(want, ldg, k0, plainD, rows, plainB, kn, m, u * rows * m, u * kn * m);
      const ts = G0.slice(), wasm = G0.slice();
      for (let u = 0; u < nb; u++) outerAddTs(ts, ldg, k0, D, rows, B, kn, m, 1 + u * dStep, 2 + u * bStep, w, dGroup, bGroup);
      kernels!.outerAdd(wasm, ldg, k0, D, rows, B, kn, m, 1, 2, nb, dStep, bStep, w, dGroup, bGroup);
      assert.equal(hex(ts), hex(want), `TypeScript ${rows}x${kn}, ${groups} groups of ${w} ×${nb}`);
      assert.equal(hex(wasm), hex(want), `SIMD ${rows}x${kn}, ${groups} groups of ${w} ×${nb}`);
    }
  });

  for (const [name, kernels] of [['private', simd], ['shared', shared]] as const) describe(`resident operands (${name} memory)`, () => {
    const simd = kernels;
    const r = rng(5);
    const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => r.gauss());

    it('products on resident inputs and outputs equal the copying ones; outputs come back at the end', () => {
      const [rows, kn, m, ldw] = [12, 9, 7, 11];
      const W = fill(rows * ldw), B = fill(kn * m), D = fill(rows * m), G0 = fill(rows * ldw), C0 = fill(rows * m);
      const C1 = C0.slice(), G1 = G0.slice(), C2 = C0.slice(), G2 = G0.slice();
      simd!.mulAdd(C1, W, ldw, 2, rows, kn, B, m);
      simd!.outerAdd(G1, ldw, 2, D, rows, B, kn, m);
      simd!.outerAdd(G1, ldw, 2, D, rows, B, kn, m);
      simd!.resident([W, B, D.subarray(0, rows * m)], [G2], () => {
        simd!.mulAdd(C2, W, ldw, 2, rows, kn, B, m);
        simd!.outerAdd(G2, ldw, 2, D, rows, B, kn, m);
        simd!.outerAdd(G2, ldw, 2, D, rows, B, kn, m);
        assert.equal(hex(G2), hex(G0), 'a resident output is only copied back when its scope ends');
      });
      assert.equal(hex(C2), hex(C1));
      assert.equal(hex(G2), hex(G1));
    });

    it('finds views inside a resident range, nests scopes, and refuses a product into a resident input', () => {
      const [rows, kn, m] = [6, 5, 4];
      const big = fill(3 * kn * m), W = fill(rows * kn), C0 = fill(rows * m);
      const step = (t: number): Float64Array => big.subarray(t * kn * m, (t + 1) * kn * m);
      const expected = C0.slice();
      for (let t = 0; t < 3; t++) mulAddTs(expected, W, kn, 0, rows, kn, step(t), m);
      const C = C0.slice();
      simd!.resident([big], [], () => simd!.resident([W], [C], () => {
        for (let t = 0; t < 3; t++) simd!.mulAdd(C, W, kn, 0, rows, kn, step(t), m);
        assert.ok(simd!.holds(step(1)) && simd!.holds(W) && simd!.holds(C));
      }));
      assert.equal(hex(C), hex(expected));
      assert.ok(!simd!.holds(big) && !simd!.holds(W) && !simd!.holds(C), 'nothing stays resident after the scopes');
      assert.throws(() => simd!.resident([C], [], () => simd!.mulAdd(C, W, kn, 0, rows, kn, step(0), m)), /resident input/);
    });
  });

  it('outerAdd takes a shared transposition (transposeItems) only where it holds exactly its items of its B', () => {
    const arena = kernelArena();
    if (!arena) return;
    const r = rng(29);
    const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => r.gauss());
    const [rows, kn, w, groups, nb] = [9, 6, 5, 2, 4];
    const m = w * groups, bGroup = kn * w + 1, bStep = groups * bGroup + 3, dStep = rows * m;
    const D = fill(nb * dStep), B = fill(nb * bStep), other = fill(nb * bStep), G0 = fill(rows * kn);
    const T = arena.alloc(nb * kn * m)!;
    const bt = transposeItems(T, B, kn, m, 0, nb, bStep, w, bGroup)!;
    assert.ok(bt, 'an arena block is transposed into');
    const cases: [string, Float64Array, number, number][] = [
      ['all its items', B, 0, nb], ['its items 1…', B, bStep, nb - 1], ['its items 0…nb−2', B, 0, nb - 1],
      ['another B (ignored)', other, 0, nb], ['an offset between items (ignored)', B, 1, nb - 1],
    ];
    const got = arena.alloc(rows * kn)!; // (an arena output: the product runs on the SIMD kernel, however small)
    for (const [what, X, bOff, n] of cases) {
      const want = G0.slice();
      got.set(G0);
      for (let u = 0; u < n; u++) outerAddTs(want, kn, 0, D, rows, X, kn, m, u * dStep, bOff + u * bStep, w, rows * w, bGroup);
      outerAdd(got, kn, 0, D, rows, X, kn, m, 0, bOff, n, dStep, bStep, w, rows * w, bGroup, bt);
      assert.equal(hex(got), hex(want), what);
    }
    arena.free(T);
    arena.free(got);
  });

  describe('the arena (shared memory)', () => {
    const r = rng(11);
    const fill = (X: Float64Array): Float64Array => {
      for (let i = 0; i < X.length; i++) X[i] = r.gauss();
      return X;
    };

    it('hands out blocks of the memory, reuses freed ones first fit, and merges neighbours', () => {
      const k = shared!;
      const [a, b, c] = [1000, 3000, 500].map((n) => k.alloc(n)!);
      assert.ok([a, b, c].every((X) => k.isArena(X) && k.holds(X) && X.byteOffset % 16 === 0));
      assert.ok(!k.isArena(new Float64Array(4)) && !k.isArena(new Float64Array(new SharedArrayBuffer(32))));
      assert.ok(a.byteOffset + 8000 <= b.byteOffset || b.byteOffset + 24000 <= a.byteOffset, 'blocks do not overlap');
      // (a view starts up to 4 KiB into its block, staggered against cache-set aliasing)
      assert.ok(new Set([a, b, c].map((X) => X.byteOffset % 4096)).size === 3, 'views start on different cache sets');
      // First fit: the lowest free block that fits — the one just freed, or a hole that earlier
      // tests left below it (the arena is the process's), never one above it.
      const notAbove = (X: Float64Array, Y: Float64Array): boolean => X.byteOffset < Y.byteOffset + 4096;
      k.free(b);
      const d = k.alloc(2000)!;
      assert.ok(notAbove(d, b), 'first fit: the freed block (or a lower one)');
      k.free(d);
      k.free(a);
      if (b.byteOffset - a.byteOffset < 8000 + 4096 + 16) {
        const e = k.alloc(3000)!; // first fit: a's and b's blocks merged, from a's start (or a lower hole)
        assert.ok(notAbove(e, a), 'merged');
        k.free(e);
      }
      k.free(c);
      assert.throws(() => k.free(c), /not an arena block/, 'a double free is refused');
      assert.throws(() => k.free(new Float64Array(4)), /not an arena block/);
    });

    it('products on arena blocks run in place (nothing resident, nothing copied) with the bits of the TypeScript kernels', () => {
      const k = shared!;
      const [rows, kn, m, ldw] = [37, 29, 19, 31];
      const W = fill(k.alloc(rows * ldw)!), B = fill(k.alloc(kn * m)!), D = fill(k.alloc(rows * m)!);
      const C = fill(k.alloc(rows * m)!), CT = fill(k.alloc(kn * m)!), G = fill(k.alloc(rows * ldw)!);
      const [C0, CT0, G0] = [C.slice(), CT.slice(), G.slice()];
      assert.ok([W, B, D, C, CT, G].every((X) => k.isArena(X)) && !k.isArena(C0));
      k.mulAdd(C, W, ldw, 2, rows, kn, B, m);
      k.mulTAdd(CT, W, ldw, 2, rows, kn, D, m);
      k.outerAdd(G, ldw, 2, D, rows, B, kn, m);
      mulAddTs(C0, W, ldw, 2, rows, kn, B, m);
      mulTAddTs(CT0, W, ldw, 2, rows, kn, D, m);
      outerAddTs(G0, ldw, 2, D, rows, B, kn, m);
      assert.equal(hex(C), hex(C0));
      assert.equal(hex(CT), hex(CT0));
      assert.equal(hex(G), hex(G0));
      for (const X of [W, B, D, C, CT, G]) k.free(X);
    });

    it('sigmoid and tanh in place on an arena block, in SIMD: the bits of fastmath, edge values included', function () {
      const k = kernelArena(); // (the instance src/exec/kernels.ts knows: sharedKernels())
      if (!k) this.skip(); // RNN_NO_SIMD=1, RNN_KERNEL_THREADS=1: no arena
      const special = [0, -0, 1e-300, -1e-300, 5e-324, 7.450580596923828e-9, -7.450580596923828e-9, 7.450580596923829e-9, 1e-8,
        19.06, -19.06, 21.999999, 22, -22, 703.9999, 704, -704, 704.0001, -745.2, 709.8, 1e308, -1e308, Infinity, -Infinity, NaN];
      const values: number[] = [...special];
      for (const scale of [1e-6, 0.01, 1, 3, 10, 30, 300, 800]) for (let i = 0; i < 2000; i++) values.push(scale * r.gauss());
      for (const n of [values.length, values.length - 1]) {
        for (const [name, simd, ts] of [['sigmoid', sigmoidInPlace, fm.sigmoidInPlace], ['tanh', tanhInPlace, fm.tanhInPlace]] as const) {
          const Z: Float64Array = k!.alloc(n + 3)!, Z2: Float64Array = k!.alloc(n + 3)!;
          Z.set(values.slice(0, n), 1);
          Z2.set(Z);
          const want: Float64Array = Z.slice();
          ts(want, 1, n);
          simd(Z, 1, n); // src/exec/kernels.ts: SIMD on arena blocks
          assert.equal(hex(Z), hex(want), `${name}, ${n} values`);
          // the kernel's own pass: σ leaves exactly the values outside fastmath's first-pass range
          // (|z| ≥ 704, NaN) as they were; tanh leaves nothing, every value final
          const left = k!.activation(name, Z2, 1, n >> 1);
          const done = Z2.subarray(1, 1 + 2 * (n >> 1)), orig = values.slice(0, 2 * (n >> 1));
          const final = (v: number): boolean => name === 'tanh' || Math.abs(v) < 704;
          assert.equal(left, name === 'sigmoid');
          orig.forEach((v, i) => assert.ok(final(v) ? hex(done.subarray(i, i + 1)) === hex(want.subarray(1 + i, 2 + i)) : Object.is(done[i], v), `${name}(${v})`));
          k!.free(Z);
          k!.free(Z2);
        }
      }
    });

    it('transposeBlock: strided transposes between arena blocks in SIMD equal the plain loop, odd sizes included', function () {
      const k = kernelArena();
      if (!k) this.skip();
      // (dst rows 512 or more apart take the other loop order)
      for (const [rows, cols, lds, ldd] of [[16, 100, 100, 2048], [100, 16, 2048, 100], [5, 3, 7, 9], [1, 1, 1, 1], [3, 8, 8, 4], [5, 7, 9, 600], [4, 2, 2, 512]] as const) {
        const S: Float64Array = k!.alloc(2 + rows * lds)!, D: Float64Array = k!.alloc(1 + cols * ldd)!;
        S.forEach((_, i) => (S[i] = r.gauss()));
        D.fill(NaN);
        const want = D.slice();
        transposeBlock(want, 1, ldd, S.slice(), 2, lds, rows, cols); // (plain arrays: the loop)
        transposeBlock(D, 1, ldd, S, 2, lds, rows, cols);
        assert.equal(hex(D), hex(want), `${rows}×${cols}, lds ${lds}, ldd ${ldd}`);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) assert.equal(D[1 + j * ldd + i], S[2 + i * lds + j]);
        k!.free(S);
        k!.free(D);
      }
    });

    it('softmax over the columns of an arena block, in SIMD: the bits of the JavaScript loop, any width, in place or not', function () {
      const k = kernelArena();
      if (!k) this.skip();
      for (const [rows, w, scale] of [[64, 16, 3], [10, 2, 1], [7, 5, 30], [3, 1, 1], [2, 9, 300], [33, 4, 1e-3]] as const) {
        const n = rows * w, off = 3;
        const Z: Float64Array = k!.alloc(n + 5)!, Y: Float64Array = k!.alloc(n + 5)!;
        for (let i = 0; i < Z.length; i++) Z[i] = scale * r.gauss();
        Z[off + w] = 1e-320; // (a subnormal logit)
        Y.fill(NaN);
        const Zp = Z.slice(), Yp = Y.slice(); // not arena blocks: the JavaScript loop
        softmaxColumns(Yp, rows, w, off, Zp);
        softmaxColumns(Y, rows, w, off, Z);
        assert.equal(hex(Y), hex(Yp), `${rows}×${w}, logits ~${scale}`);
        softmaxColumns(Zp, rows, w, off); // in place
        softmaxColumns(Z, rows, w, off);
        assert.equal(hex(Z), hex(Zp), `${rows}×${w} in place`);
        assert.equal(k!.softmax(Y, Z, off, rows, w), w - (w % 2), 'the SIMD pass does every column pair of ordinary logits');
        k!.free(Z);
        k!.free(Y);
      }
      // logits 704 or more apart in a column (exp underflows past the SIMD range), ±∞, NaN: the
      // kernel stops at that column pair, writing nothing of it, and JavaScript finishes from there
      for (const [col, v, label] of [[2, 800, 'spread'], [3, -Infinity, '−∞'], [2, Infinity, '∞'], [3, NaN, 'NaN']] as const) {
        const Z: Float64Array = k!.alloc(24)!, Y: Float64Array = k!.alloc(24)!;
        for (let i = 0; i < 24; i++) Z[i] = r.gauss();
        Z[6 + col] = v; // (4, 6): row 1, column `col`: the second pair
        const Zp = Z.slice(), Yp = Zp.slice();
        softmaxColumns(Yp, 4, 6, 0, Zp);
        softmaxColumns(Zp, 4, 6, 0);
        Y.fill(7);
        assert.equal(k!.softmax(Y, Z, 0, 4, 6), 2, label);
        assert.ok([0, 1, 2, 3].every((i) => Y[6 * i + 2] === 7 && Y[6 * i + 3] === 7), `${label}: nothing of the pair written`);
        softmaxColumns(Y, 4, 6, 0, Z);
        assert.equal(hex(Y), hex(Yp), label);
        softmaxColumns(Z, 4, 6, 0); // in place: the pairs before are final and not redone
        assert.equal(hex(Z), hex(Zp), `${label}, in place`);
        k!.free(Z);
        k!.free(Y);
      }
    });

    it('the stack moves to a bigger block in the middle of nested scopes; resident operands move with it', () => {
      const k = shared!;
      const [rows, kn, m] = [16, 12, 8];
      const W = fill(new Float64Array(rows * kn)), B = fill(new Float64Array(kn * m)), G0 = fill(new Float64Array(rows * kn));
      const C = fill(new Float64Array(rows * m)), G = G0.slice();
      const C1 = C.slice(), G1 = G0.slice();
      mulAddTs(C1, W, kn, 0, rows, kn, B, m);
      mulAddTs(C1, W, kn, 0, rows, kn, B, m);
      outerAddTs(G1, kn, 0, C1.subarray(0, rows * m), rows, B.subarray(0, kn * m), kn, m);
      const moves = k.stats().stackMoves;
      k.resident([W], [G], () => {
        k.mulAdd(C, W, kn, 0, rows, kn, B, m);
        const huge = new Float64Array(8 << 20); // 64 MiB: more than the stack has
        k.resident([huge], [], () => {
          assert.equal(k.stats().stackMoves, moves + 1, 'the stack moved');
          k.poisonFree(); // the block the stack left among them
          assert.ok(k.holds(huge) && k.holds(W));
          k.mulAdd(C, W, kn, 0, rows, kn, B, m);
        });
        k.outerAdd(G, kn, 0, C, rows, B, kn, m);
      });
      assert.equal(hex(C), hex(C1));
      assert.equal(hex(G), hex(G1), 'the output came back from where the stack moved it');
    });
  });

  describe('the helper thread', function () {
    this.timeout(30_000);
    let ready = false;
    const simd = shared;
    before(async () => {
      ready = await simd!.helperReady();
    });
    after(() => setKernelThreads(true));

    it('starts on a machine with 2+ cores, unless RNN_KERNEL_THREADS=1', function () {
      if (os.availableParallelism() < 2) this.skip();
      if (KERNEL_THREADS_OFF) assert.ok(!ready, 'RNN_KERNEL_THREADS=1 started the helper');
      else assert.ok(ready, 'the helper never became ready');
    });

    it('big products shared with it are bit-identical to the TypeScript kernel', function () {
      if (!ready) this.skip();
      const r = rng(17);
      const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => r.gauss());
      for (const [rows, kn, m] of [[512, 128, 32], [130, 257, 33], [64, 1031, 17]] as const) {
        assert.ok(rows * kn * m >= THREAD_MIN_WORK);
        const ldw = kn + 3, W = fill(rows * ldw), B = fill(kn * m), D = fill(rows * m), C0 = fill(rows * m), T0 = fill(kn * m), G0 = fill(rows * ldw);
        for (let rep = 0; rep < 20; rep++) { // many jobs: claims, steals and commits all get exercised
          const a = C0.slice(), b = C0.slice();
          mulAddTs(a, W, ldw, 3, rows, kn, B, m);
          simd!.mulAdd(b, W, ldw, 3, rows, kn, B, m);
          assert.equal(hex(b), hex(a), `mulAdd ${rows}x${kn}x${m}`);
          const c = T0.slice(), d = T0.slice();
          mulTAddTs(c, W, ldw, 3, rows, kn, D, m);
          simd!.mulTAdd(d, W, ldw, 3, rows, kn, D, m);
          assert.equal(hex(d), hex(c), `mulTAdd ${rows}x${kn}x${m}`);
          const e = G0.slice(), f = G0.slice();
          outerAddTs(e, ldw, 3, D, rows, B, kn, m);
          simd!.outerAdd(f, ldw, 3, D, rows, B, kn, m);
          assert.equal(hex(f), hex(e), `outerAdd ${rows}x${kn}x${m}`);
        }
      }
    });

    it('big batches shared with it (split by items or by rows) are bit-identical to the loop of their items', function () {
      if (!ready) this.skip();
      const r = rng(19);
      const fill = (n: number): Float64Array => Float64Array.from({ length: n }, () => r.gauss());
      // the big LSTM's shapes (one step's product ≥ 2^18, a batch ≥ THREAD_MIN_WORK), fewer steps
      for (const [rows, kn, m, nb] of [[512, 64, 32, 24], [64, 128, 32, 40], [130, 33, 17, 60]] as const) {
        assert.ok(nb * rows * kn * m >= THREAD_MIN_WORK);
        const ldw = kn + 2, W = fill(rows * ldw), B = fill(nb * kn * m), D = fill(nb * rows * m);
        const C0 = fill(nb * rows * m), T0 = fill(nb * kn * m), G0 = fill(rows * ldw);
        const before = simd!.stats().shared;
        for (let rep = 0; rep < 5; rep++) {
          const a = C0.slice(), b = C0.slice();
          for (let u = 0; u < nb; u++) mulAddTs(a, W, ldw, 2, rows, kn, B, m, u * rows * m, u * kn * m);
          simd!.mulAdd(b, W, ldw, 2, rows, kn, B, m, 0, 0, nb, rows * m, kn * m);
          assert.equal(hex(b), hex(a), `mulAdd ${rows}x${kn}x${m} ×${nb}`);
          const c = T0.slice(), d = T0.slice();
          for (let u = 0; u < nb; u++) mulTAddTs(c, W, ldw, 2, rows, kn, D, m, u * kn * m, u * rows * m);
          simd!.mulTAdd(d, W, ldw, 2, rows, kn, D, m, 0, 0, nb, kn * m, rows * m);
          assert.equal(hex(d), hex(c), `mulTAdd ${rows}x${kn}x${m} ×${nb}`);
          const e = G0.slice(), f = G0.slice();
          for (let u = 0; u < nb; u++) outerAddTs(e, ldw, 2, D, rows, B, kn, m, u * rows * m, u * kn * m);
          simd!.outerAdd(f, ldw, 2, D, rows, B, kn, m, 0, 0, nb, rows * m, kn * m);
          assert.equal(hex(f), hex(e), `outerAdd ${rows}x${kn}x${m} ×${nb}`);
        }
        assert.ok(simd!.stats().shared >= before + 15, 'the batches were not shared');
      }
    });

    it('a whole forward + backward pass gives the same bits on one thread and two', function () {
      if (!ready || process.env.RNN_NO_SIMD === '1') this.skip(); // (RNN_NO_SIMD=1: the engine's products are all TypeScript)
      const d = { n_x: 32, n_a: 128, n_y: 16, m: 32, T_x: 4 }; // step products: 512·128·32 (LSTM), 256·128·32 (GRU)
      for (const cell of ['lstm', 'gru', 'rnn'] as const) {
        const { inputs, labels } = randomInputs(cell, d, 3);
        const run = (): string[] => {
          const tr = trace(cell, inputs);
          const g = gradients(tr, { kind: 'xent', labels });
          return [tr.steps.map((st) => hex(st.a.buf)).join(''), ...Object.keys(g).sort().map((k) => `${k} ${hex(g[k].data)}`)];
        };
        setKernelThreads(false);
        const one = run();
        setKernelThreads(true);
        const before = simd!.stats().shared;
        const two = run();
        assert.deepEqual(two, one, cell);
        if (cell !== 'rnn') assert.ok(simd!.stats().shared > before, `${cell}: no product was shared`);
      }
    });
  });
});
