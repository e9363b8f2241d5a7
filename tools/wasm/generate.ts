/**
 * Generates the WebAssembly text of the SIMD product kernel (src/exec/wasm/kernel.wasm.ts holds
 * the assembled bytes; `npm run build:wasm` regenerates them, test/wasm.test.ts checks they
 * match this source).
 *
 *   gemm(c, ldc, a, sr, sk, rows, kn, b, ldb, m, kb, aj, bias):  C (rows×m, ld ldc) += A · B (kn×m, ld ldb)
 *   with A(r, k) = A[a + r·sr + k·sk + ⌊k/kb⌋·aj]: A's columns may come in blocks of kb
 *   (kb divides kn), each aj further on than the plain strides say — the batch's column groups
 *   of src/exec/unroll/, summed as one row. Plain A: kb = kn. Packed A: kb < 0 (and kn ≥ 1), A in
 *   panels of 4 rows, A(r, k) = A[a + (r − r mod 4)·sr + 4k + r mod 4] with sr = kn (`packPanels` in
 *   src/exec/wasm/kernels.ts writes them). With bias ≥ 0, C is only written:
 *   C(r, j) = bias[r] + Σ_k A(r, k)·B(k, j) (the bits of filling C with the bias first).
 *   Pointers in bytes (bias −1: none), strides and sizes in elements.
 *
 * f64x2 over the columns, register tiles of R rows × 2V columns (4×4: 8 v128 accumulators,
 * the most V8 keeps in registers without spilling), then 4×2 and scalar tiles for leftover
 * columns and 1-row tiles for leftover rows. Every entry is summed as in src/exec/kernels.ts:
 * s = 0; s += a·b for k in order; C += s — no fused multiply-add — so results are
 * bit-identical to the TypeScript kernels.
 *
 *   ew_<name>_<hash>(p0, p1, …, n): the element-wise formulas of the cells and the unroller
 *   (src/exec/formulas.ts: formulaWat), on n values of each operand from byte pj on.
 *
 *   transpose(dst, src, rows, cols, lds, ldd): dst (cols×rows) = src (rows×cols)ᵀ, each with its
 *   leading dimension, in 2×2 blocks of f64x2
 *
 *   sigmoid(p, pairs, tab), tanh(p, pairs, tab): in place on 2·pairs values at p, two per
 *   f64x2, each value computed exactly as src/exec/fastmath.ts's in-place loops compute it (the
 *   same IEEE operations in the same order: bit-identical) where that loop's first pass does
 *   (|z| < 704 for σ; 2^−27 < |x| < 22 for tanh). σ leaves other values as they are and returns
 *   1, for fastmath's second pass to finish; tanh finishes them as that pass would (±1 from 22
 *   on, x itself below 2^−27 and for NaN) and returns 0. `tab`: fastmath's tables T and TAIL,
 *   128 doubles each, one after the other; 2^e is built from its bits instead of read from P2.
 *
 * Two builds: `own` exports a private memory; `shared` imports a shared one (WebAssembly
 * threads), on which the main thread and a helper worker each instantiate the module and
 * split a big product's rows. (Copies from JS into shared memory are slower, so products that
 * are not split run on the private one.)
 */
import { FASTMATH_CONSTANTS as F } from '../../src/exec/fastmath';
import { formulaWat, registeredFormulas } from '../../src/exec/formulas';
// The modules whose element-wise formulas (src/exec/formulas.ts) the kernel carries: loading them
// registers them. test/wasm.test.ts checks that every formula the engine makes is exported.
import '../../src/model/cells';
import '../../src/exec/unroll';

/** How a tile reads A (see `tile`). */
type Mode = 'plain' | 'blocked' | 'packed';

