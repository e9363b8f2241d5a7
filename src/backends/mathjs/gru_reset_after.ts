/**
 * The GRU with the reset gate after the recurrent product (PyTorch's nn.GRU, Keras's
 * reset_after=True), written as the seed writes its cells. (The mathjs reference: see mathjs.ts.)
 */
import type { Matrix } from 'mathjs';
import { boundary, math, type Sequence, sigmoid, tanh, softmax, concatenate, rows, sum_keepdims, zeros, add_bias, one_minus, type ReferenceCell } from './math';

export interface GruResetAfterParameters {
  Wr: Matrix; // (n_a, n_a + n_x)
  br: Matrix; // (n_a, 1)
  Wz: Matrix;
  bz: Matrix;
  Wn: Matrix; // (n_a, n_x)
  bn: Matrix;
  Whn: Matrix; // (n_a, n_a)
  bhn: Matrix;
  Wy: Matrix; // (n_y, n_a)
  by: Matrix; // (n_y, 1)
}

/** (a_next, a_prev, rt, zt, nt, hnt, xt, parameters) */
export type GruResetAfterCache = [
  a_next: Matrix, a_prev: Matrix, rt: Matrix, zt: Matrix, nt: Matrix, hnt: Matrix, xt: Matrix, parameters: GruResetAfterParameters,
];
export type GruResetAfterCaches = [caches: GruResetAfterCache[], x: Sequence];

/**
 *   rt  = σ(Wr [a_prev; xt] + br)
 *   zt  = σ(Wz [a_prev; xt] + bz)
 *   hnt = Whn a_prev + bhn
 *   nt  = tanh(Wn xt + bn + rt * hnt)
 *   a_next = (1 − zt) * nt + zt * a_prev
 */
export function gru_reset_after_cell_forward(xt: Matrix, a_prev: Matrix, parameters: GruResetAfterParameters): [a_next: Matrix, yt_pred: Matrix, cache: GruResetAfterCache] {
  const { Wr, br, Wz, bz, Wn, bn, Whn, bhn, Wy, by } = parameters;

  const input_conc = concatenate(a_prev, xt);
  // reset and update gates
  const rt = sigmoid(add_bias(math.multiply(Wr, input_conc), br));
  const zt = sigmoid(add_bias(math.multiply(Wz, input_conc), bz));
  // candidate: the reset gate multiplies the recurrent product, bias included
  const hnt = add_bias(math.multiply(Whn, a_prev), bhn);
  const nt = tanh(math.add(add_bias(math.multiply(Wn, xt), bn), math.dotMultiply(rt, hnt)));
  const a_next = math.add(math.dotMultiply(one_minus(zt), nt), math.dotMultiply(zt, a_prev));

  const yt_pred = softmax(add_bias(math.multiply(Wy, a_next), by));
  const cache: GruResetAfterCache = [a_next, a_prev, rt, zt, nt, hnt, xt, parameters];
  return [a_next, yt_pred, cache];
}

export function gru_reset_after_forward(x: Sequence, a0: Matrix, parameters: GruResetAfterParameters): [a: Sequence, y: Sequence, caches: GruResetAfterCaches] {
  const caches: GruResetAfterCache[] = [];
  const a: Sequence = [];
  const y: Sequence = [];
  let a_prev = a0;
  for (let t = 0; t < x.length; t++) {
    const [a_next, yt_pred, cache] = gru_reset_after_cell_forward(x[t], a_prev, parameters);
    a[t] = a_next;
    y[t] = yt_pred;
    caches.push(cache);
    a_prev = a_next;
  }
  return [a, y, [caches, x]];
}

export interface GruResetAfterCellGradients {
  dxt: Matrix;
  da_prev: Matrix;
  dWr: Matrix;
  dbr: Matrix;
  dWz: Matrix;
  dbz: Matrix;
  dWn: Matrix;
  dbn: Matrix;
  dWhn: Matrix;
  dbhn: Matrix;
}

/**
 * Backward through one step, given da_next (upstream plus what came back from t+1):
 *
 *   dnt  = da_next * (1 − zt) * (1 − nt²)         (w.r.t. nt's pre-activation)
 *   dhnt = dnt * rt
 *   drt  = dnt * hnt * rt (1 − rt)
 *   dzt  = da_next * (a_prev − nt) * zt (1 − zt)
 *   da_prev = da_next * zt + (Wrᵀ drt + Wzᵀ dzt)[:n_a] + Whnᵀ dhnt
 *   dxt     = (Wrᵀ drt + Wzᵀ dzt)[n_a:] + Wnᵀ dnt
 *   dWr = drt [a_prev; xt]ᵀ   dWz = dzt [a_prev; xt]ᵀ   dWn = dnt xtᵀ   dWhn = dhnt a_prevᵀ
 */
