/**
 * The cell-agnostic unroller: the time loop forward, BPTT backward, and the softmax
 * output head ŷ⟨t⟩ = softmax(W a⟨t⟩ + b) — once, for every cell in CELLS.
 *
 * Internally everything is time-major: step t owns (rows, m) blocks of one big buffer per
 * kind, so a cell step only ever sees contiguous matrices. Conversion from and to the
 * public (n, m, T_x) layout happens once per call (`toTimeMajor`, `fromSteps`).
 *
 * Only the recurrence is sequential. What does not feed back into it runs as one batched
 * product over all steps (src/kernels.ts): forward, the input projections before the time
 * loop and the output head after it; backward, the head's gradients before BPTT and, after
 * it, every parameter gradient and dx from the gate gradients dz⟨t⟩ the steps left behind.
 *
 * Column groups. The examples of a batch never meet in the recurrence, so on big nets the
 * batch's columns are cut into equal groups (`columnGroups`) that each run their own time
 * loop, with everything else that concerns only their columns (`runGroupJob`: projections,
 * head, softmax, the xent upstream, dx) — on two threads when a group worker is there
 * (src/groups.ts). Each step block then
 * holds its groups one after another, each a contiguous (rows, w) matrix: group g starts at
 * column j0 = g·w and holds entry (i, j) of the step's (rows, m) matrix at rows·j0 + i·w +
 * (j − j0). With one group that is the plain (rows, m) row-major block. Nothing changes a
 * bit: each column is computed as without groups, and the sums over the batch (dW, db, the
 * loss) run over the columns in order across the groups (src/kernels.ts, outerAdd).
 *
 * Backward follows the seed's rnn_backward: walking t = T_x−1 … 0, the gradient reaching
 * a⟨t⟩ is the upstream da⟨t⟩ plus da_prev from step t+1 (and, for a cell with state c,
 * dc⟨t⟩ = dc_prev from step t+1); parameter gradients are accumulated with +=.
 */
import type { Dims } from './backend';
import { arenaInUse, elementwise, kernelArena, logSoftmaxAt, mulBias, mulTAdd, outerAdd, resident, softmaxColumns, transposeBlock, transposeItems, withPacked, type Packing, type Residents, type TransposedItems } from './kernels';
import { packPanels, panelsLength } from './wasm/kernels';
import { bufferNames, paramBuffers } from './cells';
import type { CellSpec, Params, Step, StepGrad } from './cells/types';
import { inGroups, releaseGroupParams } from './groups';
import { give, take } from './pool';

/** One column group: columns j0 … j0 + d.m − 1 of the batch, with their own step views. */
export interface Group {
  readonly j0: number;
  /** The problem's sizes with m = this group's width. */
  readonly d: Dims;
  /** T_x steps of (rows, width) views; steps[t].aPrev is a⟨t−1⟩ (a0's columns for t = 0). */
  readonly steps: Step[];
}

/** Everything the forward pass computed, kept for the backward pass. */
export interface Trace {
  readonly cell: CellSpec;
  readonly d: Dims;
  readonly p: Params;
  /** Widths of the column groups (one group: [m]); every time-major buffer is laid out by them. */
  readonly widths: readonly number[];
  readonly groups: readonly Group[];
  /** T_x whole-step blocks of every buffer (in the groups' layout); steps[t].aPrev as in Group. */
  readonly steps: Step[];
  readonly logits: Float64Array[]; // T_x blocks (n_y, m): W a⟨t⟩ + b
  readonly y: Float64Array[]; // T_x blocks (n_y, m): softmax of the logits
  /** The buffers the step views are cut from: T_x blocks each, one after another. */
  readonly all: { readonly [K in 'x' | 'zx' | 'a' | 'c' | 'cache' | 'logits' | 'y']: Float64Array };
  /** a0 and c0 in the groups' layout: the caller's own arrays with one group, else copies of them. */
  readonly a0: Float64Array;
  readonly c0: Float64Array;
  /** The caller's a0 and c0, (n_a, m): copied into a0 and c0 at every run when there are groups. */
  readonly state0: { readonly a0: Float64Array; readonly c0: Float64Array };
  /** `all` with a0 and c0: what a column group's job works on (runGroupJob). */
  readonly buffers: TraceBuffers;
  /**
   * Whether the pass's buffers are shared ones (src/pool.ts): arena blocks where there is an
   * arena, which the products, activations and loops use in place. Always with column groups.
   */
  readonly shared: boolean;
}

/**
 * Multiply-adds of one step's recurrent product from which the batch is cut into two column
 * groups, each running its own time loop. Measured (bench/README.md, fresh trace per pass,
 * one group vs two alternating): the big LSTM's and GRU's 2^21 and 1.5·2^20 gain 1.28–1.34×,
 * the big RNN's 2^19 1.22× (twice); an LSTM with n_a = 64, m = 32 (2^19) 1.03–1.19×; an RNN
 * with n_a = 96, m = 32 (1.1·2^18) 0.85–1.01×.
 */
export const GROUP_MIN_WORK = 1 << 19;
/** Narrower groups than this waste the kernel's 4-column tiles; smaller batches stay whole. */
const GROUP_MIN_WIDTH = 8;

/** The widths of a problem's column groups: [m], or two halves of an even m on big nets (see above). */
export function columnGroups(cell: CellSpec, d: Dims): number[] {
  if (d.m % 2 !== 0 || d.m < 2 * GROUP_MIN_WIDTH || stepWork(cell, d) < GROUP_MIN_WORK) return [d.m];
  return [d.m / 2, d.m / 2];
}

/**
 * Where each entry of a (rows, m) matrix lies in the groups' layout: entry (i, j) at
 * base[j] + i·stride[j].
 */
