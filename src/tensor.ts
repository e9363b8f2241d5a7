/**
 * Tensor: the engine's array type. A float64 n-d array in C (row-major) order,
 * the same layout numpy uses by default: element (i, j, t) of a (n_x, m, T_x)
 * array lives at data[(i * m + j) * T_x + t].
 *
 * Everything that crosses a boundary (file readers, the library API, the CLI)
 * is converted to a Tensor once; the math then works on `data` directly.
 */
import { shown } from './escape';

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(shape: Shape, data?: Float64Array | ArrayLike<number>): Tensor {
  const n = sizeOf(shape);
  let buf: Float64Array;
  if (data === undefined) buf = new Float64Array(n);
  else if (data instanceof Float64Array) buf = data;
  else buf = Float64Array.from(data);
  if (buf.length !== n) {
    throw new Error(`tensor: shape ${formatShape(shape)} needs ${n} values, got ${buf.length}`);
  }
  return { shape: [...shape], data: buf };
}

export function zeros(shape: Shape): Tensor {
  return tensor(shape);
}

/** `(5, 10, 4)` — numpy's way of printing a shape; `()` for a scalar, `(3,)` for a vector. */
export function formatShape(shape: Shape): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A nested plain array (any rank, rank 0 is a bare number). */
export type Nested = number | Nested[];

/** Nested plain array -> Tensor. Throws with the path of the first ragged or non-numeric element. */
export function fromNested(value: unknown, name = 'array'): Tensor {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const data = new Float64Array(sizeOf(shape));
  let k = 0;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') {
        throw new Error(`${path}: expected a number, got ${describe(v)}`);
      }
      data[k++] = v;
      return;
    }
    if (!Array.isArray(v)) {
      throw new Error(`${path}: expected an array of ${shape[depth]}, got ${describe(v)}`);
    }
    if (v.length !== shape[depth]) {
      throw new Error(`${path}: expected ${shape[depth]} ${depth + 1 === shape.length ? 'numbers' : 'arrays'}, got ${v.length}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, shown(name));
  return { shape, data };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v)}`;
  return typeof v;
}

/** Tensor -> nested plain array (a bare number for rank 0). */
export function toNested(t: Tensor): Nested {
  const { shape, data } = t;
  if (shape.length === 0) return data[0];
  let k = 0;
  const build = (depth: number): Nested[] => {
    const out: Nested[] = new Array(shape[depth]);
    if (depth === shape.length - 1) {
      for (let i = 0; i < shape[depth]; i++) out[i] = data[k++];
    } else {
      for (let i = 0; i < shape[depth]; i++) out[i] = build(depth + 1);
    }
    return out;
  };
  return build(0);
}

/** A named bag of arrays: what a fixture file holds and what commands return. */
export type Arrays = Record<string, Tensor>;

/** X[:, :, t] of a (rows, m, T) array, as a (rows, m) tensor. */
export function stepSlice(t3: Tensor, t: number): Tensor {
  const [rows, m, T] = t3.shape;
  const data = new Float64Array(rows * m);
  for (let r = 0; r < rows * m; r++) data[r] = t3.data[r * T + t];
  return { shape: [rows, m], data };
}
