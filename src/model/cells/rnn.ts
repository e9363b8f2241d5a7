/**
 * The basic RNN cell, as the seed's rnn_cell_forward / rnn_cell_backward.
 *
 *   a⟨t⟩ = tanh(Wax x⟨t⟩ + Waa a⟨t−1⟩ + ba)            a: (n_a, m)
 *   ŷ⟨t⟩ = softmax(Wya a⟨t⟩ + by)                       (the unroller's output head)
 *
 * Shapes: Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1), Wya (n_y, n_a), by (n_y, 1).
 *
 * Backward, given da = ∂L/∂a⟨t⟩:
 *   dtanh  = (1 − a⟨t⟩²) ⊙ da
 *   dxt    = Waxᵀ dtanh         da_prev = Waaᵀ dtanh
 *   dWax  += dtanh xtᵀ          dWaa   += dtanh a_prevᵀ          dba += Σ_batch dtanh
 *
 * The input projection Wax x⟨t⟩ + ba is hoisted out of the time loop (Step.zx). The
 * backward step computes dtanh (its dz) and da_prev; the unroller takes dxt, dWax, dWaa and
 * dba from dtanh for all steps at once.
 * The cell caches nothing beyond a⟨t⟩ itself (cacheRows = 0).
 */
import { formula } from '../../exec/ops';
import type { CellSpec } from './types';

// The element-wise step of backward (src/exec/formulas.ts): one loop over a step's (n_a, m) block.
const tanhBack = formula('rnn_back', 'a da -> dz', `
  dz = (1 - a * a) * da`);

export const rnnCell = {
  name: 'rnn',
  title: 'basic RNN: a = tanh(Wax x + Waa a_prev + ba)',
  // np.random.randn order of the seed's test cells: Waa, Wax, Wya, ba, by
  params: [
    { name: 'Waa', shape: (d) => [d.n_a, d.n_a], role: 'recurrent' },
    { name: 'Wax', shape: (d) => [d.n_a, d.n_x], role: 'recurrent' },
    { name: 'Wya', shape: (d) => [d.n_y, d.n_a], role: 'head' },
    { name: 'ba', shape: (d) => [d.n_a, 1], role: 'recurrent' },
    { name: 'by', shape: (d) => [d.n_y, 1], role: 'head' },
  ],
  stacks: [],
  projections: [{ W: 'Wax', b: 'ba', k0: () => 0, rows: (d) => d.n_a, recurrent: { W: 'Waa' } }],
  head: { W: 'Wya', b: 'by' },
  hasCellState: false,
  cacheRows: () => 0,
  workRows: () => 0,
  zxInto: 'a', // a⟨t⟩ = Wax x⟨t⟩ + ba, first thing in forward

  forward(ops, p, d, s) {
    ops.copy(s.a, s.zx); // Wax x⟨t⟩ + ba
    ops.addProduct(s.a, p.Waa, s.aPrev);
    ops.tanh(s.a);
  },

  backward(ops, p, d, s, g) {
    const dtanh = g.dz;
    tanhBack(ops, { a: s.a, da: g.da, dz: dtanh });
    ops.zero(g.daPrev);
    ops.addProductT(g.daPrev, p.Waa, dtanh); // da_prev = Waaᵀ dtanh
  },
} as const satisfies CellSpec;
