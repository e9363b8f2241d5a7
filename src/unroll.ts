/**
 * The cell-agnostic unroller: the time loop forward, BPTT backward, and the softmax
 * output head ŷ⟨t⟩ = softmax(W a⟨t⟩ + b) — once, for every cell in CELLS.
 *
 * Internally everything is time-major: step t owns (rows, m) blocks of one big buffer per
 * kind, so a cell step only ever sees contiguous matrices. Conversion from and to the
 * public (n, m, T_x) layout happens once per call (`toSteps`, `fromSteps`).
 *
 * Backward follows the seed's rnn_backward: walking t = T_x−1 … 0, the gradient reaching
 * a⟨t⟩ is the upstream da⟨t⟩ plus da_prev from step t+1 (and, for a cell with state c,
 * dc⟨t⟩ = dc_prev from step t+1); parameter gradients are accumulated with +=.
 */
import type { Dims } from './backend';
import { fillBias, logSoftmaxAt, mulAdd, mulTAdd, outerAdd, resident, rowSumAdd, softmaxColumns, type Residents } from './kernels';
import { bufferNames, paramBuffers } from './cells';
import type { CellSpec, Params, Step, StepGrad } from './cells/types';

/** Everything the forward pass computed, kept for the backward pass. */
export interface Trace {
  readonly cell: CellSpec;
  readonly d: Dims;
  readonly p: Params;
  readonly steps: Step[]; // T_x steps; steps[t].aPrev is a⟨t−1⟩ (a0 for t = 0)
  readonly logits: Float64Array[]; // T_x blocks (n_y, m): W a⟨t⟩ + b
  readonly y: Float64Array[]; // T_x blocks (n_y, m): softmax of the logits
}

/** Split a (rows, m, T_x) C-order array into T_x views of (rows, m) on one new buffer. */
export function toSteps(src: Float64Array, rows: number, m: number, T: number): Float64Array[] {
  const buf = new Float64Array(rows * m * T);
  const block = rows * m;
  for (let r = 0; r < block; r++) {
    for (let t = 0; t < T; t++) buf[t * block + r] = src[r * T + t];
  }
  return views(buf, block, T);
}

/** Join T_x (rows, m) blocks back into a (rows, m, T_x) C-order array. */
export function fromSteps(blocks: readonly Float64Array[], rows: number, m: number): Float64Array {
  const T = blocks.length;
  const block = rows * m;
  const out = new Float64Array(block * T);
  for (let t = 0; t < T; t++) {
    const b = blocks[t];
    for (let r = 0; r < block; r++) out[r * T + t] = b[r];
  }
  return out;
}

function views(buf: Float64Array, block: number, count: number): Float64Array[] {
  const out: Float64Array[] = new Array(count);
  for (let t = 0; t < count; t++) out[t] = buf.subarray(t * block, (t + 1) * block);
  return out;
}

/**
 * Allocates a trace (every buffer of a forward pass over the sequence) without running it.
 * `xs` are the T_x input blocks (n_x, m); a0 and c0 are (n_a, m) (c0 is ignored by cells
 * without a cell state). The trace keeps references to p, xs, a0 and c0: changing them in
 * place and calling `run` again recomputes the pass with no new allocation (gradcheck).
 */
export function allocate(
  cell: CellSpec, p: Params, d: Dims, xs: readonly Float64Array[], a0: Float64Array, c0: Float64Array,
): Trace {
  const { n_a, n_y, m, T_x } = d;
  const block = n_a * m;
  const as = views(new Float64Array(block * T_x), block, T_x);
  const cs = cell.hasCellState ? views(new Float64Array(block * T_x), block, T_x) : [];
  const cacheBlock = cell.cacheRows(d) * m;
  const caches = views(new Float64Array(cacheBlock * T_x), cacheBlock, T_x);
  const zxBlock = projectionRows(cell, d) * m;
  const zxs = views(new Float64Array(zxBlock * T_x), zxBlock, T_x);
  const logits = views(new Float64Array(n_y * m * T_x), n_y * m, T_x);
  const y = views(new Float64Array(n_y * m * T_x), n_y * m, T_x);
  const empty = new Float64Array(0);
  const steps: Step[] = [];
  for (let t = 0; t < T_x; t++) {
    steps.push({
      xt: xs[t],
      zx: zxs[t],
      aPrev: t === 0 ? a0 : as[t - 1],
      cPrev: cell.hasCellState ? (t === 0 ? c0 : cs[t - 1]) : empty,
      a: as[t],
      c: cell.hasCellState ? cs[t] : empty,
      cache: caches[t],
    });
  }
  return { cell, d, p, steps, logits, y };
}

