/**
 * The GRU with its reset gate applied after the recurrent product: PyTorch's nn.GRU
 * (torch/nn/modules/rnn.py, its docstring's equations) and Keras's GRU(reset_after=True),
 * written in the seed's notation. Not the lecture form (`gru`), which resets a_prev before
 * its product: no weights make the two equal.
 *
 *   rt  = σ(Wr [a_prev; xt] + br)                    reset gate
 *   zt  = σ(Wz [a_prev; xt] + bz)                    update gate (PyTorch's z: how much of a_prev stays)
 *   hnt = Whn a_prev + bhn                           the candidate's recurrent part
 *   nt  = tanh(Wn xt + bn + rt ⊙ hnt)                candidate
 *   a_next = (1 − zt) ⊙ nt + zt ⊙ a_prev
 *   ŷ⟨t⟩ = softmax(Wy a_next + by)                     (the unroller's output head)
 *
 * Shapes: W{r,z} (n_a, n_a + n_x), Wn (n_a, n_x), Whn (n_a, n_a), b{r,z,n,hn} (n_a, 1),
 * Wy (n_y, n_a), by (n_y, 1). PyTorch's weight_ih rows r, z, n are Wr[:, n_a:], Wz[:, n_a:],
 * Wn; weight_hh's are Wr[:, :n_a], Wz[:, :n_a], Whn; br = b_ir + b_hr, bz = b_iz + b_hz,
 * bn = b_in, bhn = b_hn.
 *
 * Backward, given da = ∂L/∂a_next:
 *   dzn  = da ⊙ (1 − zt) ⊙ (1 − nt²)                 (w.r.t. nt's pre-activation)
 *   dhn  = dzn ⊙ rt                                 (w.r.t. hnt: dWhn += dhn a_prevᵀ, dbhn += Σ dhn)
 *   dzr  = dzn ⊙ hnt ⊙ rt(1 − rt)
 *   dzz  = da ⊙ (a_prev − nt) ⊙ zt(1 − zt)
 *   da_prev = da ⊙ zt + W{r,z}[:, :n_a]ᵀ dz{r,z} + Whnᵀ dhn
 *   dW{r,z} += dz{r,z} [a_prev; xt]ᵀ,  dWn += dzn xtᵀ,  dxt = W{r,z}[:, n_a:]ᵀ dz{r,z} + Wnᵀ dzn
 *
 * The reset and update gates run as one product on stacked weights Wrz = [Wr; Wz] and
 * brz = [br; bz]. The input parts are hoisted out of the time loop as three projections,
 * Step.zx = [Wrz[:, n_a:] xt + brz; Wn xt + bn; bhn] — the last has no input part (its zx is
 * its bias), and Whn is its recurrent part: so dz = [dzr; dzz; dzn; dhn] gives every
 * parameter's gradient from the unroller's batched sums. Cache per step: rt, zt, nt, hnt —
 * 4 blocks of (n_a, m), the projections' own rows.
 */
import { formula } from '../../exec/ops';
import { gateBias, gateWeights } from './gate';
import type { CellSpec } from './types';


// The element-wise steps (src/exec/formulas.ts), each one loop over a step's (n_a, m) blocks.
const candidate = formula('grua_candidate', 'n r hn -> n', `
  n = n + r * hn`);
const update = formula('grua_update', 'z n aPrev -> a', `
  a = (1 - z) * n + z * aPrev`);
const gatesBack = formula('grua_back', 'da z n aPrev r hn -> dzr dzz dzn dhn daPrev', `
  dzn = da * (1 - z) * (1 - n * n)
  dhn = dzn * r
  dzr = dzn * hn * r * (1 - r)
  dzz = da * (aPrev - n) * z * (1 - z)
  daPrev = da * z`);


export const gruResetAfterCell = {
  name: 'gru_reset_after',
  title: "GRU, reset after the product: tanh(Wn x + bn + r*(Whn a_prev + bhn)) (PyTorch's nn.GRU)",
  // np.random.randn order used by `rnn init`: Wr, br, Wz, bz, Wn, bn, Whn, bhn, Wy, by
  params: [
    { name: 'Wr', shape: gateWeights, role: 'recurrent' },
    { name: 'br', shape: gateBias, role: 'recurrent' },
    { name: 'Wz', shape: gateWeights, role: 'recurrent' },
    { name: 'bz', shape: gateBias, role: 'recurrent' },
    { name: 'Wn', shape: (d) => [d.n_a, d.n_x], role: 'recurrent' },
    { name: 'bn', shape: gateBias, role: 'recurrent' },
    { name: 'Whn', shape: (d) => [d.n_a, d.n_a], role: 'recurrent' },
    { name: 'bhn', shape: gateBias, role: 'recurrent' },
    { name: 'Wy', shape: (d) => [d.n_y, d.n_a], role: 'head' },
    { name: 'by', shape: (d) => [d.n_y, 1], role: 'head' },
  ],
  stacks: [
    { name: 'Wrz', members: ['Wr', 'Wz'] },
    { name: 'brz', members: ['br', 'bz'] },
  ],
  projections: [
    { W: 'Wrz', b: 'brz', k0: (d) => d.n_a, rows: (d) => 2 * d.n_a, recurrent: { W: 'Wrz' } },
    { W: 'Wn', b: 'bn', k0: () => 0, rows: (d) => d.n_a }, // the recurrent part is hn's, below
    { b: 'bhn', k0: () => 0, rows: (d) => d.n_a, recurrent: { W: 'Whn' } },
  ],
  head: { W: 'Wy', b: 'by' },
  hasCellState: false,
  cacheRows: (d) => 4 * d.n_a,
  workRows: () => 0,
  zxInto: 'cache', // all 4 n_a rows, first thing in forward; the gradients read no cache row

  forward(ops, p, { n_a }, s) {
    const [r, z, n, hn] = s.cache.blocks(n_a);
    const rz = s.cache.rowBlock(0, 2 * n_a);
    ops.copy(s.cache, s.zx); // Wrz[:, n_a:] xt + brz; Wn xt + bn; bhn
    ops.addProduct(rz, p.Wrz.columns(0, n_a), s.aPrev);
    ops.sigmoid(rz);
    ops.addProduct(hn, p.Whn, s.aPrev); // hnt = Whn a_prev + bhn
    candidate(ops, { n, r, hn });
    ops.tanh(n);
    update(ops, { z, n, aPrev: s.aPrev, a: s.a });
  },

  backward(ops, p, { n_a }, s, g) {
    const [r, z, n, hn] = s.cache.blocks(n_a), [dzr, dzz, dzn, dhn] = g.dz.blocks(n_a);
    gatesBack(ops, { da: g.da, z, n, aPrev: s.aPrev, r, hn, dzr, dzz, dzn, dhn, daPrev: g.daPrev });
    ops.addProductT(g.daPrev, p.Wrz.columns(0, n_a), g.dz.rowBlock(0, 2 * n_a)); // += Wrz[:, :n_a]ᵀ [dzr; dzz]
    ops.addProductT(g.daPrev, p.Whn, dhn); // += Whnᵀ dhn
  },
} as const satisfies CellSpec;
