/**
 * The gradient checker: analytic gradients (ours, or a user's own) against finite
 * differences of the same loss, in float64, per array.
 *
 * - `full` / `sample`: each entry against the centred difference (L(θ+ε) − L(θ−ε)) / 2ε.
 * - `fast`: vᵀ∇L along seeded random unit directions v against five-point differences along
 *   v, each on a ladder of steps it chooses itself (Evaluator.direction): truncation and
 *   rounding trade places at a step that differs by 100× from net to net and array to array.
 * Every L(+) − L(−) is summed term by term, Σ da⊙(a⁺ − a⁻) or Σ(ℓ⁺ − ℓ⁻), so only the
 * forwards' own rounding enters it, not that of two long sums of large terms.
 *
 * Verdict per array:
 *   relative error  r = ‖g_num − g_ana‖ / (‖g_num‖ + ‖g_ana‖)   (0 when both are 0)
 *   PASS when r ≤ tol, or when every |g_num − g_ana| is below the finite-difference noise
 *   floor (then the two cannot be told apart in float64 at all, e.g. a gradient of 1e-12
 *   through a saturated gate; the report says so).
 *
 * Why eps = 1e-6 and tol = 1e-6: a correct gradient lands at r ≈ 1e-11 … 1e-8 (full mode:
 * truncation ~eps²·|L‴|, rounding ~ulp(terms)/eps; fast mode ≤ 1e-8 at T_x up to 200:
 * test/gradcheck.test.ts, test/gradcheck-fast.test.ts, figures in bench/README.md), while
 * every broken backward we know of lands at r ≥ 1e-2 (test/gradcheck-mutants.test.ts).
 * Nets whose gradients grow ≳10⁵× through time have a floor of their own, the forwards'
 * rounding amplified by the same dynamics; from ~10⁹× no finite difference resolves them.
 */
import type { CellName, Loss } from '../backend';
import { CELLS, gradientNames } from '../cells';
import { float64Backend } from '../engine';
import { InputError } from '../errors';
import { NumpyRandom } from '../random';
import { sameShape, type Arrays, type Shape, type Tensor } from '../tensor';
import { firstInTime, type FirstMismatch } from '../mismatch';
import { gradientContract, resolveNames } from '../names';
import { formatNumber } from '../render/format';
import { indexText } from '../validate';
import { Evaluator, inputKind } from './evaluator';
import { verdict, wrongItems } from './verdict';
import { measurePlan } from './run';
import { drain, type Steps } from './steps';

export { SPREAD_CAP } from './verdict';
export { checkSteps, gradcheck, itemCount, measurePlan, runHere, runOn, STEP_WORK } from './run';

export const DEFAULT_EPS = 1e-6;
export const DEFAULT_TOL = 1e-6;
/** Noise floor = NOISE_ULPS · 2⁻⁵² · Σ|terms of L| / eps: bounds the forwards' rounding left in L(+) − L(−), with margin. */
export const NOISE_ULPS = 64;
export const DEFAULT_SAMPLES = 8;
export const DEFAULT_DIRECTIONS = 6;
/** `auto` checks every entry when that costs at most this many multiply-adds (~1–2 s), else `fast`. */
export const AUTO_FULL_BUDGET = 2e9;

export const MODES = ['auto', 'full', 'sample', 'fast'] as const;
export type Mode = (typeof MODES)[number];

export interface GradcheckOptions {
  cell: CellName;
  /** Checked inputs: parameters, x, a0 (c0). */
  inputs: Arrays;
  loss: Loss;
  mode?: Mode;
  /** Entries per array in `sample` mode. */
  samples?: number;
  /** Random directions per array in `fast` mode. */
  directions?: number;
  eps?: number;
  tol?: number;
  /** Seeds the entries (`sample`) and directions (`fast`) drawn. */
  seed?: number;
  /** Gradient names to check (`dWf`, `dx`, ...); default all of the loss's. */
  only?: string[];
  /** A user's own gradients to check instead of ours, named as ours are. */
  grads?: Arrays;
  gradsOrigin?: (name: string) => string | undefined;
  /** Items (entries, directions) of the first pass done, and their work in multiply-adds (of workOf()). */
  onProgress?: (p: { done: number; total: number; work: number }) => void;
  /** Each array's verdict as soon as it is final, in the order of `arrays`. */
  onArray?: (a: ArrayCheck, index: number) => void;
  /** Stops an asynchronous run (gradcheckThreads) at its next pause with Interrupted. */
  signal?: AbortSignal;
}

