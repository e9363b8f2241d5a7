/**
 * A loss (src/model/losses/) on a pass: its value (the engine's `loss`), and its upstream
 * gradients, one column group's share of a backward pass.
 */
import type { Dims } from '../../model/dims';
import type { Params } from '../../model/cells/types';
import type { CellSpec } from '../../model/cells/types';
import { LOSSES, type LossName, type LossSpec } from '../../model/losses';
import { mulTAdd } from '../kernels';
import { Mat, type KernelOps } from '../ops';
import { placement, zeroColumns } from './layout';
import type { Group, Trace, TraceBuffers } from './trace';

/**
 * The loss's value on a trace. `input`: its array in the public layout ((rows, m, T_x) in C
 * order; labels (m, T_x) as one row). Each step's blocks are gathered into (rows, m) in
 * column order, whatever the groups' layout: the sum runs in the same order on any.
 */
export function lossValue(tr: Trace, loss: LossSpec, input: Float64Array): number {
  const { n_a, n_y, m, T_x } = tr.d;
  const rows = loss.usesHead ? n_y : n_a, rowsIn = input.length / (m * T_x);
  const from = loss.usesHead ? tr.all.logits : tr.all.a;
  const out = new Mat(new Float64Array(rows * m), rows, m), inp = new Mat(new Float64Array(rowsIn * m), rowsIn, m);
  const { base, stride } = placement(m, rows, tr.widths);
  let L = 0;
  for (let t = 0; t < T_x; t++) {
    const o = t * rows * m;
    for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) out.buf[i * m + j] = from[o + base[j] + i * stride[j]];
    for (let k = 0; k < rowsIn * m; k++) inp.buf[k] = input[k * T_x + t];
    L = loss.addStep(L, { out, input: inp }, tr.d);
  }
  return loss.finish(L, tr.d);
}

/**
 * A backward pass's loss, as its group jobs take it: `input`, its array time-major in the
 * groups' layout ((rows, m) per step), and for a loss through the head the buffer of
 * ∂L/∂z⟨t⟩ that the head's gradients are taken from after the groups (pass.ts headGradients).
 */
export interface LossJob {
  name: LossName;
  input: Float64Array;
  rows: number;
  dz?: Float64Array;
}

/**
 * One column group's upstream gradients ∂L/∂a⟨t⟩, every step, into `up`: from the loss directly,
 * or (through the head) ∂L/∂z⟨t⟩ into the job's dz, then up⟨t⟩ = Wᵀ dz⟨t⟩ (a batched product).
 */
export function lossGroup(cell: CellSpec, p: Params, d: Dims, b: TraceBuffers, grp: Group, job: LossJob, up: Float64Array, ops: KernelOps): void {
  const loss = LOSSES[job.name];
  const { n_a, n_y, m, T_x } = d;
  const w = grp.d.m, j0 = grp.j0, rows = loss.usesHead ? n_y : n_a, block = rows * m;
  const grad = loss.usesHead ? job.dz! : up, out = loss.usesHead ? b.y : b.a;
  for (let t = 0; t < T_x; t++) {
    const at = t * block + rows * j0, inAt = t * job.rows * m + job.rows * j0; // this group's blocks of step t
    const step = { grad: new Mat(grad, rows, w, at), out: new Mat(out, rows, w, at), input: new Mat(job.input, job.rows, w, inAt) };
    loss.gradient(ops, step, d);
  }
  if (!loss.usesHead) return;
  zeroColumns(up, n_a, m, T_x, j0, w);
  mulTAdd(up, p[cell.head.W], n_a, 0, n_y, n_a, grad, w, n_a * j0, n_y * j0, T_x, n_a * m, n_y * m, ops.packs);
}
