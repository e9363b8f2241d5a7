/**
 * Whole passes over a trace: `run` / `forward`, and `backward`, which runs the column groups'
 * BPTT and then every gradient that takes all steps at once (the gates' weights and biases, the
 * head's).
 */
import type { Dims } from '../../backends/types';
import { bufferNames, paramBuffers } from '../../model/cells';
import type { CellSpec, Params } from '../../model/cells/types';
import { inGroups, inGroupsBeside, startGroupWorker, type GroupWork } from '../groups';
import { arenaInUse, outerAdd, resident, transposeItems, type Residents, type TransposedItems } from '../kernels';
import { give, take } from '../pool';
import { dzBlocks, projectGroup, runGroupJob, zxBlocks, type BackwardJob, type BpttBuffers, type ForwardJob, type ZBlocks } from './group';
import { regroup, toTimeMajor } from './layout';
import type { LossJob } from './losses';
import { packsFor } from './packs';
import { allocate, projectionRows, stepWork, type Trace, type TraceOptions } from './trace';
import type { LossName, LossSpec } from '../../model/losses';

/**
 * The input projections of steps t0 … t1−1: zx⟨t⟩ = W[:, k0:k0+n_x]·x⟨t⟩ + b for each of the
 * cell's projections, stacked — one batched product per projection and column group. With
 * `onlyRow` set, recomputes just that row (of the stacked projections), summing in the
 * kernel's order — bit for bit what the full computation gives. Allocates nothing.
 */
export function project(tr: Trace, t0 = 0, t1 = tr.d.T_x, onlyRow = -1): void {
  const z = zxBlocks(tr.cell, tr.d, tr.buffers, tr);
  for (const grp of tr.groups) projectGroup(tr.cell, tr.p, tr.d, tr.all.x, z, grp, t0, t1, onlyRow);
}


/**
 * Runs an allocated trace from the k0-th step its layer takes on (t0 = k0 forward: steps
 * t0 … T_x−1; that step starts from its aPrev and cPrev as they are). `inputs`: compute those
 * steps' input projections first (gradcheck passes false when they cannot have changed).
 * `head` computes their logits and ŷ too; the sum loss does not need them.
 */
export function run(tr: Trace, k0 = 0, head = true, inputs = true, xIn?: Float64Array): void {
  const w = forwardWork(tr, k0, head, inputs, xIn);
  w.within(() => inGroups(tr, w.job, w.here));
}

/**
 * Runs two allocated traces of independent layers (a bidirectional layer's two directions)
 * whole, as `run` runs each: side by side (src/exec/groups.ts `inGroupsBeside`) from
 * BESIDE_MIN_WORK on, else one after the other.
 */
export function runBeside(a: Trace, b: Trace, head = true): void {
  if (!besideWorks(a, b)) {
    run(a, 0, head);
    run(b, 0, head);
    return;
  }
  startGroupWorker();
  inGroupsBeside(forwardWork(a, 0, head, true), forwardWork(b, 0, head, true));
}

/**
 * Multiply-adds of each trace's recurrent products over all its steps from which two run side
 * by side: below it handing one to the group worker costs more than it saves (bench/README.md,
 * "Thresholds in the code").
 */
export const BESIDE_MIN_WORK = 1 << 21;
const besideWorks = (a: Trace, b: Trace): boolean => [a, b].every((tr) => stepWork(tr.cell, tr.d) * tr.d.T_x >= BESIDE_MIN_WORK);

/** `run`'s pass as src/exec/groups.ts runs it. */
function forwardWork(tr: Trace, k0: number, head: boolean, inputs: boolean, xIn?: Float64Array): GroupWork {
  if (tr.zxIn !== 'own' && !(k0 === 0 && inputs)) throw new Error('internal: a one-shot trace runs whole, its projections included');
  spent.delete(tr);
  const { cell, d, p, all } = tr;
  const { n_a, m } = d;
  if (tr.groups.length > 1) {
    regroup(tr.a0, tr.state0.a0, n_a, m, tr.widths, true);
    if (cell.hasCellState) regroup(tr.c0, tr.state0.c0, n_a, m, tr.widths, true);
  }
  const job: ForwardJob = { kind: 'forward', k0, inputs, head, xIn };
  job.packs = packsFor(tr, job);
  const b = tr.buffers;
  return {
    tr, job,
    here: (grp) => runGroupJob(cell, p, d, b, grp, tr, job),
    // The parameters and x stay resident in the SIMD kernel's memory for the whole pass.
    within: (groups) => withParams(cell, p, d, groups, [all.x]),
  };
}