function placement(m: number, rows: number, widths: readonly number[]): { base: Int32Array; stride: Int32Array } {
  const base = new Int32Array(m), stride = new Int32Array(m);
  let j0 = 0;
  for (const w of widths) {
    for (let j = j0; j < j0 + w; j++) {
      base[j] = rows * j0 + (j - j0);
      stride[j] = w;
    }
    j0 += w;
  }
  return { base, stride };
}

/**
 * Where entry r = i·m + j of a (rows, m) matrix lies in a step block in the layout of the
 * column groups `widths` (r itself with one group).
 */
function stepIndex(rows: number, m: number, widths: readonly number[]): Int32Array {
  const { base, stride } = placement(m, rows, widths);
  const q = new Int32Array(rows * m);
  for (let i = 0, r = 0; i < rows; i++) for (let j = 0; j < m; j++, r++) q[r] = base[j] + i * stride[j];
  return q;
}

/**
 * Entries per tile of the conversions to and from time-major: each reads (or writes) TILE
 * rows of the (rows·m, T) array at once, so that a step block is written (or read) TILE
 * neighbours at a time instead of one entry per step 16 KiB apart (big nets). Measured on
 * the big nets' x (64·32 × 100), into a new buffer: toTimeMajor 1.23 ms untiled, 0.65 ms at
 * 32 (4–128 all within 0.65–0.76).
 */
const TILE = 32;

/**
 * A (rows, m, T_x) C-order array, time-major: T_x blocks of (rows, m) in one buffer (new, or
 * `buf`, every value of which is written), each in the layout of the column groups `widths`.
 */
export function toTimeMajor(
  src: Float64Array, rows: number, m: number, T: number, widths: readonly number[] = [m], buf: Float64Array = new Float64Array(rows * m * T),
): Float64Array {
  const block = rows * m;
  const q = widths.length > 1 ? stepIndex(rows, m, widths) : undefined;
  for (let r0 = 0; r0 < block; r0 += TILE) {
    const r1 = Math.min(block, r0 + TILE);
    for (let t = 0; t < T; t++) {
      const o = t * block;
      if (q) for (let r = r0; r < r1; r++) buf[o + q[r]] = src[r * T + t];
      else for (let r = r0; r < r1; r++) buf[o + r] = src[r * T + t];
    }
  }
  return buf;
}

/** Split a (rows, m, T_x) C-order array into T_x views of (rows, m) on one new buffer. */
export function toSteps(src: Float64Array, rows: number, m: number, T: number, widths: readonly number[] = [m]): Float64Array[] {
  return views(toTimeMajor(src, rows, m, T, widths), rows * m, T);
}

/** Join T_x (rows, m) blocks (in the layout of `widths`) back into a (rows, m, T_x) C-order array. */
export function fromSteps(blocks: readonly Float64Array[], rows: number, m: number, widths: readonly number[] = [m]): Float64Array {
  const T = blocks.length, block = rows * m;
  const q = widths.length > 1 ? stepIndex(rows, m, widths) : undefined;
  const out = new Float64Array(block * T);
  for (let r0 = 0; r0 < block; r0 += TILE) {
    const r1 = Math.min(block, r0 + TILE);
    for (let t = 0; t < T; t++) {
      const b = blocks[t];
      if (q) for (let r = r0; r < r1; r++) out[r * T + t] = b[q[r]];
      else for (let r = r0; r < r1; r++) out[r * T + t] = b[r];
    }
  }
  return out;
}

/** A (rows, m) matrix from or into the layout of `widths` (into `dst`). */
function regroup(dst: Float64Array, src: Float64Array, rows: number, m: number, widths: readonly number[], into: boolean): void {
  const { base, stride } = placement(m, rows, widths);
  for (let i = 0, r = 0; i < rows; i++) {
    for (let j = 0; j < m; j++, r++) {
      if (into) dst[base[j] + i * stride[j]] = src[r];
      else dst[r] = src[base[j] + i * stride[j]];
    }
  }
}

/** `count` views of `block` values each, one after another in `buf`. */
export function views(buf: Float64Array, block: number, count: number): Float64Array[] {
  const out: Float64Array[] = new Array(count);
  for (let t = 0; t < count; t++) out[t] = buf.subarray(t * block, (t + 1) * block);
  return out;
}

/**
 * Group g's views of a time-major buffer of T_x step blocks of `rows` rows: its
 * (rows, width) matrix in each step, or `count` of them from step `from` on.
 */
export function groupViews(buf: Float64Array, rows: number, m: number, j0: number, w: number, from = 0, count = buf.length / (rows * m) - from): Float64Array[] {
  const out: Float64Array[] = new Array(count);
  for (let t = 0; t < count; t++) {
    const at = (from + t) * rows * m + rows * j0;
    out[t] = buf.subarray(at, at + rows * w);
  }
  return out;
}

/** The buffers of a trace (what a group worker is sent): all of `Trace.all`, a0 and c0. */
export interface TraceBuffers {
  x: Float64Array;
  zx: Float64Array;
  a: Float64Array;
  c: Float64Array;
  cache: Float64Array;
  logits: Float64Array;
  y: Float64Array;
  a0: Float64Array;
  c0: Float64Array;
}


