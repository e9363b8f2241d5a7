/**
 * What runs element by element: the activations, the cells' formulas (`elementwise`: the loop
 * behind src/exec/ops.ts `formula`), transposes and the head's softmax — in JavaScript, or in
 * SIMD on arena blocks (src/exec/wasm/), with the same bits.
 */
/**
 * Activations: float64-accurate and faster than V8's Math.exp / Math.tanh (bench/README.md), which
 * dominate small nets (src/exec/fastmath.ts: ≤ 0.51 ulp exp, ≤ 2.5 ulp sigmoid, ≤ 3 ulp tanh).
 * sigmoid is stable: finite and NaN-free for any finite z.
 */
export { sigmoid, tanh } from './fastmath';
import { formulaExport, formulaJs, parseFormula, register, type Formula } from './formulas';
import { exp, sigmoidInPlace as sigmoidTs, sigmoidRest, tanhInPlace as tanhTs, tanhRest } from './fastmath';
import { arenaOf } from './kernels';

/** Is Z a block of this thread's arena (the main thread's, or the one a group worker is attached to)? */
export const onArena = (Z: Float64Array): boolean => arenaOf(Z) !== undefined;

/**
 * In place: Z[k] = σ(Z[k]) (tanh) for off ≤ k < off + n — fastmath's sigmoidInPlace, bit for
 * bit; on an arena block two at a time in SIMD (tools/wasm/generate.ts), fastmath finishing what
 * that leaves. Passes whose buffers are never arena blocks call fastmath's own loops (src/exec/ops.ts
 * `plainOps`): V8 inlines those into the cells' steps, which this wrapper prevents
 * (bench/README.md, "Thresholds in the code").
 */
export const sigmoidInPlace = anywhere('sigmoid', sigmoidTs, sigmoidRest);
export const tanhInPlace = anywhere('tanh', tanhTs, tanhRest);

/**
 * An activation for arena blocks too: in SIMD there (two f64x2 at a time), fastmath finishing
 * what that leaves and an odd last value; fastmath's own loop elsewhere. Bit for bit the same.
 */
function anywhere(f: 'sigmoid' | 'tanh', ts: typeof sigmoidTs, rest: typeof sigmoidRest): typeof sigmoidTs {
  return (Z, off, n) => {
    const k = n >= 2 ? arenaOf(Z) : undefined;
    if (!k) return ts(Z, off, n);
    const pairs = n >> 1;
    if (k.activation(f, Z, off, pairs)) rest(Z, off, 2 * pairs);
    if (n & 1) ts(Z, off + n - 1, 1);
  };
}

/**
 * D = Sᵀ: S (rows × cols) from sOff with rows lds apart, into D (cols × rows) from dOff with
 * rows ldd apart — in SIMD where both are arena blocks of one memory. A pure copy.
 */
export function transposeBlock(D: Float64Array, dOff: number, ldd: number, S: Float64Array, sOff: number, lds: number, rows: number, cols: number): void {
  const k = arenaOf(D);
  if (k?.isArena(S)) return k.transposeBlock(D, dOff, ldd, S, sOff, lds, rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) D[dOff + j * ldd + i] = S[sOff + i * lds + j];
}

/**
 * An element-wise loop written as a formula (src/exec/formulas.ts has the notation): `js(n, X0, o0,
 * X1, o1, …)` computes elements o_j … o_j + n − 1 of each operand X_j, the operands in the
 * formula's order (its inputs, then the outputs that are not inputs), in JavaScript.
 * `anywhere` is the same loop that, where every operand is an arena block, runs the kernel's
 * SIMD copy of the formula instead (faster, the same bits), assembled from it by
 * tools/wasm/generate.ts. Each is made on first use.
 */
export interface Elementwise {
  readonly formula: Formula;
  readonly js: (n: number, ...operands: (Float64Array | number)[]) => void;
  readonly anywhere: (n: number, ...operands: (Float64Array | number)[]) => void;
}
/** Runs of element-wise loops on this thread's SIMD kernel (tests). */
const loopStats = { simd: 0 };
export const elementwiseStats = (): { simd: number } => ({ ...loopStats });

