/**
 * Rendering results for people: tables (cli-table3) and colour (chalk). Pure functions
 * from a command's result to a string; colour is a parameter, never read from the
 * environment here (src/cli.ts decides it).
 */
import type chalkType from 'chalk';
import type TableType from 'cli-table3';
import type { Dims } from '../backend';
import type { ArrayRow, ForwardResult } from '../commands/forward';
import type { BackwardResult } from '../commands/backward';
import type { GradcheckCommandResult, GradcheckPartial } from '../commands/gradcheck';
import type { ArrayCheck, GradcheckResult } from '../gradcheck';
import type { InspectResult } from '../commands/inspect';
import type { Comparison } from '../compare';
import { formatShape, type Arrays, type Tensor } from '../tensor';
import { formatNumber, norm, pickColumns, stats } from './format';
import { formatDuration } from './progress';

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
 * (`c.bold.cyan(s)` is `s`): chalk and its terminal probing (~6 ms of start-up) are not loaded.
 */
const plain: Chalk = new Proxy(((...texts: unknown[]) => texts.join(' ')) as unknown as Chalk, { get: () => plain });

function paint(style: Style): Chalk {
  if (!style.color) return plain;
  chalkModule ??= require('chalk') as typeof chalkType;
  return new chalkModule.Instance({ level: 1 });
}

/** A cli-table3 table; without colour its default red/grey styling is switched off too. */
export function table(style: Style, head: string[], rows: (string | number)[][], align?: ('left' | 'right')[]): string {
  const c = paint(style);
  TableClass ??= require('cli-table3') as typeof TableType;
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
      const cells = [r.name, r.role === 'default' ? 'default (zeros)' : r.role, formatShape(r.shape)];
      if (oneSource === undefined) cells.push(r.source ?? '');
      if (extra) cells.push(extra(r));
      return cells;
    }),
  );
  return oneSource === undefined ? t : `inputs from ${oneSource}\n${t}`;
}

/** ŷ⟨t⟩ (or any (rows, m, T_x) array at step t) as rows × example columns, truncated for big m. */
export function stepTable(style: Style, t3: Tensor, t: number, rowLabel: string): string {
  const [rows, m, T] = t3.shape;
  const cols = pickColumns(m);
  const head = [rowLabel, ...cols.map((j) => (j < 0 ? '…' : `j=${j}`))];
  const body: string[][] = [];
  const shownRows = pickColumns(rows, 12);
  for (const i of shownRows) {
    if (i < 0) {
      body.push(['…', ...cols.map(() => '…')]);
      continue;
    }
    body.push([String(i), ...cols.map((j) => (j < 0 ? '…' : formatNumber(t3.data[(i * m + j) * T + t], style.precision)))]);
  }
  return table(style, head, body, head.map((_, k) => (k === 0 ? 'left' : 'right')));
}

/** Per time step: min, max, mean and norm of a⟨t⟩ (and c⟨t⟩). */
export function stateSummary(style: Style, outputs: Arrays, names: string[]): string {
  const T = outputs[names[0]].shape[2];
  const head = ['t'];
  for (const name of names) head.push(`${name} min`, `${name} max`, `${name} mean`, `‖${name}‖`);
  const body: string[][] = [];
  for (const t of pickColumns(T, 12)) {
    if (t < 0) {
      body.push(head.map(() => '…'));
      continue;
    }
    const row = [String(t)];
    for (const name of names) {
      const slice = stepSlice(outputs[name], t);
      const s = stats(slice);
      row.push(...[s.min, s.max, s.mean, norm(slice)].map((v) => formatNumber(v, style.precision)));
    }
    body.push(row);
  }
  return table(style, head, body, head.map((_, k) => (k === 0 ? 'left' : 'right')));
}

/** X[:, :, t] of a (rows, m, T_x) array, as a (rows, m) tensor. */
export function stepSlice(t3: Tensor, t: number): Tensor {
  const [rows, m, T] = t3.shape;
  const data = new Float64Array(rows * m);
  for (let r = 0; r < rows * m; r++) data[r] = t3.data[r * T + t];
  return { shape: [rows, m], data };
}

