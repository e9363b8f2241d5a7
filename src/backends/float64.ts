/**
 * The default backend: float64 on Float64Array kernels (src/exec/kernels.ts), cells from the
 * CELLS table, one unroller for all of them. Takes and returns Tensors in the public
 * layout; shapes are trusted (callers validate at the boundary, see src/validate.ts).
 */
import type { Backend, CellName, Dims, Loss } from './types';
import { lossInput } from './loss-input';
import { CELLS, paramBuffers, type CellSpec } from '../model/cells';
import type { Params } from '../model/cells/types';
import { tensor, type Arrays, type Tensor } from '../tensor';
import {
  allocate, backward, backwardBeside, columnGroups, fromSteps, lossValue, projectionRows, release, run, runBeside, sharedPass, toTimeMajor, views,
  type BackwardArgs, type BackwardResult, type Trace,
} from '../exec/unroll';
import { give, take } from '../exec/pool';
import { startGroupWorker } from '../exec/groups';
import { arenaInUse, startHelperFor } from '../exec/kernels';
import { LOSSES } from '../model/losses';
import type { Direction } from '../model/layer';
import { oneByOne, type DirectionEngine, type LayerEngine } from './network';
import { lstmProjLayer } from './lstm-proj';

/** The problem's sizes: n_x, m, T_x from x; n_y, n_a from the output head's weight. */
export function dimsOf(cell: CellSpec, inputs: Arrays): Dims {
  const [n_x, m, T_x] = inputs.x.shape;
  const [n_y, n_a] = inputs[cell.head.W].shape;
  return { n_x, n_a, n_y, m, T_x };
}

/** The parameters in the cell's own layout (stacked gates), copied from the inputs; a layer of a network has no head (n_y 0). */
export function paramsOf(cell: CellSpec, inputs: Arrays, d = dimsOf(cell, inputs)): Params {
  const headless = (name: string): boolean => d.n_y === 0 && (name === cell.head.W || name === cell.head.b);
  return paramBuffers(cell, d, '', (name) => (headless(name) ? NOTHING : inputs[name].data));
}
const NOTHING = new Float64Array(0);

function stateOr0(t: Tensor | undefined, d: Dims): Float64Array {
  return t ? t.data : new Float64Array(d.n_a * d.m);
}

/**
 * Runs the forward pass and keeps the trace (what backward and the losses need). `widths`:
 * the batch's column groups (src/exec/unroll/), by default as the sizes call for;
 * `direction`: which way the layer walks the sequence (src/model/layer.ts), forward by default;
 * `head`: compute the logits and ŷ (default true; a loss on the states needs neither, and
 * forwardOutputs needs them); `oneShot`: the trace takes at most one backward pass and is not
 * run again from its kept projections (TraceOptions `oneShot`: less memory on big nets);
 * `dims`: the sizes, when inputs has no head to read n_a and n_y from (a network's layer: n_y 0).
 */
export function trace(
  cellName: CellName, inputs: Arrays, o: { widths?: readonly number[]; direction?: Direction; head?: boolean; oneShot?: boolean; dims?: Dims } = {},
): Trace {
  const { tr, xIn } = allocated(cellName, inputs, o);
  try {
    run(tr, 0, o.head ?? true, true, xIn);
  } finally {
    if (xIn) give(xIn);
  }
  return tr;
}

/** `trace`'s trace allocated, x in it, not run; with `xIn`, x is to be converted by the pass (`run`), which the caller then gives back. */
function allocated(
  cellName: CellName, inputs: Arrays, o: { widths?: readonly number[]; direction?: Direction; oneShot?: boolean; dims?: Dims },
): { tr: Trace; xIn?: Float64Array } {
  const cell = CELLS[cellName];
  const d = o.dims ?? dimsOf(cell, inputs);
  const widths = o.widths ?? columnGroups(cell, d);
  const n = d.n_x * d.m * d.T_x, grouped = widths.length > 1, shared = sharedPass(cell, d, widths);
  // the threads start while x is converted and the trace allocated: ready for the pass's first job
  if (grouped) startGroupWorker();
  if (shared) startHelperFor(projectionRows(cell, d) * d.n_x * d.m * d.T_x); // (the input projections, the first products)
  // (shared with the pass: the group worker projects its columns of x too; and where it is an
  // arena block and there are groups, each group first converts its columns to time-major
  // from a shared copy of x, off the main thread. Not otherwise: the pass
  // keeps x resident in the kernel's own memory, and a copy taken before the groups write it
  // would be stale.)
  const x = take(n, shared, false);
  const xIn = grouped && arenaInUse()?.isArena(x) ? take(n, true, false) : undefined;
  if (xIn) xIn.set(inputs.x.data);
  else toTimeMajor(inputs.x.data, d.n_x, d.m, d.T_x, widths, x);
  const tr = allocate(cell, paramsOf(cell, inputs, d), d, x, stateOr0(inputs.a0, d), stateOr0(inputs.c0, d), {
    widths, shared, direction: o.direction, oneShot: o.oneShot, full: true,
  });
  return { tr, xIn };
}

export function forwardOutputs(tr: Trace): Arrays {
  const { n_y, m, T_x } = tr.d;
  const { a, c } = statesOf(tr);
  const out: Arrays = { a, y: tensor([n_y, m, T_x], fromSteps(tr.y, n_y, m, tr.widths)) };
  if (c) out.c = c;
  return out;
}

export function lossOf(tr: Trace, loss: Loss): number {
  return lossValue(tr, LOSSES[loss.kind], lossInput(loss).data);
}

