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
  equation: 'L = Σ da ⊙ a',
  short: 'L = Σ da ⊙ a',
  help: 'L = Σ da⊙a',
} as const satisfies LossSpec;