/** Steps of group (j0, w): views of `b`, whose step blocks are (rows, m) in the groups' layout. */
export function groupSteps(cell: CellSpec, d: Dims, b: TraceBuffers, j0: number, w: number): Step[] {
  const { n_a, m, T_x } = d;
  const hasC = cell.hasCellState;
  const part = (buf: Float64Array, rows: number): Float64Array[] => groupViews(buf, rows, m, j0, w, 0, T_x);
  const zxs = part(b.zx, projectionRows(cell, d)), as = part(b.a, n_a);
  const cs = hasC ? part(b.c, n_a) : [], caches = part(b.cache, cell.cacheRows(d));
  const a0 = w === m ? b.a0 : b.a0.subarray(n_a * j0, n_a * (j0 + w)), c0 = hasC && w !== m ? b.c0.subarray(n_a * j0, n_a * (j0 + w)) : b.c0;
  const empty = new Float64Array(0);
  const steps: Step[] = [];
  for (let t = 0; t < T_x; t++) {
    steps.push({
      zx: zxs[t],
      aPrev: t === 0 ? a0 : as[t - 1],
      cPrev: hasC ? (t === 0 ? c0 : cs[t - 1]) : empty,
      a: as[t],
      c: hasC ? cs[t] : empty,
      cache: caches[t],
    });
  }
  return steps;
}

/** Column group g of a batch cut into `widths` (equal parts of d.m), with its step views of `b`. */
export function groupAt(cell: CellSpec, d: Dims, widths: readonly number[], b: TraceBuffers, g: number): Group {
  const w = widths[g], j0 = g * widths[0];
  return { j0, d: widths.length > 1 ? { ...d, m: w } : d, steps: groupSteps(cell, d, b, j0, w) };
}

/**
 * Allocates a trace (every buffer of a forward pass over the sequence) without running it.
 * `x` holds the T_x input blocks (n_x, m) one after another (toTimeMajor) in the layout of
 * the column groups `widths`; a0 and c0 are (n_a, m) (c0 is ignored by cells without a cell
 * state). The trace keeps references to p, x, a0 and c0: changing them in place and calling
 * `run` again recomputes the pass with no new allocation (gradcheck).
 *
 * `shared` (always with more than one group): every buffer of the trace is shared (src/pool.ts):
 * a block of the kernels' arena, which the products, activations and loops use in place, or
 * a SharedArrayBuffer — so that a group worker can run a group's time loop on it
 * (src/groups.ts). The engine's traces are shared from ARENA_MIN_WORK on (`sharedPass`).
 * Arena blocks are only reused once handed back: whoever allocates a trace releases it
 * (`release`).
 *
 * The buffers come from the pool (src/pool.ts) zeroed, as new ones would; `full`: the caller
 * runs the whole pass (`run` from step 0, inputs and head) before reading anything, which
 * writes every value, so they may come as a previous pass left them.
 */
export function allocate(
  cell: CellSpec, p: Params, d: Dims, x: Float64Array, a0: Float64Array, c0: Float64Array,
  widths: readonly number[] = [d.m], full = false, shared = widths.length > 1,
): Trace {
  const { n_x, n_a, n_y, m, T_x } = d;
  if (x.length !== n_x * m * T_x) throw new Error(`internal: x holds ${x.length} values, not ${n_x}·${m}·${T_x}`);
  if (widths.some((w) => w !== widths[0]) || widths[0] * widths.length !== m) {
    throw new Error(`internal: column groups ${widths.join('+')} are not equal parts of m = ${m}`);
  }
  const grouped = widths.length > 1;
  if (grouped && !shared) throw new Error('internal: column groups need shared buffers');
  const f64 = (n: number): Float64Array => take(n, shared, !full);
  const block = n_a * m;
  const hasC = cell.hasCellState;
  const all = {
    x,
    zx: f64(projectionRows(cell, d) * m * T_x),
    a: f64(block * T_x),
    c: f64(hasC ? block * T_x : 0),
    cache: f64(cell.cacheRows(d) * m * T_x),
    logits: f64(n_y * m * T_x),
    y: f64(n_y * m * T_x),
  };
  const own = { a0: grouped ? f64(block) : a0, c0: grouped && hasC ? f64(block) : c0 };
  const b: TraceBuffers = { ...all, ...own };
  const groups = widths.map((_, g) => groupAt(cell, d, widths, b, g));
  const steps = grouped ? groupSteps(cell, d, b, 0, m) : groups[0].steps;
  return {
    cell, d, p, widths, groups, steps, all, ...own, buffers: b, state0: { a0, c0 }, shared,
    logits: views(all.logits, n_y * m, T_x), y: views(all.y, n_y * m, T_x),
  };
}

/**
 * Hands a trace's own buffers back to the pool (src/pool.ts): for callers whose trace is
 * finished with — nothing may read the trace, or anything it returned without copying, after.
 */
export function release(tr: Trace): void {
  const { zx, a, c, cache, logits, y } = tr.all;
  give(zx, a, c, cache, logits, y);
  if (tr.groups.length > 1) give(tr.a0, tr.c0);
  releaseGroupParams(tr);
  for (const pack of tracePacks.get(tr)?.values() ?? []) give(pack.P);
  tracePacks.delete(tr);
}

/** Multiply-adds of a step's recurrent product: the size that decides on residency. */
const stepWork = (cell: CellSpec, d: Dims): number => projectionRows(cell, d) * d.n_a * d.m;

/**
 * Multiply-adds per step from which the engine's passes keep their buffers in the kernels'
 * arena even without column groups: the products then run in place (no copies in and out,
 * weights packed), and σ, tanh, the softmax and the cells' loops in SIMD. Measured on the
 * medium nets (2^13 RNN, 2^15 LSTM, 1.5·2^14 GRU per step), whole processes alternating:
 * 1.18 / 1.26 / 1.27× per pass; course nets (≤ 2^10) were slower on the arena (0.7–0.8×:
 * the calls into WebAssembly cost more than they save there).
 */
export const ARENA_MIN_WORK = 1 << 12;

/** Whether the engine's pass over these sizes takes shared buffers (`allocate`'s `shared`). */
export function sharedPass(cell: CellSpec, d: Dims, widths: readonly number[]): boolean {
  return widths.length > 1 || (stepWork(cell, d) >= ARENA_MIN_WORK && kernelArena() !== undefined);
}

