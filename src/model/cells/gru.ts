/**
 * The GRU cell (not in the seed; written in its notation).
 *
 *   ut  = σ(Wu [a_prev; xt] + bu)              update gate
 *   rt  = σ(Wr [a_prev; xt] + br)              reset gate
 *   cct = tanh(Wc [rt ⊙ a_prev; xt] + bc)      candidate
 *   a_next = ut ⊙ cct + (1 − ut) ⊙ a_prev
 *   ŷ⟨t⟩ = softmax(Wy a_next + by)               (the unroller's output head)
 *
 * Shapes: W{u,r,c} (n_a, n_a + n_x), b{u,r,c} (n_a, 1), Wy (n_y, n_a), by (n_y, 1).
 *
 * Backward, given da = ∂L/∂a_next:
 *   dcct = da ⊙ ut                 du = da ⊙ (cct − a_prev)      da_prev = da ⊙ (1 − ut)
 *   dzc  = dcct ⊙ (1 − cct²)       dWc += dzc [rt⊙a_prev; xt]ᵀ   [d(rt⊙a_prev); dxt] = Wcᵀ dzc
 *   dr   = d(rt⊙a_prev) ⊙ a_prev   da_prev += d(rt⊙a_prev) ⊙ rt
 *   dzu  = du ⊙ ut(1 − ut)          dzr = dr ⊙ rt(1 − rt)
 *   dW{u,r} += dz{u,r} [a_prev; xt]ᵀ,   [da_prev; dxt] += W{u,r}ᵀ dz{u,r}
 *
 * The update and reset gates run as one product on stacked weights Wur = [Wu; Wr]
 * (2·n_a, n_a + n_x) and bur = [bu; br]. The input parts W[:, n_a:] xt + b of both products
 * are hoisted out of the time loop (Step.zx: 3 blocks, u, r, c). Cache per step: ut, rt, cct, rt ⊙ a_prev —
 * 4 blocks of (n_a, m). The backward step computes dz = [dzu; dzr; dzc] and da_prev; the
 * unroller takes dW, db and dxt from dz for all steps at once.
 */
import { formula } from '../../exec/ops';
import { gateBias, gateWeights } from './gate';
import type { CellSpec } from './types';


// The element-wise steps (src/exec/formulas.ts), each one loop over a step's (n_a, m) blocks.
const resetPrev = formula('gru_reset', 'r aPrev -> ra', `
  ra = r * aPrev`);
const update = formula('gru_update', 'u cc aPrev -> a', `
  a = u * cc + (1 - u) * aPrev`);
const gatesBack = formula('gru_back', 'da u cc aPrev -> dzc dzu daPrev', `
  dzc = da * u * (1 - cc * cc)
  dzu = da * (cc - aPrev) * u * (1 - u)
  daPrev = da * (1 - u)`);
const resetBack = formula('gru_reset_back', 'dra aPrev r daPrev -> dzr daPrev', `
  dzr = dra * aPrev * r * (1 - r)
  daPrev = daPrev + dra * r`);


export const gruCell = {
  name: 'gru',
  title: 'GRU: update/reset gates on [a_prev; x], candidate on [r*a_prev; x]',
  // np.random.randn order used by `rnn init`: Wu, bu, Wr, br, Wc, bc, Wy, by
  params: [
    { name: 'Wu', shape: gateWeights, role: 'recurrent' },
    { name: 'bu', shape: gateBias, role: 'recurrent' },
    { name: 'Wr', shape: gateWeights, role: 'recurrent' },
    { name: 'br', shape: gateBias, role: 'recurrent' },
    { name: 'Wc', shape: gateWeights, role: 'recurrent' },
    { name: 'bc', shape: gateBias, role: 'recurrent' },
    { name: 'Wy', shape: (d) => [d.n_y, d.n_a], role: 'head' },
    { name: 'by', shape: (d) => [d.n_y, 1], role: 'head' },
  ],
  stacks: [
    { name: 'Wur', members: ['Wu', 'Wr'] },
    { name: 'bur', members: ['bu', 'br'] },
  ],
  projections: [
    { W: 'Wur', b: 'bur', k0: (d) => d.n_a, rows: (d) => 2 * d.n_a, recurrent: { W: 'Wur' } },
    { W: 'Wc', b: 'bc', k0: (d) => d.n_a, rows: (d) => d.n_a, recurrent: { W: 'Wc', cacheRow: (d) => 3 * d.n_a } }, // h = rt⊙a_prev, the cache's 4th block,
  ],
  head: { W: 'Wy', b: 'by' },
  hasCellState: false,
  cacheRows: (d) => 4 * d.n_a,
  workRows: (d) => d.n_a,
  zxInto: 'cache', // the cache's first 3 n_a rows, first thing in forward; the gradients read rt⊙a_prev (rows 3 n_a …) only

  forward(ops, p, { n_a }, s) {
    const [u, r, cc, ra] = s.cache.blocks(n_a); // ut, rt, cct, rt⊙a_prev
    const ur = s.cache.rowBlock(0, 2 * n_a);
    ops.copy(s.cache.rowBlock(0, 3 * n_a), s.zx); // W[:, n_a:] xt + b for u, r and c
    ops.addProduct(ur, p.Wur.columns(0, n_a), s.aPrev);
    ops.sigmoid(ur);
    resetPrev(ops, { r, aPrev: s.aPrev, ra });
    ops.addProduct(cc, p.Wc.columns(0, n_a), ra); // += Wc[:, :n_a] (rt⊙a_prev)
    ops.tanh(cc);
    update(ops, { u, cc, aPrev: s.aPrev, a: s.a });
  },

  backward(ops, p, { n_a }, s, g) {
    const [u, r, cc] = s.cache.blocks(n_a), [dzu, dzr, dzc] = g.dz.blocks(n_a); // dzu, dzr stacked, then dzc
    const { aPrev } = s, { daPrev } = g, dra = g.work; // dra: d(rt⊙a_prev)
    gatesBack(ops, { da: g.da, u, cc, aPrev, dzc, dzu, daPrev });
    ops.zero(dra);
    ops.addProductT(dra, p.Wc.columns(0, n_a), dzc); // d(rt⊙a_prev) = Wc[:, :n_a]ᵀ dzc
    resetBack(ops, { dra, aPrev, r, daPrev, dzr });
    ops.addProductT(daPrev, p.Wur.columns(0, n_a), g.dz.rowBlock(0, 2 * n_a)); // += Wur[:, :n_a]ᵀ [dzu; dzr]
  },
} as const satisfies CellSpec;