/**
 * Views covering `arrays` — one per underlying buffer, from the first to the last byte used —
 * so that T_x per-step views of one buffer become resident (kernels.ts) as one range.
 */
function covering(arrays: readonly Float64Array[]): Float64Array[] {
  const spans = new Map<ArrayBufferLike, { start: number; end: number }>();
  for (const a of arrays) {
    if (a.length === 0) continue;
    const s = spans.get(a.buffer);
    const start = a.byteOffset, end = a.byteOffset + a.byteLength;
    if (s === undefined) spans.set(a.buffer, { start, end });
    else {
      s.start = Math.min(s.start, start);
      s.end = Math.max(s.end, end);
    }
  }
  return [...spans].map(([buf, s]) => new Float64Array(buf, s.start, (s.end - s.start) / 8));
}

/** Multiply-adds of a step's recurrent product: the size that decides on residency. */
const stepWork = (cell: CellSpec, d: Dims): number => projectionRows(cell, d) * d.n_a * d.m;

/** Rows of a step's input projections (Step.zx). */
export function projectionRows(cell: CellSpec, d: Dims): number {
  return cell.projections.reduce((n, g) => n + g.rows(d), 0);
}

/**
 * The input projections of steps t0 … t1−1: zx⟨t⟩ = W[:, k0:k0+n_x]·x⟨t⟩ + b for each of the
 * cell's projections, stacked. With `onlyRow` set, recomputes just that row (of the stacked
 * projections), summing in the kernel's order — bit for bit what the full computation gives.
 * Allocates nothing.
 */
