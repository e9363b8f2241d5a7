/**
 * CELLS: every recurrent cell `rnn` knows, registered as data. This table drives the
 * `--cell` choices, parameter names and shapes (validation, `rnn init`), the unroller,
 * and the shared contract test (test/cells-contract.test.ts). Adding a cell = one file
 * with its forward and backward step + one line here.
 */
import type { Dims } from '../dims';
import { gruCell } from './gru';
import { gruResetAfterCell } from './gru_reset_after';
import { lstmCell } from './lstm';
import { rnnCell } from './rnn';
import { rnnReluCell } from './rnn_relu';
import type { CellSpec, Params } from './types';
import { LOSSES, LOSS_NAMES, type LossName } from '../losses';

const REGISTRY = {
  rnn: rnnCell,
  lstm: lstmCell,
  gru: gruCell,
  gru_reset_after: gruResetAfterCell,
  rnn_relu: rnnReluCell,
} as const;

/**
 * Every cell's literal type (its name, parameter names and roles, hasCellState): the library's
 * per-cell input, output and gradient types are derived from these (src/api-types.ts).
 */
export type CellTypes = typeof REGISTRY;
/** The cells `rnn` knows: the keys of CELLS. */
export type CellName = keyof CellTypes;

/** The table as the engine reads it: every cell through the one CellSpec interface. */
export const CELLS: Readonly<Record<CellName, CellSpec>> = REGISTRY;

export const CELL_NAMES = Object.keys(CELLS) as CellName[];

export function isCellName(s: string): s is CellName {
  return Object.prototype.hasOwnProperty.call(CELLS, s);
}

/** Names of the inputs a cell's forward reads besides its parameters. */
export function stateInputs(cell: CellSpec): string[] {
  return cell.hasCellState ? ['a0', 'c0'] : ['a0'];
}

/** Names of the arrays `forward` returns for a cell: a, y (and c). */
export function outputNames(cell: CellSpec): string[] {
  return cell.hasCellState ? ['a', 'y', 'c'] : ['a', 'y'];
}

/** Gradient names `backward` returns for a cell and loss, in a stable order. */
export function gradientNames(cell: CellSpec, loss: LossName): string[] {
  const names = ['dx', 'da0'];
  if (cell.hasCellState) names.push('dc0');
  for (const p of cell.params) if (p.role === 'recurrent' || LOSSES[loss].usesHead) names.push('d' + p.name);
  return names;
}

/** Every gradient name of a cell that some loss has, in the same order. */
export const allGradientNames = (cell: CellSpec): string[] =>
  [...new Set(LOSS_NAMES.flatMap((k) => gradientNames(cell, k)))].sort((a, b) => gradientOrder(cell, a) - gradientOrder(cell, b));
const gradientOrder = (cell: CellSpec, g: string): number => ['dx', 'da0', 'dc0', ...cell.params.map((p) => 'd' + p.name)].indexOf(g);

/**
 * Buffers for a cell's parameters — or, with prefix 'd', their gradients: one buffer per
 * stack (its members are views into it, see CellSpec.stacks) and one per other parameter.
 * `fill(name)` supplies initial values (they are copied); otherwise all zeros. `alloc` makes
 * the buffers (src/exec/groups.ts: on shared memory).
 */
export function paramBuffers(
  cell: CellSpec, d: Dims, prefix = '', fill?: (name: string) => Float64Array,
  alloc = (n: number): Float64Array => new Float64Array(n),
): Params {
  const size = (name: string): number => {
    const [r, c] = cell.params.find((p) => p.name === name)!.shape(d);
    return r * c;
  };
  const p: Params = {};
  for (const stack of cell.stacks) {
    const buf = alloc(stack.members.reduce((n, mem) => n + size(mem), 0));
    p[prefix + stack.name] = buf;
    let off = 0;
    for (const mem of stack.members) {
      p[prefix + mem] = buf.subarray(off, off + size(mem));
      off += size(mem);
    }
  }
  for (const spec of cell.params) {
    if (!(prefix + spec.name in p)) p[prefix + spec.name] = alloc(size(spec.name));
    if (fill) p[prefix + spec.name].set(fill(spec.name));
  }
  return p;
}

/**
 * The names of a cell's parameter buffers as paramBuffers lays them out (each stack, then
 * every parameter outside a stack), and which of them hold weight matrices — parameters of
 * more than one column, whose gradients only the product kernels accumulate.
 */
export function bufferNames(cell: CellSpec, d: Dims): { all: string[]; weights: string[] } {
  const cols = (name: string): number => cell.params.find((p) => p.name === name)!.shape(d)[1];
  const inStack = new Set(cell.stacks.flatMap((s) => s.members));
  const all: string[] = [], weights: string[] = [];
  for (const s of cell.stacks) {
    all.push(s.name);
    if (cols(s.members[0]) > 1) weights.push(s.name);
  }
  for (const p of cell.params) {
    if (inStack.has(p.name)) continue;
    all.push(p.name);
    if (cols(p.name) > 1) weights.push(p.name);
  }
  return { all, weights };
}

export function paramShapes(cell: CellSpec, d: Dims): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const p of cell.params) out[p.name] = p.shape(d);
  return out;
}

export type { CellSpec } from './types';
