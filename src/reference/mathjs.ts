/**
 * The `mathjs` backend: a second, literal implementation of the three cells, written with
 * mathjs matrix operations so that it reads like the seed notebook line by line
 * (spec/rnn_step_by_step.txt, "Building RNN from scartch"). It is the in-product oracle the fast
 * Float64Array engine (src/engine.ts) is tested against, and `--backend mathjs` in the CLI.
 * It shares no code with the engine: only the Tensor / Backend types.
 *
 * numpy -> mathjs, as used below (every matrix is 2-D, datatype 'number', float64):
 *   np.dot(A, B)                        math.multiply(A, B)
 *   A + B                               math.add(A, B)
 *   A + b (b of shape (n, 1))           add_bias(A, b)
 *   np.multiply(A, B), A * B            math.dotMultiply(A, B)
 *   1 - A                               one_minus(A)
 *   A.T                                 math.transpose(A)
 *   np.tanh(A)                          tanh(A) = math.map(A, Math.tanh)  (math.tanh(matrix) throws in mathjs 15)
 *   np.concatenate((A, B), axis=0)      concatenate(A, B)
 *   np.sum(A, axis=1, keepdims=True)    sum_keepdims(A)
 *   A[i:j, :]                           rows(A, i, j)
 *   x[:, :, t] of x (n, m, T_x)         x[t]: a sequence is an array of T_x (n, m) matrices
 *
 * Tuples (caches) and dictionaries (gradients) are the seed's. Where the seed stops
 * ("Backpro of LSTM" has no code) and for the GRU, which the seed does not have, the code
 * is ours, written in the same notation.
 *
 * Tensors are converted to matrices once at the boundary (`mathjsBackend` at the end).
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
import type { Backend, CellName, Loss } from '../backend';
import type { Arrays, Tensor } from '../tensor';

/** A mathjs instance with only the functions used here (keeps the bundle and start-up small). */
const math = create({
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
// RNN (seed In[2], In[3], In[10], In[17])

export interface RnnParameters {
  Wax: Matrix; // (n_a, n_x)
  Waa: Matrix; // (n_a, n_a)
  Wya: Matrix; // (n_y, n_a)
  ba: Matrix; // (n_a, 1)
  by: Matrix; // (n_y, 1)
}

/** (a_next, a_prev, xt, parameters) */
export type RnnCache = [a_next: Matrix, a_prev: Matrix, xt: Matrix, parameters: RnnParameters];
export type RnnCaches = [caches: RnnCache[], x: Sequence];

export function rnn_cell_forward(xt: Matrix, a_prev: Matrix, parameters: RnnParameters): [a_next: Matrix, yt_pred: Matrix, cache: RnnCache] {
  // Retrieve parameters from "parameters"
  const { Wax, Waa, Wya, ba, by } = parameters;

  const a_next = tanh(add_bias(math.add(math.multiply(Waa, a_prev), math.multiply(Wax, xt)), ba)); // shape (n_a, m)

  const yt_pred = softmax(add_bias(math.multiply(Wya, a_next), by)); // shape (n_y, m)

  const cache: RnnCache = [a_next, a_prev, xt, parameters];

  return [a_next, yt_pred, cache];
}

export function rnn_forward(x: Sequence, a0: Matrix, parameters: RnnParameters): [a: Sequence, y_pred: Sequence, caches: RnnCaches] {
  // Initialize "caches" which will contain the list of all caches
  const caches: RnnCache[] = [];

  const T_x = x.length;

  // chain of RNN
  const a: Sequence = [];
  const y_pred: Sequence = [];

  let a_prev = a0;
  for (let t = 0; t < T_x; t++) {
    const [a_next, yt_pred, cache] = rnn_cell_forward(x[t], a_prev, parameters);
    y_pred[t] = yt_pred;
    caches.push(cache);
    // the seed's `a_prev, _, xt, parameters = cache`: the cache starts with a_next
    a_prev = cache[0];

    a[t] = a_next;
  }

  return [a, y_pred, [caches, x]];
}

export interface RnnCellGradients {
  dxt: Matrix; // (n_x, m)
  da_prev: Matrix; // (n_a, m)
  dWax: Matrix; // (n_a, n_x)
  dWaa: Matrix; // (n_a, n_a)
  dba: Matrix; // (n_a, 1)
}

export function rnn_cell_backward(da_next: Matrix, cache: RnnCache): RnnCellGradients {
  // Retrieve values from cache
  const [a_next, a_prev, xt, parameters] = cache;

  // Retrieve values from parameters
  const { Wax, Waa } = parameters;

  // compute the gradient of tanh with respect to a_next
  const dtanh = math.dotMultiply(one_minus(math.dotMultiply(a_next, a_next)), da_next); // (n_a, m)

  const dxt = math.multiply(math.transpose(Wax), dtanh); // (n_x, m)

  const da_prev = math.multiply(math.transpose(Waa), dtanh); // (n_a, m)

  const dWax = math.multiply(dtanh, math.transpose(xt)); // (n_a, n_x)

  const dWaa = math.multiply(dtanh, math.transpose(a_prev)); // (n_a, n_a)

  const dba = sum_keepdims(dtanh); // (n_a, 1)

  return { dxt, da_prev, dWax, dWaa, dba };
}

export interface RnnGradients {
  dx: Sequence; // (n_x, m, T_x)
  da0: Matrix; // (n_a, m)
  dWax: Matrix;
  dWaa: Matrix;
  dba: Matrix;
}

export function rnn_backward(da: Sequence, caches: RnnCaches): RnnGradients {
  // Retrieve values
  const [cache, x] = caches;
  const [a1] = cache[0];
  const [n_a, m] = a1.size();
  const T_x = da.length;
  const [n_x] = x[0].size();

  // initialize the gradients with the right sizes
  const dx: Sequence = new Array<Matrix>(T_x);
  let dWax = zeros(n_a, n_x);
  let dWaa = zeros(n_a, n_a);
  let dba = zeros(n_a, 1);
  let da_prevt = zeros(n_a, m);

  for (let t = T_x - 1; t >= 0; t--) {
    // Compute gradients at time step t: the upstream da⟨t⟩ plus what came back from t+1
    const gradients = rnn_cell_backward(math.add(da[t], da_prevt), cache[t]);
    da_prevt = gradients.da_prev;

    dx[t] = gradients.dxt;
    // accumulate the errors
    dWax = math.add(dWax, gradients.dWax);
    dWaa = math.add(dWaa, gradients.dWaa);
    dba = math.add(dba, gradients.dba);
  }

  // da0 is the gradient of a which has been backpropagated through all time-steps
  const da0 = da_prevt;

  return { dx, da0, dWax, dWaa, dba };
}

// ---------------------------------------------------------------------------------------
// LSTM (seed In[6], In[7]; backward is ours: the seed's "Backpro of LSTM" has no code)

export interface LstmParameters {
  Wf: Matrix; // (n_a, n_a + n_x)
  bf: Matrix; // (n_a, 1)
  Wi: Matrix;
  bi: Matrix;
  Wc: Matrix;
  bc: Matrix;
  Wo: Matrix;
  bo: Matrix;
  Wy: Matrix; // (n_y, n_a)
  by: Matrix; // (n_y, 1)
}

/** (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters) */
export type LstmCache = [
  a_next: Matrix, c_next: Matrix, a_prev: Matrix, c_prev: Matrix,
  ft: Matrix, it: Matrix, cct: Matrix, ot: Matrix, xt: Matrix, parameters: LstmParameters,
];
export type LstmCaches = [caches: LstmCache[], x: Sequence];

export function lstm_cell_forward(
  xt: Matrix, a_prev: Matrix, c_prev: Matrix, parameters: LstmParameters,
): [a_next: Matrix, c_next: Matrix, yt_pred: Matrix, cache: LstmCache] {
  // Retrieve parameters from "parameters"
  const { Wf, bf, Wi, bi, Wc, bc, Wo, bo, Wy, by } = parameters;

  // Concatenate a_prev and xt
  const input_conc = concatenate(a_prev, xt); // (n_a + n_x, m)
  // forget gate
  const ft = sigmoid(add_bias(math.multiply(Wf, input_conc), bf));
  // update gate (input gate)
  const it = sigmoid(add_bias(math.multiply(Wi, input_conc), bi));
  // candidate value (c tilde)
  const cct = tanh(add_bias(math.multiply(Wc, input_conc), bc));
  const c_next = math.add(math.dotMultiply(ft, c_prev), math.dotMultiply(it, cct));
  // output gate
  const ot = sigmoid(add_bias(math.multiply(Wo, input_conc), bo));
  const a_next = math.dotMultiply(ot, tanh(c_next));

  // Compute prediction of the LSTM cell
  const yt_pred = softmax(add_bias(math.multiply(Wy, a_next), by));

  // store values needed for backward propagation in cache
  const cache: LstmCache = [a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters];

  return [a_next, c_next, yt_pred, cache];
}

/**
 * The seed's lstm_forward(x, a0, parameters) starts from c_prev = 0 (it reads the still-zero
 * c[:, :, 0]); here the initial cell state is an input, zeros when absent.
 */
export function lstm_forward(
  x: Sequence, a0: Matrix, parameters: LstmParameters, c0?: Matrix,
): [a: Sequence, y: Sequence, c: Sequence, caches: LstmCaches] {
  // Initialize "caches", which will track the list of all the caches
  const caches: LstmCache[] = [];

  const T_x = x.length;
  const [n_a, m] = a0.size();

  // "a", "c" and "y" for every time-step
  const a: Sequence = [];
  const c: Sequence = [];
  const y: Sequence = [];

  // loop over all time-steps
  for (let i = 0; i < T_x; i++) {
    const [a_prev, c_prev] = i === 0 ? [a0, c0 ?? zeros(n_a, m)] : [a[i - 1], c[i - 1]];
    const [a_next, c_next, yt_pred, cache] = lstm_cell_forward(x[i], a_prev, c_prev, parameters);
    a[i] = a_next;
    c[i] = c_next;
    y[i] = yt_pred;
    caches.push(cache);
  }

  return [a, y, c, [caches, x]];
}

export interface LstmCellGradients {
  dxt: Matrix; // (n_x, m)
  da_prev: Matrix; // (n_a, m)
  dc_prev: Matrix; // (n_a, m)
  dWf: Matrix; // (n_a, n_a + n_x)
  dbf: Matrix; // (n_a, 1)
  dWi: Matrix;
  dbi: Matrix;
  dWc: Matrix;
  dbc: Matrix;
  dWo: Matrix;
  dbo: Matrix;
}

/**
 * Backward through one LSTM step. da_next and dc_next are the total gradients of the loss
 * w.r.t. a_next and c_next (upstream plus what came back from the next step):
 *
 *   dot  = da_next * tanh(c_next) * ot (1 − ot)
 *   dc   = dc_next + da_next * ot * (1 − tanh(c_next)²)          (all the gradient reaching c_next)
 *   dcct = dc * it * (1 − cct²)      dit = dc * cct * it (1 − it)      dft = dc * c_prev * ft (1 − ft)
 *   dW· = d· [a_prev; xt]ᵀ,  db· = Σ_columns d·,  [da_prev; dxt] = Σ W·ᵀ d·,  dc_prev = dc * ft
 *
 * (dot, dit, dft, dcct are the gradients w.r.t. the gates' pre-activations.)
 */
export function lstm_cell_backward(da_next: Matrix, dc_next: Matrix, cache: LstmCache): LstmCellGradients {
  // Retrieve information from "cache"
  const [, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters] = cache;
  const { Wf, Wi, Wc, Wo } = parameters;
  const [n_a] = a_prev.size();
  const [n_x] = xt.size();

  const tanh_c_next = tanh(c_next);

  // Compute gates related derivatives
  const dot = math.dotMultiply(math.dotMultiply(da_next, tanh_c_next), math.dotMultiply(ot, one_minus(ot)));
  const dc = math.add(dc_next, math.dotMultiply(math.dotMultiply(da_next, ot), one_minus(math.dotMultiply(tanh_c_next, tanh_c_next))));
  const dcct = math.dotMultiply(math.dotMultiply(dc, it), one_minus(math.dotMultiply(cct, cct)));
  const dit = math.dotMultiply(math.dotMultiply(dc, cct), math.dotMultiply(it, one_minus(it)));
  const dft = math.dotMultiply(math.dotMultiply(dc, c_prev), math.dotMultiply(ft, one_minus(ft)));

  // Compute parameters related derivatives
  const concat_T = math.transpose(concatenate(a_prev, xt)); // (m, n_a + n_x)
  const dWf = math.multiply(dft, concat_T);
  const dWi = math.multiply(dit, concat_T);
  const dWc = math.multiply(dcct, concat_T);
  const dWo = math.multiply(dot, concat_T);
  const dbf = sum_keepdims(dft);
  const dbi = sum_keepdims(dit);
  const dbc = sum_keepdims(dcct);
  const dbo = sum_keepdims(dot);

  // Compute derivatives w.r.t. the previous hidden state, previous memory state and input
  const dconcat = math.add(
    math.add(math.multiply(math.transpose(Wf), dft), math.multiply(math.transpose(Wi), dit)),
    math.add(math.multiply(math.transpose(Wc), dcct), math.multiply(math.transpose(Wo), dot)),
  ); // (n_a + n_x, m)
  const da_prev = rows(dconcat, 0, n_a);
  const dxt = rows(dconcat, n_a, n_a + n_x);
  const dc_prev = math.dotMultiply(dc, ft);

  return { dxt, da_prev, dc_prev, dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo };
}

export interface LstmGradients {
  dx: Sequence; // (n_x, m, T_x)
  da0: Matrix; // (n_a, m)
  dc0: Matrix; // (n_a, m)
  dWf: Matrix;
  dbf: Matrix;
  dWi: Matrix;
  dbi: Matrix;
  dWc: Matrix;
  dbc: Matrix;
  dWo: Matrix;
  dbo: Matrix;
}

/** BPTT for the LSTM: both da_prev and dc_prev are carried back from step t to step t−1. */
export function lstm_backward(da: Sequence, caches: LstmCaches): LstmGradients {
  // Retrieve values from the first cache (t=1) of caches
  const [cache] = caches;
  const [a1, , , , , , , , x1] = cache[0];
  const [n_a, m] = a1.size();
  const T_x = da.length;
  const [n_x] = x1.size();

  // initialize the gradients with the right sizes
  const dx: Sequence = new Array<Matrix>(T_x);
  let da_prevt = zeros(n_a, m);
  let dc_prevt = zeros(n_a, m);
  let dWf = zeros(n_a, n_a + n_x);
  let dWi = zeros(n_a, n_a + n_x);
  let dWc = zeros(n_a, n_a + n_x);
  let dWo = zeros(n_a, n_a + n_x);
  let dbf = zeros(n_a, 1);
  let dbi = zeros(n_a, 1);
  let dbc = zeros(n_a, 1);
  let dbo = zeros(n_a, 1);

  // loop back over the whole sequence
  for (let t = T_x - 1; t >= 0; t--) {
    // Compute all gradients using lstm_cell_backward
    const gradients = lstm_cell_backward(math.add(da[t], da_prevt), dc_prevt, cache[t]);
    da_prevt = gradients.da_prev;
    dc_prevt = gradients.dc_prev;
    // Store or add the gradient to the parameters' previous step's gradient
    dx[t] = gradients.dxt;
    dWf = math.add(dWf, gradients.dWf);
    dWi = math.add(dWi, gradients.dWi);
    dWc = math.add(dWc, gradients.dWc);
    dWo = math.add(dWo, gradients.dWo);
    dbf = math.add(dbf, gradients.dbf);
    dbi = math.add(dbi, gradients.dbi);
    dbc = math.add(dbc, gradients.dbc);
    dbo = math.add(dbo, gradients.dbo);
  }
  // Set the first activation's and memory's gradients to the backpropagated gradients
  const da0 = da_prevt;
  const dc0 = dc_prevt;

  return { dx, da0, dc0, dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo };
}

// ---------------------------------------------------------------------------------------
// GRU (not in the seed; written in its notation)

export interface GruParameters {
  Wu: Matrix; // (n_a, n_a + n_x)
  bu: Matrix; // (n_a, 1)
  Wr: Matrix;
  br: Matrix;
  Wc: Matrix;
  bc: Matrix;
  Wy: Matrix; // (n_y, n_a)
  by: Matrix; // (n_y, 1)
}

/** (a_next, a_prev, ut, rt, cct, xt, parameters) */
export type GruCache = [
  a_next: Matrix, a_prev: Matrix, ut: Matrix, rt: Matrix, cct: Matrix, xt: Matrix, parameters: GruParameters,
];
export type GruCaches = [caches: GruCache[], x: Sequence];

/**
 *   ut  = σ(Wu [a_prev; xt] + bu)           update gate
 *   rt  = σ(Wr [a_prev; xt] + br)           reset gate
 *   cct = tanh(Wc [rt * a_prev; xt] + bc)   candidate
 *   a_next = ut * cct + (1 − ut) * a_prev
 */
export function gru_cell_forward(xt: Matrix, a_prev: Matrix, parameters: GruParameters): [a_next: Matrix, yt_pred: Matrix, cache: GruCache] {
  // Retrieve parameters from "parameters"
  const { Wu, bu, Wr, br, Wc, bc, Wy, by } = parameters;

  // Concatenate a_prev and xt
  const input_conc = concatenate(a_prev, xt);
  // update gate
  const ut = sigmoid(add_bias(math.multiply(Wu, input_conc), bu));
  // reset gate
  const rt = sigmoid(add_bias(math.multiply(Wr, input_conc), br));
  // candidate value, from the reset previous state
  const cct = tanh(add_bias(math.multiply(Wc, concatenate(math.dotMultiply(rt, a_prev), xt)), bc));
  const a_next = math.add(math.dotMultiply(ut, cct), math.dotMultiply(one_minus(ut), a_prev));

  // Compute prediction of the GRU cell
  const yt_pred = softmax(add_bias(math.multiply(Wy, a_next), by));

  const cache: GruCache = [a_next, a_prev, ut, rt, cct, xt, parameters];

  return [a_next, yt_pred, cache];
}

export function gru_forward(x: Sequence, a0: Matrix, parameters: GruParameters): [a: Sequence, y: Sequence, caches: GruCaches] {
  const caches: GruCache[] = [];
  const T_x = x.length;
  const a: Sequence = [];
  const y: Sequence = [];

  let a_prev = a0;
  for (let t = 0; t < T_x; t++) {
    const [a_next, yt_pred, cache] = gru_cell_forward(x[t], a_prev, parameters);
    a[t] = a_next;
    y[t] = yt_pred;
    caches.push(cache);
    a_prev = a_next;
  }

  return [a, y, [caches, x]];
}

export interface GruCellGradients {
  dxt: Matrix; // (n_x, m)
  da_prev: Matrix; // (n_a, m)
  dWu: Matrix; // (n_a, n_a + n_x)
  dbu: Matrix; // (n_a, 1)
  dWr: Matrix;
  dbr: Matrix;
  dWc: Matrix;
  dbc: Matrix;
}

/**
 * Backward through one GRU step, given da_next (upstream plus what came back from t+1):
 *
 *   dcct = da_next * ut (1 − cct²)                    (w.r.t. the candidate's pre-activation)
 *   dut  = da_next * (cct − a_prev) * ut (1 − ut)     (w.r.t. the update gate's pre-activation)
 *   [d(rt * a_prev); dxt_c] = Wcᵀ dcct
 *   drt  = d(rt * a_prev) * a_prev * rt (1 − rt)
 *   da_prev = da_next * (1 − ut) + d(rt * a_prev) * rt + (Wuᵀ dut + Wrᵀ drt)[:n_a]
 *   dxt     = dxt_c + (Wuᵀ dut + Wrᵀ drt)[n_a:]
 *   dWu = dut [a_prev; xt]ᵀ   dWr = drt [a_prev; xt]ᵀ   dWc = dcct [rt * a_prev; xt]ᵀ
 */
export function gru_cell_backward(da_next: Matrix, cache: GruCache): GruCellGradients {
  // Retrieve values from cache
  const [, a_prev, ut, rt, cct, xt, parameters] = cache;
  const { Wu, Wr, Wc } = parameters;
  const [n_a] = a_prev.size();
  const [n_x] = xt.size();

  // candidate and update gate
  const dcct = math.dotMultiply(math.dotMultiply(da_next, ut), one_minus(math.dotMultiply(cct, cct)));
  const dut = math.dotMultiply(math.dotMultiply(da_next, math.subtract(cct, a_prev)), math.dotMultiply(ut, one_minus(ut)));

  // through the candidate's input [rt * a_prev; xt]
  const ra_prev = math.dotMultiply(rt, a_prev);
  const dconcat_r = math.multiply(math.transpose(Wc), dcct); // (n_a + n_x, m)
  const dra_prev = rows(dconcat_r, 0, n_a);

  // reset gate
  const drt = math.dotMultiply(math.dotMultiply(dra_prev, a_prev), math.dotMultiply(rt, one_minus(rt)));

  // parameters
  const concat_T = math.transpose(concatenate(a_prev, xt));
  const dWu = math.multiply(dut, concat_T);
  const dWr = math.multiply(drt, concat_T);
  const dWc = math.multiply(dcct, math.transpose(concatenate(ra_prev, xt)));
  const dbu = sum_keepdims(dut);
  const dbr = sum_keepdims(drt);
  const dbc = sum_keepdims(dcct);

  // previous hidden state and input: through (1 − ut) * a_prev, rt * a_prev and both gates
  const dconcat = math.add(math.multiply(math.transpose(Wu), dut), math.multiply(math.transpose(Wr), drt));
  const da_prev = math.add(
    math.add(math.dotMultiply(da_next, one_minus(ut)), math.dotMultiply(dra_prev, rt)),
    rows(dconcat, 0, n_a),
  );
  const dxt = math.add(rows(dconcat_r, n_a, n_a + n_x), rows(dconcat, n_a, n_a + n_x));

  return { dxt, da_prev, dWu, dbu, dWr, dbr, dWc, dbc };
}

export interface GruGradients {
  dx: Sequence;
  da0: Matrix;
  dWu: Matrix;
  dbu: Matrix;
  dWr: Matrix;
  dbr: Matrix;
  dWc: Matrix;
  dbc: Matrix;
}

export function gru_backward(da: Sequence, caches: GruCaches): GruGradients {
  const [cache] = caches;
  const [a1, , , , , x1] = cache[0];
  const [n_a, m] = a1.size();
  const T_x = da.length;
  const [n_x] = x1.size();

  const dx: Sequence = new Array<Matrix>(T_x);
  let da_prevt = zeros(n_a, m);
  let dWu = zeros(n_a, n_a + n_x);
  let dWr = zeros(n_a, n_a + n_x);
  let dWc = zeros(n_a, n_a + n_x);
  let dbu = zeros(n_a, 1);
  let dbr = zeros(n_a, 1);
  let dbc = zeros(n_a, 1);

  for (let t = T_x - 1; t >= 0; t--) {
    const gradients = gru_cell_backward(math.add(da[t], da_prevt), cache[t]);
    da_prevt = gradients.da_prev;
    dx[t] = gradients.dxt;
    dWu = math.add(dWu, gradients.dWu);
    dWr = math.add(dWr, gradients.dWr);
    dWc = math.add(dWc, gradients.dWc);
    dbu = math.add(dbu, gradients.dbu);
    dbr = math.add(dbr, gradients.dbr);
    dbc = math.add(dbc, gradients.dbc);
  }
  const da0 = da_prevt;

  return { dx, da0, dWu, dbu, dWr, dbr, dWc, dbc };
}

// ---------------------------------------------------------------------------------------
// The output head's losses (the seed has none; see `Loss` in src/backend.ts)

/** Column j of the (n_y, m) result is the one-hot vector of class labels_t[j]. */
function one_hot(labels_t: number[], n_y: number): Matrix {
  const out: number[][] = [];
  for (let k = 0; k < n_y; k++) out.push(labels_t.map((label) => (label === k ? 1 : 0)));
  return math.matrix(out, 'dense', 'number');
}

/** L = Σ_t Σ da⟨t⟩ ⊙ a⟨t⟩ */
export function sum_loss(da: Sequence, a: Sequence): number {
  let L = 0;
  for (let t = 0; t < a.length; t++) L += math.sum(math.dotMultiply(da[t], a[t])) as number;
  return L;
}

/** L = −(1/m) Σ_t Σ_j log softmax(Wy a⟨t⟩ + by)[labels[t][j], j]; labels[t][j] ≙ labels[j, t]. */
export function xent_loss(a: Sequence, Wy: Matrix, by: Matrix, labels: number[][]): number {
  let L = 0;
  for (let t = 0; t < a.length; t++) {
    const log_y = log_softmax(add_bias(math.multiply(Wy, a[t]), by)).toArray() as number[][];
    const m = labels[t].length;
    for (let j = 0; j < m; j++) L -= log_y[labels[t][j]][j] / m;
  }
  return L;
}

/**
 * The xent loss's backward through the output head: with dz⟨t⟩ = (ŷ⟨t⟩ − onehot⟨t⟩) / m,
 * dWy = Σ_t dz⟨t⟩ a⟨t⟩ᵀ, dby = Σ_t Σ_columns dz⟨t⟩, and the upstream da⟨t⟩ = Wyᵀ dz⟨t⟩
 * that the recurrent backward then carries through time.
 */
export function xent_head_backward(
  y_pred: Sequence, a: Sequence, Wy: Matrix, labels: number[][],
): { da: Sequence; dWy: Matrix; dby: Matrix } {
  const [n_y, n_a] = Wy.size();
  let dWy = zeros(n_y, n_a);
  let dby = zeros(n_y, 1);
  const da: Sequence = [];
  for (let t = 0; t < a.length; t++) {
    const m = labels[t].length;
    const dz = math.dotDivide(math.subtract(y_pred[t], one_hot(labels[t], n_y)), m) as Matrix;
    dWy = math.add(dWy, math.multiply(dz, math.transpose(a[t])));
    dby = math.add(dby, sum_keepdims(dz));
    da[t] = math.multiply(math.transpose(Wy), dz);
  }
  return { da, dWy, dby };
}

// ---------------------------------------------------------------------------------------
// The boundary: Tensor <-> matrices, and the Backend

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
function labelsByStep(labels: Tensor, n_y: number): number[][] {
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

/** The output head's weight and bias names: ŷ = softmax(W a + b). */
const HEAD: Readonly<Record<CellName, readonly [string, string]>> = {
  rnn: ['Wya', 'by'],
  lstm: ['Wy', 'by'],
  gru: ['Wy', 'by'],
};

function input(inputs: Arrays, name: string): Tensor {
  const t = inputs[name];
  if (!t) throw new Error(`mathjs backend: missing input '${name}'`);
  return t;
}

/** One forward pass in matrices, and the matching recurrent backward. */
interface Run {
  a: Sequence;
  y: Sequence;
  c?: Sequence;
  Wy: Matrix;
  by: Matrix;
  /** The recurrent gradients (names as in the seed: dx, da0, [dc0], d<param>) for upstream da. */
  backward(da: Sequence): Record<string, Matrix | Sequence>;
}

function run(cell: CellName, inputs: Arrays): Run {
  const P = (name: string): Matrix => toMatrix(input(inputs, name));
  const x_tensor = input(inputs, 'x');
  const x = toSequence(x_tensor);
  const [, m] = x_tensor.shape;
  /** a0 or c0, zeros (n_a, m) when absent */
  const state = (name: string, n_a: number): Matrix => (inputs[name] ? toMatrix(inputs[name]) : zeros(n_a, m));

  switch (cell) {
    case 'rnn': {
      const parameters: RnnParameters = { Wax: P('Wax'), Waa: P('Waa'), Wya: P('Wya'), ba: P('ba'), by: P('by') };
      const [n_a] = parameters.Waa.size();
      const [a, y_pred, caches] = rnn_forward(x, state('a0', n_a), parameters);
      return { a, y: y_pred, Wy: parameters.Wya, by: parameters.by, backward: (da) => ({ ...rnn_backward(da, caches) }) };
    }
    case 'lstm': {
      const parameters: LstmParameters = {
        Wf: P('Wf'), bf: P('bf'), Wi: P('Wi'), bi: P('bi'), Wc: P('Wc'), bc: P('bc'), Wo: P('Wo'), bo: P('bo'), Wy: P('Wy'), by: P('by'),
      };
      const [n_a] = parameters.bf.size();
      const [a, y, c, caches] = lstm_forward(x, state('a0', n_a), parameters, state('c0', n_a));
      return { a, y, c, Wy: parameters.Wy, by: parameters.by, backward: (da) => ({ ...lstm_backward(da, caches) }) };
    }
    case 'gru': {
      const parameters: GruParameters = {
        Wu: P('Wu'), bu: P('bu'), Wr: P('Wr'), br: P('br'), Wc: P('Wc'), bc: P('bc'), Wy: P('Wy'), by: P('by'),
      };
      const [n_a] = parameters.bu.size();
      const [a, y, caches] = gru_forward(x, state('a0', n_a), parameters);
      return { a, y, Wy: parameters.Wy, by: parameters.by, backward: (da) => ({ ...gru_backward(da, caches) }) };
    }
    default:
      throw new Error(`mathjs backend: unknown cell '${String(cell)}'`);
  }
}

function toTensor(v: Matrix | Sequence): Tensor {
  return Array.isArray(v) ? fromSequence(v) : fromMatrix(v);
}

export const mathjsBackend: Backend = {
  name: 'mathjs',

  forward(cell: CellName, inputs: Arrays): Arrays {
    const r = run(cell, inputs);
    const out: Arrays = { a: fromSequence(r.a), y: fromSequence(r.y) };
    if (r.c) out.c = fromSequence(r.c);
    return out;
  },

  backward(cell: CellName, inputs: Arrays, loss: Loss): Arrays {
    return gradientsOf(cell, run(cell, inputs), loss);
  },

  loss(cell: CellName, inputs: Arrays, loss: Loss): number {
    return lossOfRun(run(cell, inputs), loss);
  },

  lossAndGradients(cell: CellName, inputs: Arrays, loss: Loss): { loss: number; gradients: Arrays } {
    const r = run(cell, inputs);
    return { loss: lossOfRun(r, loss), gradients: gradientsOf(cell, r, loss) };
  },
};

/** Every gradient of `loss` through the run `r` (the seed's backward functions, and the xent head's). */
function gradientsOf(cell: CellName, r: Run, loss: Loss): Arrays {
  const out: Arrays = {};
  let da: Sequence;
  if (loss.kind === 'sum') {
    da = toSequence(loss.da);
  } else {
    const head = xent_head_backward(r.y, r.a, r.Wy, labelsByStep(loss.labels, r.Wy.size()[0]));
    da = head.da;
    const [W, b] = HEAD[cell];
    out['d' + W] = fromMatrix(head.dWy);
    out['d' + b] = fromMatrix(head.dby);
  }
  const gradients = r.backward(da);
  const result: Arrays = {};
  for (const [name, g] of Object.entries(gradients)) result[name] = toTensor(g);
  return { ...result, ...out };
}

/** The value of `loss` on the run `r`. */
function lossOfRun(r: Run, loss: Loss): number {
  if (loss.kind === 'sum') return sum_loss(toSequence(loss.da), r.a);
  return xent_loss(r.a, r.Wy, r.by, labelsByStep(loss.labels, r.Wy.size()[0]));
}
