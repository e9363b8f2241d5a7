/**
 * What one column group does in a pass, on this thread or a group worker's (src/exec/groups.ts):
 * forward, its input projections, its time loop and its output head; backward, the loss's
 * upstream, its BPTT time loop and its dx.
 */
import type { Dims } from '../../model/dims';
import type { CellSpec, Params, StepGrad } from '../../model/cells/types';
import { layerBackward, layerForward, type Direction } from '../../model/layer';
import { Mat, type Ops } from '../ops';
import { mulBias, mulTAdd, type Packing } from '../kernels';
import { softmaxColumns } from '../elementwise';
import { groupColumns, groupViews, zeroColumns } from './layout';
import { lossGroup, type LossJob } from './losses';
import { packingsOf, type Pack } from './packs';
import { projectionRows, type Group, type StepLayout, type TraceBuffers } from './trace';

/**
 * Where a pass's per-step blocks of projection rows (zx, or dz) lie: `buf` holds (rows, m) step
 * blocks in the groups' layout from block `from` on, of which each step's are the first
 * projection rows — zx's own buffer (rows = projection rows, from 0), or the cache when the
 * projections live there (StepLayout.zxIn 'cache': zx from block 0, dz from block 1), or
 * a's or up's blocks (zxIn 'a': zx in a, dz in up from block 1).
 */
export interface ZBlocks {
  readonly buf: Float64Array;
  readonly rows: number;
  readonly from: number;
}

/** Where dz lies within BpttBuffers.dz (a job message carries it as numbers). */
export type ZAt = Omit<ZBlocks, 'buf'>;

/**
 * What a column group does in a forward pass (src/exec/groups.ts runs the groups on two threads):
 * its input projections (`inputs`), its time loop from the k0-th step its layer takes on,
 * then its output head ŷ⟨t⟩ = softmax(W a⟨t⟩ + b) (`head`; the sum loss needs none) — the
 * projections and the head of the steps that loop takes.
 */
export interface ForwardJob {
  kind: 'forward';
  k0: number;
  inputs: boolean;
  head: boolean;
  /** The job's weight blocks packed for the kernels (`packsFor`; big nets). */
  packs?: readonly Pack[];
  /**
   * x in its public (n_x, m, T_x) layout: each group first converts its columns into the
   * trace's x — which must then be an arena block, as JS writes it inside the pass's resident
   * scope (src/exec/kernels.ts `resident`: only arena blocks are used in place there).
   */
  xIn?: Float64Array;
}

/**
 * What a column group does in a backward pass: first its columns of the loss's upstream
 * gradients ∂L/∂a⟨t⟩ (into b.up; through the head, ∂L/∂z⟨t⟩ into `loss.dz` first: losses.ts
 * lossGroup); then its BPTT time loop; then its dx, into
 * `dx` (time-major) and from there into its columns of `dxOut` ((n_x, m, T_x), C order).
 */
export interface BackwardJob {
  kind: 'backward';
  b: BpttBuffers;
  /** Where in b.dz the steps' dz blocks lie. */
  dzAt: ZAt;
  loss?: LossJob;
  dx: Float64Array;
  dxOut: Float64Array;
  packs?: readonly Pack[];
}

export type GroupJob = ForwardJob | BackwardJob;

/** Where the steps' input projections are computed (StepLayout.zxIn). */
export function zxBlocks(cell: CellSpec, d: Dims, b: TraceBuffers, layout: StepLayout): ZBlocks {
  if (layout.zxIn === 'cache') return { buf: b.cache, rows: cell.cacheRows(d), from: 0 };
  if (layout.zxIn === 'a') return { buf: b.a, rows: d.n_a, from: 0 };
  return { buf: b.zx, rows: projectionRows(cell, d), from: 0 };
}

/**
 * Where a backward pass's dz lies, from where its zx lies: blocks of as many rows, over zx's own
 * buffer, or one block on (step t+1's, passed by BPTT) in the cache or the upstream gradients.
 */
export function dzBlocks(cell: CellSpec, d: Dims, b: TraceBuffers, up: Float64Array, layout: StepLayout): ZBlocks {
  const zx = zxBlocks(cell, d, b, layout);
  return layout.zxIn === 'own' ? zx : { buf: layout.zxIn === 'a' ? up : zx.buf, rows: zx.rows, from: 1 };
}