/** Rows of a step's input projections (Step.zx). */
export function projectionRows(cell: CellSpec, d: Dims): number {
  return cell.projections.reduce((n, g) => n + g.rows(d), 0);
}

/**
 * The input projections of steps t0 … t1−1: zx⟨t⟩ = W[:, k0:k0+n_x]·x⟨t⟩ + b for each of the
 * cell's projections, stacked — one batched product per projection and column group. With
 * `onlyRow` set, recomputes just that row (of the stacked projections), summing in the
 * kernel's order — bit for bit what the full computation gives. Allocates nothing.
 */
export function project(tr: Trace, t0 = 0, t1 = tr.d.T_x, onlyRow = -1): void {
  for (const grp of tr.groups) projectGroup(tr.cell, tr.p, tr.d, tr.all, grp, t0, t1, onlyRow);
}

/** `project` for one column group's columns. */
function projectGroup(
  cell: CellSpec, p: Params, d: Dims, all: { x: Float64Array; zx: Float64Array }, grp: Group, t0: number, t1: number, onlyRow: number,
): void {
  const { n_x, m } = d;
  const zRows = projectionRows(cell, d), zBlock = zRows * m, xBlock = n_x * m;
  const w = grp.d.m, j0 = grp.j0;
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d), k0 = g.k0(d);
    const W = p[g.W], b = p[g.b];
    const ldw = W.length / rows;
    const z0 = zRows * j0 + row0 * w;
    if (onlyRow < 0) {
      mulBias(all.zx, b, W, ldw, k0, rows, n_x, all.x, w, t0 * zBlock + z0, t0 * xBlock + n_x * j0, t1 - t0, zBlock, xBlock);
    } else if (onlyRow >= row0 && onlyRow < row0 + rows) {
      const r = onlyRow - row0, wr = r * ldw + k0;
      for (let t = t0; t < t1; t++) {
        const zx = grp.steps[t].zx, x0 = t * xBlock + n_x * j0;
        for (let j = 0; j < w; j++) {
          let s = 0;
          for (let k = 0; k < n_x; k++) s += W[wr + k] * all.x[x0 + k * w + j];
          zx[onlyRow * w + j] = b[r] + s;
        }
      }
    }
    row0 += rows;
  }
}

/**
 * Runs steps t0 … T_x−1 of an allocated trace (step t0 starts from steps[t0].aPrev and
 * cPrev as they are). `inputs`: compute the steps' input projections first (gradcheck
 * passes false when they cannot have changed). `head` computes the logits and ŷ too; the
 * sum loss does not need them.
 */
export function run(tr: Trace, t0 = 0, head = true, inputs = true, xIn?: Float64Array): void {
  const { cell, d, p, all } = tr;
  const { n_a, m } = d;
  if (tr.groups.length > 1) {
    regroup(tr.a0, tr.state0.a0, n_a, m, tr.widths, true);
    if (cell.hasCellState) regroup(tr.c0, tr.state0.c0, n_a, m, tr.widths, true);
  }
  // The parameters and x stay resident in the SIMD kernel's memory for the whole pass.
  const job: ForwardJob = { kind: 'forward', t0, inputs, head, xIn };
  job.packs = packsFor(tr, job);
  const b = tr.buffers;
  withParams(cell, p, d, () => inGroups(tr, job, (grp) => runGroupJob(cell, p, d, b, grp, job)), [all.x]);
}

/**
 * What a column group does in a forward pass (src/groups.ts runs the groups on two threads):
 * from step t0 on, its input projections (`inputs`), its time loop, then its output head
 * ŷ⟨t⟩ = softmax(W a⟨t⟩ + b) (`head`; the sum loss needs none).
 */
export interface ForwardJob {
  kind: 'forward';
  t0: number;
  inputs: boolean;
  head: boolean;
  /** The job's weight blocks packed for the kernels (`packsFor`; big nets). */
  packs?: readonly Pack[];
  /**
   * x in its public (n_x, m, T_x) layout: each group first converts its columns into the
   * trace's x — which must then be an arena block, as JS writes it inside the pass's resident
   * scope (src/kernels.ts `resident`: only arena blocks are used in place there).
   */
  xIn?: Float64Array;
}

/**
 * What a column group does in a backward pass: for the xent loss, first its columns of the
 * head's gradient dz = (ŷ − onehot(labels))/m (into `xent.dz`) and of the upstream Wᵀ dz (into
 * b.up; for the sum loss b.up holds da already); then its BPTT time loop; then its dx, into
 * `dx` (time-major) and from there into its columns of `dxOut` ((n_x, m, T_x), C order).
 */
export interface BackwardJob {
  kind: 'backward';
  b: BpttBuffers;
  xent?: { labels: Float64Array; dz: Float64Array };
  dx: Float64Array;
  dxOut: Float64Array;
  packs?: readonly Pack[];
}

export type GroupJob = ForwardJob | BackwardJob;

/**
 * A weight block packed for the kernels' products (src/kernels.ts `withPacked`), named by its
 * parameter: a job carries them, and each thread matches them against its own parameter views.
 */
export interface Pack {
  readonly name: string;
  readonly k0: number;
  readonly kn: number;
  readonly rows: number;
  readonly trans: boolean;
  /** The panels: an arena block. */
  readonly P: Float64Array;
}

/**
 * The weight blocks a job's products multiply by, as the products read them: forward (mulAdd,
 * mulBias) each projection's recurrent block W_h[:, :n_a] and input block W[:, k0:k0+n_x], and
 * the head's W; backward (mulTAdd) the same blocks transposed — the head's for the xent loss.
 */