export function kernelWat(memory: 'own' | 'shared' = 'own', R = 4, V = 2): string {
  if (R !== 4) throw new Error('kernelWat: packed panels are 4 rows, as the row tiles');
  const g = (n: string): string => `(local.get $${n})`;
  const set = (n: string, e: string): string => `(local.set $${n} ${e})`;
  const add = (x: string, y: string): string => `(i32.add ${x} ${y})`;
  const c32 = (n: number): string => `(i32.const ${n})`;

  /**
   * One tile of R rows × 2V columns (V = 0: one scalar column), then advance j. `mode`:
   * 'plain' A; 'blocked': A's columns in blocks (kb, aj) — the plain copy has no block loop,
   * which short sums (kn ≤ 16) pay for; 'packed' (R = 4): A in 4-row panels, one
   * pointer for all four rows (their values at k side by side) where the plain tile advances
   * four — faster on the recurrent products (bench/README.md).
   */
  function tile(R: number, V: number, mode: Mode): string {
    const nv = Math.max(V, 1), T = V ? 'v' : 'd', zero = V ? '(v128.const f64x2 0 0)' : '(f64.const 0)';
    const packed = mode === 'packed', blocked = mode === 'blocked';
    const s: string[] = [];
    for (let r = 0; r < R; r++) for (let v = 0; v < nv; v++) s.push(set(`${T}${r}_${v}`, zero));
    s.push(set('p0', g('ar')));
    if (packed) s.push(set('pe', add(g('ar'), g('knP'))));
    else for (let r = 1; r < R; r++) s.push(set(`p${r}`, add(g(`p${r - 1}`), g('srB'))));
    s.push(set('pb', add(g('b'), `(i32.shl ${g('j')} ${c32(3)})`)));
    if (blocked) s.push(set('nk', g('nblk')), `(block $bd (loop $bl (br_if $bd (i32.eqz ${g('nk')})) ${set('k', g('kb'))}`);
    else if (!packed) s.push(set('k', g('kn')));
    // the k loop: counted down, or (packed, kn ≥ 1) until the panel pointer reaches its end
    s.push(packed ? '(loop $kl' : `(block $kd (loop $kl (br_if $kd (i32.eqz ${g('k')}))`);
    for (let v = 0; v < nv; v++) s.push(V ? set(`b${v}`, `(v128.load offset=${16 * v} ${g('pb')})`) : set('bs', `(f64.load ${g('pb')})`));
    for (let r = 0; r < R; r++) {
      const pa = packed ? `offset=${8 * r} ${g('p0')}` : g(`p${r}`);
      s.push(V ? set('av', `(v128.load64_splat ${pa})`) : set('as', `(f64.load ${pa})`));
      for (let v = 0; v < nv; v++) {
        s.push(V
          ? set(`v${r}_${v}`, `(f64x2.add ${g(`v${r}_${v}`)} (f64x2.mul ${g('av')} ${g(`b${v}`)}))`)
          : set(`d${r}_0`, `(f64.add ${g(`d${r}_0`)} (f64.mul ${g('as')} ${g('bs')}))`));
      }
      if (!packed) s.push(set(`p${r}`, add(g(`p${r}`), g('skB'))));
    }
    s.push(set('pb', add(g('pb'), g('ldbB'))));
    if (packed) s.push(set('p0', add(g('p0'), c32(32))), `(br_if $kl (i32.lt_u ${g('p0')} ${g('pe')})))`);
    else s.push(set('k', `(i32.sub ${g('k')} ${c32(1)})`), '(br $kl)))');
    if (blocked) {
      for (let r = 0; r < R; r++) s.push(set(`p${r}`, add(g(`p${r}`), g('ajB'))));
      s.push(set('nk', `(i32.sub ${g('nk')} ${c32(1)})`), '(br $bl)))');
    }
    /** The tile's stores, adding the accumulators to C's values or (bias) to the rows' biases. */
    const stores = (bias: boolean): string => {
      const t: string[] = [set('pc', add(g('cr'), `(i32.shl ${g('j')} ${c32(3)})`))];
      for (let r = 0; r < R; r++) {
        for (let v = 0; v < nv; v++) {
          const old = bias
            ? (V ? `(v128.load64_splat offset=${8 * r} ${g('br')})` : `(f64.load offset=${8 * r} ${g('br')})`)
            : (V ? `(v128.load offset=${16 * v} ${g('pc')})` : `(f64.load ${g('pc')})`);
          t.push(V
            ? `(v128.store offset=${16 * v} ${g('pc')} (f64x2.add ${old} ${g(`v${r}_${v}`)}))`
            : `(f64.store ${g('pc')} (f64.add ${old} ${g(`d${r}_0`)}))`);
        }
        if (r < R - 1) t.push(set('pc', add(g('pc'), g('ldcB'))));
      }
      return t.join(' ');
    };
    s.push(`(if (i32.lt_s ${g('bias')} ${c32(0)}) (then ${stores(false)}) (else ${stores(true)}))`);
    s.push(set('j', add(g('j'), c32(V ? 2 * V : 1))));
    return s.join('\n        ');
  }

  /** All columns of one block of R rows (ar, cr already set). */
  function rowBlock(R: number, V: number, mode: Mode): string {
    return `(local.set $j (i32.const 0))
      (block $jd${R} (loop $jl${R} (br_if $jd${R} (i32.gt_s ${add(g('j'), c32(2 * V))} ${g('m')}))
        ${tile(R, V, mode)}
        (br $jl${R})))
      ${V > 1 ? `(block $je${R} (loop $jm${R} (br_if $je${R} (i32.gt_s ${add(g('j'), c32(2))} ${g('m')}))
        ${tile(R, 1, mode)}
        (br $jm${R})))` : ''}
      (if (i32.lt_s ${g('j')} ${g('m')}) (then
        ${tile(R, 0, mode)}))`;
  }

  const locals = ['i', 'j', 'k', 'nk', 'nblk', 'ajB', 'ar', 'cr', 'br', 'pb', 'pc', 'pe', 'knP', 'srB', 'skB', 'ldbB', 'ldcB', ...Array.from({ length: R }, (_, r) => `p${r}`)]
    .map((n) => `(local $${n} i32)`).join(' ')
    + ' ' + Array.from({ length: R }, (_, r) => Array.from({ length: V }, (_, v) => `(local $v${r}_${v} v128)`).join(' ')).join(' ')
    + ' ' + Array.from({ length: R }, (_, r) => `(local $d${r}_0 f64)`).join(' ')
    + ' ' + Array.from({ length: V }, (_, v) => `(local $b${v} v128)`).join(' ') + ' (local $av v128) (local $as f64) (local $bs f64)';
  /** Row blocks of RR rows while `cond` fails; row i's A starts at `ar` (default a + i·sr). */
  const block = (RR: number, VV: number, lbl: string, cond: string, mode: Mode, ar = add(g('a'), `(i32.mul ${g('i')} ${g('srB')})`)): string => `(block $${lbl}d (loop $${lbl}l (br_if $${lbl}d ${cond})
      ${set('ar', ar)}
      ${set('cr', add(g('c'), `(i32.mul ${g('i')} ${g('ldcB')})`))}
      ${set('br', add(g('bias'), `(i32.shl ${g('i')} ${c32(3)})`))}
      ${rowBlock(RR, VV, mode)}
      ${set('i', add(g('i'), c32(RR)))}
      (br $${lbl}l)))`;
  const fourRows = `(i32.gt_s ${add(g('i'), c32(R))} ${g('rows')})`, oneRow = `(i32.ge_s ${g('i')} ${g('rows')})`;
  // transpose: src rows i, i+1 at columns j, j+1 ($ps) become dst rows j, j+1 at columns i, i+1 ($pd)
  const block2x2 = `(local.set $a (v128.load (local.get $ps)))
        (local.set $b (v128.load (i32.add (local.get $ps) (local.get $ldS))))
        (v128.store (local.get $pd) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))
        (v128.store (i32.add (local.get $pd) (local.get $ldD)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b)))`;
  return `(module
  ${memory === 'own'
    ? '(memory (export "memory") 1)'
    : `;; shared, made by the host (src/exec/wasm/kernels.ts), so that a helper thread can run the
  ;; same kernel on the same operands: up to 65536 pages = 4 GiB, wasm32's limit
  (import "env" "memory" (memory 1 65536 shared))`}
  ;; gemm(c, ldc, a, sr, sk, rows, kn, b, ldb, m, kb, aj, bias)
  (func (export "gemm") (param $c i32) (param $ldc i32) (param $a i32) (param $sr i32) (param $sk i32)
      (param $rows i32) (param $kn i32) (param $b i32) (param $ldb i32) (param $m i32) (param $kb i32) (param $aj i32) (param $bias i32)
    ${locals}
    ${set('nblk', `(if (result i32) (i32.eqz ${g('kb')}) (then ${c32(0)}) (else (i32.div_u ${g('kn')} ${g('kb')})))`)} ${set('ajB', `(i32.shl ${g('aj')} ${c32(3)})`)}
    ${set('srB', `(i32.shl ${g('sr')} ${c32(3)})`)} ${set('skB', `(i32.shl ${g('sk')} ${c32(3)})`)}
    ${set('ldbB', `(i32.shl ${g('ldb')} ${c32(3)})`)} ${set('ldcB', `(i32.shl ${g('ldc')} ${c32(3)})`)}
    ${set('i', c32(0))}
    (if (i32.and (i32.lt_s ${g('kb')} ${c32(0)}) (i32.gt_s ${g('kn')} ${c32(0)})) (then
    ;; packed A: row i in panel floor(i/4) (sr = kn: a panel is 4*kn values), lane i mod 4, 4k further on
    ${set('knP', `(i32.shl ${g('kn')} ${c32(5)})`)}
    ${block(R, V, 'pb', fourRows, 'packed')}
    ${set('skB', c32(32))}
    ${block(1, V, 'pt', oneRow, 'plain', add(add(g('a'), `(i32.mul (i32.and ${g('i')} ${c32(-4)}) ${g('srB')})`), `(i32.shl (i32.and ${g('i')} ${c32(3)}) ${c32(3)})`))}) (else
    (if (i32.eq ${g('kb')} ${g('kn')}) (then
    ${block(R, V, 'ib', fourRows, 'plain')}
    ${block(1, V, 'it', oneRow, 'plain')}) (else
    ${block(R, V, 'ib', fourRows, 'blocked')}
    ${block(1, V, 'it', oneRow, 'blocked')})))))
  ${activationsWat()}
  ;; softmax(y, z, rows, w, tab) → the column it stopped at: softmaxColumns on a (rows, w) block in column pairs (softmaxWat)
  ${softmaxWat()}
  ;; the element-wise formulas (src/exec/formulas.ts), in name order
  ${registeredFormulas().map(formulaWat).join('\n  ')}
  ;; transpose(dst, src, rows, cols, lds, ldd): dst (cols×rows, rows ldd apart) = src (rows×cols,
  ;; rows lds apart)ᵀ — 2×2 blocks as two f64x2 each (rows i, i+1 of columns j, j+1 become rows
  ;; j, j+1 of columns i, i+1), then what an odd row or column count leaves, one value at a time
  (func (export "transpose") (param $d i32) (param $s i32) (param $rows i32) (param $cols i32) (param $lds i32) (param $ldd i32)
    (local $i i32) (local $j i32) (local $ps i32) (local $pd i32) (local $ldS i32) (local $ldD i32) (local $a v128) (local $b v128)
    (local.set $ldS (i32.shl (local.get $lds) (i32.const 3)))
    (local.set $ldD (i32.shl (local.get $ldd) (i32.const 3)))
    ;; the 2×2 blocks: along src's rows, or, when dst's rows lie 4 KiB or more apart (a group's
    ;; x into its step blocks: 16 KiB), along dst's, which are then not revisited (bench/README.md);
    ;; src's order stays faster for the sums' transposes (rows ≤ 1 KiB apart)
    (if (i32.lt_s (local.get $ldd) (i32.const 512)) (then
    (block $id (loop $il (br_if $id (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $rows)))
      (local.set $ps (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $ldS))))
      (local.set $pd (i32.add (local.get $d) (i32.shl (local.get $i) (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl (br_if $jd (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $cols)))
        ${block2x2}
        (local.set $ps (i32.add (local.get $ps) (i32.const 16)))
        (local.set $pd (i32.add (local.get $pd) (i32.shl (local.get $ldD) (i32.const 1))))
        (local.set $j (i32.add (local.get $j) (i32.const 2))) (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 2))) (br $il)))) (else
    (block $jd2 (loop $jl2 (br_if $jd2 (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $cols)))
      (local.set $ps (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3))))
      (local.set $pd (i32.add (local.get $d) (i32.mul (local.get $j) (local.get $ldD))))
      (local.set $i (i32.const 0))
      (block $id2 (loop $il2 (br_if $id2 (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $rows)))
        ${block2x2}
        (local.set $ps (i32.add (local.get $ps) (i32.shl (local.get $ldS) (i32.const 1))))
        (local.set $pd (i32.add (local.get $pd) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 2))) (br $il2)))
      (local.set $j (i32.add (local.get $j) (i32.const 2))) (br $jl2)))
    (local.set $i (i32.and (local.get $rows) (i32.const -2)))))
    ;; an odd last column (rows 0 … i−1), then an odd last row (every column)
    (if (i32.and (local.get $cols) (i32.const 1)) (then
      (call $transposeRect (local.get $d) (local.get $s) (local.get $lds) (local.get $ldd) (i32.const 0) (local.get $i) (i32.sub (local.get $cols) (i32.const 1)) (local.get $cols))))
    (call $transposeRect (local.get $d) (local.get $s) (local.get $lds) (local.get $ldd) (local.get $i) (local.get $rows) (i32.const 0) (local.get $cols)))
  ;; dst(j, i) = src(i, j) for i0 ≤ i < i1, j0 ≤ j < j1, one value at a time
  (func $transposeRect (param $d i32) (param $s i32) (param $lds i32) (param $ldd i32) (param $i i32) (param $i1 i32) (param $j0 i32) (param $j1 i32) (local $j i32)
    (block $id (loop $il (br_if $id (i32.ge_s (local.get $i) (local.get $i1)))
      (local.set $j (local.get $j0))
      (block $jd (loop $jl (br_if $jd (i32.ge_s (local.get $j) (local.get $j1)))
        (f64.store (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $ldd)) (local.get $i)) (i32.const 3)))
          (f64.load (i32.add (local.get $s) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $lds)) (local.get $j)) (i32.const 3)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $il)))))
`;
}

