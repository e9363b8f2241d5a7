/**
 * Rendering results for people: tables (cli-table3) and colour (chalk). Pure functions
 * from a command's result to a string; colour is a parameter, never read from the
 * environment here (src/cli/main.ts decides it).
 */
import type chalkType from 'chalk';
import type TableType from 'cli-table3';
import type { Dims } from '../../backends/types';
import type { ArrayRow, ForwardResult } from '../commands/forward';
import type { BackwardResult } from '../commands/backward';
import type { InspectResult } from '../commands/inspect';
import type { Recognised } from '../commands/recognise';
import { moduleText } from './torch';
import type { Comparison, ExpectReport } from '../../compare';
import { shown, shownList } from '../../escape';
import { LOSSES } from '../../model/losses';
import { formatShape, stepSlice, type Arrays, type Tensor } from '../../tensor';
import { alignNumbers, formatCells, formatColumn, formatNumber, formatSetting, norm, pickColumns, stats } from './format';
import { shapeHint } from '../../mismatch';
import { comparedName, comparisonVerdict, expectVerdictLine } from './verdicts';

export interface Style {
  color: boolean;
  precision: number;
}

type Chalk = chalkType.Chalk;

// chalk and cli-table3 load on first use: `--json` runs and `--help` never pay for them.
let chalkModule: typeof chalkType | undefined;
let TableClass: typeof TableType | undefined;

/**
 * Without colour, a painter that returns its text unchanged, whatever style is chained
 * (`c.bold.cyan(s)` is `s`): chalk and its terminal probing (start-up time: bench/README.md) are not loaded.
 */
const plain: Chalk = new Proxy(((...texts: unknown[]) => texts.join(' ')) as unknown as Chalk, { get: () => plain });

export function paint(style: Style): Chalk {
  if (!style.color) return plain;
  chalkModule ??= require('chalk') as typeof chalkType;
  return new chalkModule.Instance({ level: 1 });
}

function enableBorderColors(): void {
  try {
    (require('@colors/colors/safe') as { enabled: boolean }).enabled = true;
  } catch {
    // an optional dependency of cli-table3: without it borders stay plain
  }
}

/** A cli-table3 table; without colour its default red/grey styling is switched off too. */
export function table(style: Style, head: string[], rows: (string | number)[][], align?: ('left' | 'right')[]): string {
  const c = paint(style);
  TableClass ??= require('cli-table3') as typeof TableType;
  // cli-table3 colours borders through @colors/colors, which decided at load time from
  // process.stdout and argv; colour forced through a pipe (--color, FORCE_COLOR) must reach it.
  if (style.color) enableBorderColors();
  const t = new TableClass({
    head: head.map((h) => c.bold(h)),
    style: style.color ? { head: [], border: ['grey'] } : { head: [], border: [] },
    // compact: no rule between body rows
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    ...(align ? { colAligns: align } : {}),
  });
  for (const r of rows) t.push(r.map(String));
  return t.toString();
}

export function heading(style: Style, text: string): string {
  return paint(style).bold.cyan(text);
}

export function dimsTable(style: Style, d: Dims): string {
  const keys = ['n_x', 'n_a', 'n_y', 'm', 'T_x'] as const;
  return table(style, [...keys], [keys.map((k) => d[k])], keys.map(() => 'right'));
}

/**
 * Every input and output with its role and shape, and where each input came from — as one
 * line above the table when all inputs came from the same file (the usual case), else as a
 * column. Arrays the cell defaulted are 'default (zeros)'.
 */
export function arraysTable(style: Style, rows: ArrayRow[], extra?: (r: ArrayRow) => string): string {
  const inputs = rows.filter((r) => r.role === 'input');
  const sources = new Set(inputs.map((r) => r.source));
  const oneSource = sources.size === 1 && inputs[0].source !== undefined ? inputs[0].source : undefined;
  const head = ['array', 'role', 'shape'];
  if (oneSource === undefined) head.push('from');
  if (extra) head.push('norm');
  const t = table(
    style,
    head,
    rows.map((r) => {
      const cells = [shown(r.name), r.role === 'default' ? 'default (zeros)' : r.role, formatShape(r.shape)];
      if (oneSource === undefined) cells.push(r.source === undefined ? '' : shown(r.source));
      if (extra) cells.push(extra(r));
      return cells;
    }),
  );
  return oneSource === undefined ? t : `inputs from ${shown(oneSource)}\n${t}`;
}