function packSpecs(cell: CellSpec, d: Dims, job: GroupJob): Omit<Pack, 'P'>[] {
  const { n_x, n_a, n_y } = d;
  const trans = job.kind === 'backward';
  const specs: Omit<Pack, 'P'>[] = [];
  for (const g of cell.projections) {
    const rows = g.rows(d);
    specs.push({ name: g.recurrent.W, k0: 0, kn: n_a, rows, trans });
    if (trans || job.inputs) specs.push({ name: g.W, k0: g.k0(d), kn: n_x, rows, trans });
  }
  if (job.kind === 'backward' ? job.xent !== undefined : job.head) specs.push({ name: cell.head.W, k0: 0, kn: n_a, rows: n_y, trans });
  return specs;
}

/** Each trace's packed blocks, by name, first column and orientation: made once, refilled by every job. */
const tracePacks = new WeakMap<Trace, Map<string, Pack>>();

/**
 * `job`'s weight blocks packed from the trace's parameters as they are now (they may have
 * changed since the last pass): for traces on the arena (`shared`), whose products run there
 * in place, else none. Packing a big LSTM's blocks costs 0.10 ms forward, 0.16 ms backward (its pass: ~75 ms).
 */
function packsFor(tr: Trace, job: GroupJob): Pack[] | undefined {
  if (!tr.shared || !kernelArena()) return undefined;
  let packs = tracePacks.get(tr);
  if (!packs) tracePacks.set(tr, (packs = new Map()));
  return packSpecs(tr.cell, tr.d, job).map((spec) => {
    const key = `${spec.name} ${spec.k0} ${spec.trans}`;
    const W = tr.p[spec.name], ldw = W.length / spec.rows;
    // A as the product reads it: W's block (rows, kn), or its transpose (kn, rows)
    const [outRows, inner, sr, sk] = spec.trans ? [spec.kn, spec.rows, 1, ldw] : [spec.rows, spec.kn, ldw, 1];
    let pack = packs!.get(key);
    if (!pack) packs!.set(key, (pack = { ...spec, P: take(panelsLength(outRows, inner), true, false) }));
    packPanels(pack.P, W, spec.k0, sr, sk, outRows, inner);
    return pack;
  });
}

/** A job's packs as kernel packings on this thread's parameters `p`. */
const packingsOf = (p: Params, packs: readonly Pack[] = []): Packing[] => packs.map((pk) => ({ ...pk, W: p[pk.name] }));

/** Column group `grp`'s share of a job, on this thread or a group worker's (`b`: the trace's buffers). */
export function runGroupJob(cell: CellSpec, p: Params, d: Dims, b: TraceBuffers, grp: Group, job: GroupJob): void {
  if (job.packs) return withPacked(packingsOf(p, job.packs), () => runGroupJob(cell, p, d, b, grp, { ...job, packs: undefined }));
  if (job.kind === 'forward') {
    if (job.xIn) groupColumns(b.x, d.n_x, d.m, d.T_x, grp.j0, grp.d.m, job.xIn, false);
    if (job.inputs) projectGroup(cell, p, d, b, grp, job.t0, d.T_x, -1);
    forwardGroup(cell, p, grp, job.t0);
    if (job.head) headGroup(cell, p, d, b, grp, job.t0);
  } else {
    if (job.xent) xentGroup(cell, p, d, b, grp, job.xent, job.b.up);
    bpttGroup(cell, p, grp, d, job.b);
    dxGroup(cell, p, d, grp, job.b.dz, job.dx);
    groupColumns(job.dx, d.n_x, d.m, d.T_x, grp.j0, grp.d.m, job.dxOut, true);
  }
}

/**
 * Columns j0 … j0+w−1 of T time-major (rows, m) step blocks (in the groups' layout, those
 * columns a group's (rows, w) matrix in each) and of a (rows, m, T) C-order array: into the
 * C-order array (`out`: fromSteps for one group, its dx) or from it (toTimeMajor for one group,
 * its x), which a group's job does on its own thread, while the data is in its core's cache.
 */
function groupColumns(steps: Float64Array, rows: number, m: number, T: number, j0: number, w: number, pub: Float64Array, out: boolean): void {
  const block = rows * m;
  for (let i = 0; i < rows; i++) {
    // row i's columns: in the steps a (T, w) matrix from (i, j0) of step 0, rows a step block
    // apart; in `pub` a (w, T) matrix from row i·m + j0
    const q = rows * j0 + i * w, r = (i * m + j0) * T;
    if (out) transposeBlock(pub, r, T, steps, q, block, T, w);
    else transposeBlock(steps, q, block, pub, r, T, w, T);
  }
}

/** One group's time loop forward, steps t0 … T_x−1 (its own function: V8 optimizes the hot loop apart). */
function forwardGroup(cell: CellSpec, p: Params, grp: Group, t0: number): void {
  for (let t = t0; t < grp.d.T_x; t++) cell.forward(p, grp.d, grp.steps[t]);
}

/** ŷ⟨t⟩ = softmax(W a⟨t⟩ + b) for steps t0 … T_x−1, one group's columns: a batched product, then the columns' softmax. */
function headGroup(cell: CellSpec, p: Params, d: Dims, b: TraceBuffers, grp: Group, t0: number): void {
  const { n_a, n_y, m, T_x } = d;
  const w = grp.d.m, j0 = grp.j0, block = n_a * m, yBlock = n_y * m;
  mulBias(b.logits, p[cell.head.b], p[cell.head.W], n_a, 0, n_y, n_a, b.a, w, t0 * yBlock + n_y * j0, t0 * block + n_a * j0, T_x - t0, yBlock, block);
  for (let t = t0; t < T_x; t++) softmaxColumns(b.y, n_y, w, t * yBlock + n_y * j0, b.logits);
}