// f64x2 helpers of the activations' and the softmax's text (kernelWat has its own, for i32 code)
const f = (v: number): string => `(v128.const f64x2 ${v} ${v})`;
const set = (n: string, e: string): string => `(local.set $${n} ${e})`;
const mul = (a: string, b: string): string => `(f64x2.mul ${a} ${b})`;
const add = (a: string, b: string): string => `(f64x2.add ${a} ${b})`;
const sub = (a: string, b: string): string => `(f64x2.sub ${a} ${b})`;

/**
 * fastmath's expCore(x) on the pair in local $x<u> (see activationsWat): sets $s<u> and
 * $poly<u>, expCore being s + s·poly. Uses the locals t, kd, ki, j0, j1, r, r2 (suffix u) and $tab.
 */
function expCoreWat(u: number): string[] {
  const g = (n: string): string => `(local.get $${n}${u})`;
  const S = (n: string, e: string): string => set(n + u, e);
  const gather = (table: number): string =>
    `(f64x2.replace_lane 1 (f64x2.splat (f64.load offset=${table} (i32.add (local.get $tab) ${g('j0')}))) (f64.load offset=${table} (i32.add (local.get $tab) ${g('j1')})))`;
  return [
    S('t', add(mul(g('x'), f(F.INV_LN2_N)), f(F.SHIFT))),
    S('kd', sub(g('t'), f(F.SHIFT))),
    S('ki', `(i64x2.sub ${g('t')} (v128.const i64x2 0x4338000000000000 0x4338000000000000))`),
    S('j0', `(i32.shl (i32.and (i32.wrap_i64 (i64x2.extract_lane 0 ${g('ki')})) (i32.const 127)) (i32.const 3))`),
    S('j1', `(i32.shl (i32.and (i32.wrap_i64 (i64x2.extract_lane 1 ${g('ki')})) (i32.const 127)) (i32.const 3))`),
    S('s', mul(gather(0), `(i64x2.shl (i64x2.add (i64x2.shr_s ${g('ki')} (i32.const 7)) (v128.const i64x2 1023 1023)) (i32.const 52))`)),
    S('r', sub(sub(g('x'), mul(g('kd'), f(F.LN2_HI_N))), mul(g('kd'), f(F.LN2_LO_N)))),
    S('r2', mul(g('r'), g('r'))),
    S('poly', add(add(add(gather(1024), g('r')), mul(g('r2'), add(f(F.C2), mul(g('r'), f(F.C3))))), mul(mul(g('r2'), g('r2')), add(f(F.C4), mul(g('r'), f(F.C5)))))),
  ];
}