export interface ArrayCheck {
  /** Gradient name: dWf, dx, ... */
  name: string;
  shape: Shape;
  /** Entries (or directions, in fast mode) compared. */
  checked: number;
  relError: number;
  maxAbsError: number;
  /** The entry (or direction `v3`) with the largest |g_num − g_ana|. */
  worst?: { index: string; numeric: number; analytic: number };
  pass: boolean;
  /** Passed only because every difference is below the noise floor. */
  belowNoise: boolean;
  /**
   * Passed only because, at every entry beyond the noise floor, the analytic value lies within
   * the spread of the refined finite differences (at eps/10, eps/30, eps/100) of one of them —
   * they disagree among themselves by more than tol, as where gradients explode through time;
   * `spread` is the largest relative spread that was needed, at most SPREAD_CAP.
   */
  withinSpread: boolean;
  spread?: number;
  /** The numerical side was refined: five-point differences at eps/10 and eps/100 (see conclude()). */
  refined: boolean;
  /** The refinement changed the verdict: FAIL at eps, PASS with the refined differences. */
  refinementChanged: boolean;
  /** On a FAIL: how many entries (directions in fast mode) are wrong (criterion in wrong.ts). */
  wrong?: number;
  /** On a FAIL of an array with a time axis (dx): the first wrong entry in backpropagation's order. */
  firstMismatch?: FirstMismatch;
  /** Your gradient has the wrong shape (nothing compared): yours. */
  shapeMismatch?: Shape;
}

export interface GradcheckResult {
  cell: CellName;
  loss: Loss['kind'];
  mode: Exclude<Mode, 'auto'>;
  /** Why `auto` chose the mode it did. */
  modeReason?: string;
  eps: number;
  tol: number;
  noiseFloor: number;
  /** `ours`: rnn's backward; otherwise the files the user's gradients came from. */
  analytic: string;
  arrays: ArrayCheck[];
  /** Gradients of the loss that were not checked (not in your files, or --only). */
  unchecked: string[];
  /** Gradients checked by this run (all, or --only's) that your files lack: not compared. */
  notCompared: string[];
  pass: boolean;
  /** Some array needed the refinement (five-point differences at eps/10, eps/100). */
  refined: boolean;
  evaluations: number;
  seconds: number;
}

/** Centred differences a direction's ladder takes on most nets (2 … 3; up to 7 on saturated ones, ~12 where gradients explode). */
export const LADDER_PAIRS = 3;

/**
 * Multiply-adds of measuring one item of `input`: an entry's centred difference (two full
 * forwards for a parameter, two one-column tails for an entry of x, a0, c0), or a direction's
 * ladder (typically LADDER_PAIRS centred differences of two full forwards each).
 */
export function itemCost(cellName: CellName, inputs: Arrays, input: string, direction = false): number {
  const cell = CELLS[cellName];
  const [n_x, m, T_x] = inputs.x.shape;
  const [n_y, n_a] = inputs[cell.head.W].shape;
  const d = { n_x, n_a, n_y, m, T_x };
  let perColumnStep = n_y * n_a;
  for (const p of cell.params) if (p.role === 'recurrent') perColumnStep += p.shape(d)[0] * p.shape(d)[1];
  if (direction) return LADDER_PAIRS * 2 * T_x * m * perColumnStep;
  return inputKind(input) === 'param' ? 2 * T_x * m * perColumnStep : (T_x + 1) * perColumnStep;
}

/** Multiply-adds of checking every entry of the named gradients. */
export function fullModeCost(cellName: CellName, inputs: Arrays, names: string[]): number {
  return names.reduce((s, g) => s + inputs[g.slice(1)].data.length * itemCost(cellName, inputs, g.slice(1)), 0);
}

/** Multiply-adds of a prepared check's first pass. */
export function workOf(prep: Prepared): number {
  const { o } = prep;
  return prep.plans.reduce((s, pl) => s + pl.entries.length * itemCost(o.cell, o.inputs, pl.input) + pl.dirs.length * itemCost(o.cell, o.inputs, pl.input, true), 0);
}

/** What one array's check consists of: the entries (or directions) compared. */
export interface Plan {
  name: string;
  /** The input the gradient is of: `Wf`, `x`, ... */
  input: string;
  shape: Shape;
  ana: Tensor;
  shapeOk: boolean;
  entries: number[];
  dirs: Float64Array[];
}

/** Everything decided before the finite differences run. */
export interface Prepared {
  o: GradcheckOptions;
  eps: number;
  tol: number;
  mode: Exclude<Mode, 'auto'>;
  modeReason?: string;
  analyticSource: string;
  unchecked: string[];
  notCompared: string[];
  plans: Plan[];
}

export function prepare(o: GradcheckOptions): Prepared {
  return drain(prepareSteps(o));
}