/**
 * Runs `body` with the parameters (and `also`) resident in the SIMD kernel's memory, on big
 * nets (src/kernels.ts): the products of a whole pass then use them in place.
 */
export function withParams<T>(cell: CellSpec, p: Params, d: Dims, body: () => T, also: readonly Float64Array[] = []): T {
  return resident(stepWork(cell, d), () => ({ inputs: [...bufferNames(cell, d).all.map((name) => p[name]), ...also] }), body);
}

/**
 * Forward over the whole sequence: allocate + run. `x` holds x time-major, or (xIn given: x
 * as (n_x, m, T_x) in C order, a shared buffer) is filled by the column groups' jobs, each
 * converting its own columns on its own thread. `shared`: as allocate's.
 */
export function forward(
  cell: CellSpec, p: Params, d: Dims, x: Float64Array, a0: Float64Array, c0: Float64Array,
  widths: readonly number[] = [d.m], xIn?: Float64Array, shared = widths.length > 1,
): Trace {
  const tr = allocate(cell, p, d, x, a0, c0, widths, true, shared);
  run(tr, 0, true, true, xIn);
  return tr;
}

/**
 * Where the upstream gradients ∂L/∂a⟨t⟩ of every step come from (those from the loss, not from
 * step t+1): the sum loss L = Σ da ⊙ a gives them as da (T_x blocks (n_a, m), time-major in
 * the groups' layout); the xent loss through its output head, from the labels ((m, T_x), C
 * order), which also gives the head's gradients.
 */
export type Upstream = { kind: 'sum'; da: Float64Array } | { kind: 'xent'; labels: Float64Array };

export interface BackwardResult {
  dx: Float64Array; // (n_x, m, T_x), C order: the public layout
  da0: Float64Array; // (n_a, m)
  dc0: Float64Array; // (n_a, m); empty for cells without a cell state
  grads: Params; // 'd' + parameter name, for every parameter of the cell
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

/**
 * One group's BPTT time loop (on this thread or a group worker's): walking t = T_x−1 … 0,
 * the gradient reaching a⟨t⟩ is the upstream da⟨t⟩ plus what step t+1 sent back; each step
 * leaves its dz⟨t⟩ and sends daPrev (and dcPrev) on to step t−1.
 */
export function bpttGroup(cell: CellSpec, p: Params, grp: Group, full: Dims, b: BpttBuffers): void {
  const { n_a, m, T_x } = full;
  const { j0, d } = grp, w = d.m;
  const part = (buf: Float64Array, rows: number): Float64Array => (w === m ? buf : buf.subarray(rows * j0, rows * (j0 + w)));
  const hasC = cell.hasCellState;
  const da = part(b.da, n_a), daPrev = part(b.daPrev, n_a);
  const dc = hasC ? part(b.dc, n_a) : b.dc, dcPrev = hasC ? part(b.dcPrev, n_a) : b.dcPrev;
  const ups = groupViews(b.up, n_a, m, j0, w), dzs = groupViews(b.dz, projectionRows(cell, full), m, j0, w);
  const g: StepGrad = { da, dc, dz: dzs[0], daPrev, dcPrev, work: part(b.work, cell.workRows(full)) };
  daPrev.fill(0); // (what the last step receives from beyond it)
  for (let t = T_x - 1; t >= 0; t--) {
    // da⟨t⟩ = upstream + what step t+1 sent back
    received.run(da.length, daPrev, 0, ups[t], 0, da, 0);
    if (hasC) {
      if (t === T_x - 1) dc.fill(0);
      else dc.set(dcPrev);
    }
    g.dz = dzs[t];
    cell.backward(p, d, grp.steps[t], g);
  }
}

/** da⟨t⟩ = what step t+1 sent back + the upstream, one loop (src/formulas.ts). */
const received = elementwise('bptt_da', 'daPrev up -> da', `
  da = daPrev + up`);

/**
 * BPTT through a forward trace. The time loop runs only what feeds back into the
 * recurrence (each cell's backward step: its gate gradients dz⟨t⟩, da_prev, dc_prev); every
 * other gradient follows from the dz⟨t⟩ of all steps at once (`gateGradients`).
 */
export function backward(tr: Trace, upstream: Upstream): BackwardResult {
  const { cell, d, p, all } = tr;
  const { n_x, n_a, m, T_x } = d;
  const block = n_a * m;
  const grads = paramBuffers(cell, d, 'd');
  const shared = tr.shared;
  const dx = take(n_x * m * T_x, shared, false); // time-major, the products' layout; each group zeroes its columns (dxGroup)
  // the public layout, each group its columns; with groups a shared block, copied out at the end
  const dxOut = shared ? take(n_x * m * T_x, true, false) : new Float64Array(n_x * m * T_x);
  const hasC = cell.hasCellState;
  const b: BpttBuffers = {
    up: take(block * T_x, shared, false), // set from da (sum loss) or zeroed by each group (xentGroup)
    dz: take(projectionRows(cell, d) * m * T_x, shared, false), // each step writes its block in full
    da: take(block, shared, false),
    daPrev: take(block, shared),
    dc: take(hasC ? block : 0, shared, false),
    dcPrev: take(hasC ? block : 0, shared),
    work: take(cell.workRows(d) * m, shared, false),
  };
  // Resident for the whole backward (kernels.ts): the parameters, x and a⟨t−1⟩ of every step,
  // and the weight matrices' gradients, which only the products accumulate.
  const operands = (): Residents => {
    const names = bufferNames(cell, d);
    return {
      inputs: [...names.all.map((name) => p[name]), all.x, tr.a0, all.a],
      outputs: names.weights.map((name) => grads['d' + name]),
    };
  };
  const job: BackwardJob = {
    kind: 'backward', b, dx, dxOut,
    xent: upstream.kind === 'xent' ? { labels: upstream.labels, dz: take(all.y.length, shared, false) } : undefined,
  };
  job.packs = packsFor(tr, job);
  const bufs = tr.buffers;
  resident(stepWork(cell, d), operands, () => {
    if (upstream.kind === 'sum') b.up.set(upstream.da);
    inGroups(tr, job, (grp) => runGroupJob(cell, p, d, bufs, grp, job));
    const bt = sharedTransposes(tr, job.xent !== undefined);
    if (job.xent) headGradients(tr, job.xent.dz, grads, bt.a);
    resident(stepWork(cell, d), () => ({ inputs: [b.dz] }), () => gateGradients(tr, b.dz, grads, bt));
    give(...Object.values(bt).map((t) => t.T));
  });
  if (job.xent) give(job.xent.dz);
  const ungrouped = (buf: Float64Array): Float64Array => {
    if (!shared || buf.length === 0) return buf;
    if (tr.groups.length === 1) return buf.slice(); // (the shared one goes back to the pool)
    const out = new Float64Array(buf.length);
    regroup(out, buf, n_a, m, tr.widths, false);
    return out;
  };
  const result = { dx: shared ? dxOut.slice() : dxOut, da0: ungrouped(b.daPrev), dc0: ungrouped(b.dcPrev), grads };
  give(dx, b.up, b.dz, b.da, b.dc, b.work);
  if (shared) give(dxOut, b.daPrev, b.dcPrev); // (copied into dx, da0 and dc0)
  return result;
}

/**
 * What BPTT leaves for after the time loop, from the gate gradients dz⟨t⟩ of every step
 * (T_x blocks, stacked as the projections, Step.zx), each a batched product over all steps:
 * for each projection W[:, k0:k0+n_x]·x⟨t⟩ + b and its recurrent part W_h[:, :n_a]·h⟨t⟩,
 *   dW[:, k0:k0+n_x] += Σ_t dz⟨t⟩ x⟨t⟩ᵀ     db += Σ_t Σ_batch dz⟨t⟩
 *   dx⟨t⟩ += W[:, k0:k0+n_x]ᵀ dz⟨t⟩ (dxGroup)  dW_h[:, :n_a] += Σ_t dz⟨t⟩ h⟨t⟩ᵀ
 * with h⟨t⟩ = a⟨t−1⟩ or a block of step t's cache. The sums over the batch (here) take all
 * column groups at once, in column order; dx, a group's own, comes in its job.
 */
function gateGradients(tr: Trace, dz: Float64Array, grads: Params, bt: SharedTransposes): void {
  const { cell, d, p, all } = tr;
  const { n_x, n_a, m, T_x } = d;
  const block = n_a * m, xBlock = n_x * m, zRows = projectionRows(cell, d), zBlock = zRows * m;
  const cacheRows = cell.cacheRows(d), cacheBlock = cacheRows * m;
  const w = m / tr.groups.length, zGroup = zRows * w;
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d), k0 = g.k0(d), z0 = row0 * w;
    const W = p[g.W], ldw = W.length / rows;
    outerAdd(grads['d' + g.W], ldw, k0, dz, rows, all.x, n_x, m, z0, 0, T_x, zBlock, xBlock, w, zGroup, n_x * w, bt.x);
    biasGradient(grads['d' + g.b], dz, rows, m, z0, T_x, zBlock, w, zGroup);
    const h = g.recurrent, dWh = grads['d' + h.W], ldh = dWh.length / rows;
    if (h.cacheRow === undefined) {
      outerAdd(dWh, ldh, 0, dz, rows, tr.a0, n_a, m, z0, 0, 1, 0, 0, w, zGroup, n_a * w); // t = 0: a0
      outerAdd(dWh, ldh, 0, dz, rows, all.a, n_a, m, zBlock + z0, 0, T_x - 1, zBlock, block, w, zGroup, n_a * w, bt.a);
    } else {
      outerAdd(dWh, ldh, 0, dz, rows, all.cache, n_a, m, z0, h.cacheRow(d) * w, T_x, zBlock, cacheBlock, w, zGroup, cacheRows * w);
    }
    row0 += rows;
  }
}

