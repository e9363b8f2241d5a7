/** Rendering `--layout cs231n` results: the sizes in the assignment's letters, and the arrays under its names. Pure, as text.ts. */
import type { Cs231nRun } from '../commands/cs231n';
import { arraysTable, heading, table, type Style } from './text';
import { norm } from './format';
import { formatCells } from './format';
import type { Arrays } from '../../tensor';

/** `lstm_forward` / `rnn_forward`: the function that ran. */
export const functionOf = (r: Cs231nRun): string => `${r.problem.cell}_forward`;

function sizes(style: Style, r: Cs231nRun): string {
  const p = r.problem, head = ['N', 'T', 'D', 'H', ...(p.V !== undefined ? ['V'] : [])];
  return table(style, head, [[p.N, p.T, p.D, p.H, ...(p.V !== undefined ? [p.V] : [])].map(String)], head.map(() => 'right'));
}

function withNorms(style: Style, r: Cs231nRun, results: Arrays): string {
  const names = r.arrays.map((a) => a.name);
  const norms = formatCells(names.map((n) => (results[n] ? norm(results[n]) : undefined)), style.precision);
  const at = new Map(names.map((n, i) => [n, norms[i]]));
  return arraysTable(style, r.arrays, (row) => at.get(row.name) ?? '');
}

export function renderCs231nForward(style: Style, r: Cs231nRun & { outputs: Arrays }, backend: string): string {
  return [heading(style, `rnn forward — CS231n ${functionOf(r)}, layout cs231n, backend ${backend}`), sizes(style, r), withNorms(style, r, r.outputs), ''].join('\n');
}

export function renderCs231nBackward(style: Style, r: Cs231nRun & { loss: string; lossValue: number; gradients: Arrays }, backend: string, lossText: string): string {
  return [heading(style, `rnn backward — CS231n ${r.problem.cell}, layout cs231n, backend ${backend}: ${lossText}`), sizes(style, r), withNorms(style, r, r.gradients), ''].join('\n');
}
