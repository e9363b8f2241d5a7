/**
 * Loss evaluations for finite differences, as cheap as they can be made exact.
 *
 * - A parameter entry touches every example and every step: a full forward, run in
 *   buffers allocated once (no allocation per evaluation).
 * - An entry of x⟨t⟩ (or a0, c0) touches only its own example column and only steps
 *   t … T_x−1: a one-column forward over the tail, started from the unperturbed state
 *   a⟨t−1⟩ (c⟨t−1⟩). Since both losses are sums over columns and steps, the change of
 *   the loss is the change of that column's tail; its centred difference is the entry's
 *   derivative. (Every kernel sums in the same order for m = 1 as for the full batch.)
 *
 * - Input projections W[:, k0:]·x⟨t⟩ + b (CellSpec.projections) are kept across
 *   evaluations: a parameter entry that feeds one changes exactly one row of them, which
 *   is recomputed alone (bit for bit what a full recomputation gives); any other entry
 *   leaves them as they are.
 *
 * The evaluator owns copies of every input, so perturbing them never touches the caller's.
 */
import type { CellName, Dims, Loss } from '../backends/types';
import { lossInput } from '../backends/loss-input';
import { CELLS, type CellSpec } from '../model/cells';
import type { Params } from '../model/cells/types';
import { dimsOf, paramsOf } from '../backends/float64';
import type { Arrays } from '../tensor';
import { LOSSES, type LossSpec } from '../model/losses';
import { Mat } from '../exec/ops';
import { allocate, project, release, run, sharedPass, toSteps, toTimeMajor, views, type Trace } from '../exec/unroll';
import { ladder, type Rung } from './ladder';
import { projectionRowMaps } from './projection-rows';
import { sigmaOf } from './noise';
import { plainOk, scaledNorm, scaledSquares } from './norms';
import { drain, type Steps } from './steps';
import type { LossEvaluator } from './evaluation';

/** What a perturbed entry belongs to: a parameter, or x / a0 / c0. */
export type InputKind = 'param' | 'x' | 'a0' | 'c0';

export function inputKind(name: string): InputKind {
  return name === 'x' || name === 'a0' || name === 'c0' ? name : 'param';
}

/** A trace's step blocks as the loss's terms read and write them: its out (a or logits) with the input, and the kept, now and sizes blocks of the terms. */
interface TermViews {
  step: { out: Mat; input: Mat }[];
  input: Mat[];
  kept: Mat[];
  now: Mat[];
  sizes: Mat[];
}

export class Evaluator implements LossEvaluator {
  readonly cell: CellSpec;
  readonly d: Dims;
  readonly loss: LossSpec;
  /**
   * Of the last centred difference (entry(), or a direction's chosen rung), what its rounding
   * scales with (noise.ts): `magnitude` = √Σ m² over the terms it changed, m the size of a
   * term (LossSpec.terms.size: |da·a⁺|, or (max|z| + log n_y)/m for xent); `change` = √Σ (term⁺ − term⁻)².
   */
  magnitude = 0;
  change = 0;
  /** Of the last direction(): the step of its chosen rung and that rung's centred difference. */
  rung = { step: 0, centred: 0 };
  private readonly typicals = new Map<string, number>();
  private readonly p: Params;
  private readonly xs: Float64Array[];
  private readonly a0: Float64Array;
  private readonly c0: Float64Array;
  /** The loss's array, time-major: step t's (rows, m) block (labels: one row). */
  private readonly inputSteps: Float64Array[];
  private readonly inputRows: number;
  /** The loss's terms (LossSpec.terms) at the + side of a centred difference, and at the − side. */
  private readonly kept: Float64Array;
  private readonly now: Float64Array;
  /** What each − side term's rounding scales with, where the loss says (terms.values). */
  private readonly sizes: Float64Array;
  private readonly full: Trace;
  /** Unperturbed a⟨t⟩, c⟨t⟩ blocks: where a column's tail starts. */
  private readonly baseA: Float64Array[];
  private readonly baseC: Float64Array[];
  // The one-column trace and its inputs, reused for every x / a0 / c0 entry.
  private readonly col: Trace;
  private readonly colXs: Float64Array[];
  private readonly colA0: Float64Array;
  private readonly colC0: Float64Array;
  private readonly colInput: Float64Array[];
  /** The views termValues reads and writes, per trace (full, column). */
  private readonly views = new Map<Trace, TermViews>();
  /** Where the now side's terms of each step are (termValues). */
  private readonly nowAt: Mat[] = [];
  private loadedColumn = -1;
  /** For each parameter, which row of the stacked input projections an entry feeds (−1: none). */
  private readonly projRow: Record<string, (k: number) => number>;
  /** Loss evaluations so far (full or one-column), for progress and reports. */
  evaluations = 0;

