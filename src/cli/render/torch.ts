/**
 * Rendering `--layout torch` results: the module as PyTorch would print its arguments, the
 * arrays under PyTorch's names, output by time step and the final states by layer and
 * direction. Pure, as text.ts.
 */
import type { TorchBackwardResult, TorchForwardResult, TorchGradcheckCommandResult, TorchRun } from '../commands/torch';
import { formatShape, type Tensor } from '../../tensor';
import { arraysTable, formatArray, heading, stateSummary, table, type Style } from './text';
import { formatCells, formatNumber, formatSetting, norm } from './format';
import { gradcheckNotes, gradcheckTable } from './gradcheck';
import { paint } from './text';
import { shownList } from '../../escape';
import type { TorchNet } from '../../layouts/torch';

/** `nn.LSTM(3, 4, num_layers=2, bidirectional=True)`, as PyTorch's repr writes the module. */
export function moduleText(m: TorchNet, nonlinearity?: string): string {
  const args = [String(m.inputSize), String(m.hidden)];
  if (m.layers > 1) args.push(`num_layers=${m.layers}`);
  if (nonlinearity === 'relu') args.push("nonlinearity='relu'");
  if (!m.bias) args.push('bias=False');
  if (m.proj) args.push(`proj_size=${m.proj}`);
  if (m.directions === 2) args.push('bidirectional=True');
  return `nn.${m.module}(${args.join(', ')})`;
}

function sizesTable(style: Style, r: TorchRun): string {
  const head = ['layers', 'directions', 'H_in', 'H', ...(r.module.proj ? ['proj_size'] : []), 'N', 'T', 'batch_first'];
  const row = [r.module.layers, r.module.directions, r.module.inputSize, r.module.hidden, ...(r.module.proj ? [r.module.proj] : []), r.N ?? 'unbatched', r.T, r.N === null ? '—' : String(r.batchFirst)];
  return table(style, head, [row.map(String)], head.map(() => 'right'));
}

/** The name of layer-direction k, as PyTorch's parameter suffixes: l0, l0_reverse, l1, … */
const suffix = (m: TorchNet, k: number): string => `l${Math.floor(k / m.directions)}${k % m.directions ? '_reverse' : ''}`;

/** (K, N, H) — or (K, H) — final states: each k's (N, H) block. */
function stateBlock(t: Tensor, k: number): Tensor {
  const n = t.data.length / t.shape[0];
  return { shape: t.shape.slice(1), data: t.data.subarray(k * n, (k + 1) * n) };
}

/** Per layer-direction: the norm of each final state. */
function finalStates(style: Style, m: TorchNet, outputs: Record<string, Tensor>): string {
  const names = outputs.c_n ? ['h_n', 'c_n'] : ['h_n'];
  const K = m.layers * m.directions;
  const cols = names.map((n) => formatCells(Array.from({ length: K }, (_, k) => norm(stateBlock(outputs[n], k))), style.precision));
  const body = Array.from({ length: K }, (_, k) => [`${k}`, suffix(m, k), ...cols.map((c) => c[k])]);
  return table(style, ['k', 'layer', ...names.map((n) => `‖${n}[k]‖`)], body, ['right', 'left', ...names.map(() => 'right' as const)]);
}

/** output (T, N, F), (N, T, F) or (T, F) as the seed's (F, N, T), for the per-step summary. */
function outputBySteps(r: TorchRun, output: Tensor): Tensor {
  const T = r.T, N = r.N ?? 1, F = output.shape[output.shape.length - 1];
  const data = new Float64Array(F * N * T);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) {
    const src = (r.batchFirst && r.N !== null ? n * T + t : t * N + n) * F;
    for (let f = 0; f < F; f++) data[(f * N + n) * T + t] = output.data[src + f];
  }
  return { shape: [F, N, T], data };
}

export function renderTorchForward(style: Style, r: TorchForwardResult, backend: string, nonlinearity?: string): string {
  return [
    heading(style, `rnn forward — ${moduleText(r.module, nonlinearity)}, layout torch, backend ${backend}`),
    sizesTable(style, r),
    arraysTable(style, r.arrays),
    heading(style, 'output by time step'),
    stateSummary(style, { output: outputBySteps(r, r.outputs.output) }, ['output']),
    heading(style, `final state${r.outputs.c_n ? 's' : ''} by layer and direction`),
    finalStates(style, r.module, r.outputs),
  ].join('\n') + '\n';
}

/** `L = Σ grad_output ⊙ output + Σ grad_h_n ⊙ h_n`, the terms the fixture gave. */
export function torchLossText(upstream: readonly string[]): string {
  return `L = ${upstream.map((g) => `Σ ${g} ⊙ ${g.slice('grad_'.length)}`).join(' + ')}`;
}

export function renderTorchBackward(style: Style, r: TorchBackwardResult, backend: string, show: string[], nonlinearity?: string): string {
  const outputs = r.arrays.filter((row) => row.role === 'output');
  const norms = formatCells(outputs.map((row) => norm(r.gradients[row.name])), style.precision);
  const normOf = new Map(outputs.map((row, k) => [row, norms[k]]));
  const out = [
    heading(style, `rnn backward — ${moduleText(r.module, nonlinearity)}, layout torch, backend ${backend}: ${torchLossText(r.upstream)}`),
    sizesTable(style, r),
    arraysTable(style, r.arrays, (row) => normOf.get(row) ?? ''),
    `loss = ${formatNumber(r.lossValue, style.precision)}`,
  ];
  for (const name of show) out.push(heading(style, `${name} ${formatShape(r.gradients[name].shape)}`), formatArray(r.gradients[name], style.precision));
  return out.join('\n') + '\n';
}

/** `rnn gradcheck --layout torch`: the module, the settings, a row per gradient, the notes and the verdict. */
export function renderTorchGradcheck(style: Style, r: TorchGradcheckCommandResult, nonlinearity?: string): string {
  const c = paint(style), ch = r.check;
  const analytic = ch.analytic === 'ours' ? 'ours' : `yours (${shownList(r.gradsFrom ?? [])})`;
  const out = [
    heading(style, `rnn gradcheck — ${moduleText(r.module, nonlinearity)}, layout torch: ${torchLossText(r.upstream)}`),
    ...r.notes.map((n) => c.dim(`note: ${n}`)),
    heading(style, `mode ${ch.mode}${ch.modeReason ? ` (${ch.modeReason})` : ''}, eps ${formatSetting(ch.eps)}, tol ${formatSetting(ch.tol)}, analytic: ${analytic}`),
    gradcheckTable(style, ch, ch.arrays),
    ...gradcheckNotes(ch.arrays).map((n) => c.dim(n)),
    c.dim(`${ch.evaluations} loss evaluations (each a whole forward of the module) in ${formatNumber(r.seconds, 3)} s`),
  ];
  const failed = ch.arrays.filter((a) => !a.pass).map((a) => a.name);
  const count = ch.analytic === 'ours' ? '' : ` (${ch.arrays.length} of ${ch.arrays.length + ch.notCompared.length} arrays compared)`;
  out.push(failed.length ? c.red.bold(`FAIL${count}: ${failed.join(', ')}`) : c.green.bold(`PASS${count}: every gradient checked agrees with finite differences`));
  return out.join('\n') + '\n';
}
