/**
 * What a bag of arrays is when it is not a fixture: the outputs of a forward pass (a, y, c) or
 * the gradients of a backward pass (dx, da0, dW…), of which cells, with which dims. `rnn
 * inspect` says so instead of "does not fit" for every cell. Derived from CELLS, so a new
 * cell is recognised without a line here.
 */
import type { CellName, Dims } from '../../backends/types';
import { LOSS_NAMES, type LossName } from '../../model/losses';
import { CELL_NAMES, CELLS, gradientNames, outputNames } from '../../model/cells';
import { sameShape, type Arrays } from '../../tensor';

export interface Recognised {
  kind: 'outputs' | 'gradients';
  /** Every cell whose outputs (or gradients) these names and shapes can be. */
  cells: CellName[];
  /** Gradients only: the losses that have every one of them, in LOSSES order ('sum or xent'; `xent` with the head's). */
  loss?: string;
  /** The dims the shapes imply (those they do not determine are absent). */
  dims: Partial<Dims>;
  /** The names of the cells' outputs (or gradients) that the arrays lack. */
  missing: Partial<Record<CellName, string[]>>;
}

export function recognise(arrays: Arrays): Recognised | undefined {
  const names = Object.keys(arrays);
  if (!names.length) return undefined;
  return recogniseOutputs(arrays, names) ?? recogniseGradients(arrays, names);
}

/** a (n_a, m, T_x), y (n_y, m, T_x), c (n_a, m, T_x): one m and T_x, a and c alike. */
function recogniseOutputs(arrays: Arrays, names: string[]): Recognised | undefined {
  const cells = CELL_NAMES.filter((c) => names.every((n) => outputNames(CELLS[c]).includes(n)));
  if (!cells.length || !names.every((n) => arrays[n].shape.length === 3)) return undefined;
  const [, m, T_x] = arrays[names[0]].shape;
  if (!names.every((n) => arrays[n].shape[1] === m && arrays[n].shape[2] === T_x)) return undefined;
  if (arrays.a && arrays.c && !sameShape(arrays.a.shape, arrays.c.shape)) return undefined;
  const dims: Partial<Dims> = { m, T_x };
  const stateRows = (arrays.a ?? arrays.c)?.shape[0];
  if (stateRows !== undefined) dims.n_a = stateRows;
  if (arrays.y) dims.n_y = arrays.y.shape[0];
  const complete = completeFirst(cells, (c) => outputNames(CELLS[c]), names);
  return { kind: 'outputs', cells: complete, dims, missing: missingOf(complete, (c) => outputNames(CELLS[c]), names) };
}

/**
 * Gradient names of one cell; shapes checked against the cell's parameters wherever the dims
 * are known (n_x, m, T_x from dx, n_a from da0 or dc0, n_y from the head's gradient).
 */
function recogniseGradients(arrays: Arrays, names: string[]): Recognised | undefined {
  const gradientsOf = (c: CellName, k: LossName): boolean => names.every((n) => gradientNames(CELLS[c], k).includes(n));
  const cells = CELL_NAMES.filter((c) => LOSS_NAMES.some((k) => gradientsOf(c, k))).filter((c) => shapesFit(c, arrays, names));
  if (!cells.length) return undefined;
  const dims = gradientDims(CELLS[cells[0]].head.W, arrays);
  const losses = LOSS_NAMES.filter((k) => cells.some((c) => gradientsOf(c, k)));
  const expected = (c: CellName): string[] => gradientNames(CELLS[c], losses[0]);
  const complete = completeFirst(cells, expected, names);
  return { kind: 'gradients', cells: complete, loss: losses.join(' or '), dims, missing: missingOf(complete, expected, names) };
}

function gradientDims(headW: string, arrays: Arrays): Partial<Dims> {
  const d: Partial<Dims> = {};
  const dx = arrays.dx?.shape;
  if (dx?.length === 3) [d.n_x, d.m, d.T_x] = dx;
  const state = (arrays.da0 ?? arrays.dc0)?.shape;
  if (state?.length === 2) [d.n_a, d.m] = state;
  const W = arrays['d' + headW]?.shape;
  if (W?.length === 2) [d.n_y, d.n_a] = W;
  return d;
}

function shapesFit(cell: CellName, arrays: Arrays, names: string[]): boolean {
  const spec = CELLS[cell];
  const d = gradientDims(spec.head.W, arrays);
  if (arrays.dx && arrays.dx.shape.length !== 3) return false;
  for (const s of ['da0', 'dc0']) {
    if (arrays[s] && !(arrays[s].shape.length === 2 && (d.m === undefined || arrays[s].shape[1] === d.m))) return false;
  }
  // A parameter's shape is checked when the dims it depends on are known: filling the unknown
  // ones with two different values must give the same shape.
  const fill = (v: number): Dims => ({ n_x: v, n_a: v, n_y: v, m: v, T_x: v, ...d });
  return spec.params.every((p) => {
    if (!names.includes('d' + p.name)) return true;
    const [one, other] = [p.shape(fill(1)), p.shape(fill(8))];
    return !sameShape(one, other) || sameShape(arrays['d' + p.name].shape, one);
  });
}

/** The cells whose every output (gradient) is here, when there are such; else all candidates. */
function completeFirst(cells: CellName[], expected: (c: CellName) => string[], names: string[]): CellName[] {
  const complete = cells.filter((c) => expected(c).every((n) => names.includes(n)));
  return complete.length ? complete : cells;
}

function missingOf(cells: CellName[], expected: (c: CellName) => string[], names: string[]): Partial<Record<CellName, string[]>> {
  const out: Partial<Record<CellName, string[]>> = {};
  for (const c of cells) {
    const lack = expected(c).filter((n) => !names.includes(n));
    if (lack.length) out[c] = lack;
  }
  return out;
}
