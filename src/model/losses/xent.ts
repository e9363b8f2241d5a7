/**
 * The xent loss, L = −(1/m) Σ_t Σ_j log ŷ[labels[j, t], j, t]: softmax cross-entropy of the
 * predictions against integer class ids `labels` (m, T_x), summed over time and averaged over
 * the batch. It reaches the output head: its gradients include dWy (dWya) and dby.
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
  usesHead: true,
  addStep(L, { out: z, input: labels }) {
    for (let j = 0; j < z.cols; j++) L -= logSoftmax(z, j, labels.at(0, j));
    return L;
  },
  finish: (L, d) => L / d.m,
  /** ∂L/∂z⟨t⟩ = (ŷ⟨t⟩ − onehot(labels⟨t⟩)) / m, m the whole batch's. */
  gradient(ops, { grad: dz, out: y, input: labels }, { m }) {
    for (let i = 0; i < y.rows; i++) for (let j = 0; j < y.cols; j++) dz.set(i, j, y.at(i, j) / m);
    for (let j = 0; j < y.cols; j++) dz.set(labels.at(0, j), j, dz.at(labels.at(0, j), j) - 1 / m);
  },
  // terms: ℓ = −log softmax(z)[label] per column, with Math.exp (as the checker always had);
  // each one's rounding scales with max|z| + log n_y
  terms: {
    rows: () => 1,
    values({ out: z, input: labels }, into, sizes) {
      const logN = Math.log(z.rows);
      for (let j = 0; j < z.cols; j++) {
        let max = -Infinity, big = 0;
        for (let i = 0; i < z.rows; i++) {
          max = Math.max(max, z.at(i, j));
          big = Math.max(big, Math.abs(z.at(i, j)));
        }
        let sum = 0;
        for (let i = 0; i < z.rows; i++) sum += Math.exp(z.at(i, j) - max);
        into.set(0, j, max + Math.log(sum) - z.at(labels.at(0, j), j));
        sizes.set(0, j, big + logN);
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
  equation: 'L = −(1/m) Σ_t Σ_j log ŷ[labels[j, t], j, t]',
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
