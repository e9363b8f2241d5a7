/**
 * gradcheck's results for people: its header, a table per loss as it finishes, the summary,
 * what an interrupted check leaves, and the lines non-TTY stderr gets as arrays finish.
 */
import type { Dims } from '../../backends/types';
import type { GradcheckCommandResult, GradcheckPartial } from '../commands/gradcheck';
import type { ArrayCheck, GradcheckResult } from '../../gradcheck';
import { shown } from '../../escape';
import { LOSSES } from '../../model/losses';
import { formatShape } from '../../tensor';
import { formatCells, formatNumber, formatSetting } from './format';
import { formatDuration } from './progress';
import { heading, paint, table, type Style } from './text';
import { gradcheckVerdict, gradcheckVerdictLine, gradcheckWorst, refinementNote } from './verdicts';

/** What a gradcheck's loss heading names: known before the loss runs. */
export type LossHeading = Pick<GradcheckResult, 'loss' | 'mode' | 'modeReason' | 'eps' | 'tol' | 'analytic'>;

/**
 * `rnn gradcheck`'s text is printed in pieces as the check goes — the header before it runs,
 * each loss when it is finished, the summary at the end — and these functions are the pieces:
 * the complete text (renderGradcheck) is their concatenation, so the two cannot drift.
 */
export function renderGradcheck(style: Style, r: GradcheckCommandResult): string {
  return gradcheckHeader(style, r) + r.checks.map((ch) => gradcheckLoss(style, ch, r.dims)).join('') + gradcheckSummary(style, r.checks);
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
  const lossText = `${ch.loss}: ${LOSSES[ch.loss].short}`;
  const analytic = ch.analytic !== 'ours' ? `yours (${shown(ch.analytic)})` : 'ours';
  return heading(style, `loss ${lossText} — mode ${ch.mode}${ch.modeReason ? ` (${ch.modeReason})` : ''}, eps ${formatSetting(ch.eps)}, tol ${formatSetting(ch.tol)}, analytic: ${analytic}`);
}

/** The columns of a loss's table. */
function gradcheckColumns(mode: GradcheckResult['mode']): string[] {
  return ['gradient', 'shape', mode === 'fast' ? 'directions' : 'entries', 'rel. error', 'max abs err', 'worst', 'result'];
}

/** Texts of the error columns: one notation per column over the rows shown together. */
function errorColumns(arrays: ArrayCheck[]): { rel: string[]; abs: string[] } {
  return {
    rel: formatCells(arrays.map((a) => (a.checked ? a.relError : undefined)), 3),
    abs: formatCells(arrays.map((a) => (a.checked ? a.maxAbsError : undefined)), 3),
  };
}

/**
 * One array's row: name and shape first, the verdict last (gradcheckArrayLine relies on it).
 * `errors` holds its error columns' texts as its table formats them (a row on its own: its own).
 */
function gradcheckRow(style: Style, a: ArrayCheck, yours: boolean, dims?: Dims, errors = errorColumns([a]), i = 0): string[] {
  const c = paint(style);
  const verdict = a.pass ? c.green(gradcheckVerdict(a)) : c.red(gradcheckVerdict(a));
  return [
    a.name, formatShape(a.shape), String(a.checked) + (a.refinementChanged ? '*' : ''),
    errors.rel[i], errors.abs[i],
    gradcheckWorst(a, yours, style.precision, dims), verdict,
  ];
}

export function gradcheckTable(style: Style, ch: Pick<GradcheckResult, 'mode' | 'analytic'>, arrays: ArrayCheck[], dims?: Dims): string {
  const errors = errorColumns(arrays);
  const yours = ch.analytic !== 'ours';
  return table(style, gradcheckColumns(ch.mode), arrays.map((a, i) => gradcheckRow(style, a, yours, dims, errors, i)));
}

/** One finished loss: its heading, table and notes. */
export function gradcheckLoss(style: Style, ch: GradcheckResult, dims: Dims): string {
  const c = paint(style);
  const out = [lossHeading(style, ch), gradcheckTable(style, ch, ch.arrays, dims)];
  // (arrays your --grads files lack are listed on stderr as "not compared")
  const skipped = ch.unchecked.filter((n) => !ch.notCompared.includes(n));
  if (skipped.length) out.push(c.yellow(`not checked (--only): ${skipped.join(', ')}`));
  for (const n of gradcheckNotes(ch.arrays)) out.push(c.dim(n));
  out.push(c.dim(`${ch.evaluations} loss evaluations in ${formatNumber(ch.seconds, 3)} s`));
  return out.join('\n') + '\n';
}

/** The notes under a table: the refinement's footnote, and why a PASS needed the noise floor or the spread. */
export function gradcheckNotes(arrays: readonly ArrayCheck[]): string[] {
  const notes: string[] = [];
  const refinement = refinementNote(arrays);
  if (refinement) notes.push(refinement);
  const noisy = arrays.filter((a) => a.belowNoise);
  if (noisy.length) notes.push(`PASS (noise): every difference is within the rounding of its own finite difference (noise floors up to ${formatNumber(Math.max(...noisy.map((a) => a.noiseFloor)), 2)})`);
  const spread = Math.max(0, ...arrays.map((a) => a.spread ?? 0));
  if (arrays.some((a) => a.withinSpread)) {
    notes.push(`PASS (FD spread): the refined finite differences disagree among themselves by up to ${formatNumber(spread, 2)} (relative) here`);
    notes.push('  — gradients explode or saturate through time — and every difference lies within that spread; finite differences');
    notes.push('  cannot check these entries more tightly (errors above 1e-3 relative are still caught).');
  }
  return notes;
}

/** The verdict line under all losses. */
export function gradcheckSummary(style: Style, checks: GradcheckResult[]): string {
  const c = paint(style);
  const last = gradcheckVerdictLine(checks);
  return (last.ok ? c.green.bold(last.text) : c.red.bold(last.text)) + '\n';
}

/** The loss under way: its heading and the rows finished so far (a terminal's live view of a long check). */
export function gradcheckRunning(style: Style, plan: LossHeading, arrays: ArrayCheck[], dims: Dims): string {
  return lossHeading(style, plan) + '\n' + (arrays.length ? gradcheckTable(style, plan, arrays, dims) + '\n' : '');
}

/** After a SIGINT or SIGTERM: the finished rows of the loss under way, what was not checked, and a summary that is never PASS. */
export function gradcheckInterrupted(style: Style, r: GradcheckPartial): string {
  const c = paint(style);
  const out: string[] = [];
  if (r.running) {
    const { plan, arrays } = r.running;
    out.push(gradcheckRunning(style, plan, arrays, r.dims).slice(0, -1));
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
export function gradcheckArrayLine(style: Style, cell: string, plan: LossHeading & { names: string[] }, a: ArrayCheck, index: number, dims: Dims): string {
  const head = gradcheckColumns(plan.mode), cells = gradcheckRow({ ...style, color: false }, a, plan.analytic !== 'ours', dims);
  const details = cells.slice(2, -1).map((v, k) => `${head[k + 2]} ${v}`).join(', ');
  return `rnn: gradcheck ${cell} ${plan.loss} ${index + 1}/${plan.names.length}: ${cells[0]} ${cells[1]} ${cells[cells.length - 1]} (${details})\n`;
}
