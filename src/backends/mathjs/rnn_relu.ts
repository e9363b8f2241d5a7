/** The basic RNN with a ReLU (PyTorch's nonlinearity='relu'), written as the seed writes its RNN. (The mathjs reference: see mathjs.ts.) */
import type { Matrix } from 'mathjs';
import { boundary, math, type Sequence, softmax, sum_keepdims, zeros, add_bias, type ReferenceCell } from './math';
import type { RnnParameters } from './rnn';

/** (a_next, a_prev, xt, parameters) */
export type RnnReluCache = [a_next: Matrix, a_prev: Matrix, xt: Matrix, parameters: RnnParameters];

/** max(z, 0), element-wise. */
export function relu(z: Matrix): Matrix {
  return math.map(z, (v: number) => Math.max(v, 0)) as Matrix;
}

export function rnn_relu_cell_forward(xt: Matrix, a_prev: Matrix, parameters: RnnParameters): [a_next: Matrix, yt_pred: Matrix, cache: RnnReluCache] {
  const { Wax, Waa, Wya, ba, by } = parameters;
  const a_next = relu(add_bias(math.add(math.multiply(Waa, a_prev), math.multiply(Wax, xt)), ba));
  const yt_pred = softmax(add_bias(math.multiply(Wya, a_next), by));
  return [a_next, yt_pred, [a_next, a_prev, xt, parameters]];
}

export function rnn_relu_cell_backward(da_next: Matrix, cache: RnnReluCache): { dxt: Matrix; da_prev: Matrix; dWax: Matrix; dWaa: Matrix; dba: Matrix } {
  const [a_next, a_prev, xt, parameters] = cache;
  const { Wax, Waa } = parameters;
  // the ReLU's derivative: 1 where its output is positive, else 0
  const dz = math.dotMultiply(math.map(a_next, (v: number) => (v > 0 ? 1 : 0)) as Matrix, da_next);
  return {
    dxt: math.multiply(math.transpose(Wax), dz),
    da_prev: math.multiply(math.transpose(Waa), dz),
    dWax: math.multiply(dz, math.transpose(xt)),
    dWaa: math.multiply(dz, math.transpose(a_prev)),
    dba: sum_keepdims(dz),
  };
}

export function rnn_relu_forward(x: Sequence, a0: Matrix, parameters: RnnParameters): [a: Sequence, y_pred: Sequence, caches: RnnReluCache[]] {
  const caches: RnnReluCache[] = [], a: Sequence = [], y_pred: Sequence = [];
  let a_prev = a0;
  for (let t = 0; t < x.length; t++) {
    const [a_next, yt_pred, cache] = rnn_relu_cell_forward(x[t], a_prev, parameters);
    a[t] = a_next;
    y_pred[t] = yt_pred;
    caches.push(cache);
    a_prev = a_next;
  }
  return [a, y_pred, caches];
}

export function rnn_relu_backward(da: Sequence, caches: RnnReluCache[], n_x: number): { dx: Sequence; da0: Matrix; dWax: Matrix; dWaa: Matrix; dba: Matrix } {
  const [n_a, m] = caches[0][0].size();
  const T_x = da.length;
  const dx: Sequence = new Array<Matrix>(T_x);
  let dWax = zeros(n_a, n_x), dWaa = zeros(n_a, n_a), dba = zeros(n_a, 1), da_prevt = zeros(n_a, m);
  for (let t = T_x - 1; t >= 0; t--) {
    const g = rnn_relu_cell_backward(math.add(da[t], da_prevt), caches[t]);
    da_prevt = g.da_prev;
    dx[t] = g.dxt;
    dWax = math.add(dWax, g.dWax);
    dWaa = math.add(dWaa, g.dWaa);
    dba = math.add(dba, g.dba);
  }
  return { dx, da0: da_prevt, dWax, dWaa, dba };
}

// The cell as the reference backend runs it (cells.ts lists it).
export const rnnReluReference: ReferenceCell = {
  head: ['Wya', 'by'],
  run(inputs) {
    const { P, x, state } = boundary(inputs);
    const parameters: RnnParameters = { Wax: P('Wax'), Waa: P('Waa'), Wya: P('Wya'), ba: P('ba'), by: P('by') };
    const [n_a] = parameters.Waa.size();
    const [n_x] = parameters.Wax.size().slice(1);
    const [a, y_pred, caches] = rnn_relu_forward(x, state('a0', n_a), parameters);
    return { a, y: y_pred, Wy: parameters.Wya, by: parameters.by, backward: (da) => ({ ...rnn_relu_backward(da, caches, n_x) }) };
  },
};