/** ŷ⟨t⟩ (or any (rows, m, T_x) array at step t) as rows × example columns, truncated for big m. */
export function stepTable(style: Style, t3: Tensor, t: number, rowLabel: string): string {
  const [rows, m, T] = t3.shape;
  const cols = pickColumns(m);
  const head = [rowLabel, ...cols.map((j) => (j < 0 ? '…' : `j=${j}`))];
  const body: string[][] = [];
  const shownRows = pickColumns(rows, 12);
  // the shown entries are one array to numpy: one notation for all of them
  const shown = shownRows.flatMap((i) => (i < 0 ? [] : cols.flatMap((j) => (j < 0 ? [] : [t3.data[(i * m + j) * T + t]]))));
  const texts = alignNumbers(formatColumn(shown, style.precision));
  let k = 0;
  for (const i of shownRows) {
    if (i < 0) {
      body.push(['…', ...cols.map(() => '…')]);
      continue;
    }
    body.push([String(i), ...cols.map((j) => (j < 0 ? '…' : texts[k++]))]);
  }
  return table(style, head, body, head.map((_, k) => (k === 0 ? 'left' : 'right')));
}

/** Per time step: min, max, mean and norm of a⟨t⟩ (and c⟨t⟩). */
export function stateSummary(style: Style, outputs: Arrays, names: string[]): string {
  const T = outputs[names[0]].shape[2];
  const head = ['t'];
  for (const name of names) head.push(`${name} min`, `${name} max`, `${name} mean`, `‖${name}‖`);
  const steps = pickColumns(T, 12);
  // columns[c][r]: the value of column c (after t) in row r
  const columns: (number | undefined)[][] = Array.from({ length: head.length - 1 }, () => []);
  for (const t of steps) {
    const values = t < 0 ? [] : names.flatMap((name) => {
      const slice = stepSlice(outputs[name], t);
      const s = stats(slice);
      // A step holding NaN or ±Inf shows them, as numpy's min/max/mean would (stats skips them).
      return s.nan + s.inf ? [...withNonFinite(slice), norm(slice)] : [s.min, s.max, s.mean, norm(slice)];
    });
    columns.forEach((col, c) => col.push(values[c]));
  }
  const texts = columns.map((col) => formatCells(col, style.precision));
  const body = steps.map((t, r) => (t < 0 ? head.map(() => '…') : [String(t), ...texts.map((col) => col[r])]));
  return table(style, head, body, head.map((_, k) => (k === 0 ? 'left' : 'right')));
}

/** min, max and mean over every entry, NaN and ±Inf included (numpy's a.min(), a.max(), a.mean()). */
function withNonFinite(t: Tensor): [number, number, number] {
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of t.data) {
    min = Number.isNaN(v) || v < min ? v : min; // once NaN, stays NaN
    max = Number.isNaN(v) || v > max ? v : max;
    sum += v;
  }
  return [min, max, sum / t.data.length];
}


export function comparisonTable(style: Style, comps: Comparison[], rtol: number, atol: number, dims?: Dims): string {
  const c = paint(style);
  const maxAbs = formatCells(comps.map((k) => (k.checked ? k.maxAbs : undefined)), 3);
  const maxRel = formatCells(comps.map((k) => (k.checked ? k.maxRel : undefined)), 3);
  const worst = (k: Comparison): string => {
    if (!k.worst) return k.checked ? '—' : shapeHint(k.name, k.shape, k.yourShape, dims, true) ?? '—';
    const [ours, yours] = formatColumn([k.worst.ours, k.worst.yours], style.precision);
    return `${k.name}${k.worst.index}: ours ${ours}, yours ${yours}`;
  };
  const rows = comps.map((k, i) => [
    comparedName(k),
    formatShape(k.shape) + (k.yourShape.join() === k.shape.join() ? '' : ` vs yours ${formatShape(k.yourShape)}`),
    maxAbs[i],
    maxRel[i],
    worst(k),
    k.ok ? c.green(comparisonVerdict(k)) : c.red(comparisonVerdict(k)),
  ]);
  return `${table(style, ['array', 'shape', 'max abs err', 'max rel err', 'worst entry', `rtol ${formatSetting(rtol)}, atol ${formatSetting(atol)}`], rows)}`;
}