  constructor(cellName: CellName, inputs: Arrays, loss: Loss) {
    const cell = (this.cell = CELLS[cellName]);
    const d = (this.d = dimsOf(cell, inputs));
    const spec: LossSpec = (this.loss = LOSSES[loss.kind]);
    this.p = paramsOf(cell, inputs); // copies; a member of a stack is a view into it
    const x = toTimeMajor(inputs.x.data, d.n_x, d.m, d.T_x);
    this.xs = views(x, d.n_x * d.m, d.T_x);
    this.a0 = inputs.a0 ? inputs.a0.data.slice() : new Float64Array(d.n_a * d.m);
    this.c0 = inputs.c0 ? inputs.c0.data.slice() : new Float64Array(d.n_a * d.m);
    const input = lossInput(loss).data;
    this.inputRows = input.length / (d.m * d.T_x);
    this.inputSteps = toSteps(input, this.inputRows, d.m, d.T_x);
    const terms = spec.terms.rows(d) * d.m * d.T_x;
    this.kept = new Float64Array(terms);
    this.now = new Float64Array(terms);
    this.sizes = new Float64Array(terms);

    // (on the kernels' arena from the sizes the engine's own passes take it: the loops of every
    // evaluation then run in SIMD, and the products in place; `release` hands it back)
    this.full = allocate(cell, this.p, d, x, this.a0, this.c0, { shared: sharedPass(cell, d, [d.m]) });
    run(this.full, 0, spec.usesHead);
    this.projRow = projectionRowMaps(cell, d, this.p);
    this.baseA = this.full.steps.map((s) => s.a.buf.slice());
    this.baseC = this.full.steps.map((s) => s.c.buf.slice());

    const dc: Dims = { ...d, m: 1 };
    const colX = new Float64Array(d.n_x * d.T_x);
    this.colXs = views(colX, d.n_x, d.T_x);
    this.colA0 = new Float64Array(d.n_a);
    this.colC0 = new Float64Array(d.n_a);
    this.colInput = Array.from({ length: d.T_x }, () => new Float64Array(this.inputRows));
    this.col = allocate(cell, this.p, dc, colX, this.colA0, this.colC0);
  }

  /** Hands the traces' buffers back (src/exec/unroll/trace.ts release); the evaluator is unusable after. */
  release(): void {
    release(this.full);
    release(this.col);
  }

  /** The live values of an input (parameters: C order; x: time-major steps; a0, c0). */
  private buffer(name: string): Float64Array {
    const kind = inputKind(name);
    if (kind === 'a0') return this.a0;
    if (kind === 'c0') return this.c0;
    return this.p[name];
  }

