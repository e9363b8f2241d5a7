/**
 * What the math is written against: matrix views and the operations on them. A cell's step
 * reads like its equations — `ops.addProduct(gates, W.columns(0, n_a), aPrev)` — and knows nothing
 * of how the operations run: TypeScript or WebAssembly SIMD, private or arena memory, packed
 * panels, helper threads are the business of the implementation behind `Ops` (today
 * src/exec/kernels.ts, through `plainOps` and `arenaOps`).
 *
 * Invariants the implementation relies on (the math states them, it does not check them):
 * a product's C and B are whole rows (ld = cols, e.g. a step's (n_a, m) block), A is a block of
 * columns of a matrix that starts at its row 0 (W[:, k0:k0+kn] of a parameter or a stack); the
 * operands of a formula are whole blocks of the same size, not overlapping unless they are the same.
 */
import * as fastmath from './fastmath';
import { formulaOfTree, signatureNames, type Formula as FormulaTree } from './formulas';
import { mulAdd, mulTAdd, type Packing } from './kernels';
import { elementwise, elementwiseOf, onArena, sigmoidInPlace, tanhInPlace, type Elementwise } from './elementwise';

/**
 * rows × cols values of `buf`, row r from `off + r·ld`: a parameter, a step's block, a slice.
 * A view never changes, and views cut from it are kept on it: a trace's step views are made
 * once, and a step's `C.rowBlock(k * n_a, n_a)` costs a lookup, not an allocation, per pass.
 */
export class Mat {
  private cut: Mat[] | undefined;
  private split: Mat[] | undefined;

  constructor(
    readonly buf: Float64Array,
    readonly rows: number,
    readonly cols: number,
    readonly off = 0,
    readonly ld = cols,
  ) {}

  /** Columns k0 … k0+n−1 (W.columns(0, n_a): the recurrent part of gates on [a_prev; x]). */
  columns(k0: number, n: number): Mat {
    return this.view(this.off + k0, this.rows, n);
  }

  /** Rows r0 … r0+n−1 (C.rowBlock(2 * n_a, n_a): the third of a stack of (n_a, m) blocks). */
  rowBlock(r0: number, n: number): Mat {
    return this.view(this.off + r0 * this.ld, n, this.cols);
  }

  /** Its rows in consecutive blocks of n (a cache of gates: `const [f, i, cc, o, tc] = C.blocks(n_a)`). */
  blocks(n: number): readonly Mat[] {
    const split = this.split;
    if (split !== undefined && split[0].rows === n) return split;
    const out: Mat[] = [];
    for (let r0 = 0; r0 + n <= this.rows; r0 += n) out.push(this.rowBlock(r0, n));
    return (this.split = out);
  }

  /** Entry (i, j). */
  at(i: number, j: number): number {
    return this.buf[this.off + i * this.ld + j];
  }

  /** Entry (i, j) = v. */
  set(i: number, j: number, v: number): void {
    this.buf[this.off + i * this.ld + j] = v;
  }

  private view(off: number, rows: number, cols: number): Mat {
    const cut = (this.cut ??= []);
    for (let k = 0; k < cut.length; k++) {
      const v = cut[k];
      if (v.off === off && v.rows === rows && v.cols === cols) return v;
    }
    const v = new Mat(this.buf, rows, cols, off, this.ld);
    if (cut.length < MAX_CUT) cut.push(v);
    return v;
  }
}

/** Views kept per Mat: a cell cuts a handful from each; more are made afresh, not kept. */
const MAX_CUT = 16;

/** The exp the math may call: fastmath's (float64-accurate), the one every path of the engine uses. */
export { exp } from './fastmath';

/** Operands of a formula by the names of its signature ('f cPrev i cc -> c tc'). */
export type Operands = Readonly<Record<string, Mat>>;

/**
 * An element-wise formula (src/exec/formulas.ts), called on its operands by name with the pass's
 * ops: `cellState(ops, { f, cPrev, i, cc, c, tc })`. Each formula is its own function, so
 * each call site in a cell sees one target and V8 can inline the loop into the step.
 */
export interface Formula {
  (ops: Ops, operands: Operands): void;
  readonly name: string;
  /** Its operand names in call order: the inputs, then the outputs that are not inputs. */
  readonly operands: readonly string[];
  /** The loop, positional (exec's fast path): n, then (buffer, offset) per operand. */
  readonly loop: Elementwise;
}

export interface Ops {
  /** C += A·B. */
  addProduct(C: Mat, A: Mat, B: Mat): void;
  /** C += Aᵀ·B. */
  addProductT(C: Mat, A: Mat, B: Mat): void;
  /** Z = σ(Z), element-wise, in place. */
  sigmoid(Z: Mat): void;
  /** Z = tanh(Z), element-wise, in place. */
  tanh(Z: Mat): void;
  /** Which of a formula's loops runs it (src/exec/elementwise.ts `Elementwise`): JavaScript, or SIMD where it can. */
  readonly loops: 'js' | 'anywhere';
  /** dst = src (same shape). */
  copy(dst: Mat, src: Mat): void;
  /** Z = 0. */
  zero(Z: Mat): void;
}

