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
 *   PASS when r ≤ tol, or when every |g_num − g_ana| is below its own item's noise floor,
 *   the rounding of that item's difference (noise.ts: then the two cannot be told apart in
 *   float64 at all, e.g. a gradient of 1e-12 through a saturated gate; the report says so).
 *
 * Why eps = 1e-6 and tol = 1e-6: a correct gradient lands at r ≈ 1e-11 … 1e-8 (full mode:
 * truncation ~eps²·|L‴|, rounding ~ulp(terms)/eps; fast mode ≤ 1e-8 at T_x up to 200:
 * test/gradcheck.test.ts, test/gradcheck-fast.test.ts, figures in bench/README.md), while
 * every broken backward we know of lands at r ≥ 1e-2 (test/gradcheck-mutants.test.ts).
 * Nets whose gradients grow ≳10⁵× through time have a floor of their own, the forwards'
 * rounding amplified by the same dynamics; from ~10⁹× no finite difference resolves them.
 */
import type { CellName, Loss } from '../backends/types';
import { CELLS, gradientNames } from '../model/cells';
import { float64Backend } from '../backends/float64';
import { InputError } from '../errors';
import { shownList } from '../escape';
import { NumpyRandom } from '../random';
import { sameShape, type Arrays, type Shape, type Tensor } from '../tensor';
import type { FirstMismatch, TimeAxis } from '../mismatch';
import { gradientContract, resolveNames } from '../names';
import { formatNumber } from '../cli/render/format';
import { inputKind } from './evaluator';
import type { LossEvaluator } from './evaluation';
import { drain, type Steps } from './steps';

export { SPREAD_CAP } from './verdict';
export { NOISE_Z } from './noise';
export { concludePlan } from './conclude';
export { emptyPass, type FirstPass } from './pass';
export { checkSteps, gradcheck, itemCount, measurePlan, runHere, runOn, STEP_WORK } from './run';

export const DEFAULT_EPS = 1e-6;
export const DEFAULT_TOL = 1e-6;
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
  /** Passed only because every difference is below its item's noise floor (noise.ts). */
  belowNoise: boolean;
  /** The largest noise floor of an item, as the verdict used them (0 before the noise is measured: r ≤ tol). */
  noiseFloor: number;
  /** The rounding measured on this array, in units of its model σ (noise.ts κ), when it was measured. */
  noise?: number;
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
  return prep.plans.reduce((s, pl) => s + pl.entries.length * prep.cost(pl.input, false) + pl.directions * prep.cost(pl.input, true), 0);
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
  /** Random unit directions compared (fast mode): drawn as the check runs (directions.ts). */
  directions: number;
}

/**
 * What measuring and concluding arrays needs (run.ts measurePlan, conclude.ts, directions.ts),
 * whatever the loss is of: a cell's (Prepared) or a PyTorch module's (src/layouts/torch/gradcheck.ts).
 */
export interface PlannedCheck {
  eps: number;
  tol: number;
  plans: Plan[];
  /** The seeded generator where the plans' directions start, in plan order (never drawn from: directions.ts clones it). */
  draws: NumpyRandom;
  /** Multiply-adds of measuring one item of `input`: an entry, or a direction (itemCost for a cell). */
  cost(input: string, direction: boolean): number;
  /** Which axis of a gradient is time, for where a FAIL first goes wrong (default: the seed's layout). */
  time?: TimeAxis;
}

/** Everything decided before the finite differences of a cell's check run. */
export interface Prepared extends PlannedCheck {
  o: GradcheckOptions;
  mode: Exclude<Mode, 'auto'>;
  modeReason?: string;
  analyticSource: string;
  unchecked: string[];
  notCompared: string[];
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
    if (bad.length) throw new InputError(`--only ${shownList(bad)}: not a gradient of the ${o.loss.kind} loss for --cell ${o.cell} (have: ${all.join(', ')})`);
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
    if (!names.length) throw new InputError(`--only ${shownList(o.only!)}: not in your --grads files (they hold ${given.join(', ')})`);
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
    let directions = 0;
    if (shapeOk) {
      if (mode === 'full') entries = Array.from({ length: n }, (_, k) => k);
      else if (mode === 'sample') entries = sampleEntries(rng, n, o.samples ?? DEFAULT_SAMPLES);
      else directions = o.directions ?? DEFAULT_DIRECTIONS;
    }
    return { name, input: name.slice(1), shape: input.shape, ana, shapeOk, entries, directions };
  };
  const plans: Plan[] = [];
  for (const name of names) {
    plans.push(planFor(name));
    yield;
  }
  return {
    o, eps: o.eps ?? DEFAULT_EPS, tol: o.tol ?? DEFAULT_TOL, mode, modeReason, analyticSource,
    unchecked: all.filter((n) => !names.includes(n)), notCompared, plans, draws: rng,
    cost: (input, direction) => itemCost(o.cell, o.inputs, input, direction),
  };
}

/** The check's result from its arrays' verdicts; the workers made `extraEvaluations` loss evaluations. */
export function finish(prep: Prepared, ev: LossEvaluator, arrays: ArrayCheck[], extraEvaluations: number, started: bigint): GradcheckResult {
  const { o, eps, tol } = prep;
  return {
    cell: o.cell,
    loss: o.loss.kind,
    mode: prep.mode,
    modeReason: prep.modeReason,
    eps,
    tol,
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
export function sampleEntries(rng: NumpyRandom, n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const r = i + Math.floor(rng.nextDouble() * (n - i));
    [pool[i], pool[r]] = [pool[r], pool[i]];
  }
  return pool.slice(0, k).sort((a, b) => a - b);
}