export function project(tr: Trace, t0 = 0, t1 = tr.d.T_x, onlyRow = -1): void {
  const { cell, d, p, steps } = tr;
  const { n_x, m } = d;
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d), k0 = g.k0(d);
    const W = p[g.W], b = p[g.b];
    const ldw = W.length / rows;
    if (onlyRow < 0) {
      for (let t = t0; t < t1; t++) {
        fillBias(steps[t].zx, b, rows, m, row0 * m);
        mulAdd(steps[t].zx, W, ldw, k0, rows, n_x, steps[t].xt, m, row0 * m);
      }
    } else if (onlyRow >= row0 && onlyRow < row0 + rows) {
      const r = onlyRow - row0, wr = r * ldw + k0;
      for (let t = t0; t < t1; t++) {
        const zx = steps[t].zx, xt = steps[t].xt;
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let k = 0; k < n_x; k++) s += W[wr + k] * xt[k * m + j];
          zx[onlyRow * m + j] = b[r] + s;
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
export function run(tr: Trace, t0 = 0, head = true, inputs = true): void {
  const { cell, d, p, steps } = tr;
  const { n_a, n_y, m, T_x } = d;
  const W = p[cell.head.W], b = p[cell.head.b];
  // The parameters and x stay resident in the SIMD kernel's memory for the whole pass.
  const operands = (): Residents => ({
    inputs: [...bufferNames(cell, d).all.map((name) => p[name]), ...covering(steps.map((s) => s.xt))],
  });
  resident(stepWork(cell, d), operands, () => {
    if (inputs) project(tr, t0);
    for (let t = t0; t < T_x; t++) {
      cell.forward(p, d, steps[t]);
      if (!head) continue;
      fillBias(tr.logits[t], b, n_y, m);
      mulAdd(tr.logits[t], W, n_a, 0, n_y, n_a, steps[t].a, m);
      tr.y[t].set(tr.logits[t]);
      softmaxColumns(tr.y[t], n_y, m);
    }
  });
}

/** Forward over the whole sequence: allocate + run. */
export function forward(
  cell: CellSpec, p: Params, d: Dims, xs: readonly Float64Array[], a0: Float64Array, c0: Float64Array,
): Trace {
  const tr = allocate(cell, p, d, xs, a0, c0);
  run(tr);
  return tr;
}

/**
 * Writes the upstream gradient ∂L/∂a⟨t⟩ coming from the loss (not from step t+1) into
 * `da`, and may accumulate the output head's gradients into `grads`.
 */
export type Upstream = (t: number, da: Float64Array, grads: Params) => void;

export interface BackwardResult {
  dxs: Float64Array[]; // T_x blocks (n_x, m)
  da0: Float64Array;
  dc0: Float64Array; // empty for cells without a cell state
  grads: Params; // 'd' + parameter name, for every parameter of the cell
}

/** BPTT through a forward trace. */
export function backward(tr: Trace, upstream: Upstream): BackwardResult {
  const { cell, d, p, steps } = tr;
  const { n_x, n_a, m, T_x } = d;
  const block = n_a * m;
  const grads = paramBuffers(cell, d, 'd');
  const dxs = views(new Float64Array(n_x * m * T_x), n_x * m, T_x);
  // da / dc reaching step t, and daPrev / dcPrev that step t sends back to step t−1.
  const da = new Float64Array(block), daPrev = new Float64Array(block);
  const hasC = cell.hasCellState;
  const dc = new Float64Array(hasC ? block : 0), dcPrev = new Float64Array(hasC ? block : 0);
  const work = new Float64Array(cell.workRows(d) * m);
  const up = new Float64Array(block);
  const g: StepGrad = { da, dc, dxt: dxs[0], daPrev, dcPrev, grads, work };
  // Resident for the whole backward (kernels.ts): the parameters, x and a⟨t−1⟩ of every step,
  // and the weight matrices' gradients, which only the products accumulate.
  const operands = (): Residents => {
    const names = bufferNames(cell, d);
    return {
      inputs: [...names.all.map((name) => p[name]), ...covering(steps.flatMap((s) => [s.xt, s.aPrev]))],
      outputs: names.weights.map((name) => grads['d' + name]),
    };
  };
  resident(stepWork(cell, d), operands, () => {
    for (let t = T_x - 1; t >= 0; t--) {
      upstream(t, up, grads);
      // da⟨t⟩ = upstream + what step t+1 sent back (zero at the last step)
      for (let k = 0; k < block; k++) da[k] = (t === T_x - 1 ? 0 : daPrev[k]) + up[k];
      if (hasC) {
        if (t === T_x - 1) dc.fill(0);
        else dc.set(dcPrev);
      }
      g.dxt = dxs[t];
      cell.backward(p, d, steps[t], g);
    }
  });
  return { dxs, da0: daPrev, dc0: dcPrev, grads };
}

/** Upstream for the `sum` loss L = Σ da ⊙ a: da⟨t⟩ is the user's da[:, :, t]. */
export function sumUpstream(daSteps: readonly Float64Array[]): Upstream {
  return (t, da) => da.set(daSteps[t]);
}

/** Σ_{t ≥ t0} da⟨t⟩ ⊙ a⟨t⟩: the sum loss (t0 = 0), or its tail from step t0 on. */
export function sumLoss(tr: Trace, daSteps: readonly Float64Array[], t0 = 0): number {
  let L = 0;
  for (let t = t0; t < tr.d.T_x; t++) {
    const g = daSteps[t], a = tr.steps[t].a;
    for (let k = 0; k < a.length; k++) L += g[k] * a[k];
  }
  return L;
}

/**
 * Upstream for the `xent` loss L = −(1/m) Σ_t Σ_j log ŷ[labels[j, t], j, t]:
 *   dz⟨t⟩ = (ŷ⟨t⟩ − onehot(labels⟨t⟩)) / m
 *   dW += dz a⟨t⟩ᵀ,  db += Σ_batch dz,  da⟨t⟩ = Wᵀ dz
 * `labels` is (m, T_x) in C order.
 */
export function xentUpstream(tr: Trace, labels: Float64Array): Upstream {
  const { cell, d, p } = tr;
  const { n_a, n_y, m, T_x } = d;
  const dz = new Float64Array(n_y * m);
  const W = p[cell.head.W];
  return (t, da, grads) => {
    const y = tr.y[t];
    for (let k = 0; k < n_y * m; k++) dz[k] = y[k] / m;
    for (let j = 0; j < m; j++) dz[labels[j * T_x + t] * m + j] -= 1 / m;
    outerAdd(grads['d' + cell.head.W], n_a, 0, dz, n_y, tr.steps[t].a, n_a, m);
    rowSumAdd(grads['d' + cell.head.b], dz, n_y, m);
    da.fill(0);
    mulTAdd(da, W, n_a, 0, n_y, n_a, dz, m);
  };
}

/** The xent loss (t0 = 0), or its tail from step t0 on; labels (m, T_x) in C order. */
export function xentLoss(tr: Trace, labels: Float64Array, t0 = 0): number {
  const { n_y, m, T_x } = tr.d;
  let L = 0;
  for (let t = t0; t < T_x; t++) {
    for (let j = 0; j < m; j++) L -= logSoftmaxAt(tr.logits[t], n_y, m, j, labels[j * T_x + t]);
  }
  return L / m;
}
