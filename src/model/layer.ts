/**
 * One layer, one direction: a cell's time loop over a sequence and BPTT back through it.
 *
 * Forward, the layer takes its steps in its direction's order (`timeAt`): t = 0 … T−1, or
 * t = T−1 … 0 in the reverse direction (PyTorch's `_reverse` layers, Keras's `go_backwards`).
 * Each step reads the state the step before it in that order left: steps[t].aPrev (and
 * cPrev) is a⟨t−1⟩ forward, a⟨t+1⟩ in reverse, the initial state for the first step taken —
 * whoever lays out the steps wires that (src/exec/unroll/trace.ts). Steps stay indexed by
 * time either way: output t is steps[t].a whichever way the layer walks.
 *
 * Backward walks the same steps the other way round (the seed's rnn_backward): the gradient
 * reaching a⟨t⟩ is the upstream da⟨t⟩ plus what the step after it sent back (daPrev), and,
 * for a cell with state c, dc⟨t⟩ is what the step after it sent back — for the last step taken,
 * the upstream gradient of the final state c_n (g.dcPrev on entry: zero unless a loss reads c_n).
 * Each step leaves its gate gradients dz⟨t⟩; what does not feed back into the recurrence
 * (dW, db, dx) is the caller's, from all the dz⟨t⟩ at once.
 */
import type { Dims } from './dims';
import type { CellSpec, ParamViews, Step, StepGrad } from './cells/types';
import { formula, type Mat, type Ops } from '../exec/ops';

/** Which way a layer walks its sequence. */
export type Direction = 'forward' | 'reverse';

/** The time index of the k-th step (k = 0, 1, …) a layer walking `dir` takes over T steps. */
export const timeAt = (dir: Direction, T: number, k: number): number => (dir === 'forward' ? k : T - 1 - k);

/** Forward through steps[timeAt(dir, T, k)] for k = from … T−1 (from > 0: the steps before it are as they were). */
export function layerForward(cell: CellSpec, ops: Ops, P: ParamViews, d: Dims, steps: readonly Step[], dir: Direction, from = 0): void {
  const T = steps.length;
  for (let k = from; k < T; k++) cell.forward(ops, P, d, steps[timeAt(dir, T, k)]);
}

/**
 * BPTT through the steps of a forward pass: ups[t] is the upstream ∂L/∂a⟨t⟩, dzs[t] receives
 * step t's gate gradients; g holds what goes from step to step (its dz is pointed at dzs[t]),
 * g.dcPrev the upstream of c_n on entry. Leaves g.daPrev (and g.dcPrev) as ∂L/∂ of the initial state.
 */
export function layerBackward(
  cell: CellSpec, ops: Ops, P: ParamViews, d: Dims, steps: readonly Step[], dir: Direction,
  ups: readonly Mat[], dzs: readonly Mat[], g: StepGrad,
): void {
  const T = steps.length;
  const hasC = cell.hasCellState;
  ops.zero(g.daPrev); // (what the last step taken receives from beyond it: a_n's upstream is in ups)
  for (let k = T - 1; k >= 0; k--) {
    const t = timeAt(dir, T, k);
    received(ops, { daPrev: g.daPrev, up: ups[t], da: g.da });
    if (hasC) ops.copy(g.dc, g.dcPrev);
    g.dz = dzs[t];
    cell.backward(ops, P, d, steps[t], g);
  }
}

/** da⟨t⟩ = what the step after t sent back + the upstream, one loop (src/exec/formulas.ts). */
const received = formula('bptt_da', 'daPrev up -> da', `
  da = daPrev + up`);
