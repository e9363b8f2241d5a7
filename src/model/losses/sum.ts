/**
 * The sum loss, L = Σ_t Σ da⟨t⟩ ⊙ a⟨t⟩: `da` (n_a, m, T_x) is then the upstream gradient of
 * every hidden state, exactly what the seed's `rnn_backward(da, caches)` takes. It does not
 * reach the output head: its gradients are the recurrent part's only.
 */
import type { LossSpec } from './types';

export const sumLoss = {
  name: 'sum',
  input: { name: 'da', shape: (d) => [d.n_a, d.m, d.T_x], dims: 'n_a, m, T_x', what: 'the upstream gradient of every a⟨t⟩', drawn: true },
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
  equation: 'L = Σ da ⊙ a',
  short: 'L = Σ da ⊙ a',
  help: 'L = Σ da⊙a',
} as const satisfies LossSpec;
