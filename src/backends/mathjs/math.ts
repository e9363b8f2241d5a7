/**
 * The mathjs reference's notation and boundary: one mathjs instance with only the functions the
 * reference uses, the seed's rnn_utils (stable σ and softmax) and numpy idioms as functions
 * (the table in mathjs.ts), Tensor ⇄ matrix conversions, and what a reference cell is.
 */
import {
  addDependencies,
  concatDependencies,
  create,
  dotDivideDependencies,
  dotMultiplyDependencies,
  indexDependencies,
  mapDependencies,
  matrixDependencies,
  maxDependencies,
  multiplyDependencies,
  rangeDependencies,
  reshapeDependencies,
  subsetDependencies,
  subtractDependencies,
  sumDependencies,
  transposeDependencies,
  type Matrix,
} from 'mathjs';
import type { Arrays, Tensor } from '../../tensor';

/** A mathjs instance with only the functions used here (keeps the bundle and start-up small). */
export const math = create({
  addDependencies,
  concatDependencies,
  dotDivideDependencies,
  dotMultiplyDependencies,
  indexDependencies,
  mapDependencies,
  matrixDependencies,
  maxDependencies,
  multiplyDependencies,
  rangeDependencies,
  reshapeDependencies,
  subsetDependencies,
  subtractDependencies,
  sumDependencies,
  transposeDependencies,
});

/** x (n, m, T_x) as T_x matrices: x[t] is the seed's x[:, :, t]. */
export type Sequence = Matrix[];

// ---------------------------------------------------------------------------------------
// rnn_utils: the seed imports `softmax` and `sigmoid` from rnn_utils; these are stable versions.

/** σ(z), finite and never NaN for finite z: for z < 0 it is written e^z / (1 + e^z). */
function sigmoidScalar(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

export function sigmoid(z: Matrix): Matrix {
  return math.map(z, sigmoidScalar);
}

export function tanh(z: Matrix): Matrix {
  return math.map(z, Math.tanh);
}

/** z.max(axis=0) and Σ over axis 0, as plain arrays of m numbers (one per column). */
function column_max(z: Matrix): number[] {
  return (math.max(z, 0) as unknown as Matrix).valueOf() as number[];
}
function column_sum(z: Matrix): number[] {
  return (math.sum(z, 0) as unknown as Matrix).valueOf() as number[];
}

/** Softmax over axis 0 (each column is one example), with the column max subtracted first. */
export function softmax(z: Matrix): Matrix {
  const z_max = column_max(z);
  const e = math.map(z, (v: number, [, j]: number[]) => Math.exp(v - z_max[j])); // every entry in (0, 1]
  const e_sum = column_sum(e); // ≥ 1
  return math.map(e, (v: number, [, j]: number[]) => v / e_sum[j]);
}

/** log(softmax(z)) over axis 0, computed as z − max − log Σ e^(z − max): finite even where softmax underflows to 0. */
export function log_softmax(z: Matrix): Matrix {
  const z_max = column_max(z);
  const shifted = math.map(z, (v: number, [, j]: number[]) => v - z_max[j]);
  const log_sum = column_sum(math.map(shifted, Math.exp)).map(Math.log);
  return math.map(shifted, (v: number, [, j]: number[]) => v - log_sum[j]);
}

/** np.concatenate((a, b), axis=0). (math.concat drops the 'number' datatype; put it back.) */
export function concatenate(a: Matrix, b: Matrix): Matrix {
  return math.matrix(math.concat(a, b, 0) as Matrix, 'dense', 'number');
}

/** A[start:end, :] */
export function rows(A: Matrix, start: number, end: number): Matrix {
  const [, m] = A.size();
  return math.subset(A, math.index(math.range(start, end), math.range(0, m)));
}

/** np.sum(A, axis=1, keepdims=True): (n, m) -> (n, 1). */
export function sum_keepdims(A: Matrix): Matrix {
  const [n] = A.size();
  return math.reshape(math.sum(A, 1) as unknown as Matrix, [n, 1]);
}

/** np.zeros((n, m)) */
export function zeros(n: number, m: number): Matrix {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(new Array<number>(m).fill(0));
  return math.matrix(out, 'dense', 'number');
}

/**
 * numpy's `Z + b` for a bias b of shape (n, 1), broadcast across the m columns of Z (n, m).
 * (math.add(Z, b) broadcasts too, but materializes b through a generic path: ~15x slower.)
 */
export function add_bias(Z: Matrix, b: Matrix): Matrix {
  const bias = b.valueOf() as number[][];
  return math.map(Z, (z: number, [i]: number[]) => z + bias[i][0]);
}

/** numpy's `1 - A`. (math.subtract(1, A) dispatches per element: 3x slower.) */
export function one_minus(A: Matrix): Matrix {
  return math.map(A, (v: number) => 1 - v);
}


// ---------------------------------------------------------------------------------------
// The boundary: Tensor <-> matrices

/** A 2-D Tensor (rows, cols) -> matrix. */
export function toMatrix(t: Tensor): Matrix {
  const [n, m] = t.shape;
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(Array.from(t.data.subarray(i * m, (i + 1) * m)));
  return math.matrix(out, 'dense', 'number');
}

/** A 3-D Tensor (n, m, T_x) -> T_x matrices (n, m): element (i, j, t) is data[(i * m + j) * T_x + t]. */
export function toSequence(t: Tensor): Sequence {
  const [n, m, T_x] = t.shape;
  const seq: Sequence = [];
  for (let s = 0; s < T_x; s++) {
    const out: number[][] = [];
    for (let i = 0; i < n; i++) {
      const row = new Array<number>(m);
      for (let j = 0; j < m; j++) row[j] = t.data[(i * m + j) * T_x + s];
      out.push(row);
    }
    seq.push(math.matrix(out, 'dense', 'number'));
  }
  return seq;
}

export function fromMatrix(M: Matrix): Tensor {
  const [n, m] = M.size();
  const A = M.toArray() as number[][];
  const data = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) data[i * m + j] = A[i][j];
  return { shape: [n, m], data };
}

