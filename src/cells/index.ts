/**
 * CELLS: every recurrent cell `rnn` knows, registered as data. This table drives the
 * `--cell` choices, parameter names and shapes (validation, `rnn init`), the unroller,
 * and the shared contract test (test/cells-contract.test.ts). Adding a cell = one file
 * with its forward and backward step + one line here.
 */
import type { CellName, Dims } from '../backend';
import { gruCell } from './gru';
import { lstmCell } from './lstm';
import { rnnCell } from './rnn';
import type { CellSpec } from './types';

export const CELLS: Readonly<Record<CellName, CellSpec>> = {
  rnn: rnnCell,
  lstm: lstmCell,
  gru: gruCell,
};

export const CELL_NAMES = Object.keys(CELLS) as CellName[];

export function isCellName(s: string): s is CellName {
  return Object.prototype.hasOwnProperty.call(CELLS, s);
}

/** Names of the inputs a cell's forward reads besides its parameters. */
export function stateInputs(cell: CellSpec): string[] {
  return cell.hasCellState ? ['a0', 'c0'] : ['a0'];
}

/** Gradient names `backward` returns for a cell and loss, in a stable order. */
export function gradientNames(cell: CellSpec, loss: 'sum' | 'xent'): string[] {
  const names = ['dx', 'da0'];
  if (cell.hasCellState) names.push('dc0');
  for (const p of cell.params) if (p.role === 'recurrent' || loss === 'xent') names.push('d' + p.name);
  return names;
}

export function paramShapes(cell: CellSpec, d: Dims): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const p of cell.params) out[p.name] = p.shape(d);
  return out;
}

export type { CellSpec } from './types';