export function comparisonTable(style: Style, comps: Comparison[], rtol: number, atol: number): string {
  const c = paint(style);
  const rows = comps.map((k) => [
    k.name,
    formatShape(k.shape) + (k.theirShape.join() === k.shape.join() ? '' : ` vs theirs ${formatShape(k.theirShape)}`),
    k.checked ? formatNumber(k.maxAbs, 3) : '—',
    k.checked ? formatNumber(k.maxRel, 3) : '—',
    k.worst ? `${k.name}${k.worst.index}: ours ${formatNumber(k.worst.ours, style.precision)}, theirs ${formatNumber(k.worst.theirs, style.precision)}` : '—',
    k.ok ? c.green('PASS') : c.red(k.checked ? `FAIL (${k.bad}/${k.checked})` : 'FAIL (shape)'),
  ]);
  return `${table(style, ['array', 'shape', 'max abs err', 'max rel err', 'worst entry', `rtol ${rtol}, atol ${atol}`], rows)}`;
}

/** numpy-like text of an array: nested brackets, aligned columns, summarised when large. */
export function formatArray(t: Tensor, precision: number): string {
  const { shape, data } = t;
  if (shape.length === 0) return formatNumber(data[0], precision);
  const summarise = data.length > 1000;
  const pick = (n: number): number[] => (summarise && n > 6 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i));
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const texts = new Map<number, string>();
  let width = 0;
  const collect = (depth: number, off: number): void => {
    for (const i of pick(shape[depth])) {
      if (i < 0) continue;
      if (depth === shape.length - 1) {
        const s = formatNumber(data[off + i], precision);
        texts.set(off + i, s);
        width = Math.max(width, s.length);
      } else collect(depth + 1, off + i * strides[depth]);
    }
  };
  collect(0, 0);
  const build = (depth: number, off: number, indent: string): string => {
    const idx = pick(shape[depth]);
    if (depth === shape.length - 1) {
      return '[' + idx.map((i) => (i < 0 ? '...' : texts.get(off + i)!.padStart(width))).join(' ') + ']';
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
  const lossText = r.loss === 'sum' ? 'L = Σ da ⊙ a' : 'L = −(1/m) Σ_t Σ_j log ŷ[labels[j, t], j, t]';
  const out = [
    heading(style, `rnn backward — cell ${r.cell}, backend ${r.backend}, loss ${r.loss}: ${lossText}`),
    dimsTable(style, r.dims),
    arraysTable(style, r.arrays, (row) => (row.role === 'output' ? formatNumber(norm(r.gradients[row.name]), style.precision) : '')),
    `loss = ${formatNumber(r.lossValue, style.precision)}`,
  ];
  for (const name of show) out.push(heading(style, `${name} ${formatShape(r.gradients[name].shape)}`), formatArray(r.gradients[name], style.precision));
  return out.join('\n') + '\n';
}

export function renderInspect(style: Style, r: InspectResult): string {
  const c = paint(style);
  const p = style.precision;
  const rows = r.arrays.map((a) => [
    a.name, formatShape(a.shape), a.source, a.dtype,
    formatNumber(a.min, p), formatNumber(a.max, p), formatNumber(a.mean, p),
    a.nan + a.inf ? c.red(`${a.nan}/${a.inf}`) : '0/0',
  ]);
  const fits = r.fits.map((f) => [
    f.cell,
    f.dims ? c.green('fits') : c.yellow('no'),
    f.dims
      ? `n_x=${f.dims.n_x} n_a=${f.dims.n_a} n_y=${f.dims.n_y} m=${f.dims.m} T_x=${f.dims.T_x}` + (f.unused?.length ? `; unused: ${f.unused.join(', ')}` : '')
      : f.problem ?? '',
  ]);
  return [
    table(style, ['array', 'shape', 'from', 'dtype', 'min', 'max', 'mean', 'NaN/Inf'], rows),
    table(style, ['cell', 'fits?', 'dims, or what is wrong'], fits),
  ].join('\n') + '\n';
}

/** What a gradcheck's loss heading names: known before the loss runs. */
type LossHeading = Pick<GradcheckResult, 'loss' | 'mode' | 'modeReason' | 'eps' | 'tol' | 'analytic'>;

/**
 * `rnn gradcheck`'s text is printed in pieces as the check goes — the header before it runs,
 * each loss when it is finished, the summary at the end — and these functions are the pieces:
 * the complete text (renderGradcheck) is their concatenation, so the two cannot drift.
 */
export function renderGradcheck(style: Style, r: GradcheckCommandResult): string {
  return gradcheckHeader(style, r) + r.checks.map((ch) => gradcheckLoss(style, ch)).join('') + gradcheckSummary(style, r.checks);
}

/** The title, the dims and the notes. */
export function gradcheckHeader(style: Style, r: Pick<GradcheckCommandResult, 'cell' | 'net' | 'dims' | 'notes'>): string {
  const c = paint(style);
  const d = r.dims;
  const out = [heading(style, `rnn gradcheck — cell ${r.cell}: ${r.net}`)];
  out.push(`dims: n_x=${d.n_x} n_a=${d.n_a} n_y=${d.n_y} m=${d.m} T_x=${d.T_x}`);
  for (const n of r.notes) out.push(c.dim(`note: ${n}`));
  return out.join('\n') + '\n';
}

function lossHeading(style: Style, ch: LossHeading): string {
  const lossText = ch.loss === 'sum' ? 'sum: L = Σ da ⊙ a' : 'xent: L = −(1/m) Σ log ŷ[label]';
  return heading(style, `loss ${lossText} — mode ${ch.mode}${ch.modeReason ? ` (${ch.modeReason})` : ''}, eps ${ch.eps.toExponential()}, tol ${ch.tol.toExponential()}, analytic: ${ch.analytic}`);
}

/** The columns of a loss's table. */
function gradcheckColumns(mode: GradcheckResult['mode']): string[] {
  return ['gradient', 'shape', mode === 'fast' ? 'directions' : 'entries', 'rel. error', 'max abs err', 'worst', 'result'];
}

/** One array's row: name and shape first, the verdict last (gradcheckArrayLine relies on it). */
function gradcheckRow(style: Style, a: ArrayCheck): string[] {
  const c = paint(style);
  const p = style.precision;
  const verdict = a.pass
    ? c.green(a.belowNoise ? 'PASS (noise)' : a.withinSpread ? 'PASS (FD spread)' : 'PASS')
    : c.red(a.shapeMismatch ? `FAIL: shape ${formatShape(a.shapeMismatch)}` : 'FAIL');
  const worst = a.worst
    ? `${a.worst.index}: numeric ${formatNumber(a.worst.numeric, p)}, analytic ${formatNumber(a.worst.analytic, p)}`
    : '—';
  return [
    a.name, formatShape(a.shape), String(a.checked) + (a.refined ? '*' : ''),
    a.checked ? formatNumber(a.relError, 3) : '—', a.checked ? formatNumber(a.maxAbsError, 3) : '—',
    worst, verdict,
  ];
}

function gradcheckTable(style: Style, mode: GradcheckResult['mode'], arrays: ArrayCheck[]): string {
  return table(style, gradcheckColumns(mode), arrays.map((a) => gradcheckRow(style, a)));
}

/** One finished loss: its heading, table and notes. */
export function gradcheckLoss(style: Style, ch: GradcheckResult): string {
  const c = paint(style);
  const out = [lossHeading(style, ch), gradcheckTable(style, ch.mode, ch.arrays)];
  if (ch.unchecked.length) out.push(c.yellow(`not checked: ${ch.unchecked.join(', ')}`));
  const notes: string[] = [];
  if (ch.refined) notes.push('* refined with five-point differences at eps/10 and eps/100 where the loss curves hard');
  if (ch.arrays.some((a) => a.belowNoise)) notes.push(`PASS (noise): every difference is below the finite-difference noise floor ${formatNumber(ch.noiseFloor, 2)}`);
  const spread = Math.max(0, ...ch.arrays.map((a) => a.spread ?? 0));
  if (ch.arrays.some((a) => a.withinSpread)) {
    notes.push(`PASS (FD spread): the refined finite differences disagree among themselves by up to ${formatNumber(spread, 2)} (relative) here`);
    notes.push('  — gradients explode or saturate through time — and every difference lies within that spread; finite differences');
    notes.push('  cannot check these entries more tightly (errors above 1e-3 relative are still caught).');
  }
  for (const n of notes) out.push(c.dim(n));
  out.push(c.dim(`${ch.evaluations} loss evaluations in ${ch.seconds.toFixed(2)} s`));
  return out.join('\n') + '\n';
}

/** The verdict line under all losses. */
export function gradcheckSummary(style: Style, checks: GradcheckResult[]): string {
  const c = paint(style);
  const failed = checks.flatMap((ch) => ch.arrays.filter((a) => !a.pass).map((a) => `${a.name} (${ch.loss})`));
  return (failed.length ? c.red.bold(`FAIL: ${failed.join(', ')}`) : c.green.bold('PASS: every gradient checked agrees with finite differences')) + '\n';
}

/** The loss under way: its heading and the rows finished so far (a terminal's live view of a long check). */
export function gradcheckRunning(style: Style, plan: LossHeading, arrays: ArrayCheck[]): string {
  return lossHeading(style, plan) + '\n' + (arrays.length ? gradcheckTable(style, plan.mode, arrays) + '\n' : '');
}

/** After a SIGINT or SIGTERM: the finished rows of the loss under way, what was not checked, and a summary that is never PASS. */
export function gradcheckInterrupted(style: Style, r: GradcheckPartial): string {
  const c = paint(style);
  const out: string[] = [];
  if (r.running) {
    const { plan, arrays } = r.running;
    out.push(gradcheckRunning(style, plan, arrays).slice(0, -1));
    const left = plan.names.slice(arrays.length);
    out.push(c.yellow(`interrupted: ${arrays.length} of ${plan.names.length} arrays checked${left.length ? `; not checked: ${left.join(', ')}` : ''}`));
  }
  const notRun = r.losses.slice(r.checks.length + (r.running ? 1 : 0)).map((l) => l.loss);
  if (notRun.length) out.push(c.yellow(`not run: loss ${notRun.join(', ')}`));
  const checked = [...r.checks.flatMap((ch) => ch.arrays), ...(r.running?.arrays ?? [])];
  const failed = [...r.checks.flatMap((ch) => ch.arrays.map((a) => ({ a, loss: ch.loss }))), ...(r.running?.arrays.map((a) => ({ a, loss: r.running!.plan.loss })) ?? [])]
    .filter((x) => !x.a.pass).map((x) => `${x.a.name} (${x.loss})`);
  const head = `INTERRUPTED by ${r.signal} after ${formatDuration(r.seconds)}`;
  out.push(failed.length
    ? c.red.bold(`${head} — FAIL: ${failed.join(', ')}`)
    : c.yellow.bold(`${head}: no FAIL among the ${checked.length} arrays checked, but the check is incomplete — not a PASS`));
  return out.join('\n') + '\n';
}

/** One finished array as a log line (stderr that is not a terminal, on a long check). */
export function gradcheckArrayLine(style: Style, cell: string, plan: LossHeading & { names: string[] }, a: ArrayCheck, index: number): string {
  const head = gradcheckColumns(plan.mode), cells = gradcheckRow({ ...style, color: false }, a);
  const details = cells.slice(2, -1).map((v, k) => `${head[k + 2]} ${v}`).join(', ');
  return `rnn: gradcheck ${cell} ${plan.loss} ${index + 1}/${plan.names.length}: ${cells[0]} ${cells[1]} ${cells[cells.length - 1]} (${details})\n`;
}