/** One-shot traces with their projections in the cache (StepLayout.zxIn) whose backward pass has run: their cache holds dz now. */
const spent = new WeakSet<Trace>();

/**
 * Runs `body` with the parameters (and `also`) resident in the SIMD kernel's memory, on big
 * nets (src/exec/kernels.ts): the products of a whole pass then use them in place.
 */
export function withParams<T>(cell: CellSpec, p: Params, d: Dims, body: () => T, also: readonly Float64Array[] = []): T {
  return resident(stepWork(cell, d), () => ({ inputs: [...bufferNames(cell, d).all.map((name) => p[name]), ...also] }), body);
}

/** A forward pass's layout (allocate's, `full` implied) and whether it computes the output head. */
export interface ForwardOptions extends Omit<TraceOptions, 'full'> {
  /** Compute the logits and ŷ (default true); without, they are not written — a loss on the states needs neither. */
  readonly head?: boolean;
}

/**
 * Forward over the whole sequence: allocate + run. `x` holds x time-major, or (xIn given: x
 * as (n_x, m, T_x) in C order, a shared buffer) is filled by the column groups' jobs, each
 * converting its own columns on its own thread.
 */
export function forward(
  cell: CellSpec, p: Params, d: Dims, x: Float64Array, a0: Float64Array, c0: Float64Array,
  o: ForwardOptions = {}, xIn?: Float64Array,
): Trace {
  const { head = true, ...layout } = o;
  const tr = allocate(cell, p, d, x, a0, c0, { ...layout, full: true });
  run(tr, 0, head, true, xIn);
  return tr;
}

export interface BackwardResult {
  dx: Float64Array; // (n_x, m, T_x), C order: the public layout
  da0: Float64Array; // (n_a, m)
  dc0: Float64Array; // (n_a, m); empty for cells without a cell state
  grads: Params; // 'd' + parameter name, for every parameter of the cell
}

/**
 * BPTT through a forward trace. The time loop runs only what feeds back into the
 * recurrence (each cell's backward step: its gate gradients dz⟨t⟩, da_prev, dc_prev); every
 * other gradient follows from the dz⟨t⟩ of all steps at once (`gateGradients`).
 *
 * The gate gradients dz⟨t⟩ are laid out as the input projections zx⟨t⟩, which no backward
 * step reads: they are written over the trace's zx — or, without one (StepLayout.zxIn), over
 * step t+1's cache or upstream gradient — so a big pass touches no new memory for them
 * (fresh pages cost the first run of a process most: bench/README.md, "One cold run").
 * Running the trace again therefore recomputes its projections (`run`'s `inputs`).
 *
 * `dcN` (n_a, m), for a cell with state c: the upstream gradient of the last c the layer
 * leaves (a loss that reads the final states, as PyTorch's c_n); zero when absent.
 */
export function backward(tr: Trace, loss: LossSpec, input: Float64Array, dcN?: Float64Array): BackwardResult {
  const w = backwardWork(tr, loss, input, dcN);
  w.within(() => inGroups(tr, w.job, w.here));
  return w.result();
}

/** The backward passes of two traces of independent layers (`runBeside`'s), side by side where src/exec/groups.ts can. */
export function backwardBeside(a: BackwardArgs, b: BackwardArgs): [BackwardResult, BackwardResult] {
  if (!besideWorks(a[0], b[0])) return [backward(...a), backward(...b)];
  const wa = backwardWork(...a), wb = backwardWork(...b);
  inGroupsBeside(wa, wb);
  return [wa.result(), wb.result()];
}
export type BackwardArgs = [tr: Trace, loss: LossSpec, input: Float64Array, dcN?: Float64Array];

