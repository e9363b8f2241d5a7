/**
 * The basic RNN with a ReLU: PyTorch's nn.RNN(nonlinearity='relu'), in the seed's notation.
 *
 *   a⟨t⟩ = max(Wax x⟨t⟩ + Waa a⟨t−1⟩ + ba, 0)          a: (n_a, m)
 *   ŷ⟨t⟩ = softmax(Wya a⟨t⟩ + by)                       (the unroller's output head)
 *
 * Shapes as the RNN's: Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1), Wya (n_y, n_a), by (n_y, 1).
 *
 * Backward, given da = ∂L/∂a⟨t⟩:
 *   dz    = [a⟨t⟩ > 0] ⊙ da      (PyTorch's: no gradient where the ReLU's output is 0)
 *   dxt   = Waxᵀ dz              da_prev = Waaᵀ dz
 *   dWax += dz xtᵀ               dWaa   += dz a_prevᵀ          dba += Σ_batch dz
 *
 * As the RNN (rnn.ts): the input projection is hoisted out of the time loop and computed
 * into a⟨t⟩ itself; the cell caches nothing beyond a⟨t⟩.
 */
import { formula } from '../../exec/ops';
import type { CellSpec } from './types';
import { rnnCell } from './rnn';

const relu = formula('relu', 'a -> a', `
  a = max(a, 0)`);
const reluBack = formula('relu_back', 'a da -> dz', `
  dz = step(a) * da`);

/** The RNN's spec (parameters, their draw order, the projection into a⟨t⟩) with a ReLU's steps. */
export const rnnReluCell = {
  ...rnnCell,
  name: 'rnn_relu',
  title: 'basic RNN with a ReLU: a = max(Wax x + Waa a_prev + ba, 0)',
  unbounded: true,

  forward(ops, p, d, s) {
    ops.copy(s.a, s.zx); // Wax x⟨t⟩ + ba
    ops.addProduct(s.a, p.Waa, s.aPrev);
    relu(ops, { a: s.a });
  },

  backward(ops, p, d, s, g) {
    reluBack(ops, { a: s.a, da: g.da, dz: g.dz });
    ops.zero(g.daPrev);
    ops.addProductT(g.daPrev, p.Waa, g.dz); // da_prev = Waaᵀ dz
  },
} as const satisfies CellSpec;
