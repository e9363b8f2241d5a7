/**
 * The gradient checker on a PyTorch module (`--layout torch`): every gradient PyTorch's hooks
 * name (grad_input, grad_h_0, grad_c_0, grad_<param>) against finite differences of the
 * module's loss L = Σ grad_output ⊙ output + Σ grad_h_n ⊙ h_n + Σ grad_c_n ⊙ c_n, in the
 * checker's modes, verdicts and noise floors (src/gradcheck/).
 *
 * Its evaluations take none of the one-layer Evaluator's shortcuts (an entry of x only
 * reaches later steps, kept projections): those hold per layer and direction, not across a
 * stack. Each is a whole forward of the module, the network of the engine's layers
 * (src/backends/network.ts), its L⁺ − L⁻ summed term by term, Σ g ⊙ (out⁺ − out⁻).
 */
import { float64Layer } from '../../backends/float64';
import type { LayerEngine } from '../../backends/network';
import { InputError } from '../../errors';
import { shownList } from '../../escape';
import { AUTO_FULL_BUDGET, concludePlan, sampleEntries, DEFAULT_DIRECTIONS, DEFAULT_EPS, DEFAULT_SAMPLES, DEFAULT_TOL, LADDER_PAIRS, measurePlan, type ArrayCheck, type GradcheckOptions, type Mode, type Plan, type PlannedCheck } from '../../gradcheck';
import { Directions } from '../../gradcheck/directions';
import type { LossEvaluator } from '../../gradcheck/evaluation';
import { ladder, type Rung } from '../../gradcheck/ladder';
import { sigmaOf } from '../../gradcheck/noise';
import { drain, type Steps } from '../../gradcheck/steps';
import { NumpyRandom } from '../../random';
import { formatNumber } from '../../cli/render/format';
import { sameShape, tensor, type Tensor } from '../../tensor';
import { statesShape } from './names';
import { paramNames, torchBackward, torchForward, torchProblem, TORCH_UPSTREAM, type TorchOptions, type TorchProblem } from './index';

/** The module's outputs that the loss reads, with their upstream gradient's name. */
const READ = [['output', 'grad_output'], ['h_n', 'grad_h_n'], ['c_n', 'grad_c_n']] as const;

/** Loss evaluations of a module: each a whole forward of its arrays as they are now. */
class NetworkEvaluator implements LossEvaluator {
  magnitude = 0;
  change = 0;
  rung = { step: 0, centred: 0 };
  evaluations = 0;
  private readonly typicals = new Map<string, number>();

  constructor(private readonly arrays: Record<string, Tensor>, private readonly o: TorchOptions, private readonly engine: LayerEngine) {}

  /** The loss's terms g ⊙ out read at the current point: each output with its upstream, in READ order. */
  private outputs(): Float64Array[] {
    this.evaluations++;
    const out = torchForward(torchProblem(this.arrays, this.o), this.engine);
    return READ.filter(([, g]) => this.arrays[g]).map(([name]) => out[name].data);
  }

  /** Σ g ⊙ (out⁺ − out⁻), term by term; `magnitude` and `change` of it (noise.ts). */
  private difference(plus: Float64Array[], minus: Float64Array[]): number {
    const ups = READ.filter(([, g]) => this.arrays[g]).map(([, g]) => this.arrays[g].data);
    let s = 0, c2 = 0, m2 = 0;
    ups.forEach((G, j) => {
      const P = plus[j], M = minus[j];
      for (let k = 0; k < G.length; k++) {
        const dt = G[k] * (P[k] - M[k]);
        s += dt;
        c2 += dt * dt;
        const q = G[k] * P[k];
        m2 += q * q;
      }
    });
    this.change = Math.sqrt(c2);
    this.magnitude = Math.sqrt(m2);
    return s;
  }