/**
 * softmax(y, z, rows, w, tab): src/exec/kernels.ts softmaxColumns on a (rows, w) block, columns in
 * pairs: per pair, the max over the rows (kept while not exceeded, as the JavaScript loop keeps
 * it), e = expCore(z − max) into y with the sum s in row order, then y = e / s — fastmath's
 * bits, where every z − max lies in expCore's range: the pass over the max also takes the min
 * and looks for NaN, and a pair with min − max ≤ −704 (or NaN) stops the kernel before it
 * writes anything of that pair. Returns the column it stopped at (w − w mod 2 when done): the
 * caller finishes from there in JavaScript (an odd last column, or logits 704 apart).
 */
function softmaxWat(): string {
  const names = ['x', 't', 'kd', 'ki', 's', 'r', 'r2', 'poly'];
  const locals = '(local $j i32) (local $q i32) (local $ld i32) (local $end i32) (local $max v128) (local $min v128) (local $nan v128) (local $z v128) (local $e v128) (local $sum v128) '
    + names.map((n) => `(local $${n}0 v128)`).join(' ') + ' (local $j00 i32) (local $j10 i32)';
  const rowsLoop = (body: string): string => `${set('q', '(i32.shl (local.get $j) (i32.const 3))')}
      ${set('end', '(i32.add (local.get $q) (i32.mul (local.get $rows) (local.get $ld)))')}
      (block $rd (loop $rl (br_if $rd (i32.ge_u (local.get $q) (local.get $end)))
        ${body}
        ${set('q', '(i32.add (local.get $q) (local.get $ld))')} (br $rl)))`;
  const zAt = '(v128.load (i32.add (local.get $zy) (local.get $q)))', yAt = '(i32.add (local.get $yz) (local.get $q))';
  const z = '(local.get $z)', max = '(local.get $max)', min = '(local.get $min)';
  return `(func (export "softmax") (param $yz i32) (param $zy i32) (param $rows i32) (param $w i32) (param $tab i32) (result i32) ${locals}
    ${set('ld', '(i32.shl (local.get $w) (i32.const 3))')}
    (block $jd (loop $jl (br_if $jd (i32.ge_u (i32.add (local.get $j) (i32.const 1)) (local.get $w)))
      ${set('max', '(v128.const f64x2 -inf -inf)')} ${set('min', '(v128.const f64x2 inf inf)')} ${set('nan', '(v128.const i64x2 0 0)')}
      ${rowsLoop(`${set('z', zAt)}
        ${set('max', `(v128.bitselect ${z} ${max} (f64x2.gt ${z} ${max}))`)}
        ${set('min', `(v128.bitselect ${z} ${min} (f64x2.lt ${z} ${min}))`)}
        ${set('nan', `(v128.or (local.get $nan) (f64x2.ne ${z} ${z}))`)}`)}
      (br_if $jd (i32.eqz (i64x2.all_true (v128.andnot (f64x2.gt ${sub(min, max)} ${f(-704)}) (local.get $nan)))))
      ${set('sum', f(0))}
      ${rowsLoop(`${set('x0', sub(zAt, max))}
        ${expCoreWat(0).join('\n        ')}
        ${set('e', add('(local.get $s0)', mul('(local.get $s0)', '(local.get $poly0)')))}
        (v128.store ${yAt} (local.get $e))
        ${set('sum', add('(local.get $sum)', '(local.get $e)'))}`)}
      ${rowsLoop(`(v128.store ${yAt} (f64x2.div (v128.load ${yAt}) (local.get $sum)))`)}
      ${set('j', '(i32.add (local.get $j) (i32.const 2))')} (br $jl)))
    (local.get $j))`;
}