  /**
   * The root mean square of what rounding acts on where input `name` enters: its own values
   * (x, a parameter), or for a0 / c0 the states a / c of every step (noise.ts).
   */
  typical(name: string): number {
    let r = this.typicals.get(name);
    if (r === undefined) {
      const kind = inputKind(name);
      const blocks = kind === 'a0' ? [this.a0, ...this.baseA] : kind === 'c0' ? [this.c0, ...this.baseC] : kind === 'x' ? this.xs : [this.p[name]];
      let ss = 0, n = 0;
      for (const b of blocks) {
        for (const v of b) ss += v * v;
        n += b.length;
      }
      if (plainOk(ss, n)) r = Math.sqrt(ss / n);
      else {
        // (huge or tiny inputs: the same root mean square over the values ×S, norms.ts)
        const sq = scaledSquares((visit) => blocks.forEach((b) => b.forEach(visit)));
        r = Math.sqrt(sq.ss / n) / sq.scale;
      }
      this.typicals.set(name, r);
    }
    return r;
  }

  /** Where entry k (C order of the public array) of an input lives. */
  private locate(name: string, k: number): { buf: Float64Array; at: number } {
    if (inputKind(name) !== 'x') return { buf: this.buffer(name), at: k };
    const T_x = this.d.T_x;
    const t = k % T_x; // k = (i * m + j) * T_x + t; the step block holds (i, j) at i * m + j
    return { buf: this.xs[t], at: (k - t) / T_x };
  }

  /**
   * ∂L/∂(entry k of input `name`) by a centred difference with step eps, over the step the
   * entry actually took, fl(θ + eps) − fl(θ − eps) (exact): not 2·eps, which is off by up to
   * ulp(θ) — an error ∝ |∂L/∂θ| that is rounding's largest where gradients explode.
   */
  entry(name: string, k: number, eps: number): number {
    const kind = inputKind(name);
    if (kind === 'param') {
      const buf = this.p[name];
      const keep = buf[k];
      const row = this.projRow[name](k);
      const set = (v: number): void => {
        buf[k] = v;
        if (row >= 0) project(this.full, 0, this.d.T_x, row);
      };
      const side = (v: number): void => {
        set(v);
        this.evaluations++;
        run(this.full, 0, this.loss.usesHead, false);
      };
      side(keep + eps);
      const up = buf[k];
      this.keepTerms(this.full, 0);
      side(keep - eps);
      const diff = this.termDifference(this.full, 0), step = up - buf[k];
      set(keep);
      return diff / step;
    }
    return this.columnEntry(kind, k, eps);
  }

  /** x / a0 / c0 entry: the centred difference of its column's loss from its step on. */
  private columnEntry(kind: 'x' | 'a0' | 'c0', k: number, eps: number): number {
    const { m, T_x } = this.d;
    let i: number, j: number, t0: number;
    if (kind === 'x') {
      t0 = k % T_x;
      const r = (k - t0) / T_x;
      i = Math.floor(r / m);
      j = r % m;
    } else {
      t0 = 0;
      i = Math.floor(k / m);
      j = k % m;
    }
    this.loadColumn(j);
    const target = kind === 'x' ? this.colXs[t0] : kind === 'a0' ? this.colA0 : this.colC0;
    const keep = target[i];
    const set = (v: number): void => {
      target[i] = v;
      if (kind === 'x') project(this.col, t0, t0 + 1); // only x⟨t0⟩ changed
    };
    set(keep + eps);
    const up = target[i];
    this.columnTail(j, t0);
    this.keepTerms(this.col, t0);
    set(keep - eps);
    this.columnTail(j, t0);
    const diff = this.termDifference(this.col, t0), step = up - target[i];
    set(keep);
    return diff / step;
  }

  /** Copies example j's inputs and loss data into the one-column buffers. */
  private loadColumn(j: number): void {
    if (this.loadedColumn === j) return;
    const { n_x, n_a, m, T_x } = this.d;
    for (let t = 0; t < T_x; t++) {
      for (let i = 0; i < n_x; i++) this.colXs[t][i] = this.xs[t][i * m + j];
      for (let r = 0; r < this.inputRows; r++) this.colInput[t][r] = this.inputSteps[t][r * m + j];
    }
    for (let i = 0; i < n_a; i++) {
      this.colA0[i] = this.a0[i * m + j];
      this.colC0[i] = this.c0[i * m + j];
    }
    // The column's input projections: the full batch's, column j.
    for (let t = 0; t < T_x; t++) {
      const from = this.full.steps[t].zx.buf, to = this.col.steps[t].zx.buf;
      for (let r = 0; r < to.length; r++) to[r] = from[r * m + j];
    }
    this.loadedColumn = j;
  }