/** prepare() as steps: one after the analytic backward pass, one per array's plan (a big net's draws take a while). */
export function* prepareSteps(o: GradcheckOptions): Steps<Prepared> {
  const cell = CELLS[o.cell];
  const all = gradientNames(cell, o.loss.kind);

  if (o.only) {
    const bad = o.only.filter((n) => !all.includes(n));
    if (bad.length) throw new InputError(`--only ${bad.join(', ')}: not a gradient of the ${o.loss.kind} loss for --cell ${o.cell} (have: ${all.join(', ')})`);
  }
  let names = o.only ? all.filter((n) => o.only!.includes(n)) : all;
  let analyticSource = 'ours';
  let analytic: Arrays;
  let notCompared: string[] = [];
  if (o.grads) {
    // Every name is a gradient of this loss or an input, else an InputError: none is skipped.
    const resolved = resolveNames(gradientContract(o.cell, o.loss.kind, 'grads'), Object.keys(o.grads), o.gradsOrigin);
    const given = resolved.compared.map((c) => c.name);
    notCompared = names.filter((n) => !given.includes(n));
    names = names.filter((n) => given.includes(n));
    if (!names.length) throw new InputError(`--only ${o.only!.join(', ')}: not in your --grads files (they hold ${given.join(', ')})`);
    analytic = Object.fromEntries(resolved.compared.map((c) => [c.name, o.grads![c.yours]]));
    analyticSource = [...new Set(resolved.compared.filter((c) => names.includes(c.name)).map((c) => o.gradsOrigin?.(c.yours) ?? '--grads'))].join(', ');
  } else {
    analytic = float64Backend.backward(o.cell, o.inputs, o.loss); // (its trace's buffers go back to the pool)
    yield;
  }

  let mode: Exclude<Mode, 'auto'>;
  let modeReason: string | undefined;
  if ((o.mode ?? 'auto') === 'auto') {
    const cost = fullModeCost(o.cell, o.inputs, names);
    mode = cost <= AUTO_FULL_BUDGET ? 'full' : 'fast';
    modeReason = mode === 'full'
      ? 'auto: every entry is cheap enough to check'
      : `auto: checking every entry would cost ~${formatNumber(cost, 2)} multiply-adds; --mode full forces it`;
  } else mode = o.mode as Exclude<Mode, 'auto'>;

  const rng = new NumpyRandom(o.seed ?? 0);
  const planFor = (name: string): Plan => {
    const input = o.inputs[name.slice(1)];
    const n = input.data.length;
    const ana = analytic[name];
    const shapeOk = ana !== undefined && sameShape(ana.shape, input.shape);
    let entries: number[] = [];
    let dirs: Float64Array[] = [];
    if (shapeOk) {
      if (mode === 'full') entries = Array.from({ length: n }, (_, k) => k);
      else if (mode === 'sample') entries = sampleEntries(rng, n, o.samples ?? DEFAULT_SAMPLES);
      else dirs = Array.from({ length: o.directions ?? DEFAULT_DIRECTIONS }, () => unitDirection(rng, n));
    }
    return { name, input: name.slice(1), shape: input.shape, ana, shapeOk, entries, dirs };
  };
  const plans: Plan[] = [];
  for (const name of names) {
    plans.push(planFor(name));
    yield;
  }
  return {
    o, eps: o.eps ?? DEFAULT_EPS, tol: o.tol ?? DEFAULT_TOL, mode, modeReason, analyticSource,
    unchecked: all.filter((n) => !names.includes(n)), notCompared, plans,
  };
}

/** Noise floor of a centred difference at step h (see NOISE_ULPS). */
const floorOf = (ev: Evaluator, h: number): number => (NOISE_ULPS * 2 ** -52 * ev.scale) / h;

/**
 * The verdict of array `p` from its first pass at eps, `num` (computed on this thread or by
 * worker threads), refining it on this thread if it fails.
 */
