/** The losses' values on a trace (the engine's and the gradient checker's): sum and xent. */
import { logSoftmaxAt } from '../elementwise';
import { placement } from './layout';
import type { Trace } from './trace';

/** Σ_{t ≥ t0} da⟨t⟩ ⊙ a⟨t⟩: the sum loss (t0 = 0), or its tail from step t0 on; summed in (i, j) order in any layout. */
export function sumLoss(tr: Trace, daSteps: readonly Float64Array[], t0 = 0): number {
  const { n_a, m, T_x } = tr.d;
  const { base, stride } = placement(m, n_a, tr.widths);
  let L = 0;
  for (let t = t0; t < T_x; t++) {
    const g = daSteps[t], a = tr.steps[t].a.buf;
    for (let i = 0; i < n_a; i++) {
      for (let j = 0; j < m; j++) {
        const q = base[j] + i * stride[j];
        L += g[q] * a[q];
      }
    }
  }
  return L;
}

/** The xent loss (t0 = 0), or its tail from step t0 on; labels (m, T_x) in C order. */
export function xentLoss(tr: Trace, labels: Float64Array, t0 = 0): number {
  const { n_y, m, T_x } = tr.d;
  let L = 0;
  for (let t = t0; t < T_x; t++) {
    for (const { j0, d: { m: w } } of tr.groups) {
      const z = tr.groups.length === 1 ? tr.logits[t] : tr.logits[t].subarray(n_y * j0, n_y * (j0 + w));
      for (let j = 0; j < w; j++) L -= logSoftmaxAt(z, n_y, w, j, labels[(j0 + j) * T_x + t]);
    }
  }
  return L / m;
}
