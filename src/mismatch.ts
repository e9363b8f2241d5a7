/**
 * Where a user's array goes wrong, for `--expect` and `gradcheck --grads` reports: the first
 * wrong entry in time order, and what a wrong shape probably is (a transpose, the batch-major
 * layout, a dropped axis of length 1).
 */
import type { Dims } from './backends/types';
import { formatShape, sizeOf, type Shape } from './tensor';
import { indexText } from './validate';

/**
 * The order in which a computation visits time: a forward pass from t = 0 up, backpropagation
 * through time from t = T_x − 1 down — its first wrong step is where a time-loop bug is.
 */
export type TimeOrder = 'forward' | 'backward';

export interface FirstMismatch {
  t: number;
  /** The length of the array's time axis. */
  T: number;
  /** The first wrong entry at that step, e.g. `[0, 3, 4]`. */
  index: string;
}

/**
 * Which axis of an array is time, if any. In the seed's layout rank-3 arrays are the only
 * ones with a time axis, always the last: (n, m, T_x) for x, da and dx, a, y and c (`seedTime`);
 * other layouts say their own (PyTorch's output is (T, N, …)).
 */
export type TimeAxis = (name: string, shape: Shape) => number | undefined;
export const seedTime: TimeAxis = (_name, shape) => (shape.length === 3 ? 2 : undefined);

/** The time step of flat index k of an array whose time axis is `axis`. */
export function stepAt(k: number, shape: Shape, axis: number): number {
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return Math.floor(k / inner) % shape[axis];
}

/** Returns the first wrong entry in `order` among the flat indices `wrong` of array `name`. */
export function firstInTime(wrong: Iterable<number>, shape: Shape, order: TimeOrder, name = '', time: TimeAxis = seedTime): FirstMismatch | undefined {
  const axis = time(name, shape);
  if (axis === undefined) return undefined;
  let best = -1, bestT = -1;
  for (const k of wrong) {
    const t = stepAt(k, shape, axis);
    const better = bestT < 0 || (order === 'forward' ? t < bestT : t > bestT) || (t === bestT && k < best);
    if (better) {
      best = k;
      bestT = t;
    }
  }
  return best < 0 ? undefined : { t: bestT, T: shape[axis], index: indexText(best, shape) };
}

/** "first mismatch at t=3 (a[0, 2, 3])", and for gradients the direction BPTT runs in. */
export function firstMismatchText(f: FirstMismatch, name: string, order: TimeOrder): string {
  const from = order === 'backward' ? `, counting from t=${f.T - 1} down as backpropagation does` : '';
  return `first mismatch at t=${f.t} (${name}${f.index})${from}`;
}

/** `(m, T_x, n_a)`: each axis by the one dim of that size, or its number when none or several fit. */
export function symbolicShape(shape: Shape, dims?: Dims): string {
  if (!dims) return formatShape(shape);
  const names = Object.keys(dims) as (keyof Dims)[];
  return `(${shape.map((n) => {
    const fit = names.filter((k) => dims[k] === n);
    return fit.length === 1 ? fit[0] : String(n);
  }).join(', ')})`;
}

/** Permutations p with yours[i] = ours[p[i]] (numpy: ours.transpose(p) has your shape), identity excluded. */
export function transposesTo(ours: Shape, yours: Shape): number[][] {
  if (ours.length !== yours.length || ours.length < 2) return [];
  const out: number[][] = [];
  const walk = (p: number[]): void => {
    if (p.length === ours.length) {
      if (p.some((v, i) => v !== i)) out.push([...p]);
      return;
    }
    for (let j = 0; j < ours.length; j++) {
      if (!p.includes(j) && ours[j] === yours[p.length]) walk([...p, j]);
    }
  };
  walk([]);
  return out;
}

/**
 * What your shape probably is, or undefined when it is nothing we recognise: "your a is
 * (m, T_x, n_a) = ours transposed (1, 2, 0)? — the batch-major layout …". `brief`: without
 * the advice how to get ours (for table cells).
 */
export function shapeHint(name: string, ours: Shape, yours: Shape, dims?: Dims, brief = false): string | undefined {
  const perms = transposesTo(ours, yours);
  if (perms.length) {
    const text = ours.length === 2 ? '.T' : ' transposed ' + perms.map((p) => `(${p.join(', ')})`).join(' or ');
    let layout = '';
    if (ours.length === 3) {
      // ours is (n, m, T_x): batch-major (m, T_x, n) is transpose (1, 2, 0), time-major (T_x, m, n) is (2, 1, 0)
      const batch = perms.some((p) => p.join() === '1,2,0'), time = perms.some((p) => p.join() === '2,1,0');
      if (batch) layout = ` — the batch-major layout (PyTorch batch_first, Keras)${brief ? '' : '; np.transpose(yours, (2, 0, 1)) is ours'}`;
      else if (time) layout = ` — the time-major layout (PyTorch's default)${brief ? '' : '; np.transpose(yours, (2, 1, 0)) is ours'}`;
    }
    return `your ${name} is ${symbolicShape(yours, dims)} = ours${text}?${layout}`;
  }
  const squeeze = (s: Shape): number[] => s.filter((n) => n !== 1);
  if (sizeOf(ours) === sizeOf(yours) && squeeze(ours).join() === squeeze(yours).join()) {
    const k = Math.abs(ours.length - yours.length), axes = k === 1 ? 'an axis' : `${k} axes`;
    const how = ours.length > yours.length ? `without ${k === 1 ? 'its axis' : `its ${k} axes`} of length 1` : `with ${axes} of length 1 more`;
    return `your ${name} ${formatShape(yours)} is ours ${formatShape(ours)} ${how}? reshape it to ${formatShape(ours)}`;
  }
  if (ours.length === yours.length) {
    const diff = ours.map((n, i) => i).filter((i) => ours[i] !== yours[i]);
    const dimName = (n: number): string => {
      const s = symbolicShape([n], dims).slice(1, -1);
      return s === String(n) ? '' : ` (${s})`;
    };
    return diff.map((i) => `axis ${i}: yours ${yours[i]}, ours ${ours[i]}${dimName(ours[i])}`).join(', ');
  }
  return undefined;
}
