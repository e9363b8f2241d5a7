/**
 * Checks at the boundary: a bag of named arrays (from files or the library API) against a
 * cell. Every message names the array, its file, its shape and the expected shape; past
 * this point the math trusts the shapes.
 */
import { LOSS_INPUT, LOSS_KINDS, LOSS_WEIGHTS, type CellName, type Dims } from './backends/types';
import { LOSSES, type LossInputName, type LossSpec } from './model/losses';
import { CELLS, stateInputs } from './model/cells';
import { isParamName } from './layouts/torch/names';
import { InputError } from './errors';
import { shownList } from './escape';
import { formatExact } from './cli/render/format';
import { formatShape, sameShape, zeros, type Arrays, type Shape, type Tensor } from './tensor';

/** Where an array came from, for messages: a file name, `-` for stdin, or `input`. */
export type Origin = (name: string) => string | undefined;

/** The losses' inputs a command needs, by name (LOSSES: the sum loss's `da`, the xent loss's `labels`). */
export type Needs = { readonly [N in LossInputName]?: boolean };

export interface Checked {
  dims: Dims;
  /** The inputs with `a0` (and `c0`) filled with zeros when absent. */
  inputs: Arrays;
  /** Names the cell does not use (not an error: a fixture may hold more). */
  unknown: string[];
}

const DIM_NAMES = ['n_x', 'n_a', 'n_y', 'm', 'T_x'] as const;

/** What the losses read: the sum loss's upstream `da`, the xent loss's `labels`. */
export const LOSS_DATA: string[] = Object.values(LOSS_INPUT);
/** Names every command may find in a fixture besides the cell's parameters. */
const DATA_NAMES = ['x', 'a0', 'c0', ...LOSS_DATA, ...LOSS_WEIGHTS];

/** Every name a fixture may hold for the cell: its parameters, x, a0 (c0), da and labels. */
export function fixtureNames(cellName: CellName): string[] {
  return [...requiredNames(cellName), ...stateInputs(CELLS[cellName]), ...LOSS_DATA, ...LOSS_WEIGHTS];
}

export function requiredNames(cellName: CellName): string[] {
  return [...CELLS[cellName].params.map((p) => p.name), 'x'];
}