/** An --expect report: the comparison table and the verdict line, `PASS (2 of 3 arrays compared)`. */
export function renderExpect(style: Style, r: ExpectReport, rtol: number, atol: number, dims?: Dims): string {
  const c = paint(style);
  const last = expectVerdictLine(r);
  return `${comparisonTable(style, r.comparisons, rtol, atol, dims)}\n${last.ok ? c.green.bold(last.text) : c.red.bold(last.text)}\n`;
}

/** numpy-like text of an array: nested brackets, aligned columns, summarised when large. */
export function formatArray(t: Tensor, precision: number): string {
  const { shape, data } = t;
  if (shape.length === 0) return formatNumber(data[0], precision);
  const summarise = data.length > 1000;
  const pick = (n: number): number[] => (summarise && n > 6 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i));
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  // numpy formats the entries it shows as one set: one notation, points aligned
  const shown: number[] = [];
  const collect = (depth: number, off: number): void => {
    for (const i of pick(shape[depth])) {
      if (i < 0) continue;
      if (depth === shape.length - 1) shown.push(off + i);
      else collect(depth + 1, off + i * strides[depth]);
    }
  };
  collect(0, 0);
  const aligned = alignNumbers(formatColumn(shown.map((k) => data[k]), precision));
  const texts = new Map(shown.map((k, n) => [k, aligned[n]]));
  const build = (depth: number, off: number, indent: string): string => {
    const idx = pick(shape[depth]);
    if (depth === shape.length - 1) {
      return '[' + idx.map((i) => (i < 0 ? '...' : texts.get(off + i)!)).join(' ') + ']';
    }
    const sep = '\n'.repeat(shape.length - 1 - depth) + indent + ' ';
    return '[' + idx.map((i) => (i < 0 ? '...' : build(depth + 1, off + i * strides[depth], indent + ' '))).join(sep) + ']';
  };
  return build(0, 0, '');
}

export function renderForward(style: Style, r: ForwardResult, t: number): string {
  const out = [
    heading(style, `rnn forward — cell ${r.cell}, backend ${r.backend}`),
    dimsTable(style, r.dims),
    arraysTable(style, r.arrays),
    heading(style, `predictions ŷ⟨${t}⟩ (rows: class k of n_y = ${r.dims.n_y}, columns: example j of m = ${r.dims.m})`),
    stepTable(style, r.outputs.y, t, 'k'),
    heading(style, `hidden state${r.outputs.c ? ' and cell state' : ''} by time step`),
    stateSummary(style, r.outputs, r.outputs.c ? ['a', 'c'] : ['a']),
  ];
  return out.join('\n') + '\n';
}

export function renderBackward(style: Style, r: BackwardResult, show: string[]): string {
  const lossText = LOSSES[r.loss].equation;
  const outputs = r.arrays.filter((row) => row.role === 'output');
  const norms = formatCells(outputs.map((row) => norm(r.gradients[row.name])), style.precision);
  const normOf = new Map(outputs.map((row, k) => [row, norms[k]]));
  const out = [
    heading(style, `rnn backward — cell ${r.cell}, backend ${r.backend}, loss ${r.loss}: ${lossText}`),
    dimsTable(style, r.dims),
    arraysTable(style, r.arrays, (row) => normOf.get(row) ?? ''),
    `loss = ${formatNumber(r.lossValue, style.precision)}`,
  ];
  for (const name of show) out.push(heading(style, `${name} ${formatShape(r.gradients[name].shape)}`), formatArray(r.gradients[name], style.precision));
  return out.join('\n') + '\n';
}