/** `backward`'s pass as src/exec/groups.ts runs it; `result()` once it has run. */
function backwardWork(tr: Trace, loss: LossSpec, input: Float64Array, dcN?: Float64Array): GroupWork & { result(): BackwardResult } {
  if (tr.zxIn === 'cache') {
    // its dz went over the cache's gates: another backward needs the forward pass again
    if (spent.has(tr)) throw new Error('internal: a one-shot trace takes one backward pass (run it forward again first)');
    spent.add(tr);
  }
  const { cell, d, p, all } = tr;
  const { n_x, n_a, m, T_x } = d;
  const block = n_a * m;
  const grads = paramBuffers(cell, d, 'd');
  const { shared, ws } = tr;
  const dx = ws.alloc('dx', n_x * m * T_x, 'any'); // time-major, the products' layout; each group zeroes its columns (dxGroup)
  // the public layout, each group its columns; with groups a shared block, copied out at the end
  const dxOut = shared ? ws.alloc('dxOut', n_x * m * T_x, 'any') : new Float64Array(n_x * m * T_x);
  const hasC = cell.hasCellState;
  // the loss's array time-major in the groups' layout, as the groups read it (lossGroup)
  const rows = input.length / (m * T_x);
  // (with zxIn 'a', the upstream gradients have one block more: dz⟨t⟩ goes over up⟨t+1⟩)
  const upBlocks = tr.zxIn === 'a' ? T_x + 1 : T_x;
  const lossInput = toTimeMajor(input, rows, m, T_x, tr.widths, ws.alloc('lossInput', rows * m * (loss.upstreamIsInput ? upBlocks : T_x), 'any'));
  const up = loss.upstreamIsInput ? lossInput : ws.alloc('up', block * upBlocks, 'any');
  const { buf: dz, ...dzAt } = dzBlocks(cell, d, tr.buffers, up, tr);
  const b: BpttBuffers = {
    up, // each group writes its columns (lossGroup), or the loss's array is the upstream itself
    dz, // each step writes its block in full (see above)
    da: ws.alloc('da', block, 'any'),
    daPrev: ws.alloc('daPrev', block, 'zero'),
    dc: ws.alloc('dc', hasC ? block : 0, 'any'),
    dcPrev: ws.alloc('dcPrev', hasC ? block : 0, 'zero'), // on entry, ∂L/∂c_n (src/model/layer.ts)
    work: ws.alloc('work', cell.workRows(d) * m, 'any'),
  };
  if (hasC && dcN) {
    if (tr.groups.length > 1) regroup(b.dcPrev, dcN, n_a, m, tr.widths, true);
    else b.dcPrev.set(dcN);
  }
  // Resident for the whole backward (kernels.ts): the parameters, x and a⟨t−1⟩ of every step,
  // and the weight matrices' gradients, which only the products accumulate.
  const operands = (): Residents => {
    const names = bufferNames(cell, d);
    return {
      inputs: [...names.all.map((name) => p[name]), all.x, tr.a0, all.a],
      outputs: names.weights.map((name) => grads['d' + name]),
    };
  };
  const lossJob: LossJob = { name: loss.name as LossName, input: lossInput, rows };
  if (loss.usesHead) lossJob.dz = ws.alloc('dy', all.y.length, 'any');
  const job: BackwardJob = { kind: 'backward', b, dzAt, dx, dxOut, loss: loss.upstreamIsInput ? undefined : lossJob };
  job.packs = packsFor(tr, job);
  const bufs = tr.buffers;
  const within = (groups: () => void): void => resident(stepWork(cell, d), operands, () => {
    groups();
    const bt = sharedTransposes(tr, loss.usesHead);
    if (lossJob.dz) headGradients(tr, lossJob.dz, grads, bt.a);
    resident(stepWork(cell, d), () => ({ inputs: [b.dz] }), () => gateGradients(tr, { buf: b.dz, ...dzAt }, grads, bt));
    give(...Object.values(bt).map((t) => t.T));
  });
  const result = (): BackwardResult => {
    ws.free(lossJob.input);
    if (lossJob.dz) ws.free(lossJob.dz);
    const ungrouped = (buf: Float64Array): Float64Array => {
      if (ws.keep) return buf.slice(); // (the workspace keeps buf for the next pass)
      if (!shared || buf.length === 0) return buf;
      if (tr.groups.length === 1) return buf.slice(); // (the shared one goes back to the pool)
      const out = new Float64Array(buf.length);
      regroup(out, buf, n_a, m, tr.widths, false);
      return out;
    };
    const r = { dx: shared ? dxOut.slice() : dxOut, da0: ungrouped(b.daPrev), dc0: ungrouped(b.dcPrev), grads };
    ws.free(dx, b.da, b.dc, b.work);
    if (b.up !== lossInput) ws.free(b.up);
    if (shared) ws.free(dxOut, b.daPrev, b.dcPrev); // (copied into dx, da0 and dc0)
    return r;
  };
  return { tr, job, here: (grp) => runGroupJob(cell, p, d, bufs, grp, tr, job), within, result };
}

/**
 * What BPTT leaves for after the time loop, from the gate gradients dz⟨t⟩ of every step
 * (T_x blocks, stacked as the projections, Step.zx), each a batched product over all steps:
 * for each projection W[:, k0:k0+n_x]·x⟨t⟩ + b and its recurrent part W_h[:, :n_a]·h⟨t⟩,
 *   dW[:, k0:k0+n_x] += Σ_t dz⟨t⟩ x⟨t⟩ᵀ     db += Σ_t Σ_batch dz⟨t⟩
 *   dx⟨t⟩ += W[:, k0:k0+n_x]ᵀ dz⟨t⟩ (dxGroup)  dW_h[:, :n_a] += Σ_t dz⟨t⟩ h⟨t⟩ᵀ
 * with h⟨t⟩ the state before step t (a0 for the first step taken; a⟨t−1⟩, or a⟨t+1⟩ in the
 * reverse direction) or a block of step t's cache. The sums over the batch (here) take all
 * column groups at once, in column order; dx, a group's own, comes in its job.
 */
