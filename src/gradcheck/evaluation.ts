/**
 * What the checker asks of its loss evaluations (conclude.ts, noise.ts, pass.ts, run.ts),
 * whatever computes the loss: centred differences at an entry or along a direction (on a
 * ladder of steps it chooses), and what each one's rounding scales with (noise.ts). The
 * Evaluator (evaluator.ts) is one layer of a cell, as cheap as exactness allows.
 */
import type { Steps } from './steps';

export interface LossEvaluator {
  /**
   * Of the last centred difference: √Σ m² over the terms it changed (m a term's size), and
   * √Σ (term⁺ − term⁻)² (noise.ts).
   */
  readonly magnitude: number;
  readonly change: number;
  /** Of the last direction: the step of its chosen rung and that rung's centred difference. */
  readonly rung: { readonly step: number; readonly centred: number };
  /** Loss evaluations so far, for progress and reports. */
  readonly evaluations: number;
  /** The typical size of an entry of input `name` (noise.ts). */
  typical(name: string): number;
  /** The centred difference (L(θ + eps·e_k) − L(θ − eps·e_k)) / 2eps at entry k of input `name`. */
  entry(name: string, k: number, eps: number): number;
  /** vᵀ∇L along direction v over input `name`, on the ladder of steps from eps (steps for the event loop). */
  directionSteps(name: string, v: Float64Array, eps: number): Steps<number>;
  /** The centred difference along v at step h. */
  centredAlong(name: string, v: Float64Array, h: number): number;
  /** Its buffers go back. */
  release(): void;
}
