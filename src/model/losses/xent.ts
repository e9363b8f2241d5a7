/**
 * The xent loss, L = −(1/m) Σ_t Σ_j log ŷ[labels[j, t], j, t]: softmax cross-entropy of the
 * predictions against integer class ids `labels` (m, T_x), summed over time and averaged over
 * the batch. It reaches the output head: its gradients include dWy (dWya) and dby.
 */
import type { LossSpec } from './types';

export const xentLoss = {
  name: 'xent',
  input: {
    name: 'labels', shape: (d) => [d.m, d.T_x], dims: 'm, T_x', what: 'class ids in [0, n_y)', drawn: false,
    invalid(t, d) {
      const at = t.data.findIndex((v) => !(Number.isInteger(v) && v >= 0 && v < d.n_y));
      return at < 0 ? undefined : { at, why: `is not a class id: labels must be integers in [0, n_y) = [0, ${d.n_y})` };
    },
  },
  usesHead: true,
  equation: 'L = −(1/m) Σ_t Σ_j log ŷ[labels[j, t], j, t]',
  short: 'L = −(1/m) Σ log ŷ[label]',
  help: 'softmax cross-entropy on labels',
} as const satisfies LossSpec;
