/**
 * What a verdict says, as plain text (colour is added by the caller): `--expect` comparisons
 * and gradcheck arrays — how many entries are wrong, the worst, the first in time order, what
 * a wrong shape probably is — and the final PASS/FAIL lines. Your side is "yours".
 */
import type { Dims } from '../../backends/types';
import type { Comparison, ExpectReport } from '../../compare';
import type { ArrayCheck, GradcheckResult } from '../../gradcheck';
import { firstMismatchText, shapeHint, type TimeOrder } from '../../mismatch';
import { shownList } from '../../escape';
import { formatShape, sameShape } from '../../tensor';
import { DEFAULT_PRECISION as PRECISION, formatColumn, formatFloat, scientificFor } from './format';

/** `y` or, when you call it otherwise, `y (your y_pred)`. */
export function comparedName(c: Comparison): string {
  return c.yours === c.name ? c.name : `${c.name} (your ${c.yours})`;
}

/** A wrong shape: both shapes and, where we recognise it, what yours probably is. */
export function shapeText(name: string, ours: readonly number[], yours: readonly number[], dims?: Dims): string {
  const hint = shapeHint(name, ours, yours, dims);
  return `your shape ${formatShape(yours)}, ours ${formatShape(ours)}${hint ? ` — ${hint}` : ''}`;
}

/** One line for stderr: what is wrong with one compared array. */
export function describeMismatch(c: Comparison, order: TimeOrder, dims?: Dims): string {
  const name = comparedName(c);
  if (!sameShape(c.shape, c.yourShape)) return `${name}: ${shapeText(c.name, c.shape, c.yourShape, dims)}`;
  const parts = [`${c.bad} of ${c.checked} entries wrong`];
  if (c.worst) {
    const [yours, ours] = formatColumn([c.worst.yours, c.worst.ours], PRECISION); // a pair: one notation, as in the table
    parts.push(`worst ${c.name}${c.worst.index} (yours ${yours}, ours ${ours})`);
  }
  if (c.firstMismatch) parts.push(firstMismatchText(c.firstMismatch, c.name, order));
  return `${name}: ${parts.join(', ')}`;
}

/** The result cell of a comparison row. */
export function comparisonVerdict(c: Comparison): string {
  if (c.ok) return 'PASS';
  if (!sameShape(c.shape, c.yourShape)) return 'FAIL (shape)';
  return `FAIL: ${c.bad} of ${c.checked} wrong${c.firstMismatch ? `, first at t=${c.firstMismatch.t}` : ''}`;
}

/** `(2 of 3 arrays compared)`. */
function comparedCount(compared: number, missing: number): string {
  return `(${compared} of ${compared + missing} arrays compared)`;
}

/** The last line of an --expect report. */
export function expectVerdictLine(r: ExpectReport): { text: string; ok: boolean } {
  const bad = r.comparisons.filter((c) => !c.ok).map((c) => c.name);
  const count = comparedCount(r.comparisons.length, r.notCompared.length);
  return bad.length ? { text: `FAIL ${count}: ${bad.join(', ')}`, ok: false } : { text: `PASS ${count}`, ok: true };
}

/** For stderr: arrays the command produces that your files lack. */
export function notComparedText(option: string, names: string[], files: string[]): string {
  return `${option}: not compared: ${names.join(', ')} (not in ${shownList(files)})`;
}

/** The worst entry of a gradcheck row: `[1, 2]: numeric 0.1, yours 0.2` (`analytic` when it is ours). */
export function gradcheckWorst(a: ArrayCheck, yours: boolean, precision = PRECISION, dims?: Dims): string {
  if (a.shapeMismatch) return shapeHint(a.name, a.shape, a.shapeMismatch, dims, true) ?? '—';
  if (!a.worst) return '—';
  const [numeric, analytic] = formatColumn([a.worst.numeric, a.worst.analytic], precision);
  return `${a.worst.index}: numeric ${numeric}, ${yours ? 'yours' : 'analytic'} ${analytic}`;
}

/** The result cell of a gradcheck row. */
export function gradcheckVerdict(a: ArrayCheck): string {
  if (a.pass) return a.belowNoise ? 'PASS (noise)' : a.withinSpread ? 'PASS (FD spread)' : 'PASS';
  if (a.shapeMismatch) return `FAIL: shape ${formatShape(a.shapeMismatch)}`;
  if (a.wrong === undefined) return 'FAIL';
  return `FAIL: ${a.wrong} of ${a.checked} wrong${a.firstMismatch ? `, first at t=${a.firstMismatch.t}` : ''}`;
}

/**
 * One line for stderr: what is wrong with one gradient. Its relative error is written as in its
 * table's column, `checks` (the same string).
 */
export function describeFailure(a: ArrayCheck, yours: boolean, dims?: Dims, checks: readonly ArrayCheck[] = [a]): string {
  if (a.shapeMismatch) return `${a.name}: ${shapeText(a.name, a.shape, a.shapeMismatch, dims)}`;
  const items = a.worst?.index.startsWith('v') ? 'directions' : 'entries';
  const parts: string[] = [];
  parts.push(a.wrong ? `${a.wrong} of ${a.checked} ${items} wrong` : `none of the ${a.checked} ${items} wrong on its own beyond its noise floor`);
  if (a.worst) {
    const at = a.worst.index.startsWith('v') ? ` along ${a.worst.index}` : a.worst.index;
    const [numeric, analytic] = formatColumn([a.worst.numeric, a.worst.analytic], PRECISION);
    parts.push(`worst ${a.name}${at} (numeric ${numeric}, ${yours ? 'yours' : 'analytic'} ${analytic})`);
  }
  if (a.firstMismatch) parts.push(firstMismatchText(a.firstMismatch, a.name, 'backward'));
  const scientific = scientificFor(checks.filter((c) => c.checked).map((c) => c.relError));
  parts.push(`relative error ${formatFloat(a.relError, { precision: 3, scientific })}`);
  return `${a.name}: ${parts.join(', ')}`;
}

/** The footnote for rows marked `*`, only where the refinement turned a FAIL into a PASS. */
export function refinementNote(arrays: readonly ArrayCheck[]): string | undefined {
  if (!arrays.some((a) => a.refinementChanged)) return undefined;
  return '* PASS after refinement: the centred difference at eps had not converged (the loss curves hard here); five-point differences at eps/10 and eps/100 agree';
}

/** The last line of a gradcheck report. */
export function gradcheckVerdictLine(checks: GradcheckResult[]): { text: string; ok: boolean } {
  const failed = checks.flatMap((ch) => ch.arrays.filter((a) => !a.pass).map((a) => `${a.name} (${ch.loss})`));
  const yours = checks.some((ch) => ch.analytic !== 'ours');
  const count = yours
    ? ' ' + comparedCount(checks.reduce((s, ch) => s + ch.arrays.length, 0), checks.reduce((s, ch) => s + ch.notCompared.length, 0))
    : '';
  if (failed.length) return { text: `FAIL${count}: ${failed.join(', ')}`, ok: false };
  return { text: yours ? `PASS${count}: every gradient of yours checked agrees with finite differences` : 'PASS: every gradient checked agrees with finite differences', ok: true };
}