export function renderInspect(style: Style, r: InspectResult): string {
  const c = paint(style);
  const [min, max, mean] = (['min', 'max', 'mean'] as const).map((s) => formatCells(r.arrays.map((a) => a[s]), style.precision));
  const rows = r.arrays.map((a, i) => [
    shown(a.name), formatShape(a.shape), shown(a.source), shown(a.dtype),
    min[i], max[i], mean[i],
    a.nan + a.inf ? c.red(`${a.nan}/${a.inf}`) : '0/0',
  ]);
  const fits = r.fits.map((f) => [
    f.cell,
    f.dims ? c.green('fits') : c.yellow('no'),
    f.dims
      ? `n_x=${f.dims.n_x} n_a=${f.dims.n_a} n_y=${f.dims.n_y} m=${f.dims.m} T_x=${f.dims.T_x}` + (f.unused?.length ? `; unused: ${shownList(f.unused)}` : '')
      : f.problem ?? '',
  ]);
  const arrays = table(style, ['array', 'shape', 'from', 'dtype', 'min', 'max', 'mean', 'NaN/Inf'], rows);
  if (r.torch) return [arrays, torchText(r.torch)].join('\n') + '\n';
  if (r.cs231n) return [arrays, cs231nText(r.cs231n)].join('\n') + '\n';
  if (r.recognised) return [arrays, recognisedText(r.recognised)].join('\n') + '\n';
  return [arrays, table(style, ['cell', 'fits?', 'dims, or what is wrong'], fits)].join('\n') + '\n';
}

/** The arrays as a PyTorch module: what it is and how to run it, or why they are not one. */
function torchText(t: NonNullable<InspectResult['torch']>): string {
  if (!t.module) return `PyTorch parameter names, but not a module: ${t.problem}`;
  const lines = [`a PyTorch module: ${moduleText(t.module)}${t.module.prefix ? ` under the prefix ${shown(t.module.prefix)}` : ''}`];
  const x = t.input;
  if (!x) lines.push('no input here (rnn forward needs one: (T, N, H_in))');
  else if (x.length === 2) lines.push(`input: unbatched, T=${x[0]}`);
  else lines.push(`input: T=${x[0]} N=${x[1]}, or with --batch-first N=${x[0]} T=${x[1]} (the arrays do not say which)`);
  lines.push('run it: rnn forward --layout torch FILES (backward with grad_output: README, "PyTorch modules")');
  return lines.join('\n');
}

/** The arrays as CS231n's rnn_layers.py takes them: which function, the sizes, what can run. */
function cs231nText(f: NonNullable<InspectResult['cs231n']>): string {
  if (!f.problem) return `CS231n's names (Wx, Wh, b), but not arrays rnn_layers.py takes: ${f.wrong}`;
  const p = f.problem;
  const lines = [`CS231n's ${p.cell}_forward (layout cs231n): N=${p.N} T=${p.T} D=${p.D} H=${p.H}${p.V !== undefined ? ` V=${p.V}` : ''}`];
  const losses = f.losses ?? [];
  lines.push(losses.length ? `backward: ${losses.map((l) => (l === 'sum' ? '--loss sum (dh)' : `--loss xent (temporal_softmax_loss on y${f.mask ? ', with its mask' : ''})`)).join(', ')}` : 'backward needs dh, or y with W_vocab and b_vocab');
  lines.push('run it: rnn forward FILES (the names choose --layout cs231n; README, "CS231n\'s rnn_layers.py")');
  return lines.join('\n');
}

/** "outputs of a forward pass of the lstm (a, y, c): n_a=5 …", and how to check them. */
function recognisedText(g: Recognised): string {
  const cells = g.cells.length > 1 ? `${g.cells.slice(0, -1).join(', ')} or ${g.cells[g.cells.length - 1]}` : g.cells[0];
  const dims = (['n_x', 'n_a', 'n_y', 'm', 'T_x'] as const).filter((k) => g.dims[k] !== undefined).map((k) => `${k}=${g.dims[k]}`).join(' ');
  const lines = g.kind === 'outputs'
    ? [`outputs of a forward pass, --cell ${cells}: ${dims}`, `compare them with ours: rnn forward --cell ${g.cells[0]} FIXTURE --expect FILE`]
    : [`gradients of the ${g.loss} loss, --cell ${cells}: ${dims}`, `check them: rnn gradcheck --cell ${g.cells[0]} FIXTURE --grads FILE --loss ${g.loss!.split(' or ')[0]}`];
  for (const [cell, lack] of Object.entries(g.missing)) lines.push(`not here${g.cells.length > 1 ? ` (of ${cell})` : ''}: ${lack.join(', ')}`);
  lines.push('(not a fixture: no cell\'s parameters and x)');
  return lines.join('\n');
}