/** a⟨t⟩ and x⟨t⟩ of every step transposed once (`transposeItems`), for the weight sums that share them. */
interface SharedTransposes {
  a?: TransposedItems;
  x?: TransposedItems;
}

/**
 * For traces on the arena (`shared`), a and x transposed once for the outerAdds that would each
 * transpose them again: a feeds the head's sum (xent) and every projection's recurrent sum
 * on a⟨t−1⟩ (all but GRU's candidate), x every projection's input sum (two in a GRU). The
 * caller gives the blocks back (`.T`).
 */
function sharedTransposes(tr: Trace, xent: boolean): SharedTransposes {
  const { cell, d, all } = tr;
  const { n_x, n_a, m, T_x } = d;
  const w = m / tr.groups.length;
  const out: SharedTransposes = {};
  if (!tr.shared || !arenaInUse()) return out;
  const aUses = (xent ? 1 : 0) + cell.projections.filter((g) => g.recurrent.cacheRow === undefined).length;
  const pairs: [keyof SharedTransposes, Float64Array, number, number][] = [['a', all.a, n_a, aUses], ['x', all.x, n_x, cell.projections.length]];
  for (const [name, B, kn, uses] of pairs) {
    if (uses < 2) continue;
    const T = take(kn * m * T_x, true, false); // written in full
    const bt = transposeItems(T, B, kn, m, 0, T_x, kn * m, w, kn * w);
    if (bt) out[name] = bt;
    else give(T);
  }
  return out;
}

