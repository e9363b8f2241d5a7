/**
 * The losses in the reference's matrices (the seed's rnn_backward takes `da`; the head's losses
 * are ours, in its notation), listed by the engine's loss names in REFERENCE_LOSSES: a loss the
 * engine has (LOSSES) and this table lacks does not type-check.
 */
import type { Matrix } from 'mathjs';
import type { LossName } from '../../model/losses';
import type { Tensor } from '../../tensor';
import { labelsByStep, math, toSequence, type Run, type Sequence, softmax, log_softmax, sum_keepdims, zeros, add_bias } from './math';

/** A loss on a run of a reference cell: its value, and its upstream da⟨t⟩ (plus the head's gradients when it reaches the head). */
export interface ReferenceLoss {
  value(r: Run, input: Tensor): number;
  upstream(r: Run, input: Tensor): { da: Sequence; head?: { dWy: Matrix; dby: Matrix } };
}

export const REFERENCE_LOSSES: Readonly<Record<LossName, ReferenceLoss>> = {
  sum: {
    value: (r, da) => sum_loss(toSequence(da), r.a),
    upstream: (r, da) => ({ da: toSequence(da) }),
  },
  xent: {
    value: (r, input) => {
      const { labels, mask } = unstacked(input);
      return xent_loss(r.a, r.Wy, r.by, labelsByStep(labels, r.Wy.size()[0]), mask && byStep(mask));
    },
    upstream: (r, input) => {
      const { labels, mask } = unstacked(input);
      const { da, dWy, dby } = xent_head_backward(r.y, r.a, r.Wy, labelsByStep(labels, r.Wy.size()[0]), mask && byStep(mask));
      return { da, head: { dWy, dby } };
    },
  },
};

/** The xent loss's array as the engine reads it: labels (m, T_x), or labels and a mask stacked (2, m, T_x) (src/backends/loss-input.ts). */
function unstacked(input: Tensor): { labels: Tensor; mask?: Tensor } {
  if (input.shape.length === 2) return { labels: input };
  const [, m, T] = input.shape, n = m * T;
  return { labels: { shape: [m, T], data: input.data.subarray(0, n) }, mask: { shape: [m, T], data: input.data.subarray(n) } };
}

/** mask (m, T_x) by step: out[t][j] = mask[j, t]. */
function byStep(mask: Tensor): number[][] {
  const [m, T] = mask.shape;
  return Array.from({ length: T }, (_, t) => Array.from({ length: m }, (_, j) => mask.data[j * T + t]));
}

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

/**
 * L = −(1/m) Σ_t Σ_j mask[t][j] · log softmax(Wy a⟨t⟩ + by)[labels[t][j], j]; labels[t][j] ≙
 * labels[j, t]; mask 1 everywhere when there is none (CS231n's temporal_softmax_loss).
 */
export function xent_loss(a: Sequence, Wy: Matrix, by: Matrix, labels: number[][], mask?: number[][]): number {
  let L = 0;
  for (let t = 0; t < a.length; t++) {
    const log_y = log_softmax(add_bias(math.multiply(Wy, a[t]), by)).toArray() as number[][];
    const m = labels[t].length;
    for (let j = 0; j < m; j++) L -= ((mask ? mask[t][j] : 1) * log_y[labels[t][j]][j]) / m;
  }
  return L;
}

/**
 * The xent loss's backward through the output head: with dz⟨t⟩ = (ŷ⟨t⟩ − onehot⟨t⟩) / m,
 * dWy = Σ_t dz⟨t⟩ a⟨t⟩ᵀ, dby = Σ_t Σ_columns dz⟨t⟩, and the upstream da⟨t⟩ = Wyᵀ dz⟨t⟩
 * that the recurrent backward then carries through time.
 */
export function xent_head_backward(
  y_pred: Sequence, a: Sequence, Wy: Matrix, labels: number[][], mask?: number[][],
): { da: Sequence; dWy: Matrix; dby: Matrix } {
  const [n_y, n_a] = Wy.size();
  let dWy = zeros(n_y, n_a);
  let dby = zeros(n_y, 1);
  const da: Sequence = [];
  for (let t = 0; t < a.length; t++) {
    const m = labels[t].length;
    let dz = math.dotDivide(math.subtract(y_pred[t], one_hot(labels[t], n_y)), m) as Matrix;
    if (mask) dz = math.dotMultiply(dz, math.matrix(Array.from({ length: n_y }, () => mask[t]), 'dense', 'number')) as Matrix; // column j × mask[t][j]
    dWy = math.add(dWy, math.multiply(dz, math.transpose(a[t])));
    dby = math.add(dby, sum_keepdims(dz));
    da[t] = math.multiply(math.transpose(Wy), dz);
  }
  return { da, dWy, dby };
}
