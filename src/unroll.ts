/**
 * The cell-agnostic unroller: the time loop forward, BPTT backward, and the softmax
 * output head ŷ⟨t⟩ = softmax(W a⟨t⟩ + b) — once, for every cell in CELLS.
 *
 * Internally everything is time-major: step t owns (rows, m) blocks of one big buffer per
 * kind, so a cell step only ever sees contiguous matrices. Conversion from and to the
 * public (n, m, T_x) layout happens once per call (`toSteps`, `fromSteps`).
 *
 * Only the recurrence is sequential. What does not feed back into it runs as one batched
 * product over all steps (src/kernels.ts): forward, the input projections before the time
 * loop and the output head after it; backward, the head's gradients before BPTT and, after
 * it, every parameter gradient and dx from the gate gradients dz⟨t⟩ the steps left behind.
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
  /** The buffers the step views are cut from: T_x blocks each, one after another. */
  readonly all: { readonly [K in 'x' | 'zx' | 'a' | 'cache' | 'logits' | 'y']: Float64Array };
}

/** A (rows, m, T_x) C-order array, time-major: T_x blocks of (rows, m) in one new buffer. */
export function toTimeMajor(src: Float64Array, rows: number, m: number, T: number): Float64Array {
  const buf = new Float64Array(rows * m * T);
  const block = rows * m;
  for (let r = 0; r < block; r++) {
    for (let t = 0; t < T; t++) buf[t * block + r] = src[r * T + t];
  }
  return buf;
}