/** A formula: `name`, its signature 'inputs -> outputs' and statements (src/exec/formulas.ts). */
export function formula(name: string, signature: string, body: string): Formula {
  const { operands } = signatureNames(signature); // (the formula itself is parsed on first use)
  const loop = elementwise(name, signature, body);
  return Object.assign(named(name, operands, loop), { operands, loop });
}

/** A formula from its parsed tree, checked as a text is and not registered (an altered tree, the mutation test's, has no kernel export). */
export function formulaFromTree(tree: FormulaTree): Formula {
  const f = formulaOfTree(tree), loop = elementwiseOf(f);
  return Object.assign(named(f.name, f.operands, loop), { operands: f.operands, loop });
}

/**
 * The formula's function: the operands, by name, into the positional call of the loop that
 * `ops` runs formulas with, (n, X0, o0, X1, o1, …). (The loops themselves are made on first use.)
 */
function named(name: string, operands: readonly string[], loop: Elementwise): (ops: Ops, o: Operands) => void {
  if (!/^[A-Za-z_]\w*$/.test(name)) throw new Error(`internal: formula name ${name} is not an identifier`);
  const at = (n: string): string => `o[${JSON.stringify(n)}]`;
  const args = `${at(operands[0])}.rows * ${at(operands[0])}.cols, ` + operands.map((n) => `${at(n)}.buf, ${at(n)}.off`).join(', ');
  const src = `let js, anywhere;
    return function ${name}(ops, o) {
      if (ops.loops === 'js') (js ??= loop.js)(${args});
      else (anywhere ??= loop.anywhere)(${args});
    };`;
  return new Function('loop', src)(loop) as (ops: Ops, o: Operands) => void;
}

const size = (Z: Mat): number => Z.rows * Z.cols;

/**
 * The two ways a pass runs (src/exec/kernels.ts): `plainOps` for passes whose buffers are not arena
 * blocks: activations and loops in JavaScript, which V8 inlines into the steps; `arenaOps` for
 * passes on the arena, where whatever lies in it runs there in SIMD. Products choose for themselves by size and residency. The same bits either way.
 */
function kernelOps(arena: boolean, packs: readonly Packing[]): KernelOps {
  const common = {
    packs,
    withPacks: (list: readonly Packing[]) => kernelOps(arena, list),
    addProduct(C: Mat, A: Mat, B: Mat) {
      mulAdd(C.buf, A.buf, A.ld, A.off, A.rows, A.cols, B.buf, C.cols, C.off, B.off, 1, 0, 0, packs);
    },
    addProductT(C: Mat, A: Mat, B: Mat) {
      mulTAdd(C.buf, A.buf, A.ld, A.off, A.rows, A.cols, B.buf, C.cols, C.off, B.off, 1, 0, 0, packs);
    },
    copy,
    zero,
  };
  // Each kind its own functions (not one closure over a switch): a cell's call site then sees
  // at most two targets, each calling one loop, which V8 can inline into the step.
  return arena
    ? { ...common, sigmoid: arenaSigmoid, tanh: arenaTanh, loops: 'anywhere' }
    : { ...common, sigmoid: plainSigmoid, tanh: plainTanh, loops: 'js' };
}

const plainSigmoid = (Z: Mat): void => fastmath.sigmoidInPlace(Z.buf, Z.off, size(Z));
const plainTanh = (Z: Mat): void => fastmath.tanhInPlace(Z.buf, Z.off, size(Z));
const arenaSigmoid = (Z: Mat): void => sigmoidInPlace(Z.buf, Z.off, size(Z));
const arenaTanh = (Z: Mat): void => tanhInPlace(Z.buf, Z.off, size(Z));

function copy(dst: Mat, src: Mat): void {
  if (dst.buf === src.buf && dst.off === src.off) return; // a view onto itself (a cell's zx where it copies it: CellSpec.zxInto)
  if (src.off === 0 && src.buf.length === size(src)) dst.buf.set(src.buf, dst.off);
  else dst.buf.set(src.buf.subarray(src.off, src.off + size(src)), dst.off);
}

function zero(Z: Mat): void {
  Z.buf.fill(0, Z.off, Z.off + size(Z));
}

/** Ops as exec/ runs them: with the weight blocks its products take packed (src/exec/kernels.ts `Packing`). */
export interface KernelOps extends Ops {
  readonly packs: readonly Packing[];
  /** The same ops, with these packed blocks for its products (src/exec/unroll/packs.ts: a job's). */
  withPacks(packs: readonly Packing[]): KernelOps;
}
export const plainOps: KernelOps = kernelOps(false, []);
export const arenaOps: KernelOps = kernelOps(true, []);
/** The ops of a pass on buffers like Z: arena blocks (src/exec/pool.ts `take`, shared) or not. */
export const opsFor = (Z: Float64Array): KernelOps => (onArena(Z) ? arenaOps : plainOps);
