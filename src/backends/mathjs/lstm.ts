/** The LSTM as the seed writes it (In[6], In[7]); the backward is ours: the seed's "Backpro of LSTM" has no code. (The mathjs reference: see mathjs.ts.) */
import type { Matrix } from 'mathjs';
import { boundary, math, type Sequence, sigmoid, tanh, softmax, concatenate, rows, sum_keepdims, zeros, add_bias, one_minus, type ReferenceCell } from './math';

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

/**
 * BPTT for the LSTM: both da_prev and dc_prev are carried back from step t to step t−1;
 * dc_next is the upstream of the last c (a loss on c⟨T_x−1⟩, PyTorch's c_n), zeros by default.
 */
export function lstm_backward(da: Sequence, caches: LstmCaches, dc_next?: Matrix): LstmGradients {
  // Retrieve values from the first cache (t=1) of caches
  const [cache] = caches;
  const [a1, , , , , , , , x1] = cache[0];
  const [n_a, m] = a1.size();
  const T_x = da.length;
  const [n_x] = x1.size();

  // initialize the gradients with the right sizes
  const dx: Sequence = new Array<Matrix>(T_x);
  let da_prevt = zeros(n_a, m);
  let dc_prevt = dc_next ?? zeros(n_a, m);
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

// The cell as the reference backend runs it (cells.ts lists it).
export const lstmReference: ReferenceCell = {
  head: ['Wy', 'by'],
  run(inputs) {
    const { P, x, state } = boundary(inputs);
    const parameters: LstmParameters = {
      Wf: P('Wf'), bf: P('bf'), Wi: P('Wi'), bi: P('bi'), Wc: P('Wc'), bc: P('bc'), Wo: P('Wo'), bo: P('bo'), Wy: P('Wy'), by: P('by'),
    };
    const [n_a] = parameters.bf.size();
    const [a, y, c, caches] = lstm_forward(x, state('a0', n_a), parameters, state('c0', n_a));
    return { a, y, c, Wy: parameters.Wy, by: parameters.by, backward: (da, dc_next) => ({ ...lstm_backward(da, caches, dc_next) }) };
  },
};
