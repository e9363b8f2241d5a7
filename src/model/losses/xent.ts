/**
 * The xent loss, L = −(1/m) Σ_t Σ_j w[j, t] log ŷ[labels[j, t], j, t]: softmax cross-entropy of
 * the predictions against integer class ids `labels` (m, T_x), summed over time and averaged
 * over the batch; w is the optional `mask` (m, T_x) of 0s and 1s (1 without one), as CS231n's
 * temporal_softmax_loss takes it: a padded step adds nothing, the average stays over m. It
 * reaches the output head: its gradients include dWy (dWya) and dby. A step's input block is its
 * labels' row, and with a mask the mask's row under it (LossSpec.weights).
 */
import { exp, type Mat } from '../../exec/ops';
import type { LossSpec } from './types';

export const xentLoss = {
  name: 'xent',
  input: {
    name: 'labels', shape: (d) => [d.m, d.T_x], dims: 'm, T_x', what: 'class ids in [0, n_y)', drawn: false,
    draw: (rng, d) => rng.randint(0, d.n_y, [d.m, d.T_x]),
    invalid(t, d) {
      const at = t.data.findIndex((v) => !(Number.isInteger(v) && v >= 0 && v < d.n_y));
      return at < 0 ? undefined : { at, why: `is not a class id: labels must be integers in [0, n_y) = [0, ${d.n_y})` };
    },
  },
  weights: {
    name: 'mask', what: '0 or 1 per label: 0 leaves it out of the loss',
    invalid(t) {
      const at = t.data.findIndex((v) => v !== 0 && v !== 1);
      return at < 0 ? undefined : { at, why: 'is not 0 or 1: a mask keeps a label (1) or leaves it out (0)' };
    },
  },
  usesHead: true,
  addStep(L, { out: z, input: labels }) {
    for (let j = 0; j < z.cols; j++) {
      const w = weight(labels, j);
      if (w !== 0) L -= w * logSoftmax(z, j, labels.at(0, j));
    }
    return L;
  },
  finish: (L, d) => L / d.m,
  /** ∂L/∂z⟨t⟩ = w⟨t⟩ (ŷ⟨t⟩ − onehot(labels⟨t⟩)) / m, m the whole batch's. */
  gradient(ops, { grad: dz, out: y, input: labels }, { m }) {
    for (let i = 0; i < y.rows; i++) for (let j = 0; j < y.cols; j++) dz.set(i, j, y.at(i, j) / m);
    for (let j = 0; j < y.cols; j++) dz.set(labels.at(0, j), j, dz.at(labels.at(0, j), j) - 1 / m);
    if (labels.rows > 1) {
      for (let j = 0; j < y.cols; j++) {
        const w = weight(labels, j);
        if (w !== 1) for (let i = 0; i < y.rows; i++) dz.set(i, j, w * dz.at(i, j));
      }
    }
  },
  // terms: ℓ = −log softmax(z)[label] per column, with Math.exp (as the checker always had);
  // each one's rounding scales with max|z| + log n_y
  terms: {
    rows: () => 1,
    values({ out: z, input: labels }, into, sizes) {
      const logN = Math.log(z.rows);
      for (let j = 0; j < z.cols; j++) {
        const w = weight(labels, j);
        if (w === 0) {
          into.set(0, j, 0);
          sizes.set(0, j, 0);
          continue;
        }
        let max = -Infinity, big = 0;
        for (let i = 0; i < z.rows; i++) {
          max = Math.max(max, z.at(i, j));
          big = Math.max(big, Math.abs(z.at(i, j)));
        }
        let sum = 0;
        for (let i = 0; i < z.rows; i++) sum += Math.exp(z.at(i, j) - max);
        into.set(0, j, w * (max + Math.log(sum) - z.at(labels.at(0, j), j)));
        sizes.set(0, j, w * (big + logN));
      }
      return into;
    },
    accumulate(sums, kept, now, labels, sizes) {
      let { s, c2, m2 } = sums;
      for (let j = 0; j < kept.cols; j++) {
        const dt = kept.at(0, j) - now.at(0, j);
        s += dt;
        c2 += dt * dt;
        m2 += sizes.at(0, j) * sizes.at(0, j);
      }
      sums.s = s;
      sums.c2 = c2;
      sums.m2 = m2;
    },
    difference: (kept, now) => kept - now,
    size: (kept, now, label, sizeNow) => sizeNow,
    scaled: (x, d) => x / d.m,
  },
  equation: 'L = −(1/m) Σ_t Σ_j log ŷ[labels[j, t], j, t] (each term × mask[j, t] with a mask)',
  short: 'L = −(1/m) Σ log ŷ[label]',
  help: 'softmax cross-entropy on labels',
} as const satisfies LossSpec;

/** log softmax(z(:, j))[label], stably: z[label] − max − log Σ_i exp(z[i] − max). */
function logSoftmax(z: Mat, j: number, label: number): number {
  let max = -Infinity;
  for (let i = 0; i < z.rows; i++) if (z.at(i, j) > max) max = z.at(i, j);
  let s = 0;
  for (let i = 0; i < z.rows; i++) s += exp(z.at(i, j) - max);
  return z.at(label, j) - max - Math.log(s);
}

/** Column j's weight: its mask entry (the input block's second row), 1 without a mask. */
const weight = (input: Mat, j: number): number => (input.rows > 1 ? input.at(1, j) : 1);