/**
 * The loop of a formula (src/exec/formulas.ts: `name`, 'inputs -> outputs', statements), parsed and
 * compiled on first use: a run needs a few of the thirty-odd formulas, and making them all would
 * slow every start (bench/README.md, section 1). What it makes is what an eager make would
 * have made, so the bits are the same.
 */
class Loop implements Elementwise {
  #formula: Formula | undefined;
  #js: Elementwise['js'] | undefined;
  #anywhere: Elementwise['anywhere'] | undefined;
  constructor(private readonly parse: () => Formula) {}
  get formula(): Formula {
    return (this.#formula ??= this.parse());
  }
  get js(): Elementwise['js'] {
    return (this.#js ??= formulaJs(this.formula));
  }
  get anywhere(): Elementwise['anywhere'] {
    return (this.#anywhere ??= anywhereLoop(this));
  }
}

/** Makes the loop of a formula, to be parsed and compiled when it first runs (Loop). */
export function elementwise(name: string, signature: string, body: string): Elementwise {
  const loop = new Loop(() => parseFormula(name, signature, body));
  register(name, () => loop.formula);
  return loop;
}

/** The loop of a formula already parsed (src/exec/ops.ts `formulaFromTree`), not registered for the kernel. */
export const elementwiseOf = (f: Formula): Elementwise => new Loop(() => f);

/**
 * `loop` on arena blocks in SIMD, elsewhere in JavaScript: a function of the formula's arity
 * (no rest arguments in the hot path), which finds the kernel's export once per instance.
 */
function anywhereLoop(loop: Elementwise): Elementwise['anywhere'] {
  const n = loop.formula.operands.length, name = formulaExport(loop.formula);
  const params = Array.from({ length: n }, (_, j) => `X${j}, o${j}`).join(', ');
  const onArena = Array.from({ length: n - 1 }, (_, j) => ` && k.isArena(X${j + 1})`).join('');
  const addrs = Array.from({ length: n }, (_, j) => `X${j}.byteOffset + 8 * o${j}`).join(', ');
  const src = `let lastK, lastF;
    return function ${loop.formula.name}Anywhere(n, ${params}) {
      const k = n >= 2 ? arenaOf(X0) : undefined;
      if (k !== undefined${onArena}) {
        if (k !== lastK) { lastK = k; lastF = k.formula(name); }
        if (lastF !== undefined) {
          stats.simd++;
          return lastF(${addrs}, n);
        }
      }
      return js(n, ${params});
    };`;
  return new Function('arenaOf', 'js', 'name', 'stats', src)(arenaOf, loop.js, name, loopStats) as Elementwise['anywhere'];
}

/**
 * Softmax over axis 0 of a (rows, m) matrix at offset `off`: every column sums to 1. In place,
 * or (Z given) of Z's matrix at the same offset into Y's. Subtracts the column max first, so
 * it is finite for any finite logits. On arena blocks the column pairs run in SIMD, with the
 * same bits (tools/wasm/generate.ts softmaxWat).
 */
export function softmaxColumns(Y: Float64Array, rows: number, m: number, off = 0, Z: Float64Array = Y): void {
  const k = m >= 2 ? arenaOf(Y) : undefined;
  softmaxTs(Y, rows, m, off, Z, k?.isArena(Z) ? k.softmax(Y, Z, off, rows, m) : 0);
}

/** softmaxColumns in JavaScript, for columns j0 … m − 1. */
function softmaxTs(Y: Float64Array, rows: number, m: number, off: number, Z: Float64Array, j0: number): void {
  for (let j = off + j0; j < off + m; j++) {
    let max = -Infinity;
    for (let i = 0; i < rows; i++) if (Z[i * m + j] > max) max = Z[i * m + j];
    let s = 0;
    for (let i = 0; i < rows; i++) {
      const e = exp(Z[i * m + j] - max);
      Y[i * m + j] = e;
      s += e;
    }
    for (let i = 0; i < rows; i++) Y[i * m + j] /= s;
  }
}
