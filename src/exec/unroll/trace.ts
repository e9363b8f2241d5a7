/**
 * A trace: every buffer of a forward pass and the step views the cells run on (`allocate`,
 * `release`), and the sizes from which a pass cuts the batch into column groups or takes its
 * buffers on the kernels' arena.
 */
import type { Dims } from '../../backends/types';
import type { CellSpec, ParamViews, Params, Step } from '../../model/cells/types';
import { timeAt, type Direction } from '../../model/layer';
import { Mat, opsFor, type KernelOps } from '../ops';
import { releaseGroupParams } from '../groups';
import { kernelArena } from '../kernels';
import { give } from '../pool';
import { Workspace } from '../workspace';
import { groupViews, views } from './layout';
import { tracePacks } from './packs';

/** One column group: columns j0 … j0 + d.m − 1 of the batch, with their own step views. */
export interface Group {
  readonly j0: number;
  /** The problem's sizes with m = this group's width. */
  readonly d: Dims;
  /** T_x steps of (rows, width) views, by time; steps[t].aPrev is the state before step t in the trace's direction. */
  readonly steps: Step[];
  /** The parameters the steps multiply by, as the cells read them. */
  readonly P: ParamViews;
  /** What the steps run on: the arena's ops where the buffers are arena blocks (src/exec/ops.ts). */
  readonly ops: KernelOps;
}

/**
 * How a trace's steps are laid out beyond the groups: which way the layer walks (src/model/layer.ts),
 * and where the input projections live (see `zxIn`).
 */
export interface StepLayout {
  readonly direction: Direction;
  /**
   * 'own': zx has its buffer, and backward writes dz over it. A one-shot pass of a cell with
   * CellSpec.zxInto keeps none, and computes step t's projections straight where the cell
   * copies them (Step.zx is that block); backward then puts dz⟨t⟩ in step t+1's block of a
   * buffer BPTT has passed by then, which has one block more for dz⟨T_x−1⟩:
   * - 'cache': the cache's first projection rows; dz over the next step's (LSTM, GRU);
   * - 'a': a⟨t⟩ itself; dz over the next step's upstream gradient, of as many rows (RNN).
   * A big LSTM's pass touches 52 MB less of fresh memory, an RNN's 13 (bench/README.md, "One
   * cold run"). Not for passes run again from kept projections (gradcheck's), nor in reverse.
   */
  readonly zxIn: 'own' | 'cache' | 'a';
}

/** Everything the forward pass computed, kept for the backward pass. */
export interface Trace extends StepLayout {
  readonly cell: CellSpec;
  readonly d: Dims;
  readonly p: Params;
  /** Widths of the column groups (one group: [m]); every time-major buffer is laid out by them. */
  readonly widths: readonly number[];
  readonly groups: readonly Group[];
  /** T_x whole-step blocks of every buffer (in the groups' layout), by time; steps[t].aPrev as in Group. */
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
   * Whether the pass's buffers are shared ones (src/exec/pool.ts): arena blocks where there is an
   * arena, which the products, activations and loops use in place. Always with column groups.
   */
  readonly shared: boolean;
  /** Where its buffers (and its backward pass's) come from. */
  readonly ws: Workspace;
}

/**
 * Multiply-adds of one step's recurrent product from which the batch is cut into two column
 * groups, each running its own time loop: below it two groups gain nothing (bench/README.md,
 * "Thresholds in the code").
 */
export const GROUP_MIN_WORK = 1 << 19;
/** Narrower groups than this waste the kernel's 4-column tiles; smaller batches stay whole. */
const GROUP_MIN_WIDTH = 8;

