/** The GRU (not in the seed), written in its notation. (The mathjs reference: see mathjs.ts.) */
import type { Matrix } from 'mathjs';
import { boundary, math, type Sequence, sigmoid, tanh, softmax, concatenate, rows, sum_keepdims, zeros, add_bias, one_minus, type ReferenceCell } from './math';

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

// The cell as the reference backend runs it (cells.ts lists it).
export const gruReference: ReferenceCell = {
  head: ['Wy', 'by'],
  run(inputs) {
    const { P, x, state } = boundary(inputs);
    const parameters: GruParameters = {
      Wu: P('Wu'), bu: P('bu'), Wr: P('Wr'), br: P('br'), Wc: P('Wc'), bc: P('bc'), Wy: P('Wy'), by: P('by'),
    };
    const [n_a] = parameters.bu.size();
    const [a, y, caches] = gru_forward(x, state('a0', n_a), parameters);
    return { a, y, Wy: parameters.Wy, by: parameters.by, backward: (da) => ({ ...gru_backward(da, caches) }) };
  },
};
