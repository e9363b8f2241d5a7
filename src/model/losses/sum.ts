/**
 * The sum loss, L = Σ_t Σ da⟨t⟩ ⊙ a⟨t⟩: `da` (n_a, m, T_x) is then the upstream gradient of
 * every hidden state, exactly what the seed's `rnn_backward(da, caches)` takes. It does not
 * reach the output head: its gradients are the recurrent part's only.
 */
import type { LossSpec } from './types';

export const sumLoss = {
  name: 'sum',
  input: {
    name: 'da', shape: (d) => [d.n_a, d.m, d.T_x], dims: 'n_a, m, T_x', what: 'the upstream gradient of every a⟨t⟩', drawn: true,
    draw: (rng, d) => rng.randn(d.n_a, d.m, d.T_x),
  },
  usesHead: false,
  addStep(L, { out: a, input: da }) {
    for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) L += da.at(i, j) * a.at(i, j);
    return L;
  },
  finish: (L) => L,
  /** ∂L/∂a⟨t⟩ = da⟨t⟩. */
  gradient(ops, { grad, input: da }) {
    ops.copy(grad, da);
  },
  upstreamIsInput: true,
  // terms: da ⊙ a, entry by entry; the change of one is da·(a⁺ − a⁻), its size da·a⁺
  terms: {
    rows: (d) => d.n_a,
    values: ({ out: a }) => a,
    accumulate(sums, kept, now, da) {
      let { s, c2, m2 } = sums;
      const n = kept.rows * kept.cols, K = kept.buf, N = now.buf, G = da.buf, k0 = kept.off, n0 = now.off, g0 = da.off;
      for (let k = 0; k < n; k++) {
        const dt = G[g0 + k] * (K[k0 + k] - N[n0 + k]);
        s += dt;
        c2 += dt * dt;
        const q = G[g0 + k] * K[k0 + k];
        m2 += q * q;
      }
      sums.s = s;
      sums.c2 = c2;
      sums.m2 = m2;
    },
    difference: (kept, now, da) => da * (kept - now),
    size: (kept, now, da) => da * kept,
    scaled: (x) => x,
  },
  equation: 'L = Σ da ⊙ a',
  short: 'L = Σ da ⊙ a',
  help: 'L = Σ da⊙a',
} as const satisfies LossSpec;