export function gru_reset_after_cell_backward(da_next: Matrix, cache: GruResetAfterCache): GruResetAfterCellGradients {
  const [, a_prev, rt, zt, nt, hnt, xt, parameters] = cache;
  const { Wr, Wz, Wn, Whn } = parameters;
  const [n_a] = a_prev.size();
  const [n_x] = xt.size();

  const dnt = math.dotMultiply(math.dotMultiply(da_next, one_minus(zt)), one_minus(math.dotMultiply(nt, nt)));
  const dhnt = math.dotMultiply(dnt, rt);
  const drt = math.dotMultiply(math.dotMultiply(dnt, hnt), math.dotMultiply(rt, one_minus(rt)));
  const dzt = math.dotMultiply(math.dotMultiply(da_next, math.subtract(a_prev, nt)), math.dotMultiply(zt, one_minus(zt)));

  const concat_T = math.transpose(concatenate(a_prev, xt));
  const dWr = math.multiply(drt, concat_T);
  const dWz = math.multiply(dzt, concat_T);
  const dWn = math.multiply(dnt, math.transpose(xt));
  const dWhn = math.multiply(dhnt, math.transpose(a_prev));
  const dbr = sum_keepdims(drt);
  const dbz = sum_keepdims(dzt);
  const dbn = sum_keepdims(dnt);
  const dbhn = sum_keepdims(dhnt);

  const dconcat = math.add(math.multiply(math.transpose(Wr), drt), math.multiply(math.transpose(Wz), dzt));
  const da_prev = math.add(math.add(math.dotMultiply(da_next, zt), rows(dconcat, 0, n_a)), math.multiply(math.transpose(Whn), dhnt));
  const dxt = math.add(rows(dconcat, n_a, n_a + n_x), math.multiply(math.transpose(Wn), dnt));

  return { dxt, da_prev, dWr, dbr, dWz, dbz, dWn, dbn, dWhn, dbhn };
}

export interface GruResetAfterGradients {
  dx: Sequence;
  da0: Matrix;
  dWr: Matrix;
  dbr: Matrix;
  dWz: Matrix;
  dbz: Matrix;
  dWn: Matrix;
  dbn: Matrix;
  dWhn: Matrix;
  dbhn: Matrix;
}

export function gru_reset_after_backward(da: Sequence, caches: GruResetAfterCaches): GruResetAfterGradients {
  const [cache] = caches;
  const [a1, , , , , , x1] = cache[0];
  const [n_a, m] = a1.size();
  const [n_x] = x1.size();
  const T_x = da.length;

  const dx: Sequence = new Array<Matrix>(T_x);
  let da_prevt = zeros(n_a, m);
  let dWr = zeros(n_a, n_a + n_x), dWz = zeros(n_a, n_a + n_x), dWn = zeros(n_a, n_x), dWhn = zeros(n_a, n_a);
  let dbr = zeros(n_a, 1), dbz = zeros(n_a, 1), dbn = zeros(n_a, 1), dbhn = zeros(n_a, 1);

  for (let t = T_x - 1; t >= 0; t--) {
    const g = gru_reset_after_cell_backward(math.add(da[t], da_prevt), cache[t]);
    da_prevt = g.da_prev;
    dx[t] = g.dxt;
    dWr = math.add(dWr, g.dWr);
    dWz = math.add(dWz, g.dWz);
    dWn = math.add(dWn, g.dWn);
    dWhn = math.add(dWhn, g.dWhn);
    dbr = math.add(dbr, g.dbr);
    dbz = math.add(dbz, g.dbz);
    dbn = math.add(dbn, g.dbn);
    dbhn = math.add(dbhn, g.dbhn);
  }

  return { dx, da0: da_prevt, dWr, dbr, dWz, dbz, dWn, dbn, dWhn, dbhn };
}

// The cell as the reference backend runs it (cells.ts lists it).
export const gruResetAfterReference: ReferenceCell = {
  head: ['Wy', 'by'],
  run(inputs) {
    const { P, x, state } = boundary(inputs);
    const parameters: GruResetAfterParameters = {
      Wr: P('Wr'), br: P('br'), Wz: P('Wz'), bz: P('bz'), Wn: P('Wn'), bn: P('bn'), Whn: P('Whn'), bhn: P('bhn'), Wy: P('Wy'), by: P('by'),
    };
    const [n_a] = parameters.br.size();
    const [a, y, caches] = gru_reset_after_forward(x, state('a0', n_a), parameters);
    return { a, y, Wy: parameters.Wy, by: parameters.by, backward: (da) => ({ ...gru_reset_after_backward(da, caches) }) };
  },
};