/**
 * The exported sigmoid and tanh (see the header). expCore(x) of fastmath, per lane:
 *   kd = (x·INV_LN2_N + SHIFT) − SHIFT, k = kd as an integer — the bits of x·INV_LN2_N + SHIFT
 *   minus those of SHIFT (the same binade while |k| < 2^51), r = (x − kd·LN2_HI_N) − kd·LN2_LO_N,
 *   s = T[k & 127]·2^(k >> 7), and with r2 = r·r
 *   poly = ((TAIL[k & 127] + r) + r2·(C2 + r·C3)) + (r2·r2)·(C4 + r·C5).
 * Lanes outside the range compute garbage (their table index is still k & 127: no trap) and
 * are not stored.
 */
function activationsWat(): string {
  const U = 2; // pairs per iteration (a power of two): two dependency chains in flight (bench/README.md)
  const lanes = Array.from({ length: U }, (_, u) => u);
  const names = ['z', 'ok', 'x', 't', 'kd', 'ki', 's', 'r', 'r2', 'poly', 'v', 'a', 'st', 'nh', 'dh'];
  const locals = '(local $end i32) (local $rest v128) ' + lanes.map((u) => names.map((n) => `(local $${n}${u} v128)`).join(' ') + ` (local $j0${u} i32) (local $j1${u} i32)`).join(' ');
  const step = (u: number, kind: 'sigmoid' | 'tanh'): string[] => {
    const g = (n: string): string => `(local.get $${n}${u})`;
    const S = (n: string, e: string): string => set(n + u, e);
    const one = f(1);
    const out: string[] = [S('z', `(v128.load offset=${16 * u} (local.get $p))`)];
    if (kind === 'sigmoid') {
      out.push(S('ok', `(f64x2.lt (f64x2.abs ${g('z')}) ${f(F.SIG_LIM)})`), S('x', `(f64x2.neg ${g('z')})`));
    } else {
      out.push(S('a', `(f64x2.abs ${g('z')})`), S('ok', `(v128.and (f64x2.lt ${g('a')} ${f(F.TANH_ONE)}) (f64x2.gt ${g('a')} ${f(F.TANH_TINY)}))`), S('x', mul(f(-2), g('a'))));
    }
    out.push(...expCoreWat(u));
    if (kind === 'sigmoid') out.push(S('v', `(f64x2.div ${one} ${add(one, add(g('s'), mul(g('s'), g('poly'))))})`));
    else {
      out.push(
        S('st', mul(g('s'), g('poly'))), S('nh', sub(one, g('s'))), S('dh', add(one, g('s'))),
        S('v', `(f64x2.div ${add(g('nh'), sub(sub(sub(one, g('nh')), g('s')), g('st')))} ${add(g('dh'), add(add(sub(one, g('dh')), g('s')), g('st')))})`),
        S('v', `(v128.or ${g('v')} (v128.and ${g('z')} (v128.const i64x2 0x8000000000000000 0x8000000000000000)))`),
      );
    }
    return out;
  };
  /**
   * The pair's result: v where in range, else z as it is (left for fastmath's second pass) —
   * except that tanh finishes its own edges, as fastmath's tanhEdge does: ±1 for |x| ≥ TANH_ONE,
   * x itself for tiny x and NaN (so it never leaves anything).
   */
  const store = (u: number, kind: 'sigmoid' | 'tanh'): string[] => {
    const z = `(local.get $z${u})`, ok = `(local.get $ok${u})`;
    if (kind === 'sigmoid') {
      return [
        `(v128.store offset=${16 * u} (local.get $p) (v128.bitselect (local.get $v${u}) ${z} ${ok}))`,
        set('rest', `(v128.or (local.get $rest) (v128.not ${ok}))`),
      ];
    }
    const one = `(v128.or ${f(1)} (v128.and ${z} (v128.const i64x2 0x8000000000000000 0x8000000000000000)))`; // ±1, x's sign
    const big = `(f64x2.ge (local.get $a${u}) ${f(F.TANH_ONE)})`;
    return [`(v128.store offset=${16 * u} (local.get $p) (v128.bitselect (local.get $v${u}) (v128.bitselect ${one} ${z} ${big}) ${ok}))`];
  };
  const fn = (kind: 'sigmoid' | 'tanh'): string => `(func (export "${kind}") (param $p i32) (param $pairs i32) (param $tab i32) (result i32) ${locals}
    ${set('end', `(i32.add (local.get $p) (i32.shl (i32.and (local.get $pairs) (i32.const ${-U})) (i32.const 4)))`)}
    ${set('rest', '(v128.const i64x2 0 0)')}
    (block $done (loop $next (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      ${lanes.flatMap((u) => step(u, kind)).join('\n      ')}
      ${lanes.flatMap((u) => store(u, kind)).join('\n      ')}
      ${set('p', `(i32.add (local.get $p) (i32.const ${16 * U}))`)}
      (br $next)))
    ;; the pairs left over, one at a time
    ${set('end', `(i32.add (local.get $p) (i32.shl (i32.and (local.get $pairs) (i32.const ${U - 1})) (i32.const 4)))`)}
    (block $done1 (loop $next1 (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
      ${step(0, kind).join('\n      ')}
      ${store(0, kind).join('\n      ')}
      ${set('p', '(i32.add (local.get $p) (i32.const 16))')}
      (br $next1)))
    (v128.any_true (local.get $rest)))`;
  return `${fn('sigmoid')}\n  ${fn('tanh')}`;
}