  /** The root mean square of input `name`'s values (of h_0 or c_0, with the final states'). */
  typical(name: string): number {
    let r = this.typicals.get(name);
    if (r === undefined) {
      const blocks = [this.arrays[name].data];
      if (name === 'h_0' || name === 'c_0') blocks.push(...this.outputs());
      let ss = 0, n = 0;
      for (const b of blocks) {
        for (const v of b) ss += v * v;
        n += b.length;
      }
      r = Math.sqrt(ss / n);
      this.typicals.set(name, r);
    }
    return r;
  }

  /** The centred difference over the step entry k actually took, fl(θ + eps) − fl(θ − eps). */
  entry(name: string, k: number, eps: number): number {
    const buf = this.arrays[name].data, keep = buf[k];
    buf[k] = keep + eps;
    const up = buf[k], plus = this.outputs();
    buf[k] = keep - eps;
    const minus = this.outputs(), step = up - buf[k];
    buf[k] = keep;
    return this.difference(plus, minus) / step;
  }

  *directionSteps(name: string, v: Float64Array, eps: number): Steps<number> {
    let ss = 0;
    for (const x of v) ss += x * x;
    const perEntry = Math.sqrt(ss / v.length);
    const centred = (s: number): Rung => {
      const c = this.centredAlong(name, v, s / perEntry);
      return { s, c, magnitude: this.magnitude, change: this.change, sigma: sigmaOf(this, name, s / perEntry) };
    };
    const { best, rung } = yield* ladder(centred, eps);
    [this.magnitude, this.change] = [rung.magnitude, rung.change];
    this.rung = { step: rung.s / perEntry, centred: rung.c };
    return best;
  }

  centredAlong(name: string, v: Float64Array, h: number): number {
    const buf = this.arrays[name].data, keep = buf.slice();
    const move = (sign: number): void => v.forEach((x, k) => (buf[k] = keep[k] + sign * h * x));
    move(1);
    const plus = this.outputs();
    move(-1);
    const minus = this.outputs();
    buf.set(keep);
    return this.difference(plus, minus) / (2 * h);
  }

  release(): void {}
}

/** The checker's own options (`mode` auto: full when it costs at most AUTO_FULL_BUDGET multiply-adds, else fast); `only` names grad_… arrays. */
export interface TorchGradcheckOptions extends TorchOptions, Pick<GradcheckOptions, 'mode' | 'samples' | 'directions' | 'eps' | 'tol' | 'seed' | 'only'> {
  /** Your gradients, named grad_<name> or, for parameters, by the parameter's own name (a file of p.grad). */
  grads?: Record<string, Tensor>;
  engine?: LayerEngine;
}

export interface TorchGradcheckResult {
  mode: Exclude<Mode, 'auto'>;
  /** Why `auto` chose the mode it did. */
  modeReason?: string;
  eps: number;
  tol: number;
  /** `ours`, or `yours` (options.grads). */
  analytic: 'ours' | 'yours';
  arrays: ArrayCheck[];
  /** Gradients your grads lack: not compared. */
  notCompared: string[];
  pass: boolean;
  evaluations: number;
}

/** The arrays the gradients are of: the module's parameters, input, h_0 (and c_0), zeros where PyTorch's default is. */
function withStates(p: TorchProblem, arrays: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const K = p.module.layers * p.module.directions;
  const copy: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(arrays)) copy[name] = tensor(t.shape, t.data.slice());
  copy.h_0 ??= tensor(statesShape(K, p.N, p.module.proj || p.module.hidden));
  if (p.net.hasC) copy.c_0 ??= tensor(statesShape(K, p.N, p.module.hidden));
  return copy;
}