/** The gradients of `loss`; `dcN` (n_a, m): the upstream of the last c the layer leaves, besides the loss's own. */
export function gradients(tr: Trace, loss: Loss, dcN?: Tensor): Arrays {
  return gradientArrays(tr, loss, backward(tr, LOSSES[loss.kind], lossInput(loss).data, dcN?.data));
}

/** A backward pass's result as the public arrays. */
function gradientArrays(tr: Trace, loss: Loss, r: BackwardResult): Arrays {
  const { cell, d } = tr;
  const { n_x, n_a, m, T_x } = d;
  const out: Arrays = {
    dx: tensor([n_x, m, T_x], r.dx),
    da0: tensor([n_a, m], r.da0),
  };
  if (cell.hasCellState) out.dc0 = tensor([n_a, m], r.dc0);
  for (const spec of cell.params) {
    if (spec.role === 'head' && !LOSSES[loss.kind].usesHead) continue;
    out['d' + spec.name] = tensor(spec.shape(d), r.grads['d' + spec.name].slice());
  }
  return out;
}

/** The states a (and c) of a trace, (n_a, m, T_x) each. */
export function statesOf(tr: Trace): { a: Tensor; c?: Tensor } {
  const { n_a, m, T_x } = tr.d;
  const state = (buf: Float64Array): Tensor => tensor([n_a, m, T_x], fromSteps(views(buf, n_a * m, T_x), n_a, m, tr.widths));
  return tr.cell.hasCellState ? { a: state(tr.all.a), c: state(tr.all.c) } : { a: state(tr.all.a) };
}

/**
 * One layer of a network in one direction (src/backends/network.ts): its states, then at
 * most one backward pass of the sum loss with upstream da (and, with a cell state, dcN).
 * `inputs`: the cell's recurrent parameters, x, a0 (and c0); no head.
 */
export const layerPass: DirectionEngine = (cellName, inputs, direction) => {
  const p = float64Layer(cellName, [inputs], [direction]);
  return { a: p.a[0], ...(p.c ? { c: p.c[0] } : {}), backward: (da, dcN) => p.backward([da], [dcN])[0], release: () => p.release() };
};

/**
 * One layer of a network in each of its directions: a bidirectional layer's two run side by
 * side, forward and backward, on the group worker and this thread (src/exec/unroll/pass.ts
 * `runBeside`, `backwardBeside`) where each has one column group on shared buffers and
 * enough work; the same bits either way.
 */
export const float64Layer: LayerEngine = (layerCell, inputs, directions) => {
  if (layerCell === 'lstm_proj') return projLayer(layerCell, inputs, directions);
  const cellName = layerCell, cell = CELLS[cellName];
  const made: { tr: Trace; xIn?: Float64Array }[] = [];
  try {
    directions.forEach((direction, j) => {
      const [n_x, m, T_x] = inputs[j].x.shape, n_a = inputs[j].a0.shape[0];
      made.push(allocated(cellName, inputs[j], { direction, oneShot: true, dims: { n_x, n_a, n_y: 0, m, T_x } }));
    });
    if (made.length === 2 && !made.some((t) => t.xIn)) runBeside(made[0].tr, made[1].tr, false);
    else made.forEach(({ tr, xIn }) => run(tr, 0, false, true, xIn));
  } catch (e) {
    for (const { tr } of made) drop(tr);
    throw e;
  } finally {
    for (const { xIn } of made) if (xIn) give(xIn);
  }
  const trs = made.map((t) => t.tr);
  const states = trs.map(statesOf);
  let live = true;
  return {
    a: states.map((s) => s.a),
    ...(cell.hasCellState ? { c: states.map((s) => s.c!) } : {}),
    backward(da, dcN) {
      const loss = (j: number): Loss => ({ kind: 'sum', da: da[j] });
      const args = (j: number): BackwardArgs => [trs[j], LOSSES.sum, lossInput(loss(j)).data, cell.hasCellState ? dcN[j]?.data : undefined];
      const rs = trs.length === 2 ? backwardBeside(args(0), args(1)) : trs.map((_, j) => backward(...args(j)));
      return rs.map((r, j) => gradientArrays(trs[j], loss(j), r));
    },
    release() {
      if (!live) return;
      live = false;
      for (const tr of trs) drop(tr);
    },
  };
};

const projLayer = oneByOne((_cell, inputs, direction) => lstmProjLayer(inputs, direction));

/** A trace's buffers go back, x too (`allocated` took it). */
function drop(tr: Trace): void {
  release(tr);
  give(tr.all.x);
}

/** f of a one-shot trace of the inputs that nothing else sees (with its head, or not): its buffers go back to the pool after. */
function once<T>(cell: CellName, inputs: Arrays, f: (tr: Trace) => T, head = true): T {
  const tr = trace(cell, inputs, { head, oneShot: true });
  try {
    return f(tr);
  } finally {
    drop(tr);
  }
}

export const float64Backend: Backend = {
  name: 'float64',
  forward: (cell, inputs) => once(cell, inputs, forwardOutputs),
  backward: (cell, inputs, loss) => once(cell, inputs, (tr) => gradients(tr, loss), LOSSES[loss.kind].usesHead),
  loss: (cell, inputs, loss) => once(cell, inputs, (tr) => lossOf(tr, loss), LOSSES[loss.kind].usesHead),
  lossAndGradients: (cell, inputs, loss) => once(cell, inputs, (tr) => ({ loss: lossOf(tr, loss), gradients: gradients(tr, loss) }), LOSSES[loss.kind].usesHead),
};