export function checkInputs(cellName: CellName, arrays: Arrays, needs: Needs = {}, origin: Origin = () => undefined): Checked {
  const cell = CELLS[cellName];
  const where = (name: string): string | undefined => origin(name);
  const required = requiredNames(cellName);
  for (const k of LOSS_KINDS) if (needs[LOSS_INPUT[k]]) required.push(LOSS_INPUT[k]);
  const missing = required.filter((n) => !(n in arrays));
  if (missing.length) {
    const found = Object.keys(arrays);
    throw new InputError(
      `missing ${missing.join(', ')} for --cell ${cellName}` +
        ` (found: ${found.length ? shownList(found) : 'nothing'})` +
        (found.some(isParamName) ? ": these are a PyTorch module's names, add --layout torch" : ''),
      sourcesOf(found, where),
    );
  }

  const x = arrays.x;
  if (x.shape.length !== 3) {
    throw new InputError(`x has shape ${formatShape(x.shape)} but must be (n_x, m, T_x), 3-D`, where('x'));
  }
  const W = arrays[cell.head.W];
  if (W.shape.length !== 2) {
    throw new InputError(`${cell.head.W} has shape ${formatShape(W.shape)} but must be (n_y, n_a), 2-D`, where(cell.head.W));
  }
  const [n_x, m, T_x] = x.shape;
  const [n_y, n_a] = W.shape;
  const dims: Dims = { n_x, n_a, n_y, m, T_x };
  for (const k of DIM_NAMES) {
    if (dims[k] === 0) throw new InputError(`${k} = 0 (from ${k === 'n_a' || k === 'n_y' ? cell.head.W : 'x'}): every size must be at least 1`, where(k === 'n_a' || k === 'n_y' ? cell.head.W : 'x'));
  }

  const expectShape = (name: string, want: (d: Dims) => Shape): void => {
    const t = arrays[name];
    const exp = want(dims);
    if (!sameShape(t.shape, exp)) {
      throw new InputError(`${name} has shape ${formatShape(t.shape)} but ${dimsIn(want, dims)} needs ${formatShape(exp)}`, where(name));
    }
  };
  for (const p of cell.params) expectShape(p.name, p.shape);
  const inputs: Arrays = { ...arrays };
  for (const s of cell.hasCellState ? ['a0', 'c0'] : ['a0']) {
    if (s in arrays) expectShape(s, (d) => [d.n_a, d.m]);
    else inputs[s] = zeros([n_a, m]);
  }
  // A loss's input is checked where it is needed; one that could be drawn, also wherever no
  // other kind is needed (a da in a forward's fixture is still checked).
  const dataNeeded = LOSS_KINDS.some((k) => !LOSSES[k].input.drawn && needs[LOSS_INPUT[k]]);
  for (const k of LOSS_KINDS) {
    const input = LOSSES[k].input;
    if (!(input.name in arrays) || !(needs[input.name] || (input.drawn && !dataNeeded))) continue;
    expectShape(input.name, input.shape);
    const t = arrays[input.name], bad = 'invalid' in input ? input.invalid(t, dims) : undefined;
    if (bad) throw new InputError(`${input.name}${indexText(bad.at, t.shape)} = ${formatExact(t.data[bad.at])} ${bad.why}`, where(input.name));
    const weights = (LOSSES[k] as LossSpec).weights;
    if (weights && weights.name in arrays) {
      expectShape(weights.name, input.shape);
      const w = arrays[weights.name], wrong = weights.invalid(w);
      if (wrong) throw new InputError(`${weights.name}${indexText(wrong.at, w.shape)} = ${formatExact(w.data[wrong.at])} ${wrong.why}`, where(weights.name));
    }
  }

  const used = new Set([...cell.params.map((p) => p.name), ...DATA_NAMES]);
  for (const name of Object.keys(inputs)) if (used.has(name)) checkFinite(name, inputs[name], where(name));
  return { dims, inputs, unknown: Object.keys(arrays).filter((n) => !used.has(n)) };
}

/** NaN or ±Infinity anywhere is an input error naming the array and the index. */
export function checkFinite(name: string, t: Tensor, source?: string): void {
  const k = firstNonFinite(t.data);
  if (k >= 0) throw new InputError(`${name}${indexText(k, t.shape)} is ${formatExact(t.data[k])}: inputs must be finite`, source);
}

/**
 * The first NaN or ±Infinity in `data`, or −1: v − v is 0 exactly for finite v. A plain loop,
 * as every big input of a run passes through it once, mostly before V8 optimises anything:
 * `findIndex` with a callback took 3–4× as long on a cold 2.4M-value input (bench/README.md, "One cold run").
 */
function firstNonFinite(data: Float64Array): number {
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (!(v - v === 0)) return k;
  }
  return -1;
}

/** `[1, 0, 3]` for flat index k of an array of the given shape (`` for a scalar). */
export function indexText(k: number, shape: Shape): string {
  if (shape.length === 0) return '';
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(k % shape[i]);
    k = Math.floor(k / shape[i]);
  }
  return `[${idx.join(', ')}]`;
}

/** "n_a = 5, n_x = 3": the dims a shape formula depends on (found by perturbing each). */
function dimsIn(want: (d: Dims) => Shape, dims: Dims): string {
  const base = want(dims);
  const used = DIM_NAMES.filter((k) => !sameShape(want({ ...dims, [k]: dims[k] + 7 }), base));
  return used.map((k) => `${k} = ${dims[k]}`).join(', ');
}

function sourcesOf(names: string[], where: (n: string) => string | undefined): string[] {
  return [...new Set(names.map(where).filter((s): s is string => !!s))];
}