/** Checks a module's gradients (ours, or `grads`) against finite differences of its loss. */
export function torchGradcheck(arrays: Readonly<Record<string, Tensor>>, o: TorchGradcheckOptions = {}): TorchGradcheckResult {
  const engine = o.engine ?? float64Layer;
  const p = torchProblem(arrays, o);
  if (!arrays.grad_output) throw new InputError('grad_output is missing: the module\'s loss is Σ grad_output ⊙ output (+ Σ grad_h_n ⊙ h_n, Σ grad_c_n ⊙ c_n)', o.source);
  const inputs = withStates(p, arrays);
  const of = ['input', 'h_0', ...(p.net.hasC ? ['c_0'] : []), ...paramNames(p.module)];
  const all = of.map((n) => 'grad_' + n);
  if (o.only) {
    const bad = o.only.filter((n) => !all.includes(n));
    if (bad.length) throw new InputError(`--only ${shownList(bad)}: not a gradient of this module (have: ${all.join(', ')})`);
  }
  let names = o.only ? all.filter((n) => o.only!.includes(n)) : all;
  let analytic: Record<string, Tensor>;
  let notCompared: string[] = [];
  if (o.grads) {
    analytic = {};
    for (const [name, t] of Object.entries(o.grads)) {
      const as = all.includes(name) ? name : all.includes('grad_' + name) && paramNames(p.module).includes(name) ? 'grad_' + name : undefined;
      if (as === undefined && !(name in inputs) && !(TORCH_UPSTREAM as readonly string[]).includes(name)) throw new InputError(`${shownList([name])}: neither a gradient of this module nor one of its inputs (gradients: ${all.join(', ')})`);
      if (as) analytic[as] = t;
    }
    notCompared = names.filter((n) => !analytic[n]);
    names = names.filter((n) => analytic[n]);
  } else {
    analytic = torchBackward(p, arrays, o, engine).gradients;
  }
  // (a whole forward of the module per evaluation: its products' multiply-adds, roughly)
  const forwardWork = Object.values(inputs).reduce((s, t) => s + t.data.length, 0) * (p.N ?? 1) * p.T;
  const fullCost = names.reduce((s, n) => s + 2 * forwardWork * inputs[n.slice('grad_'.length)].data.length, 0);
  let mode: Exclude<Mode, 'auto'>, modeReason: string | undefined;
  if ((o.mode ?? 'auto') === 'auto') {
    mode = fullCost <= AUTO_FULL_BUDGET ? 'full' : 'fast';
    modeReason = mode === 'full' ? 'auto: every entry is cheap enough to check' : `auto: checking every entry would cost ~${formatNumber(fullCost, 2)} multiply-adds; --mode full forces it`;
  } else mode = o.mode as Exclude<Mode, 'auto'>;
  const eps = o.eps ?? DEFAULT_EPS, tol = o.tol ?? DEFAULT_TOL;
  const rng = new NumpyRandom(o.seed ?? 0);
  const plans: Plan[] = names.map((name) => {
    const input = inputs[name.slice('grad_'.length)], ana = analytic[name], n = input.data.length;
    const shapeOk = sameShape(ana.shape, input.shape);
    const entries = !shapeOk || mode === 'fast' ? [] : mode === 'full' ? Array.from({ length: n }, (_, k) => k) : sampleEntries(rng, n, o.samples ?? DEFAULT_SAMPLES);
    return { name, input: name.slice('grad_'.length), shape: input.shape, ana, shapeOk, entries, directions: shapeOk && mode === 'fast' ? o.directions ?? DEFAULT_DIRECTIONS : 0 };
  });
  const prep: PlannedCheck = {
    eps, tol, plans, draws: rng,
    cost: (_input, direction) => (direction ? 2 * LADDER_PAIRS : 2) * forwardWork,
    // grad_input is (T, N, H_in), (N, T, H_in) batch-first, (T, H_in) unbatched; the states have no time axis
    time: (name, shape) => (name === 'grad_input' ? (p.batchFirst && shape.length === 3 ? 1 : 0) : undefined),
  };
  const ev = new NetworkEvaluator(inputs, o, engine);
  const directions = new Directions(prep);
  const checks = plans.map((pl, i): ArrayCheck => {
    const first = drain(measurePlan(prep, ev, pl, eps, undefined, () => directions.next(i)));
    const a = drain(concludePlan(prep, ev, i, first, directions));
    directions.done(i);
    return a;
  });
  return { mode, modeReason, eps, tol, analytic: o.grads ? 'yours' : 'ours', arrays: checks, notCompared, pass: checks.every((a) => a.pass), evaluations: ev.evaluations };
}