/** The widths of a problem's column groups: [m], or two halves of an even m on big nets (see above). */
export function columnGroups(cell: CellSpec, d: Dims): number[] {
  if (d.m % 2 !== 0 || d.m < 2 * GROUP_MIN_WIDTH || stepWork(cell, d) < GROUP_MIN_WORK) return [d.m];
  return [d.m / 2, d.m / 2];
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

/**
 * Steps of group (j0, w), by time: views of `b`, whose step blocks are (rows, m) in the groups'
 * layout. Each step's aPrev and cPrev are the state the step before it left in `dir`'s order
 * (a0 and c0 for the first step taken).
 */
export function groupSteps(cell: CellSpec, d: Dims, b: TraceBuffers, j0: number, w: number, layout: StepLayout): Step[] {
  const { n_a, m, T_x } = d;
  const dir = layout.direction, hasC = cell.hasCellState;
  const part = (buf: Float64Array, rows: number): Mat[] => groupViews(buf, rows, m, j0, w, 0, T_x).map((v) => new Mat(v, rows, w));
  const as = part(b.a, n_a), cs = hasC ? part(b.c, n_a) : [], caches = part(b.cache, cell.cacheRows(d));
  const zRows = projectionRows(cell, d);
  const zxs = layout.zxIn === 'cache' ? caches.map((C) => C.rowBlock(0, zRows)) : layout.zxIn === 'a' ? as : part(b.zx, zRows);
  const a0 = new Mat(w === m ? b.a0 : b.a0.subarray(n_a * j0, n_a * (j0 + w)), n_a, w);
  const c0 = hasC ? new Mat(w !== m ? b.c0.subarray(n_a * j0, n_a * (j0 + w)) : b.c0, n_a, w) : undefined;
  const none = new Mat(new Float64Array(0), 0, w);
  const steps: Step[] = new Array(T_x);
  for (let k = 0; k < T_x; k++) {
    const t = timeAt(dir, T_x, k), before = k === 0 ? -1 : timeAt(dir, T_x, k - 1);
    steps[t] = {
      zx: zxs[t],
      aPrev: before < 0 ? a0 : as[before],
      cPrev: c0 ? (before < 0 ? c0 : cs[before]) : none,
      a: as[t],
      c: hasC ? cs[t] : none,
      cache: caches[t],
    };
  }
  return steps;
}

/** The math's views of a cell's parameters `p`, stacks included (made per trace and column group: cheap). */
export function paramViews(cell: CellSpec, d: Dims, p: Params): ParamViews {
  const out: Record<string, Mat> = {};
  for (const spec of cell.params) {
    const [rows, cols] = spec.shape(d);
    out[spec.name] = new Mat(p[spec.name], rows, cols);
  }
  for (const st of cell.stacks) {
    const first = out[st.members[0]];
    out[st.name] = new Mat(p[st.name], first.rows * st.members.length, first.cols);
  }
  return out;
}

/** Column group g of a batch cut into `widths` (equal parts of d.m), with its step views of `b`. */
export function groupAt(
  cell: CellSpec, d: Dims, widths: readonly number[], b: TraceBuffers, g: number, p: Params, layout: StepLayout,
  steps = groupSteps(cell, d, b, g * widths[0], widths[g], layout),
): Group {
  const w = widths[g], j0 = g * widths[0];
  return { j0, d: widths.length > 1 ? { ...d, m: w } : d, steps, P: paramViews(cell, d, p), ops: opsFor(b.a) };
}

/** How a trace is laid out (`allocate`). */
export interface TraceOptions {
  /** Widths of the batch's column groups, equal parts of m: [m] (one group) by default. */
  readonly widths?: readonly number[];
  /** The caller runs the whole pass before reading anything: buffers may come unzeroed (below). */
  readonly full?: boolean;
  /** Every buffer shared (below): always with more than one group, the default then. */
  readonly shared?: boolean;
  /** Which way the layer walks the sequence: 'forward' by default. */
  readonly direction?: Direction;
  /**
   * The pass runs once, forward then backward, and is never run again from its kept input
   * projections: they may live where the cell copies them (StepLayout.zxIn).
   */
  readonly oneShot?: boolean;
}

/**
 * Allocates a trace (every buffer of a forward pass over the sequence) without running it.
 * `x` holds the T_x input blocks (n_x, m) one after another (toTimeMajor) in the layout of
 * the column groups `widths`; a0 and c0 are (n_a, m) (c0 is ignored by cells without a cell
 * state). The trace keeps references to p, x, a0 and c0: changing them in place and calling
 * `run` again recomputes the pass with no new allocation (gradcheck).
 *
 * `shared` (always with more than one group): every buffer of the trace is shared (src/exec/pool.ts):
 * a block of the kernels' arena, which the products, activations and loops use in place, or
 * a SharedArrayBuffer — so that a group worker can run a group's time loop on it
 * (src/exec/groups.ts). The engine's traces are shared from ARENA_MIN_WORK on (`sharedPass`).
 * Arena blocks are only reused once handed back: whoever allocates a trace releases it
 * (`release`).
 *
 * The buffers come from the trace's workspace (src/exec/workspace.ts) zeroed, as new ones
 * would; `full`: the caller runs the whole pass (`run` from step 0, inputs and head) before
 * reading anything, which writes every value, so they may come as a previous pass left them.
 * A small one-group trace keeps its workspace: released, it is kept (`spares`) for the next
 * pass of the same problem, which reuses its buffers and step views.
 */
export function allocate(
  cell: CellSpec, p: Params, d: Dims, x: Float64Array, a0: Float64Array, c0: Float64Array, o: TraceOptions = {},
): Trace {
  const { widths = [d.m], full = false, shared = widths.length > 1, direction = 'forward', oneShot = false } = o;
  const { n_x, n_a, n_y, m, T_x } = d;
  if (x.length !== n_x * m * T_x) throw new Error(`internal: x holds ${x.length} values, not ${n_x}·${m}·${T_x}`);
  if (widths.some((w) => w !== widths[0]) || widths[0] * widths.length !== m) {
    throw new Error(`internal: column groups ${widths.join('+')} are not equal parts of m = ${m}`);
  }
  const grouped = widths.length > 1;
  if (grouped && !shared) throw new Error('internal: column groups need shared buffers');
  const block = n_a * m;
  const hasC = cell.hasCellState;
  const rows = { zx: projectionRows(cell, d), a: n_a, c: hasC ? n_a : 0, cache: cell.cacheRows(d), logits: n_y, y: n_y };
  const spare = takeSpare(cell, d, widths, shared, direction);
  const keep = !grouped && sum(Object.values(rows)) * m * T_x <= SPARE_MAX_VALUES;
  const ws = spare?.ws ?? new Workspace(shared, keep);
  // (a kept trace may be run again from its projections: gradcheck's evaluator takes spares)
  const zxIn = oneShot && !keep && !spare && direction === 'forward' && cell.zxInto ? cell.zxInto : 'own';
  const f64 = (name: string, n: number): Float64Array => ws.alloc(name, n, full ? 'any' : 'zero');
  const all = {
    x,
    zx: f64('zx', zxIn !== 'own' ? 0 : rows.zx * m * T_x),
    a: f64('a', rows.a * m * T_x),
    c: f64('c', rows.c * m * T_x),
    cache: f64('cache', rows.cache * m * (zxIn === 'cache' ? T_x + 1 : T_x)),
    logits: f64('logits', rows.logits * m * T_x),
    y: f64('y', rows.y * m * T_x),
  };
  const own = { a0: grouped ? f64('a0', block) : a0, c0: grouped && hasC ? f64('c0', block) : c0 };
  const b: TraceBuffers = { ...all, ...own };
  const layout: StepLayout = { direction, zxIn };
  let groups: Group[], steps: Step[];
  if (spare) {
    // The same buffers as the spare's, so its step views hold; only the initial state and p are the caller's.
    steps = spare.steps.slice();
    const first = timeAt(direction, T_x, 0);
    steps[first] = { ...steps[first], aPrev: new Mat(a0, n_a, m), cPrev: hasC ? new Mat(c0, n_a, m) : steps[first].cPrev };
    groups = [groupAt(cell, d, widths, b, 0, p, layout, steps)];
  } else {
    groups = widths.map((_, g) => groupAt(cell, d, widths, b, g, p, layout));
    steps = grouped ? groupSteps(cell, d, b, 0, m, layout) : groups[0].steps;
  }
  return {
    cell, direction, zxIn, d, p, widths, groups, steps, all, a0: own.a0, c0: own.c0, buffers: b, state0: { a0, c0 }, shared, ws,
    logits: spare ? spare.logits : views(all.logits, n_y * m, T_x), y: spare ? spare.y : views(all.y, n_y * m, T_x),
  };
}

/**
 * Traces handed back whose workspace keeps its buffers (small ones, private, one group), at
 * most one per problem: the next pass of the same problem runs on its buffers and step views.
 */
const spares: Trace[] = [];
const SPARES_MAX = 8;
/** The most values a kept trace holds (8 MB): bigger passes take and give back pool buffers. */
const SPARE_MAX_VALUES = 1 << 20;

const sameProblem = (tr: Trace, cell: CellSpec, d: Dims, widths: readonly number[], shared: boolean, dir: Direction): boolean =>
  tr.cell === cell && tr.direction === dir && tr.shared === shared && tr.widths.length === widths.length && tr.widths[0] === widths[0] &&
  tr.d.n_x === d.n_x && tr.d.n_a === d.n_a && tr.d.n_y === d.n_y && tr.d.m === d.m && tr.d.T_x === d.T_x;

function takeSpare(cell: CellSpec, d: Dims, widths: readonly number[], shared: boolean, dir: Direction): Trace | undefined {
  const k = spares.findIndex((tr) => sameProblem(tr, cell, d, widths, shared, dir));
  return k < 0 ? undefined : spares.splice(k, 1)[0];
}

/** Traces kept for the next pass of their problem (tests). */
export const spareTraces = (): number => spares.length;

/** Keeps `tr` for the next pass of its problem, in place of an older one of the same. */
function keepSpare(tr: Trace): void {
  const k = spares.findIndex((old) => sameProblem(old, tr.cell, tr.d, tr.widths, tr.shared, tr.direction));
  if (k >= 0) spares.splice(k, 1)[0].ws.close();
  spares.push(tr);
  if (spares.length > SPARES_MAX) spares.shift()!.ws.close();
}
const sum = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0);

/**
 * Hands a trace's own buffers back — to the pool (src/exec/pool.ts), or, with a kept workspace, the
 * whole trace to the spares for the next pass of its problem: for callers whose trace is
 * finished with — nothing may read the trace, or anything it returned without copying, after.
 */
export function release(tr: Trace): void {
  const { zx, a, c, cache, logits, y } = tr.all;
  if (tr.ws.keep) keepSpare(tr);
  else tr.ws.free(zx, a, c, cache, logits, y);
  if (tr.groups.length > 1) tr.ws.free(tr.a0, tr.c0);
  releaseGroupParams(tr);
  for (const pack of tracePacks.get(tr)?.values() ?? []) give(pack.P);
  tracePacks.delete(tr);
}

/** Multiply-adds of a step's recurrent product: the size that decides on residency. */
export const stepWork = (cell: CellSpec, d: Dims): number => projectionRows(cell, d) * d.n_a * d.m;

/**
 * Multiply-adds per step from which the engine's passes keep their buffers in the kernels'
 * arena even without column groups: the products then run in place (no copies in and out,
 * weights packed), and σ, tanh, the softmax and the cells' loops in SIMD. Below it the calls
 * into WebAssembly cost more than they save (bench/README.md, "Thresholds in the code").
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
