/** The basic RNN as the seed writes it (In[2], In[3], In[10], In[17]). (The mathjs reference: see mathjs.ts.) */
import type { Matrix } from 'mathjs';
import { boundary, math, type Sequence, tanh, softmax, sum_keepdims, zeros, add_bias, one_minus, type ReferenceCell } from './math';

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

// The cell as the reference backend runs it (cells.ts lists it).
export const rnnReference: ReferenceCell = {
  head: ['Wya', 'by'],
  run(inputs) {
    const { P, x, state } = boundary(inputs);
    const parameters: RnnParameters = { Wax: P('Wax'), Waa: P('Waa'), Wya: P('Wya'), ba: P('ba'), by: P('by') };
    const [n_a] = parameters.Waa.size();
    const [a, y_pred, caches] = rnn_forward(x, state('a0', n_a), parameters);
    return { a, y: y_pred, Wy: parameters.Wya, by: parameters.by, backward: (da) => ({ ...rnn_backward(da, caches) }) };
  },
};