/** `project` for one column group's columns: the steps' projections into `z`, x read from `x`. */
export function projectGroup(
  cell: CellSpec, p: Params, d: Dims, x: Float64Array, z: ZBlocks, grp: Group, t0: number, t1: number, onlyRow: number,
  packs: readonly Packing[] = [],
): void {
  const { n_x, m } = d;
  const zBlock = z.rows * m, xBlock = n_x * m;
  const w = grp.d.m, j0 = grp.j0;
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d), k0 = g.k0(d);
    const b = p[g.b], z0 = z.from * zBlock + z.rows * j0 + row0 * w;
    if (g.W === undefined) {
      // no input part: the bias alone, row by row
      for (let t = t0; t < t1; t++) for (let r = 0; r < rows; r++) if (onlyRow < 0 || onlyRow === row0 + r) z.buf.fill(b[r], t * zBlock + z0 + r * w, t * zBlock + z0 + (r + 1) * w);
      row0 += rows;
      continue;
    }
    const W = p[g.W];
    const ldw = W.length / rows;
    if (onlyRow < 0) {
      mulBias(z.buf, b, W, ldw, k0, rows, n_x, x, w, t0 * zBlock + z0, t0 * xBlock + n_x * j0, t1 - t0, zBlock, xBlock, packs);
    } else if (onlyRow >= row0 && onlyRow < row0 + rows) {
      const r = onlyRow - row0, wr = r * ldw + k0;
      for (let t = t0; t < t1; t++) {
        const zx = grp.steps[t].zx, x0 = t * xBlock + n_x * j0;
        for (let j = 0; j < w; j++) {
          let s = 0;
          for (let k = 0; k < n_x; k++) s += W[wr + k] * x[x0 + k * w + j];
          zx.buf[zx.off + onlyRow * w + j] = b[r] + s;
        }
      }
    }
    row0 += rows;
  }
}

/** Column group `grp`'s share of a job, on this thread or a group worker's (`b`: the trace's buffers). */
export function runGroupJob(cell: CellSpec, p: Params, d: Dims, b: TraceBuffers, grp: Group, layout: StepLayout, job: GroupJob): void {
  const dir = layout.direction;
  // the job's products take its packed weight blocks (on this thread's views of them)
  const ops = job.packs ? grp.ops.withPacks(packingsOf(p, job.packs)) : grp.ops;
  if (job.kind === 'forward') {
    if (job.xIn) groupColumns(b.x, d.n_x, d.m, d.T_x, grp.j0, grp.d.m, job.xIn, false);
    // the steps the loop takes: t0 … T_x−1 forward, 0 … T_x−1−k0 in reverse
    const [t0, t1] = dir === 'forward' ? [job.k0, d.T_x] : [0, d.T_x - job.k0];
    const z = zxBlocks(cell, d, b, layout);
    if (job.inputs) projectGroup(cell, p, d, b.x, z, grp, t0, t1, -1, ops.packs);
    layerForward(cell, ops, grp.P, grp.d, grp.steps, dir, job.k0);
    if (job.head) headGroup(cell, p, d, b, grp, t0, t1, ops.packs);
  } else {
    if (job.loss) lossGroup(cell, p, d, b, grp, job.loss, job.b.up, ops);
    bpttGroup(cell, grp, ops, d, dir, job.b, job.dzAt);
    dxGroup(cell, p, d, grp, { buf: job.b.dz, ...job.dzAt }, job.dx, ops.packs);
    groupColumns(job.dx, d.n_x, d.m, d.T_x, grp.j0, grp.d.m, job.dxOut, true);
  }
}

/** ŷ⟨t⟩ = softmax(W a⟨t⟩ + b) for steps t0 … t1−1, one group's columns: a batched product, then the columns' softmax. */
function headGroup(cell: CellSpec, p: Params, d: Dims, b: TraceBuffers, grp: Group, t0: number, t1: number, packs: readonly Packing[]): void {
  const { n_a, n_y, m } = d;
  const w = grp.d.m, j0 = grp.j0, block = n_a * m, yBlock = n_y * m;
  mulBias(b.logits, p[cell.head.b], p[cell.head.W], n_a, 0, n_y, n_a, b.a, w, t0 * yBlock + n_y * j0, t0 * block + n_a * j0, t1 - t0, yBlock, block, packs);
  for (let t = t0; t < t1; t++) softmaxColumns(b.y, n_y, w, t * yBlock + n_y * j0, b.logits);
}

/**
 * What BPTT works on, in the groups' layout: the upstream gradients and the gates' dz of
 * every step, and what goes back from step to step (`da`, `dc`, `daPrev`, `dcPrev`, (n_a, m))
 * with the cells' scratch `work`.
 */
