/**
 * `rnn gradcheck`: analytic gradients (ours, or the user's with --grads) against centred
 * finite differences, for every loss the inputs allow. It reports as it goes (events: the
 * header, progress, each array's and each loss's verdict as soon as it is final) and stops at
 * an aborted `signal` with GradcheckInterrupted, which holds what was finished.
 */
import { availableParallelism } from 'os';
import { LOSS_INPUT, LOSS_KINDS, lossWith, type CellName, type Dims, type LossKind } from '../../backends/types';
import { LOSSES } from '../../model/losses';
import { allGradientNames, CELLS, gradientNames } from '../../model/cells';
import { InputError, Interrupted, type StopSignal } from '../../errors';
import { shownList } from '../../escape';
import { prepareSteps, workOf, type ArrayCheck, type GradcheckResult, type Mode, type Prepared } from '../../gradcheck';
import { runPrepared } from '../../gradcheck/parallel';
import { drive } from '../../gradcheck/steps';
import { loadFixture, type Fixture } from '../../io/fixture';
import { gradientContract } from '../../names';
import { NumpyRandom } from '../../random';
import type { Arrays } from '../../tensor';
import { checkInputs, type Origin } from '../../validate';
import { loadYours, resolveYours } from './expect';
import { initFixture } from './init';
import { chooseLoss } from './loss';

/** The net checked when no fixture is given: course size, np.random.seed(1). */
export const DEFAULT_NET = { dims: { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 } as Dims, seed: 1 };

export type GradcheckLoss = 'all' | LossKind;
export const GRADCHECK_LOSSES: readonly GradcheckLoss[] = ['all', ...LOSS_KINDS];

export interface GradcheckCommandOptions {
  cell: CellName;
  sources: string[];
  /** The sources, already read. */
  fixture?: Fixture;
  /** --loss; absent: every loss the fixture allows, or with --grads the one inferred (commands/loss.ts). */
  loss?: GradcheckLoss;
  mode: Mode;
  samples?: number;
  directions?: number;
  eps?: number;
  tol?: number;
  seed: number;
  only?: string[];
  grads?: string[];
  /** Worker threads for big checks (1: everything on this thread); at most the cores (a note says so). */
  threads: number;
  maxBytes?: number;
  /** One-line messages for stderr before the check runs: the inferred loss, arrays not compared. */
  notify?: (line: string) => void;
  events?: GradcheckEvents;
  /** Aborting it stops the check within a fraction of a second (GradcheckInterrupted). */
  signal?: AbortSignal;
}

/** What a loss's check will be, known before it runs (the heading of its table). */
export type LossPlan = Pick<GradcheckResult, 'loss' | 'mode' | 'modeReason' | 'eps' | 'tol' | 'analytic' | 'unchecked'> & {
  /** The gradients checked, in the order of the table's rows. */
  names: string[];
};

/** Known before any check runs: the net, and the plan of each loss in the order they run. */
export interface GradcheckHeader {
  cell: CellName;
  dims: Dims;
  /** The fixture files, or a description of the embedded default net. */
  net: string;
  /** Notes on what was made up (a seeded random da, ...). */
  notes: string[];
  /** Why the loss was chosen, when --grads made it inferred rather than given. */
  lossInferred?: string;
  losses: LossPlan[];
}

export interface GradcheckEvents {
  onStart?: (h: GradcheckHeader) => void;
  /** The first pass of `loss` is under way; `fraction` (0…1) of all losses' work is done. */
  onProgress?: (p: { loss: LossKind; fraction: number }) => void;
  /** One array's verdict, final, in the order of the table (`index` into the loss's plan names). */
  onArray?: (loss: LossKind, a: ArrayCheck, index: number) => void;
  onLoss?: (ch: GradcheckResult) => void;
}

export interface GradcheckCommandResult extends Omit<GradcheckHeader, 'losses'> {
  checks: GradcheckResult[];
  pass: boolean;
}

/** What an interrupted run had finished: whole losses, and the finished arrays of the one under way. */
export interface GradcheckPartial extends GradcheckHeader {
  checks: GradcheckResult[];
  running?: { plan: LossPlan; arrays: ArrayCheck[] };
  signal: StopSignal;
  seconds: number;
}

export class GradcheckInterrupted extends Interrupted {
  constructor(readonly partial: GradcheckPartial) {
    super(partial.signal, interruptedMessage(partial));
  }
}