function gateGradients(tr: Trace, Z: ZBlocks, grads: Params, bt: SharedTransposes): void {
  const { cell, d, p, all } = tr;
  const { n_x, n_a, m, T_x } = d;
  const dz = Z.buf, block = n_a * m, xBlock = n_x * m, zBlock = Z.rows * m;
  const cacheRows = cell.cacheRows(d), cacheBlock = cacheRows * m;
  const w = m / tr.groups.length, zGroup = Z.rows * w;
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d), k0 = g.k0(d), z0 = Z.from * zBlock + row0 * w;
    if (g.W !== undefined) outerAdd(grads['d' + g.W], p[g.W].length / rows, k0, dz, rows, all.x, n_x, m, z0, 0, T_x, zBlock, xBlock, w, zGroup, n_x * w, bt.x);
    biasGradient(grads['d' + g.b], dz, rows, m, z0, T_x, zBlock, w, zGroup);
    const h = g.recurrent;
    if (!h) {
      row0 += rows;
      continue;
    }
    const dWh = grads['d' + h.W], ldh = dWh.length / rows;
    if (h.cacheRow === undefined) {
      // the first step taken with a0; then forward dz⟨t⟩ with a⟨t−1⟩ for t ≥ 1, in reverse dz⟨t⟩ with a⟨t+1⟩ for t ≤ T_x−2
      const [first, dFrom, aFrom] = tr.direction === 'forward' ? [0, 1, 0] : [T_x - 1, 0, 1];
      outerAdd(dWh, ldh, 0, dz, rows, tr.a0, n_a, m, first * zBlock + z0, 0, 1, 0, 0, w, zGroup, n_a * w);
      outerAdd(dWh, ldh, 0, dz, rows, all.a, n_a, m, dFrom * zBlock + z0, aFrom * block, T_x - 1, zBlock, block, w, zGroup, n_a * w, bt.a);
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
 * transpose them again: a feeds the head's sum (a loss through the head) and every projection's recurrent sum
 * on a⟨t−1⟩ (all but GRU's candidate), x every projection's input sum (two in a GRU). The
 * caller gives the blocks back (`.T`).
 */
function sharedTransposes(tr: Trace, head: boolean): SharedTransposes {
  const { cell, d, all } = tr;
  const { n_x, n_a, m, T_x } = d;
  const w = m / tr.groups.length;
  const out: SharedTransposes = {};
  if (!tr.shared || !arenaInUse()) return out;
  const aUses = (head ? 1 : 0) + cell.projections.filter((g) => g.recurrent && g.recurrent.cacheRow === undefined).length;
  const xUses = cell.projections.filter((g) => g.W !== undefined).length;
  const pairs: [keyof SharedTransposes, Float64Array, number, number][] = [['a', all.a, n_a, aUses], ['x', all.x, n_x, xUses]];
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
 * SIMD and share with their helper thread on big nets (bench/README.md, "Thresholds in the code").
 */
function biasGradient(db: Float64Array, D: Float64Array, rows: number, m: number, off: number, T: number, step: number, w: number, group: number): void {
  if (ONES.length < w) ONES = new Float64Array(w).fill(1);
  outerAdd(db, 1, 0, D, rows, ONES, 1, m, off, 0, T, step, 0, w, group, 0);
}
let ONES = new Float64Array(0);

/** The head's gradients from dz = ∂L/∂z (every group's): dW += Σ_t dz⟨t⟩ a⟨t⟩ᵀ, db += Σ_t Σ_batch dz⟨t⟩, in column order. */
export function headGradients(tr: Trace, dz: Float64Array, grads: Params, aT?: TransposedItems): void {
  const { cell, d, all } = tr;
  const { n_a, n_y, m, T_x } = d;
  const w = m / tr.groups.length, block = n_a * m, yBlock = n_y * m;
  outerAdd(grads['d' + cell.head.W], n_a, 0, dz, n_y, all.a, n_a, m, 0, 0, T_x, yBlock, block, w, n_y * w, n_a * w, aT);
  biasGradient(grads['d' + cell.head.b], dz, n_y, m, 0, T_x, yBlock, w, n_y * w);
}
