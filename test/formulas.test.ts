/**
 * Element-wise formulas (src/exec/formulas.ts): the notation's checks, the JavaScript loop's
 * meaning, and the kernel's SIMD copy of every formula the engine makes — exported by both
 * builds, bit-identical to the JavaScript loop, and what `run` takes on arena blocks.
 */
import { strict as assert } from 'assert';
import '../src/backends/float64'; // (loads every module that makes formulas)
import { formulaExport, formulaJs, formulaKey, formulaOfTree, parseFormula, registeredFormulas, type Expr, type Formula } from '../src/exec/formulas';
import { kernelArena } from '../src/exec/kernels';
import { elementwise, elementwiseStats } from '../src/exec/elementwise';
import { arenaOps, formulaFromTree, Mat, plainOps } from '../src/exec/ops';
import { sharedKernels, wasmKernels } from '../src/exec/wasm/kernels';
import { hex, rng } from './helpers';

// The engine's formulas, as loaded (before any test makes others).
const ENGINE_FORMULAS: readonly Formula[] = registeredFormulas();

/**
 * The bytes, with every NaN as one NaN: a NaN an operation makes (∞·0, ∞ − ∞) has no specified
 * sign or payload — x86 makes a negative one, V8's interpreter a positive one, in one program.
 */
const bits = (X: Float64Array): string => hex(X.map((v) => (Number.isNaN(v) ? NaN : v)));