/**
 * db += Σ_t Σ_j D⟨t⟩(:, j) over T steps at `step` apart (column groups of w, `group` apart), as
 * a product with a row of ones: each step's row sums s = Σ_j D(i, j) · 1 in column order, then
 * db += s — exact multiplications, so the plain sums' bits — as a batch the kernels run in
 * SIMD and share with their helper thread on big nets (a loop of row sums took ~3 ms of the
 * big LSTM's backward on one thread).
 */
function biasGradient(db: Float64Array, D: Float64Array, rows: number, m: number, off: number, T: number, step: number, w: number, group: number): void {
  if (ONES.length < w) ONES = new Float64Array(w).fill(1);
  outerAdd(db, 1, 0, D, rows, ONES, 1, m, off, 0, T, step, 0, w, group, 0);
}
let ONES = new Float64Array(0);

/** dx⟨t⟩ += W[:, k0:k0+n_x]ᵀ dz⟨t⟩ for every projection, all steps of one group's columns (a batched product each). */
function dxGroup(cell: CellSpec, p: Params, d: Dims, grp: Group, dz: Float64Array, dx: Float64Array): void {
  const { n_x, m, T_x } = d;
  const zRows = projectionRows(cell, d), zBlock = zRows * m, xBlock = n_x * m;
  const w = grp.d.m, j0 = grp.j0;
  zeroColumns(dx, n_x, m, T_x, j0, w);
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d), W = p[g.W];
    mulTAdd(dx, W, W.length / rows, g.k0(d), rows, n_x, dz, w, n_x * j0, zRows * j0 + row0 * w, T_x, xBlock, zBlock);
    row0 += rows;
  }
}

/** Σ_{t ≥ t0} da⟨t⟩ ⊙ a⟨t⟩: the sum loss (t0 = 0), or its tail from step t0 on; summed in (i, j) order in any layout. */
export function sumLoss(tr: Trace, daSteps: readonly Float64Array[], t0 = 0): number {
  const { n_a, m, T_x } = tr.d;
  const { base, stride } = placement(m, n_a, tr.widths);
  let L = 0;
  for (let t = t0; t < T_x; t++) {
    const g = daSteps[t], a = tr.steps[t].a;
    for (let i = 0; i < n_a; i++) {
      for (let j = 0; j < m; j++) {
        const q = base[j] + i * stride[j];
        L += g[q] * a[q];
      }
    }
  }
  return L;
}

/**
 * The upstream of the `xent` loss L = −(1/m) Σ_t Σ_j log ŷ[labels[j, t], j, t], one group's
 * columns: dz⟨t⟩ = (ŷ⟨t⟩ − onehot(labels⟨t⟩)) / m, then up⟨t⟩ += Wᵀ dz⟨t⟩ (a batched product);
 * the head's own gradients dW += dz a⟨t⟩ᵀ, db += Σ_batch dz follow from every group's dz
 * (headGradients). `labels` is (m, T_x) in C order.
 */
function xentGroup(cell: CellSpec, p: Params, d: Dims, b: TraceBuffers, grp: Group, xent: { labels: Float64Array; dz: Float64Array }, up: Float64Array): void {
  const { n_a, n_y, m, T_x } = d;
  const { labels, dz } = xent;
  const w = grp.d.m, j0 = grp.j0, block = n_a * m, yBlock = n_y * m;
  for (let t = 0; t < T_x; t++) {
    const at = t * yBlock + n_y * j0; // this group's (n_y, w) block of step t
    for (let k = at; k < at + n_y * w; k++) dz[k] = b.y[k] / m;
    for (let j = 0; j < w; j++) dz[at + labels[(j0 + j) * T_x + t] * w + j] -= 1 / m;
  }
  zeroColumns(up, n_a, m, T_x, j0, w);
  mulTAdd(up, p[cell.head.W], n_a, 0, n_y, n_a, dz, w, n_a * j0, n_y * j0, T_x, block, yBlock);
}

/**
 * Zeroes columns j0 … j0+w−1 of T time-major (rows, m) step blocks in the groups' layout (in
 * each, that group's contiguous (rows, w) matrix): a group's job clears its own share of a
 * buffer it then accumulates into, on its own thread and just before use.
 */
function zeroColumns(buf: Float64Array, rows: number, m: number, T: number, j0: number, w: number): void {
  for (let t = 0, at = rows * j0; t < T; t++, at += rows * m) buf.fill(0, at, at + rows * w);
}

/** The xent head's gradients from dz (every group's): dW += Σ_t dz⟨t⟩ a⟨t⟩ᵀ, db += Σ_t Σ_batch dz⟨t⟩, in column order. */
function headGradients(tr: Trace, dz: Float64Array, grads: Params, aT?: TransposedItems): void {
  const { cell, d, all } = tr;
  const { n_a, n_y, m, T_x } = d;
  const w = m / tr.groups.length, block = n_a * m, yBlock = n_y * m;
  outerAdd(grads['d' + cell.head.W], n_a, 0, dz, n_y, all.a, n_a, m, 0, 0, T_x, yBlock, block, w, n_y * w, n_a * w, aT);
  biasGradient(grads['d' + cell.head.b], dz, n_y, m, 0, T_x, yBlock, w, n_y * w);
}

/** The xent loss (t0 = 0), or its tail from step t0 on; labels (m, T_x) in C order. */
export function xentLoss(tr: Trace, labels: Float64Array, t0 = 0): number {
  const { n_y, m, T_x } = tr.d;
  let L = 0;
  for (let t = t0; t < T_x; t++) {
    for (const { j0, d: { m: w } } of tr.groups) {
      const z = tr.groups.length === 1 ? tr.logits[t] : tr.logits[t].subarray(n_y * j0, n_y * (j0 + w));
      for (let j = 0; j < w; j++) L -= logSoftmaxAt(z, n_y, w, j, labels[(j0 + j) * T_x + t]);
    }
  }
  return L / m;
}
