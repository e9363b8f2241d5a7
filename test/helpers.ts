/**
 * Shared test helpers: one `expectClose`, named tolerances, random inputs, and a plain
 * finite-difference gradient used as an independent check of backward.
 */
import { strict as assert } from 'assert';
import type { CellName, Dims, Loss } from '../src/backends/types';
import { CELLS } from '../src/model/cells';
import { InputError } from '../src/errors';
import { formatShape, sameShape, tensor, type Arrays, type Tensor } from '../src/tensor';

/**
 * Agreement with numpy's fixtures and between our two backends. Both compute in float64
 * with the same formulas; only summation order (BLAS vs loops) differs, which moves
 * results by a few ulps of the largest partial sum — ~1e-15 at these sizes. 1e-12 leaves
 * room for that and nothing else: a wrong formula is off by far more.
 */
export const ATOL_REFERENCE = 1e-12;

/**
 * Centred differences with eps = 1e-6 have truncation error O(eps²·f''') ≈ 1e-12 and
 * rounding error O(ulp(L)/eps) ≈ 1e-10 relative; a correct gradient lands near 1e-9
 * relative error, a wrong one near 1.
 */
export const FD_EPS = 1e-6;
export const FD_RTOL = 1e-7;

export interface CloseOptions {
  atol?: number;
  rtol?: number;
}

/** Fails with the first bad index (as an n-d index) unless |a − e| ≤ atol + rtol·|e| everywhere. */
export function expectClose(actual: Tensor | undefined, expected: Tensor, opts: CloseOptions, what: string): void {
  assert.ok(actual, `${what}: missing`);
  assert.ok(
    sameShape(actual.shape, expected.shape),
    `${what}: shape ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}`,
  );
  const atol = opts.atol ?? 0, rtol = opts.rtol ?? 0;
  for (let k = 0; k < expected.data.length; k++) {
    const a: number = actual.data[k], e: number = expected.data[k];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.fail(`${what}${formatIndex(k, expected.shape)}: got ${a}, expected ${e} (diff ${Math.abs(a - e)}, atol ${atol}, rtol ${rtol})`);
    }
  }
}

export function formatIndex(k: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(k % shape[i]);
    k = Math.floor(k / shape[i]);
  }
  return `[${idx.join(', ')}]`;
}

/** Small deterministic PRNG (mulberry32) with Gaussian draws, for tests that need any numbers. */
export function rng(seed: number): { uniform(): number; gauss(): number } {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = (): number => {
    const u = 1 - uniform(), v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return { uniform, gauss };
}

/** Random parameters, x, a0, c0, da and labels for a cell. */
export function randomInputs(cellName: CellName, d: Dims, seed: number, scale = 1): { inputs: Arrays; da: Tensor; labels: Tensor } {
  const r = rng(seed);
  const randn = (shape: number[], s = 1): Tensor => {
    const t = tensor(shape);
    for (let k = 0; k < t.data.length; k++) t.data[k] = s * r.gauss();
    return t;
  };
  const cell = CELLS[cellName];
  const inputs: Arrays = { x: randn([d.n_x, d.m, d.T_x]), a0: randn([d.n_a, d.m]) };
  for (const p of cell.params) inputs[p.name] = randn(p.shape(d), scale);
  if (cell.hasCellState) inputs.c0 = randn([d.n_a, d.m]);
  const da = randn([d.n_a, d.m, d.T_x]);
  const labels = tensor([d.m, d.T_x]);
  for (let k = 0; k < labels.data.length; k++) labels.data[k] = Math.floor(r.uniform() * d.n_y);
  return { inputs, da, labels };
}

/** Centred finite-difference gradient of `f` w.r.t. every entry of inputs[name]. */
export function numericGradient(f: (inputs: Arrays) => number, inputs: Arrays, name: string, eps = FD_EPS): Tensor {
  const t = inputs[name];
  const g = tensor(t.shape);
  for (let k = 0; k < t.data.length; k++) {
    const keep = t.data[k];
    t.data[k] = keep + eps;
    const up = f(inputs);
    t.data[k] = keep - eps;
    const down = f(inputs);
    t.data[k] = keep;
    g.data[k] = (up - down) / (2 * eps);
  }
  return g;
}

/** ‖a − b‖ / (‖a‖ + ‖b‖), 0 when both are 0. */
export function relativeError(a: Tensor, b: Tensor): number {
  let num = 0, na = 0, nb = 0;
  for (let k = 0; k < a.data.length; k++) {
    num += (a.data[k] - b.data[k]) ** 2;
    na += a.data[k] ** 2;
    nb += b.data[k] ** 2;
  }
  const den = Math.sqrt(na) + Math.sqrt(nb);
  return den === 0 ? 0 : Math.sqrt(num) / den;
}

export type { Loss };

/** Asserts fn throws an InputError whose one-line message matches re. */
export function throwsInput(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `message must be one line: ${JSON.stringify(e.message)}`);
    return true;
  });
}

/** The bytes of a Float64Array as hex: bit-exact comparisons with readable diffs. */
export const hex = (d: Float64Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');

/**
 * The course's randn weights (`rnn init --scale 1`), or for a cell with an unbounded activation
 * (CellSpec.unbounded: its states would reach 1e40 in 200 steps, and the xent loss turn
 * piecewise linear in them) 0.3 of them, where its net stays stable.
 */
export const weightScale = (cell: CellName): number => (CELLS[cell].unbounded ? 0.3 : 1);
