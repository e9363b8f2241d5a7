/**
 * The LSTM cell, as the seed's lstm_cell_forward, and the backward step the seed's
 * "Backpro of LSTM" heading leaves out.
 *
 *   concat = [a_prev; xt]                                   (n_a + n_x, m), never built:
 *                                                           W·concat = W[:, :n_a] a_prev + W[:, n_a:] xt
 *   ft  = σ(Wf concat + bf)        forget gate
 *   it  = σ(Wi concat + bi)        update gate
 *   cct = tanh(Wc concat + bc)     candidate c̃
 *   ot  = σ(Wo concat + bo)        output gate
 *   c_next = ft ⊙ c_prev + it ⊙ cct
 *   a_next = ot ⊙ tanh(c_next)
 *   ŷ⟨t⟩ = softmax(Wy a_next + by)                           (the unroller's output head)
 *
 * Shapes: W{f,i,c,o} (n_a, n_a + n_x), b{f,i,c,o} (n_a, 1), Wy (n_y, n_a), by (n_y, 1).
 *
 * Backward, given da = ∂L/∂a_next and dc = ∂L/∂c_next coming back from step t+1:
 *   dot    = da ⊙ tanh(c_next) ⊙ ot(1 − ot)
 *   dc_tot = dc + da ⊙ ot ⊙ (1 − tanh²(c_next))
 *   dcct   = dc_tot ⊙ it ⊙ (1 − cct²)
 *   dit    = dc_tot ⊙ cct ⊙ it(1 − it)
 *   dft    = dc_tot ⊙ c_prev ⊙ ft(1 − ft)
 *   dc_prev = dc_tot ⊙ ft                                  (carried back through time)
 *   dW{g} += dg concatᵀ,  db{g} += Σ_batch dg               for g in f, i, c, o
 *   [da_prev; dxt] = Σ_g W{g}ᵀ dg                           (da_prev carried back through time)
 *
 * The step computes dz = [dft; dit; dcct; dot] and what goes back through time (da_prev,
 * dc_prev); the unroller takes dW, db and dxt from dz for all steps at once.
 *
 * The four gates run as one product on stacked weights W = [Wf; Wi; Wc; Wo] (4·n_a, n_a + n_x)
 * and b = [bf; bi; bc; bo], their input part W[:, n_a:] xt + b hoisted out of the time loop
 * (Step.zx); the cache holds their activations ft, it, cct, ot and tanh(c_next)
 * — 5 blocks of (n_a, m).
 */
import { formula } from '../../exec/ops';
import { gateBias, gateWeights } from './gate';
import type { CellSpec } from './types';


// The element-wise steps (src/exec/formulas.ts), each one loop over a step's (n_a, m) blocks.
const cellState = formula('lstm_state', 'f cPrev i cc -> c tc', `
  c = f * cPrev + i * cc
  tc = c`);
const output = formula('lstm_output', 'o tc -> a', `
  a = o * tc`);
const gatesBack = formula('lstm_back', 'f i cc o tc da dc cPrev -> dzf dzi dzc dzo dcPrev', `
  dcTot = dc + da * o * (1 - tc * tc)
  dzf = dcTot * cPrev * f * (1 - f)
  dzi = dcTot * cc * i * (1 - i)
  dzc = dcTot * i * (1 - cc * cc)
  dzo = da * tc * o * (1 - o)
  dcPrev = dcTot * f`);

export const lstmCell = {
  name: 'lstm',
  title: 'LSTM: forget/update/output gates on [a_prev; x], cell state c',
  // np.random.randn order of the seed's test cells: Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by
  params: [
    { name: 'Wf', shape: gateWeights, role: 'recurrent' },
    { name: 'bf', shape: gateBias, role: 'recurrent' },
    { name: 'Wi', shape: gateWeights, role: 'recurrent' },
    { name: 'bi', shape: gateBias, role: 'recurrent' },
    { name: 'Wo', shape: gateWeights, role: 'recurrent' },
    { name: 'bo', shape: gateBias, role: 'recurrent' },
    { name: 'Wc', shape: gateWeights, role: 'recurrent' },
    { name: 'bc', shape: gateBias, role: 'recurrent' },
    { name: 'Wy', shape: (d) => [d.n_y, d.n_a], role: 'head' },
    { name: 'by', shape: (d) => [d.n_y, 1], role: 'head' },
  ],
  stacks: [
    { name: 'W', members: ['Wf', 'Wi', 'Wc', 'Wo'] },
    { name: 'b', members: ['bf', 'bi', 'bc', 'bo'] },
  ],
  projections: [{ W: 'W', b: 'b', k0: (d) => d.n_a, rows: (d) => 4 * d.n_a, recurrent: { W: 'W' } }],
  head: { W: 'Wy', b: 'by' },
  hasCellState: true,
  cacheRows: (d) => 5 * d.n_a,
  workRows: () => 0,
  zxInto: 'cache', // z = C.rowBlock(0, 4 n_a), first thing in forward

  forward(ops, p, { n_a }, s) {
    const C = s.cache, [f, i, cc, o, tc] = C.blocks(n_a);
    const z = C.rowBlock(0, 4 * n_a); // the four gates' pre-activations, then activations
    ops.copy(z, s.zx); // W[:, n_a:] xt + b
    ops.addProduct(z, p.W.columns(0, n_a), s.aPrev); // += W[:, :n_a] a_prev
    // Whole blocks at a time: the activations run fastest as tight in-place loops.
    ops.sigmoid(C.rowBlock(0, 2 * n_a)); // ft, it
    ops.tanh(cc); // cct
    ops.sigmoid(o); // ot
    cellState(ops, { f, cPrev: s.cPrev, i, cc, c: s.c, tc });
    ops.tanh(tc); // tanh(c_next)
    output(ops, { o, tc, a: s.a });
  },

  backward(ops, p, { n_a }, s, g) {
    const [f, i, cc, o, tc] = s.cache.blocks(n_a), [dzf, dzi, dzc, dzo] = g.dz.blocks(n_a);
    gatesBack(ops, { f, i, cc, o, tc, da: g.da, dc: g.dc, cPrev: s.cPrev, dzf, dzi, dzc, dzo, dcPrev: g.dcPrev });
    ops.zero(g.daPrev);
    ops.addProductT(g.daPrev, p.W.columns(0, n_a), g.dz); // da_prev = W[:, :n_a]ᵀ dz
  },
} as const satisfies CellSpec;