  /** Runs column j over steps t0 … T_x−1, starting from the unperturbed state before t0. */
  private columnTail(j: number, t0: number): void {
    this.evaluations++;
    const { n_a, m } = this.d;
    if (t0 > 0) {
      const s = this.col.steps[t0 - 1];
      for (let i = 0; i < n_a; i++) s.a.buf[i] = this.baseA[t0 - 1][i * m + j];
      if (this.cell.hasCellState) for (let i = 0; i < n_a; i++) s.c.buf[i] = this.baseC[t0 - 1][i * m + j];
    }
    run(this.col, t0, this.loss.usesHead, false);
  }

  /**
   * vᵀ∇L along a direction v over the whole of input `name` (v in the public C order), to
   * the accuracy float64 allows along v: the best five-point estimate on a ladder of steps
   * (ladder.ts), each rung one centred difference (two full forwards) taken term by term
   * (termDifference). Its rung is kept in `rung` (and `magnitude`, `change`).
   */
  direction(name: string, v: Float64Array, eps: number): number {
    return drain(this.directionSteps(name, v, eps));
  }

  /** direction() as steps: it yields between two rungs, with the inputs as they were. */
  *directionSteps(name: string, v: Float64Array, eps: number): Steps<number> {
    const along = this.along(name, v);
    // A rung at a per-entry step s: its centred difference, what its rounding scales with, and that rounding.
    const centred = (s: number): Rung => {
      const c = along(s / along.perEntry);
      return { s, c, magnitude: this.magnitude, change: this.change, sigma: sigmaOf(this, name, s / along.perEntry) };
    };
    const { best, rung } = yield* ladder(centred, eps);
    project(this.full); // back to the unperturbed projections, bit for bit
    [this.magnitude, this.change] = [rung.magnitude, rung.change];
    this.rung = { step: rung.s / along.perEntry, centred: rung.c };
    return best;
  }

  /** One centred difference along v at step h (v as in direction()), e.g. to measure its noise. */
  centredAlong(name: string, v: Float64Array, h: number): number {
    const c = this.along(name, v)(h);
    project(this.full);
    return c;
  }

  /**
   * The centred difference along v at step h, as a function of h, with `perEntry`: a step h
   * moves the entries by h·perEntry (root mean square). Leaves the inputs as they were, and
   * the input projections to be restored (project).
   */
  private along(name: string, v: Float64Array): ((h: number) => number) & { perEntry: number } {
    const at = Array.from(v, (_, k) => this.locate(name, k));
    const keep = at.map((e) => e.buf[e.at]);
    let ss = 0;
    for (const x of v) ss += x * x;
    const centred = (h: number): number => {
      at.forEach((e, k) => (e.buf[e.at] = keep[k] + h * v[k]));
      this.runFull();
      this.keepTerms(this.full, 0);
      at.forEach((e, k) => (e.buf[e.at] = keep[k] - h * v[k]));
      this.runFull();
      at.forEach((e, k) => (e.buf[e.at] = keep[k]));
      return this.termDifference(this.full, 0) / (2 * h);
    };
    return Object.assign(centred, { perEntry: Math.sqrt(ss / v.length) });
  }

  /** A full forward at the current point, inputs and (for a loss through it) the head included. */
  private runFull(): void {
    this.evaluations++;
    run(this.full, 0, this.loss.usesHead, true);
  }

  /** Keeps the loss's terms of trace `tr` (full or one-column) from step t0 on: see termDifference. */
  private keepTerms(tr: Trace, t0: number): void {
    this.termValues(tr, t0, 'kept');
  }