/** One line for stderr: all a --json user gets of an interrupted run, so it names every verdict. */
function interruptedMessage(r: GradcheckPartial): string {
  const done = [...r.checks.map((ch) => ch.arrays.map((a) => ({ a, loss: ch.loss }))).flat(), ...(r.running?.arrays.map((a) => ({ a, loss: r.running!.plan.loss })) ?? [])];
  const failed = done.filter((x) => !x.a.pass).map((x) => `${x.a.name} (${x.loss})`);
  const parts = r.checks.map((ch) => `${ch.loss} finished (${ch.pass ? 'PASS' : 'FAIL'})`);
  if (r.running) parts.push(`${r.running.plan.loss}: ${r.running.arrays.length} of ${r.running.plan.names.length} arrays checked`);
  const notRun = r.losses.slice(r.checks.length + (r.running ? 1 : 0)).map((l) => l.loss);
  if (notRun.length) parts.push(`not started: ${notRun.join(', ')}`);
  return `gradcheck interrupted by ${r.signal}: ${parts.join('; ')}; ${failed.length ? `FAIL: ${failed.join(', ')}` : 'no FAIL so far, but not a PASS'}`;
}

const planOf = (prep: Prepared): LossPlan => ({
  loss: prep.o.loss.kind, mode: prep.mode, modeReason: prep.modeReason, eps: prep.eps, tol: prep.tol,
  analytic: prep.analyticSource, unchecked: prep.unchecked, names: prep.plans.map((pl) => pl.name),
});