export function fromSequence(seq: Sequence): Tensor {
  const T_x = seq.length;
  const [n, m] = seq[0].size();
  const data = new Float64Array(n * m * T_x);
  for (let s = 0; s < T_x; s++) {
    const A = seq[s].toArray() as number[][];
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) data[(i * m + j) * T_x + s] = A[i][j];
  }
  return { shape: [n, m, T_x], data };
}

/** labels (m, T_x) -> labels[t][j], checked to be class ids in [0, n_y). */
export function labelsByStep(labels: Tensor, n_y: number): number[][] {
  const [m, T_x] = labels.shape;
  const out: number[][] = [];
  for (let t = 0; t < T_x; t++) {
    const row: number[] = [];
    for (let j = 0; j < m; j++) {
      const v = labels.data[j * T_x + t];
      if (!(Number.isInteger(v) && v >= 0 && v < n_y)) {
        throw new Error(`mathjs backend: labels[${j}, ${t}] = ${v} is not a class id in [0, ${n_y})`);
      }
      row.push(v);
    }
    out.push(row);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// A reference cell (one literal file per cell, listed in cells.ts)

/** One forward pass in matrices, and the matching recurrent backward. */
export interface Run {
  a: Sequence;
  y: Sequence;
  c?: Sequence;
  Wy: Matrix;
  by: Matrix;
  /**
   * The recurrent gradients (names as in the seed: dx, da0, [dc0], d<param>) for upstream da,
   * and for a cell with a state c, dc_next: the upstream of the last c (zeros when absent).
   */
  backward(da: Sequence, dc_next?: Matrix): Record<string, Matrix | Sequence>;
}

export interface ReferenceCell {
  /** The output head's weight and bias names: ŷ = softmax(W a + b). */
  readonly head: readonly [W: string, b: string];
  /** The seed's forward on these inputs (a0, c0 zeros when absent), and its backward. */
  run(inputs: Arrays): Run;
}

/** What a cell's run() reads: parameter `name` as a matrix, x as a sequence, a0/c0 or zeros (n_a, m). */
export function boundary(inputs: Arrays): { P: (name: string) => Matrix; x: Sequence; state: (name: string, n_a: number) => Matrix } {
  const x_tensor = input(inputs, 'x');
  const [, m] = x_tensor.shape;
  return {
    P: (name) => toMatrix(input(inputs, name)),
    x: toSequence(x_tensor),
    state: (name, n_a) => (inputs[name] ? toMatrix(inputs[name]) : zeros(n_a, m)),
  };
}

function input(inputs: Arrays, name: string): Tensor {
  const t = inputs[name];
  if (!t) throw new Error(`mathjs backend: missing input '${name}'`);
  return t;
}