  /**
   * The loss's terms of trace `tr` from step t0 on: kept (copied into `kept`, step t's (rows, m)
   * block at t·rows·m) or now (`nowAt[t]`: where they are, `now` or the trace's own block).
   */
  private termValues(tr: Trace, t0: number, side: 'kept' | 'now'): void {
    const v = this.termViews(tr);
    const values = this.loss.terms.values;
    for (let t = t0; t < tr.d.T_x; t++) {
      const into = side === 'kept' ? v.kept[t] : v.now[t];
      const got = values(v.step[t], into, v.sizes[t]);
      if (side === 'now') this.nowAt[t] = got;
      else if (got !== into) for (let k = 0, n = got.rows * got.cols; k < n; k++) into.buf[into.off + k] = got.buf[got.off + k];
    }
  }

  /** Each step's views for termValues, made once per trace (its buffers stay the same). */
  private termViews(tr: Trace): TermViews {
    let v = this.views.get(tr);
    if (v === undefined) {
      const { n_a, n_y, m, T_x } = tr.d;
      const rows = this.loss.terms.rows(tr.d), outRows = this.loss.usesHead ? n_y : n_a;
      const inputs = tr === this.full ? this.inputSteps : this.colInput;
      const steps = (f: (t: number) => Mat): Mat[] => Array.from({ length: T_x }, (_, t) => f(t));
      const at = (buf: Float64Array) => (t: number) => new Mat(buf, rows, m, t * rows * m);
      const input = steps((t) => new Mat(inputs[t], this.inputRows, m));
      v = {
        step: input.map((inp, t) => ({ out: new Mat(this.loss.usesHead ? tr.logits[t] : tr.steps[t].a.buf, outRows, m), input: inp })),
        input, kept: steps(at(this.kept)), now: steps(at(this.now)), sizes: steps(at(this.sizes)),
      };
      this.views.set(tr, v);
    }
    return v;
  }

  /**
   * L(kept) − L(now) of trace `tr` from step t0 on, summed as the differences of the terms
   * (LossSpec.terms: Σ da⊙(a⁺ − a⁻), Σ (ℓ⁺ − ℓ⁻)/m): each difference of two nearby values is
   * exact or nearly, so none of the rounding of two long sums of large terms (~ulp(Σ|terms|))
   * enters it, only the forwards' own. Sets `magnitude` and `change` from the same terms.
   */
  private termDifference(tr: Trace, t0: number): number {
    const T = this.loss.terms, v = this.termViews(tr), nowAt = this.nowAt;
    const { m, T_x } = tr.d;
    const block = T.rows(tr.d) * m, n = (T_x - t0) * block;
    this.termValues(tr, t0, 'now');
    const sums = { s: 0, c2: 0, m2: 0 };
    for (let t = t0; t < T_x; t++) T.accumulate(sums, v.kept[t], nowAt[t], v.input[t], v.sizes[t]);
    // (plain sums of squares where they are exact, else scaled ones: norms.ts)
    const visit = (f: (kept: number, now: number, input: number, size: number) => number) => (each: (x: number) => void): void => {
      for (let t = t0; t < T_x; t++) {
        const K = v.kept[t], N = nowAt[t], G = v.input[t], S = v.sizes[t];
        for (let k = 0; k < block; k++) each(f(K.buf[K.off + k], N.buf[N.off + k], G.buf[G.off + k], S.buf[S.off + k]));
      }
    };
    this.magnitude = T.scaled(plainOk(sums.m2, n) ? Math.sqrt(sums.m2) : scaledNorm(visit(T.size)), this.d);
    this.change = T.scaled(plainOk(sums.c2, n) ? Math.sqrt(sums.c2) : scaledNorm(visit(T.difference)), this.d);
    return T.scaled(sums.s, this.d); // (the loss's own scale: xent averages over the whole batch, a column's terms too)
  }
}