/** Split a (rows, m, T_x) C-order array into T_x views of (rows, m) on one new buffer. */
export function toSteps(src: Float64Array, rows: number, m: number, T: number): Float64Array[] {
  return views(toTimeMajor(src, rows, m, T), rows * m, T);
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

/** `count` views of `block` values each, one after another in `buf`. */
export function views(buf: Float64Array, block: number, count: number): Float64Array[] {
  const out: Float64Array[] = new Array(count);
  for (let t = 0; t < count; t++) out[t] = buf.subarray(t * block, (t + 1) * block);
  return out;
}

/**
 * Allocates a trace (every buffer of a forward pass over the sequence) without running it.
 * `x` holds the T_x input blocks (n_x, m) one after another (toTimeMajor); a0 and c0 are
 * (n_a, m) (c0 is ignored by cells without a cell state). The trace keeps references to p,
 * x, a0 and c0: changing them in place and calling `run` again recomputes the pass with no
 * new allocation (gradcheck).
 */
export function allocate(
  cell: CellSpec, p: Params, d: Dims, x: Float64Array, a0: Float64Array, c0: Float64Array,
): Trace {
  const { n_x, n_a, n_y, m, T_x } = d;
  if (x.length !== n_x * m * T_x) throw new Error(`internal: x holds ${x.length} values, not ${n_x}·${m}·${T_x}`);
  const block = n_a * m;
  const all = {
    x,
    zx: new Float64Array(projectionRows(cell, d) * m * T_x),
    a: new Float64Array(block * T_x),
    cache: new Float64Array(cell.cacheRows(d) * m * T_x),
    logits: new Float64Array(n_y * m * T_x),
    y: new Float64Array(n_y * m * T_x),
  };
  const c = cell.hasCellState ? views(new Float64Array(block * T_x), block, T_x) : [];
  const [xs, zxs, as, caches] = (['x', 'zx', 'a', 'cache'] as const).map((k) => views(all[k], all[k].length / T_x, T_x));
  const empty = new Float64Array(0);
  const steps: Step[] = [];
  for (let t = 0; t < T_x; t++) {
    steps.push({
      xt: xs[t],
      zx: zxs[t],
      aPrev: t === 0 ? a0 : as[t - 1],
      cPrev: cell.hasCellState ? (t === 0 ? c0 : c[t - 1]) : empty,
      a: as[t],
      c: cell.hasCellState ? c[t] : empty,
      cache: caches[t],
    });
  }
  return { cell, d, p, steps, logits: views(all.logits, n_y * m, T_x), y: views(all.y, n_y * m, T_x), all };
}

/** Multiply-adds of a step's recurrent product: the size that decides on residency. */
const stepWork = (cell: CellSpec, d: Dims): number => projectionRows(cell, d) * d.n_a * d.m;

/** Rows of a step's input projections (Step.zx). */
export function projectionRows(cell: CellSpec, d: Dims): number {
  return cell.projections.reduce((n, g) => n + g.rows(d), 0);
}

/**
 * The input projections of steps t0 … t1−1: zx⟨t⟩ = W[:, k0:k0+n_x]·x⟨t⟩ + b for each of the
 * cell's projections, stacked — one batched product per projection. With `onlyRow` set,
 * recomputes just that row (of the stacked projections), summing in the kernel's order — bit
 * for bit what the full computation gives. Allocates nothing.
 */
export function project(tr: Trace, t0 = 0, t1 = tr.d.T_x, onlyRow = -1): void {
  const { cell, d, p, steps, all } = tr;
  const { n_x, m } = d;
  const zBlock = all.zx.length / d.T_x, xBlock = n_x * m;
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d), k0 = g.k0(d);
    const W = p[g.W], b = p[g.b];
    const ldw = W.length / rows;
    if (onlyRow < 0) {
      for (let t = t0; t < t1; t++) fillBias(all.zx, b, rows, m, t * zBlock + row0 * m);
      mulAdd(all.zx, W, ldw, k0, rows, n_x, all.x, m, t0 * zBlock + row0 * m, t0 * xBlock, t1 - t0, zBlock, xBlock);
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
  const { cell, d, p, steps, all } = tr;
  const { n_a, n_y, m, T_x } = d;
  const W = p[cell.head.W], b = p[cell.head.b];
  const block = n_a * m, yBlock = n_y * m;
  // The parameters and x stay resident in the SIMD kernel's memory for the whole pass.
  const operands = (): Residents => ({ inputs: [...bufferNames(cell, d).all.map((name) => p[name]), all.x] });
  resident(stepWork(cell, d), operands, () => {
    if (inputs) project(tr, t0);
    for (let t = t0; t < T_x; t++) cell.forward(p, d, steps[t]);
    if (!head) return;
    // ŷ⟨t⟩ = softmax(W a⟨t⟩ + b), all steps at once
    for (let t = t0; t < T_x; t++) fillBias(all.logits, b, n_y, m, t * yBlock);
    mulAdd(all.logits, W, n_a, 0, n_y, n_a, all.a, m, t0 * yBlock, t0 * block, T_x - t0, yBlock, block);
    all.y.set(all.logits.subarray(t0 * yBlock), t0 * yBlock);
    for (let t = t0; t < T_x; t++) softmaxColumns(tr.y[t], n_y, m);
  });
}

/** Forward over the whole sequence: allocate + run. */
export function forward(
  cell: CellSpec, p: Params, d: Dims, x: Float64Array, a0: Float64Array, c0: Float64Array,
): Trace {
  const tr = allocate(cell, p, d, x, a0, c0);
  run(tr);
  return tr;
}

/**
 * Writes the upstream gradients ∂L/∂a⟨t⟩ coming from the loss (not from step t+1) of every
 * step into `up` (T_x blocks (n_a, m), zero on entry), and may accumulate the output head's
 * gradients into `grads`.
 */
export type Upstream = (up: Float64Array, grads: Params) => void;

export interface BackwardResult {
  dxs: Float64Array[]; // T_x blocks (n_x, m)
  da0: Float64Array;
  dc0: Float64Array; // empty for cells without a cell state
  grads: Params; // 'd' + parameter name, for every parameter of the cell
}

/**
 * BPTT through a forward trace. The time loop runs only what feeds back into the
 * recurrence (each cell's backward step: its gate gradients dz⟨t⟩, da_prev, dc_prev); every
 * other gradient follows from the dz⟨t⟩ of all steps at once (`gateGradients`).
 */
export function backward(tr: Trace, upstream: Upstream): BackwardResult {
  const { cell, d, p, steps, all } = tr;
  const { n_x, n_a, m, T_x } = d;
  const block = n_a * m;
  const grads = paramBuffers(cell, d, 'd');
  const dx = new Float64Array(n_x * m * T_x);
  const zBlock = projectionRows(cell, d) * m;
  const dz = new Float64Array(zBlock * T_x), dzs = views(dz, zBlock, T_x);
  const up = new Float64Array(block * T_x);
  // da / dc reaching step t, and daPrev / dcPrev that step t sends back to step t−1.
  const da = new Float64Array(block), daPrev = new Float64Array(block);
  const hasC = cell.hasCellState;
  const dc = new Float64Array(hasC ? block : 0), dcPrev = new Float64Array(hasC ? block : 0);
  const work = new Float64Array(cell.workRows(d) * m);
  const g: StepGrad = { da, dc, dz: dzs[0], daPrev, dcPrev, work };
  // Resident for the whole backward (kernels.ts): the parameters, x and a⟨t−1⟩ of every step,
  // and the weight matrices' gradients, which only the products accumulate.
  const operands = (): Residents => {
    const names = bufferNames(cell, d);
    return {
      inputs: [...names.all.map((name) => p[name]), all.x, steps[0].aPrev, all.a],
      outputs: names.weights.map((name) => grads['d' + name]),
    };
  };
  resident(stepWork(cell, d), operands, () => {
    upstream(up, grads);
    for (let t = T_x - 1; t >= 0; t--) {
      // da⟨t⟩ = upstream + what step t+1 sent back (zero at the last step)
      for (let k = 0, u = t * block; k < block; k++, u++) da[k] = (t === T_x - 1 ? 0 : daPrev[k]) + up[u];
      if (hasC) {
        if (t === T_x - 1) dc.fill(0);
        else dc.set(dcPrev);
      }
      g.dz = dzs[t];
      cell.backward(p, d, steps[t], g);
    }
    resident(stepWork(cell, d), () => ({ inputs: [dz] }), () => gateGradients(tr, dz, grads, dx));
  });
  return { dxs: views(dx, n_x * m, T_x), da0: daPrev, dc0: dcPrev, grads };
}

/**
 * What BPTT leaves for after the time loop, from the gate gradients dz⟨t⟩ of every step
 * (T_x blocks, stacked as the projections, Step.zx), each a batched product over all steps:
 * for each projection W[:, k0:k0+n_x]·x⟨t⟩ + b and its recurrent part W_h[:, :n_a]·h⟨t⟩,
 *   dW[:, k0:k0+n_x] += Σ_t dz⟨t⟩ x⟨t⟩ᵀ     db += Σ_t Σ_batch dz⟨t⟩
 *   dx⟨t⟩ += W[:, k0:k0+n_x]ᵀ dz⟨t⟩          dW_h[:, :n_a] += Σ_t dz⟨t⟩ h⟨t⟩ᵀ
 * with h⟨t⟩ = a⟨t−1⟩ or a block of step t's cache.
 */
function gateGradients(tr: Trace, dz: Float64Array, grads: Params, dx: Float64Array): void {
  const { cell, d, p, steps, all } = tr;
  const { n_x, n_a, m, T_x } = d;
  const block = n_a * m, xBlock = n_x * m, zBlock = dz.length / T_x, cacheBlock = all.cache.length / T_x;
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d), k0 = g.k0(d), z0 = row0 * m;
    const W = p[g.W], ldw = W.length / rows;
    outerAdd(grads['d' + g.W], ldw, k0, dz, rows, all.x, n_x, m, z0, 0, T_x, zBlock, xBlock);
    for (let t = 0; t < T_x; t++) rowSumAdd(grads['d' + g.b], dz, rows, m, t * zBlock + z0);
    mulTAdd(dx, W, ldw, k0, rows, n_x, dz, m, 0, z0, T_x, xBlock, zBlock);
    const h = g.recurrent, dWh = grads['d' + h.W], ldh = dWh.length / rows;
    if (h.cacheRow === undefined) {
      outerAdd(dWh, ldh, 0, dz, rows, steps[0].aPrev, n_a, m, z0); // t = 0: a0
      outerAdd(dWh, ldh, 0, dz, rows, all.a, n_a, m, zBlock + z0, 0, T_x - 1, zBlock, block);
    } else {
      outerAdd(dWh, ldh, 0, dz, rows, all.cache, n_a, m, z0, h.cacheRow(d) * m, T_x, zBlock, cacheBlock);
    }
    row0 += rows;
  }
}

/** Upstream for the `sum` loss L = Σ da ⊙ a: da⟨t⟩ is the user's da[:, :, t] (time-major). */
export function sumUpstream(da: Float64Array): Upstream {
  return (up) => up.set(da);
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
  const { cell, d, p, all } = tr;
  const { n_a, n_y, m, T_x } = d;
  const block = n_a * m, yBlock = n_y * m;
  const W = p[cell.head.W];
  return (up, grads) => {
    const dz = all.y.map((y) => y / m);
    for (let t = 0; t < T_x; t++) for (let j = 0; j < m; j++) dz[t * yBlock + labels[j * T_x + t] * m + j] -= 1 / m;
    outerAdd(grads['d' + cell.head.W], n_a, 0, dz, n_y, all.a, n_a, m, 0, 0, T_x, yBlock, block);
    for (let t = 0; t < T_x; t++) rowSumAdd(grads['d' + cell.head.b], dz, n_y, m, t * yBlock);
    mulTAdd(up, W, n_a, 0, n_y, n_a, dz, m, 0, 0, T_x, block, yBlock);
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