describe('element-wise formulas', () => {
  it('refuse what they cannot compile, naming the formula and the problem', () => {
    const bad: [string, string, RegExp][] = [
      ['a -> b', 'b = a +', /formula f: 'b = a \+': expression ends too early/],
      ['a -> b', 'b = (a * 2', /missing '\)'/],
      ['a -> b', 'b = a ^ 2', /unexpected '\^'/],
      ['a -> b', 'b = c', /c is neither an input nor defined above/],
      ['a -> b', 'b = a\nb = a * a', /output b is assigned twice/],
      ['a -> b c', 'b = a', /output c is never assigned/],
      ['a x -> b', 'b = a', /input x is never used/],
      ['a b', 'b = a', /is not 'inputs -> outputs'/],
      ['a a -> b', 'b = a', /listed twice/],
      ['a -> b', 'b := a', /is not 'name = expression'/],
      ['a -> b', 'b = exp(a)', /no function 'exp' \(max, step\)/],
      ['a -> b', 'b = max(a)', /max takes 2 arguments/],
      ['a -> b', 'b = step(a, a)', /step takes 1 argument/],
      ['a -> b', 'b = max(a, 0', /missing '\)'/],
    ];
    for (const [signature, body, why] of bad) assert.throws(() => parseFormula('f', signature, body), why, `${signature} | ${body}`);
  });

  it('max and step: Math.max, and 1 where x > 0 (0 for 0, −0, negatives and NaN)', () => {
    const f = formulaJs(parseFormula('fns', 'x -> m s', 'm = max(x, 0)\ns = step(x) * 2'));
    const X = Float64Array.from([-1, -0, 0, 2.5, NaN, Infinity]), M = new Float64Array(6), S = new Float64Array(6);
    f(6, X, 0, M, 0, S, 0);
    assert.deepEqual([...M].map((v) => Object.is(v, -0) ? '-0' : String(v)), ['0', '0', '0', '2.5', 'NaN', 'Infinity']);
    assert.deepEqual([...S], [0, 0, 0, 2, 0, 2]);
  });

  it('compile to a loop over offsets with JavaScript\'s order of operations, temporaries and in-place outputs', () => {
    const f = parseFormula('t_js', 'x y acc -> z acc', `
      t = x - y
      z = -t * t / 2 + x * y * 3
      acc = acc + t`);
    assert.deepEqual(f.operands, ['x', 'y', 'acc', 'z']);
    const r = rng(5);
    const X = Float64Array.from({ length: 12 }, () => r.gauss());
    const Y = X.map((v) => v * 0.7 - 0.1), A = X.map((v) => v * 3), Z = new Float64Array(12).fill(NaN);
    const want = { z: Z.slice(), acc: A.slice() };
    for (let k = 0; k < 5; k++) {
      const x = X[2 + k], y = Y[1 + k], t = x - y;
      want.z[3 + k] = ((-t) * t) / 2 + (x * y) * 3;
      want.acc[4 + k] = A[4 + k] + t;
    }
    formulaJs(f)(5, X, 2, Y, 1, A, 4, Z, 3);
    assert.equal(hex(Z), hex(want.z));
    assert.equal(hex(A), hex(want.acc));
  });

  it('every formula the engine makes is in both kernel builds, under a name that hashes its parsed tree', () => {
    const names = ENGINE_FORMULAS.map((f) => f.name);
    for (const n of ['bptt_da', 'rnn_back', 'lstm_state', 'lstm_output', 'lstm_back', 'gru_reset', 'gru_update', 'gru_back', 'gru_reset_back']) {
      assert.ok(names.includes(n), `${n} was not made`);
    }
    for (const k of [wasmKernels()!, sharedKernels()!]) {
      for (const f of ENGINE_FORMULAS) assert.equal(typeof k.formula(formulaExport(f)), 'function', formulaExport(f));
    }
    const edited = parseFormula(ENGINE_FORMULAS[0].name, ENGINE_FORMULAS[0].source.split('\n')[0], ENGINE_FORMULAS[0].source.split('\n').slice(1).join('\n') + ' * 1');
    assert.notEqual(formulaExport(edited), formulaExport(ENGINE_FORMULAS[0]));
    assert.equal(wasmKernels()!.formula(formulaExport(edited)), undefined);
  });

  it('a formula is identified by its parsed tree: layout does not change its export, an operation does', () => {
    const sig = 'da u cc aPrev -> dzc dzu daPrev';
    const body = `
      dzc = da * u * (1 - cc * cc)
      dzu = da * (cc - aPrev) * u * (1 - u)
      daPrev = da * (1 - u)`;
    const f = parseFormula('gru_back', sig, body);
    const same = [
      parseFormula('gru_back', '  da u  cc aPrev ->dzc dzu   daPrev ', body.replace(/ \* /g, '*') + '\n\n'),
      parseFormula('gru_back', sig, body.replace('da * u * (1 - cc * cc)', '((da * u) * ((1 - (cc * cc))))')),
    ];
    for (const g of same) assert.equal(formulaExport(g), formulaExport(f), formulaKey(g));
    const other = [
      parseFormula('gru_back', sig, body.replace('da * u * (1 - cc * cc)', 'da * (u * (1 - cc * cc))')), // another order of the products
      parseFormula('gru_back', sig, body.replace('(1 - u)', '(1 + u)')),
      parseFormula('gru_back', 'da u cc aPrev -> dzu dzc daPrev', body), // the outputs in another call order
      parseFormula('gru_back', sig, body.replace('1 - cc', '1.5 - cc')),
    ];
    for (const g of other) assert.notEqual(formulaExport(g), formulaExport(f), formulaKey(g));
  });

  it('run on arena blocks in SIMD, bit for bit the JavaScript loop (specials, odd counts, in-place outputs)', function () {
    const arena = kernelArena();
    if (!arena) this.skip(); // RNN_NO_SIMD=1, RNN_KERNEL_THREADS=1: no arena
    const r = rng(17);
    const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 5e-324, -2.2e-308, 1e308, -1e300, 1, -1, 0.5];
    for (const f of ENGINE_FORMULAS) {
      const loop = elementwise(f.name, f.source.split('\n')[0], f.source.split('\n').slice(1).join('\n'));
      for (const n of [1, 2, 3, 7, 64, 2049]) {
        // each operand its own arena block at an odd offset; the JS loop on copies
        const blocks = f.operands.map(() => arena!.alloc(n + 5)!);
        blocks.forEach((B, j) => B.forEach((_, i) => (B[i] = r.uniform() < 0.1 ? SPECIAL[(i + j) % SPECIAL.length] : r.gauss() * 3)));
        const copies = blocks.map((B) => B.slice());
        const before = elementwiseStats().simd;
        loop.anywhere(n, ...blocks.flatMap((B) => [B, 3]));
        assert.equal(elementwiseStats().simd, before + (n >= 2 ? 1 : 0), `${f.name}, n = ${n}: the SIMD loop did not run`);
        loop.js(n, ...copies.flatMap((B) => [B, 3]));
        blocks.forEach((B, j) => assert.equal(bits(B), bits(copies[j]), `${f.name}, n = ${n}, operand ${f.operands[j]}`));
        blocks.forEach((B) => arena!.free(B));
      }
    }
  });

  it('run in JavaScript off the arena, and where the kernel lacks the formula\'s text', function () {
    const arena = kernelArena()!;
    if (!arena) this.skip();
    const [u, cc, ap, a] = [0, 1, 2, 3].map(() => arena.alloc(8)!.fill(0.25));
    const before = elementwiseStats().simd;
    // a name the kernel has, another text: not registered, no export
    const edited = elementwise('gru_update', 'u cc aPrev -> a', 'a = u * cc + (1 - u) * aPrev + 1');
    edited.anywhere(8, u, 0, cc, 0, ap, 0, a, 0);
    assert.equal(a[7], 0.25 * 0.25 + 0.75 * 0.25 + 1);
    const plain = new Float64Array(8);
    const real = elementwise('gru_update', 'u cc aPrev -> a', ENGINE_FORMULAS.find((f) => f.name === 'gru_update')!.source.split('\n').slice(1).join('\n'));
    real.anywhere(8, u, 0, cc, 0, ap, 0, plain, 0); // one operand off the arena
    assert.equal(plain[7], 0.25 * 0.25 + 0.75 * 0.25);
    assert.equal(elementwiseStats().simd, before);
    assert.equal(registeredFormulas().find((f) => f.name === 'gru_update')!.source, ENGINE_FORMULAS.find((f) => f.name === 'gru_update')!.source);
    [u, cc, ap, a].forEach((B) => arena.free(B));
  });

  it('made from a tree (the mutation test\'s): checked as a text is, never registered; an altered one has no kernel export', () => {
    const real = ENGINE_FORMULAS.find((f) => f.name === 'gru_update')!;
    const withExpr = (expr: Expr): Formula => ({ ...real, statements: [{ ...real.statements[0], expr }] });
    assert.equal(formulaKey(formulaOfTree(real)), formulaKey(real));
    assert.throws(() => formulaFromTree(withExpr({ kind: 'ref', name: 'v' })), /formula gru_update: 'a = v': v is neither an input nor defined above/);
    assert.throws(() => formulaFromTree(withExpr({ kind: 'bin', op: '*', a: real.statements[0].expr, b: { kind: 'num', v: -1 } })), /does not read back as itself/);
    const plus1 = withExpr({ kind: 'bin', op: '+', a: real.statements[0].expr, b: { kind: 'num', v: 1 } });
    const [altered, same] = [formulaFromTree(plus1), formulaFromTree(real)];
    assert.equal(wasmKernels()!.formula(formulaExport(plus1)), undefined);
    assert.equal(typeof wasmKernels()!.formula(formulaExport(real)), 'function');
    // (private buffers: arenaOps run the formula's `anywhere` loop, which falls back to JavaScript)
    for (const ops of [plainOps, arenaOps]) {
      const [u, cc, aPrev, a] = [0, 1, 2, 3].map(() => new Mat(new Float64Array(8).fill(0.25), 2, 4));
      altered(ops, { u, cc, aPrev, a });
      assert.equal(a.buf[7], 0.25 * 0.25 + 0.75 * 0.25 + 1);
      same(ops, { u, cc, aPrev, a });
      assert.equal(a.buf[7], 0.25 * 0.25 + 0.75 * 0.25);
    }
    formulaFromTree({ ...real, name: 'tree_only' });
    assert.ok(!registeredFormulas().some((f) => f.name === 'tree_only'), 'a tree is not registered for the kernel');
  });
});