export function* concludePlan(prep: Prepared, ev: Evaluator, p: number, num: number[]): Steps<ArrayCheck> {
  const { eps, tol } = prep;
  const pl = prep.plans[p];
  const floorAt = (h: number): number => floorOf(ev, h);
  if (!pl.shapeOk) {
    return {
      name: pl.name, shape: pl.shape, checked: 0, relError: Infinity, maxAbsError: Infinity,
      pass: false, belowNoise: false, withinSpread: false, refined: false, refinementChanged: false, shapeMismatch: pl.ana.shape,
    };
  }
  const { ana, labels } = analyticSide(pl);
  // A FAIL says which items are wrong (verdict.ts); entries of x in BPTT's time order.
  const failing = (v: ArrayCheck, at: number[], floors: number[], spread?: number[][]): ArrayCheck => {
    if (v.pass) return v;
    const wrong = wrongItems(at, ana, tol, floors, spread);
    const firstMismatch = pl.dirs.length ? undefined : firstInTime(wrong.map((i) => pl.entries[i]), pl.shape, 'backward');
    return { ...v, wrong: wrong.length, ...(firstMismatch ? { firstMismatch } : {}) };
  };
  const firstFloors = num.map(() => floorAt(eps));
  const firstVerdict = verdict(pl.name, pl.shape, num, ana, labels, tol, firstFloors, false);
  if (firstVerdict.pass) return firstVerdict;
  // (a direction's measurement already chose its steps: Evaluator.direction)
  if (pl.dirs.length) return failing(firstVerdict, num, firstFloors);
  // Not converged? Where the loss curves hard (saturated gates, large weights, gradients
  // exploding through time) the centred difference's truncation error ~eps²·L‴ can exceed
  // tol at eps. Refine every entry at h = eps/10 and eps/100 with the five-point stencil,
  // (4·c(h) − c(2h))/3 from centred differences c at h and 2h — truncation ~h⁴·L⁽⁵⁾ — and
  // keep, per entry, the finer estimate where it agrees at least as well with the coarser
  // one as that does with the first. (An exploding GRU, measured: the centred difference is
  // off by 6e-5 even at 1e-8, the five-point one agrees with the analytic to 1e-8.) This
  // only makes the numerical side more exact: a wrong analytic gradient disagrees with it
  // all the same.
  const steps = [eps, eps / 10, eps / 100];
  function* fivePoint(h: number): Steps<number[]> {
    const c1 = yield* measurePlan(prep, ev, pl, h), c2 = yield* measurePlan(prep, ev, pl, 2 * h);
    return c1.map((c, k) => (4 * c - c2[k]) / 3);
  }
  const runs = [num, yield* fivePoint(steps[1]), yield* fivePoint(steps[2])];
  const best = num.map((_, k) => (Math.abs(runs[2][k] - runs[1][k]) <= Math.abs(runs[1][k] - runs[0][k]) ? 2 : 1));
  // The five-point estimate's rounding error is ~1.5× the centred one's at the same h.
  const refinedFloor = (h: number): number => 2 * floorAt(h);
  // Where the refined estimates still disagree (a third one, at eps/30, joins them for this),
  // finite differences cannot resolve the gradient more finely than their spread: an analytic
  // value within the spread of one of them (up to SPREAD_CAP) is reported as such, not as a
  // failure. Only computed when the refined verdict alone fails.
  const bestNum = best.map((b, k) => runs[b][k]), floors = best.map((b) => refinedFloor(steps[b]));
  const refined = verdict(pl.name, pl.shape, bestNum, ana, labels, tol, floors, true);
  if (refined.pass) return { ...refined, refinementChanged: true };
  const estimates = [runs[1], yield* fivePoint(eps / 30), runs[2]];
  const spread = verdict(pl.name, pl.shape, bestNum, ana, labels, tol, floors, true, estimates);
  return spread.pass ? { ...spread, refinementChanged: true } : failing(spread, bestNum, floors, estimates);
}

/** Analytic values and labels, entry by entry (or direction by direction). */
function analyticSide(pl: Plan): { ana: number[]; labels: string[] } {
  const ana: number[] = [], labels: string[] = [];
  for (const k of pl.entries) {
    ana.push(pl.ana.data[k]);
    labels.push(indexText(k, pl.shape));
  }
  pl.dirs.forEach((v, i) => {
    let dot = 0;
    for (let k = 0; k < v.length; k++) dot += v[k] * pl.ana.data[k];
    ana.push(dot);
    labels.push(`v${i}`);
  });
  return { ana, labels };
}

/** The check's result from its arrays' verdicts; the workers made `extraEvaluations` loss evaluations. */
export function finish(prep: Prepared, ev: Evaluator, arrays: ArrayCheck[], extraEvaluations: number, started: bigint): GradcheckResult {
  const { o, eps, tol } = prep;
  return {
    cell: o.cell,
    loss: o.loss.kind,
    mode: prep.mode,
    modeReason: prep.modeReason,
    eps,
    tol,
    noiseFloor: floorOf(ev, eps),
    analytic: prep.analyticSource,
    arrays,
    unchecked: prep.unchecked,
    notCompared: prep.notCompared,
    pass: arrays.every((a) => a.pass),
    refined: arrays.some((a) => a.refined),
    evaluations: ev.evaluations + extraEvaluations,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/** k distinct entries of n, drawn with the seeded generator (all of them when k ≥ n). */
function sampleEntries(rng: NumpyRandom, n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const r = i + Math.floor(rng.nextDouble() * (n - i));
    [pool[i], pool[r]] = [pool[r], pool[i]];
  }
  return pool.slice(0, k).sort((a, b) => a - b);
}

/** A Gaussian direction of unit length. */
function unitDirection(rng: NumpyRandom, n: number): Float64Array {
  const v = rng.randn(n).data;
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s);
  for (let k = 0; k < n; k++) v[k] *= inv;
  return v;
}