export interface BpttBuffers {
  up: Float64Array;
  dz: Float64Array;
  da: Float64Array;
  daPrev: Float64Array;
  dc: Float64Array;
  dcPrev: Float64Array;
  work: Float64Array;
}

/** One group's BPTT time loop (on this thread or a group worker's), its layer's (src/model/layer.ts) on the group's views. */
export function bpttGroup(cell: CellSpec, grp: Group, ops: Ops, full: Dims, dir: Direction, b: BpttBuffers, dzAt: ZAt): void {
  const { ups, dzs, g } = bpttViews(cell, grp, full, b, dzAt);
  layerBackward(cell, ops, grp.P, grp.d, grp.steps, dir, ups, dzs, g);
}

interface BpttViews {
  readonly b: BpttBuffers;
  readonly dzAt: ZAt;
  readonly ups: Mat[];
  readonly dzs: Mat[];
  readonly g: StepGrad;
}

/** Views of the BPTT buffers by their dz buffer and group (j0): a kept workspace's passes reuse them. */
const lastViews = new WeakMap<Float64Array, Map<number, BpttViews>>();

const sameBuffers = (x: BpttBuffers, y: BpttBuffers): boolean =>
  x.up === y.up && x.dz === y.dz && x.da === y.da && x.daPrev === y.daPrev && x.dc === y.dc && x.dcPrev === y.dcPrev && x.work === y.work;

/** Group `grp`'s views of `b`, as made for the same buffers (and dz layout) before, or new. */
function bpttViews(cell: CellSpec, grp: Group, full: Dims, b: BpttBuffers, dzAt: ZAt): BpttViews {
  const byGroup = lastViews.get(b.dz), last = byGroup?.get(grp.j0);
  if (last && sameBuffers(last.b, b) && last.dzAt.rows === dzAt.rows && last.dzAt.from === dzAt.from) return last;
  const { n_a, m } = full;
  const { j0, d } = grp, w = d.m;
  const part = (buf: Float64Array, rows: number): Float64Array => (w === m ? buf : buf.subarray(rows * j0, rows * (j0 + w)));
  const hasC = cell.hasCellState;
  const da = part(b.da, n_a), daPrev = part(b.daPrev, n_a);
  const dc = hasC ? part(b.dc, n_a) : b.dc, dcPrev = hasC ? part(b.dcPrev, n_a) : b.dcPrev;
  const zRows = projectionRows(cell, full);
  const ups = groupViews(b.up, n_a, m, j0, w, 0, full.T_x).map((v) => new Mat(v, n_a, w));
  const dzs = groupViews(b.dz, dzAt.rows, m, j0, w, dzAt.from, full.T_x).map((v) => new Mat(v, zRows, w)); // (the first zRows rows of each block)
  const view = (buf: Float64Array, rows: number): Mat => new Mat(buf, rows, w);
  const g: StepGrad = {
    da: view(da, n_a), dc: view(dc, hasC ? n_a : 0), dz: dzs[0], daPrev: view(daPrev, n_a), dcPrev: view(dcPrev, hasC ? n_a : 0),
    work: view(part(b.work, cell.workRows(full)), cell.workRows(full)),
  };
  const views: BpttViews = { b: { ...b }, dzAt: { ...dzAt }, ups, dzs, g };
  if (byGroup) byGroup.set(grp.j0, views);
  else lastViews.set(b.dz, new Map([[grp.j0, views]]));
  return views;
}

/** dx⟨t⟩ += W[:, k0:k0+n_x]ᵀ dz⟨t⟩ for every projection, all steps of one group's columns (a batched product each). */
export function dxGroup(cell: CellSpec, p: Params, d: Dims, grp: Group, dz: ZBlocks, dx: Float64Array, packs: readonly Packing[]): void {
  const { n_x, m, T_x } = d;
  const zBlock = dz.rows * m, xBlock = n_x * m;
  const w = grp.d.m, j0 = grp.j0;
  zeroColumns(dx, n_x, m, T_x, j0, w);
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d);
    if (g.W === undefined) {
      row0 += rows; // (no input part: nothing reaches x)
      continue;
    }
    const W = p[g.W];
    mulTAdd(dx, W, W.length / rows, g.k0(d), rows, n_x, dz.buf, w, n_x * j0, dz.from * zBlock + dz.rows * j0 + row0 * w, T_x, xBlock, zBlock, packs);
    row0 += rows;
  }
}
