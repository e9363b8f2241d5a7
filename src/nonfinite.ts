/**
 * Results that are not finite. Every input is checked finite (validate.ts), so a NaN or ±Inf
 * in a result means the computation overflowed float64 (inf − inf, 0·inf): the inputs are too
 * large for it. Where, as src/mismatch.ts counts: in an array with a time axis (rank 3, the
 * last axis) the first step in the order the computation runs — forward from t=0 up, BPTT from
 * t=T_x−1 down — else the first entry in C order.
 */
import { seedTime, stepAt, type TimeAxis, type TimeOrder } from './mismatch';
import { formatExact } from './cli/render/format';
import type { Arrays, Shape } from './tensor';
import { indexText } from './validate';

export interface NonFinite {
  name: string;
  shape: Shape;
  /** The first non-finite entry: its flat index and value. */
  k: number;
  value: number;
  /** Its time step, and the time axis's length, for arrays with a time axis. */
  t?: number;
  T?: number;
}

/** The arrays holding NaN or ±Inf, the one that went first (in `order`) first. */
export function findNonFinite(arrays: Arrays, order: TimeOrder, time: TimeAxis = seedTime): NonFinite[] {
  const found: NonFinite[] = [];
  for (const name of Object.keys(arrays)) {
    const { shape, data } = arrays[name];
    const axis = time(name, shape);
    let best = -1;
    for (let k = 0; k < data.length; k++) {
      if (Number.isFinite(data[k])) continue;
      if (best < 0) best = k;
      if (axis === undefined) break;
      const t = stepAt(k, shape, axis), bt = stepAt(best, shape, axis);
      if (order === 'forward' ? t < bt : t > bt) best = k;
    }
    if (best >= 0) found.push({ name, shape, k: best, value: data[best], ...(axis === undefined ? {} : { t: stepAt(best, shape, axis), T: shape[axis] }) });
  }
  const rank = (f: NonFinite): number => (f.t === undefined ? Infinity : order === 'forward' ? f.t : -f.t);
  return found.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
}

/**
 * One line: `a[0, 0, 1] = nan at t=1 is the first output that is not finite (also y from t=1): <cause>`.
 * `what`: `output`, `gradient`, `array`.
 */
export function nonFiniteText(found: NonFinite[], what: string, order: TimeOrder, cause: string): string {
  const [first, ...rest] = found;
  const at = (f: NonFinite): string => (f.t === undefined ? '' : ` at t=${f.t}`);
  const from = order === 'backward' && first.t !== undefined ? `, counting from t=${first.T! - 1} down as backpropagation does` : '';
  const also = rest.map((f) => `${f.name}${f.t === undefined ? '' : ` from t=${f.t}`}`);
  return `${first.name}${indexText(first.k, first.shape)} = ${formatExact(first.value)}${at(first)} is the first ${what} that is not finite${from}` +
    `${also.length ? ` (also ${also.join(', ')})` : ''}: ${cause}`;
}