export async function runGradcheck(o: GradcheckCommandOptions): Promise<GradcheckCommandResult> {
  let arrays: Arrays;
  let origin: Origin = () => undefined;
  let net: string;
  if (o.sources.length) {
    const fx = o.fixture ?? loadFixture(o.sources, { maxBytes: o.maxBytes });
    arrays = fx.arrays;
    origin = (n) => fx.origin[n]?.source;
    net = shownList(o.sources, ' ');
  } else {
    arrays = initFixture({ cell: o.cell, dims: DEFAULT_NET.dims, seed: DEFAULT_NET.seed, scale: 1 });
    const d = DEFAULT_NET.dims;
    net = `built-in ${o.cell} net: n_x=${d.n_x} n_a=${d.n_a} n_y=${d.n_y} m=${d.m} T_x=${d.T_x}, rnn init --seed ${DEFAULT_NET.seed}`;
  }
  if (o.grads && o.loss === 'all') {
    throw new InputError(`--grads needs ${LOSS_KINDS.map((k) => `--loss ${k}`).join(' or ')}: your gradients are of one loss`);
  }
  // --grads: your names are checked and your loss settled before anything runs.
  const yours = o.grads && loadYours(o.grads, { maxBytes: o.maxBytes });
  let lossInferred: string | undefined;
  let chosen = o.loss ?? 'all';
  const notices: string[] = []; // for stderr once the input is known to be good: bad input stays one line
  if (yours) {
    const choice = chooseLoss({
      cell: o.cell, given: o.loss as LossKind | undefined, fixture: Object.keys(arrays), source: o.sources, purpose: 'your gradients',
      yours: { names: Object.keys(yours.arrays), option: '--grads' },
    });
    chosen = choice.loss;
    lossInferred = choice.inferred;
    if (lossInferred) notices.push(lossInferred);
    const input = LOSSES[chosen].input;
    if (input.drawn && !(input.name in arrays)) {
      throw new InputError(
        `your gradients were taken with some upstream ${input.name}: put it in the fixture (the ${chosen} loss ${LOSSES[chosen].equation}; a ${input.name} drawn here could only make every array FAIL)`,
        o.sources,
      );
    }
  }
  // More threads than cores only cost memory (runPrepared caps them too); the results are the same.
  const cores = availableParallelism();
  if (o.threads > cores) notices.push(`--threads ${o.threads}: capped at ${cores}, the number of cores here`);
  // every loss the fixture allows: one whose input is there or may be drawn
  const losses: LossKind[] = chosen === 'all' ? LOSS_KINDS.filter((k) => LOSSES[k].input.drawn || LOSS_INPUT[k] in arrays) : [chosen];
  const needs = Object.fromEntries(losses.filter((k) => !LOSSES[k].input.drawn).map((k) => [LOSS_INPUT[k], true]));
  const { inputs, dims } = checkInputs(o.cell, arrays, needs, origin);
  const notes: string[] = [];
  for (const k of losses) {
    const input = LOSSES[k].input;
    if (!input.drawn || input.name in inputs) continue;
    inputs[input.name] = new NumpyRandom(o.seed).randn(...input.shape(dims));
    notes.push(`${input.name} for the ${k} loss: not in the fixture, drawn as np.random.seed(${o.seed}); randn(${input.dims})`);
  }
  if (chosen === 'all') for (const k of LOSS_KINDS.filter((k) => !losses.includes(k))) notes.push(`${k} loss skipped: the fixture has no ${LOSS_INPUT[k]}`);

  let grads: Arrays | undefined;
  let gradsOrigin: Origin | undefined;
  if (yours) {
    // Under our names (a notebook alias becomes ours); the check itself sees only these.
    const resolved = resolveYours(yours, gradientContract(o.cell, losses[0], '--grads'));
    grads = Object.fromEntries(resolved.compared.map((c) => [c.name, yours.arrays[c.yours]]));
    const yourName = new Map(resolved.compared.map((c) => [c.name, c.yours]));
    gradsOrigin = (n) => yours.origin(yourName.get(n) ?? n);
    const missing = resolved.missing.filter((n) => !o.only || o.only.includes(n));
    if (o.only && o.only.every((n) => missing.includes(n))) throw new InputError(`--only ${shownList(o.only)}: not in your --grads files ${shownList(yours.files)}`);
    if (missing.length) notices.push(`--grads: not compared: ${missing.join(', ')} (not in ${shownList(yours.files)})`);
  }

  // --only names may belong to one loss only (dWy is a gradient of xent alone).
  let checked = losses;
  if (o.only && losses.length > 1) {
    const unknown = o.only.filter((n) => !losses.some((k) => gradientNames(CELLS[o.cell], k).includes(n)));
    // every loss's gradients, in the cell's order
    const allGradients = allGradientNames(CELLS[o.cell]).filter((g) => losses.some((k) => gradientNames(CELLS[o.cell], k).includes(g)));
    if (unknown.length) throw new InputError(`--only ${shownList(unknown)}: not a gradient for --cell ${o.cell} (have: ${allGradients.join(', ')})`);
    checked = losses.filter((k) => o.only!.some((n) => gradientNames(CELLS[o.cell], k).includes(n)));
  }
  // Every loss is prepared (and every input error raised) before anything is reported.
  const started = process.hrtime.bigint();
  const ev = o.events ?? {};
  const checks: GradcheckResult[] = [];
  let running: GradcheckPartial['running'];
  let workBefore = 0;
  const prepareFor = (kind: LossKind): Promise<Prepared> => {
    const only = o.only?.filter((n) => gradientNames(CELLS[o.cell], kind).includes(n));
    const loss = lossWith(kind, inputs);
    return drive(prepareSteps({
      cell: o.cell, inputs, loss, mode: o.mode, samples: o.samples, directions: o.directions,
      eps: o.eps, tol: o.tol, seed: o.seed, only, grads, gradsOrigin, signal: o.signal,
      onProgress: ev.onProgress && ((p) => ev.onProgress!({ loss: kind, fraction: totalWork ? (workBefore + p.work) / totalWork : 1 })),
      onArray: (a, index) => {
        running?.arrays.push(a);
        ev.onArray?.(kind, a, index);
      },
    }), o.signal);
  };
  const preps: Prepared[] = [];
  try {
    for (const kind of checked) preps.push(await prepareFor(kind));
  } catch (e) {
    if (e instanceof Interrupted) throw new Interrupted(e.signal, `gradcheck interrupted by ${e.signal} before any check began`);
    throw e;
  }
  for (const line of notices) o.notify?.(line);
  const totalWork = preps.reduce((s, prep) => s + workOf(prep), 0);
  const header: GradcheckHeader = { cell: o.cell, dims, net, notes, ...(lossInferred ? { lossInferred } : {}), losses: preps.map(planOf) };
  ev.onStart?.(header);
  try {
    for (const [i, prep] of preps.entries()) {
      running = { plan: header.losses[i], arrays: [] };
      const ch = await runPrepared(prep, o.threads);
      checks.push(ch);
      running = undefined;
      workBefore += workOf(prep);
      ev.onLoss?.(ch);
    }
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    throw new GradcheckInterrupted({ ...header, checks, running, signal: e.signal, seconds });
  }
  const { losses: _plans, ...known } = header;
  return { ...known, checks, pass: checks.every((c) => c.pass) };
}
