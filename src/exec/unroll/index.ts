/**
 * The cell-agnostic unroller: a layer's time loop forward and BPTT backward (src/model/layer.ts,
 * in either direction) as they run here, and the softmax output head ŷ⟨t⟩ = softmax(W a⟨t⟩ + b)
 * — once, for every cell in CELLS.
 *
 * Internally everything is time-major: step t owns (rows, m) blocks of one big buffer per
 * kind, so a cell step only ever sees contiguous matrices. Conversion from and to the
 * public (n, m, T_x) layout happens once per call (`toTimeMajor`, `fromSteps`).
 *
 * Only the recurrence is sequential. What does not feed back into it runs as one batched
 * product over all steps (src/exec/kernels.ts): forward, the input projections before the time
 * loop and the output head after it; backward, the head's gradients before BPTT and, after
 * it, every parameter gradient and dx from the gate gradients dz⟨t⟩ the steps left behind.
 *
 * Column groups. The examples of a batch never meet in the recurrence, so on big nets the
 * batch's columns are cut into equal groups (`columnGroups`) that each run their own time
 * loop, with everything else that concerns only their columns (`runGroupJob`: projections,
 * head, softmax, the xent upstream, dx) — on two threads when a group worker is there
 * (src/exec/groups.ts). Each step block then
 * holds its groups one after another, each a contiguous (rows, w) matrix: group g starts at
 * column j0 = g·w and holds entry (i, j) of the step's (rows, m) matrix at rows·j0 + i·w +
 * (j − j0). With one group that is the plain (rows, m) row-major block. Nothing changes a
 * bit: each column is computed as without groups, and the sums over the batch (dW, db, the
 * loss) run over the columns in order across the groups (src/exec/kernels.ts, outerAdd).
 *
 * Backward follows the seed's rnn_backward (src/model/layer.ts): walking t = T_x−1 … 0 (in
 * the forward direction), the gradient reaching a⟨t⟩ is the upstream da⟨t⟩ plus da_prev from
 * step t+1 (and, for a cell with state c, dc⟨t⟩ = dc_prev from step t+1); parameter
 * gradients are accumulated with +=.
 */
export { fromSteps, groupViews, toSteps, toTimeMajor, views } from './layout';
export {
  allocate, ARENA_MIN_WORK, columnGroups, GROUP_MIN_WORK, groupAt, paramViews, projectionRows, release, sharedPass, spareTraces,
  type Group, type Trace, type TraceBuffers,
} from './trace';
export type { Pack } from './packs';
export { runGroupJob, type BackwardJob, type BpttBuffers, type ForwardJob, type GroupJob } from './group';
export { backward, backwardBeside, forward, project, run, runBeside, withParams, type BackwardArgs, type BackwardResult } from './pass';
export { lossValue } from './losses';
