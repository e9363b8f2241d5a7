/**
 * The wiring of `--layout torch` for forward and backward (src/cli/main.ts hands the action over
 * here when the option says so): the command modules' results, rendered or emitted.
 */
import { InputError } from '../errors';
import { shownList } from '../escape';
import { runTorchBackward, runTorchForward, type TorchCommandOptions } from './commands/torch';
import type { IO } from './main';
import { bytesOf, type CommonOpts } from './options';
import { emit } from './output';
import { formatNumber } from './render/format';
import { moduleText, renderTorchBackward, renderTorchForward, torchLossText } from './render/torch';
import { BACKWARD_RESULT, FORWARD_RESULT, reportComparisons, say, styleOf } from './report';

/** The options forward and backward take in the torch layout. */
export interface TorchOpts extends CommonOpts {
  cell?: string;
  backend: string;
  prefix?: string;
  batchFirst?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  expect?: string[];
  strict?: boolean;
  rtol: number;
  atol: number;
  maxInput: number;
}

/** Options that only mean something in the torch layout: refused elsewhere, never ignored. */
export function torchOnly(o: { prefix?: string; batchFirst?: boolean; nonlinearity?: string }): void {
  const given = [o.prefix !== undefined && '--prefix', o.batchFirst && '--batch-first', o.nonlinearity !== undefined && '--nonlinearity'].filter((x): x is string => !!x);
  if (given.length) throw new InputError(`${given.join(', ')}: for --layout torch only (the coursera layout is one layer of the notebook's cell, named as the notebook names it)`);
}

function commandOptions(sources: string[], o: TorchOpts): TorchCommandOptions {
  if (o.backend !== 'float64') throw new InputError(`--backend ${o.backend}: --layout torch runs on the float64 engine only (the mathjs reference is the notebook's single layer)`);
  return { sources, cell: o.cell, prefix: o.prefix, batchFirst: o.batchFirst, nonlinearity: o.nonlinearity, expect: o.expect, rtol: o.rtol, atol: o.atol, maxBytes: bytesOf(o.maxInput) };
}

const sizes = (r: { T: number; N: number | null }): string => `T=${r.T} N=${r.N ?? 'unbatched'}`;

function warnUnused(io: IO, unknown: string[]): void {
  if (unknown.length) say(io, `warning: not read by this command: ${shownList(unknown)}`);
}

export async function torchForward(io: IO, sources: string[], o: TorchOpts): Promise<void> {
  const style = styleOf(o, io);
  const r = runTorchForward(commandOptions(sources, o));
  warnUnused(io, r.unknown);
  const kind = { ...FORWARD_RESULT, time: r.time };
  await emit(io, o, r.outputs, kind, () => renderTorchForward(style, r, o.backend, o.nonlinearity), `rnn forward: ${moduleText(r.module, o.nonlinearity)}, ${sizes(r)}`);
  reportComparisons(io, o, r.expected, style);
}

export async function torchBackward(io: IO, sources: string[], o: TorchOpts & { show?: string[] }): Promise<void> {
  const style = styleOf(o, io);
  const r = runTorchBackward(commandOptions(sources, o));
  const show = o.show ?? [];
  const unknownShow = show.filter((n) => !(n in r.gradients));
  if (unknownShow.length) throw new InputError(`--show ${shownList(unknownShow)}: no such gradient (have: ${Object.keys(r.gradients).join(', ')})`);
  warnUnused(io, r.unknown);
  const kind = { ...BACKWARD_RESULT, time: r.time };
  const summary = `rnn backward: ${moduleText(r.module, o.nonlinearity)}, ${sizes(r)}, ${torchLossText(r.upstream)} = ${formatNumber(r.lossValue, o.precision)}`;
  await emit(io, show.length ? { ...o, verbose: true } : o, r.gradients, kind, () => renderTorchBackward(style, r, o.backend, show, o.nonlinearity), summary);
  reportComparisons(io, o, r.expected, style);
}
