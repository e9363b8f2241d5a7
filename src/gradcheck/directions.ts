/**
 * fast mode's random unit directions, drawn as the first pass reaches them, never all at once
 * (measured in bench/README.md, "Threads and directions"). They come from the prepared check's
 * seeded generator in plan order, one direction after the other, so they are the very vectors
 * that drawing them all up front gave — on one thread or many. What the verdict needs of them
 * later is kept per plan: vᵀg (the analytic side, conclude.ts) and the generator's state at
 * the plan's first direction, to draw again the few that the noise measurement takes again.
 */
import type { NumpyRandom } from '../random';
import { sizeOf } from '../tensor';
import type { PlannedCheck } from './index';

export class Directions {
  private readonly rng: NumpyRandom;
  /** The plan whose directions come next, and how many of them were drawn. */
  private plan = 0;
  private drawn = 0;
  /** Per plan: vᵀ(analytic gradient) of each direction drawn, in order. */
  private readonly dots: number[][];
  /** Per plan: the generator before its first direction. */
  private readonly starts: (NumpyRandom | undefined)[];

  constructor(private readonly prep: PlannedCheck) {
    this.rng = prep.draws.clone();
    this.dots = prep.plans.map(() => []);
    this.starts = prep.plans.map(() => undefined);
  }

  /** The next direction of plan p; every direction of the plans before p must have been drawn. */
  next(p: number): Float64Array {
    const plans = this.prep.plans;
    while (this.plan < p && this.drawn === plans[this.plan].directions) [this.plan, this.drawn] = [this.plan + 1, 0];
    const pl = plans[p];
    if (this.plan !== p || this.drawn >= pl.directions) throw new Error(`gradcheck: direction ${this.drawn} of plan ${p} drawn out of order (at plan ${this.plan})`);
    if (this.drawn++ === 0) this.starts[p] = this.rng.clone();
    const v = unitDirection(this.rng, sizeOf(pl.shape));
    this.dots[p].push(dot(v, pl.ana.data));
    return v;
  }

  /** vᵀg of each direction of plan p drawn so far. */
  analytic(p: number): number[] {
    return this.dots[p];
  }

  /** Plan p's directions drawn again, at increasing indices, from the state before its first. */
  again(p: number): (i: number) => Float64Array {
    const rng = this.starts[p]!.clone(), n = sizeOf(this.prep.plans[p].shape);
    let next = 0, v: Float64Array = new Float64Array(0);
    return (i) => {
      if (i < next) throw new Error(`gradcheck: direction ${i} of plan ${p} drawn again out of order`);
      while (next <= i) [v, next] = [unitDirection(rng, n), next + 1];
      return v;
    };
  }

  /** Forgets what was kept of plan p (its verdict is final). */
  done(p: number): void {
    this.dots[p] = [];
    this.starts[p] = undefined;
  }
}

/** Σ v[k]·g[k] in index order (the analytic side of a direction). */
export function dot(v: Float64Array, g: Float64Array): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * g[k];
  return s;
}

/** A Gaussian direction of unit length: randn(n), normalised. */
export function unitDirection(rng: NumpyRandom, n: number): Float64Array {
  const v = rng.randn(n).data;
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s);
  for (let k = 0; k < n; k++) v[k] *= inv;
  return v;
}
