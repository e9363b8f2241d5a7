/**
 * The wiring of `--layout torch` for forward and backward (src/cli/main.ts hands the action over
 * here when the option says so): the command modules' results, rendered or emitted.
 */
import { CheckFailed, InputError } from '../errors';
import type { Mode } from '../gradcheck';
import { describeFailure, notComparedText } from './render/verdicts';
import type { BackendName } from '../backends';
import type { Comparison } from '../compare';
import { entryMeaning, MODULE_OF_CELL, type TorchNet } from '../layouts/torch/names';
import { shownList } from '../escape';
import { runTorchBackward, runTorchForward, runTorchGradcheck, type TorchCommandOptions } from './commands/torch';
import type { IO } from './main';
import { bytesOf, requireOptions, type CommonOpts } from './options';
import type { Command } from 'commander';
import { initTorch } from '../layouts/torch/init';
import type { Fixture } from '../io/fixture';
import { emit, emitArrays } from './output';
import { formatNumber } from './render/format';
import { moduleText, renderTorchBackward, renderTorchForward, renderTorchGradcheck, torchLossText } from './render/torch';
import { BACKWARD_RESULT, FORWARD_RESULT, jsonNumbers, reportComparisons, say, seedOrDrawn, styleOf, warnUnused } from './report';

/** The options forward and backward take in the torch layout. */
export interface TorchOpts extends CommonOpts {
  cell?: string;
  backend: BackendName;
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

/** `rnn init --layout torch`'s options (src/layouts/torch/init.ts). */
export interface TorchInitOpts {
  layout: string;
  inputSize?: number;
  hiddenSize?: number;
  projSize?: number;
  numLayers?: number;
  bidirectional?: boolean;
  bias: boolean;
  batch?: number;
  unbatched?: boolean;
  seqLen?: number;
  batchFirst?: boolean;
}

/** Options of init's torch layout, refused in the coursera layout. */
export function torchInitOnly(o: TorchInitOpts): void {
  const given = [
    o.inputSize !== undefined && '--input-size', o.hiddenSize !== undefined && '--hidden-size', o.projSize !== undefined && '--proj-size', o.numLayers !== undefined && '--num-layers',
    o.bidirectional && '--bidirectional', !o.bias && '--no-bias', o.batch !== undefined && '--batch', o.unbatched && '--unbatched',
    o.seqLen !== undefined && '--seq-len', o.batchFirst && '--batch-first',
  ].filter((x): x is string => !!x);
  if (given.length) throw new InputError(`${given.join(', ')}: for --layout torch only (the coursera layout's sizes are --n-x, --n-a, --n-y, --m, --t-x)`);
}

export async function torchInit(io: IO, cmd: Command, o: TorchInitOpts & { cell: string; nX?: number; nA?: number; nY?: number; m?: number; tX?: number; seed?: number; scale: number; out?: string }): Promise<void> {
  requireOptions(cmd, o, [['inputSize', '--input-size <n>'], ['hiddenSize', '--hidden-size <n>'], ['seqLen', '--seq-len <n>']]);
  const seedSizes = [o.nX !== undefined && '--n-x', o.nA !== undefined && '--n-a', o.nY !== undefined && '--n-y', o.m !== undefined && '--m', o.tX !== undefined && '--t-x', o.scale !== 1 && '--scale'].filter((x): x is string => !!x);
  if (seedSizes.length) throw new InputError(`${seedSizes.join(', ')}: the coursera layout's; --layout torch takes --input-size, --hidden-size, --num-layers, --batch, --seq-len`);
  const module = Object.prototype.hasOwnProperty.call(MODULE_OF_CELL, o.cell) ? MODULE_OF_CELL[o.cell] : undefined;
  if (!module) throw new InputError(`--cell ${o.cell}: --layout torch draws an nn.RNN, nn.LSTM or nn.GRU (--cell rnn, lstm or gru)`);
  if (o.batch === undefined && !o.unbatched) throw new InputError('--layout torch needs the batch: --batch N, or --unbatched for input (T, H_in)');
  if (o.batch !== undefined && o.unbatched) throw new InputError('--batch and --unbatched: one or the other');
  if (o.unbatched && o.batchFirst) throw new InputError('--batch-first and --unbatched: unbatched input (T, H_in) has no batch axis');
  if (o.projSize !== undefined && module !== 'LSTM') throw new InputError(`--proj-size: projections exist in nn.LSTM only (--cell lstm), not nn.${module}`);
  if (o.projSize !== undefined && o.projSize >= o.hiddenSize!) throw new InputError(`--proj-size ${o.projSize}: must be smaller than --hidden-size ${o.hiddenSize}, as PyTorch requires`);
  const seed = seedOrDrawn(io, o.seed);
  const arrays = initTorch({
    module, inputSize: o.inputSize!, hidden: o.hiddenSize!, proj: o.projSize, layers: o.numLayers ?? 1, bidirectional: !!o.bidirectional, bias: o.bias,
    batch: o.unbatched ? null : o.batch!, seqLen: o.seqLen!, batchFirst: !!o.batchFirst, seed,
  });
  await emitArrays(io, o, arrays, { what: 'array', order: 'forward', cause: 'randn and uniform draws are finite' });
}

/** A mismatch's worst entry, where it is a parameter's, as the module's gate and unit. */
function explain(module: TorchNet, c: Comparison): string {
  const m = c.worst && entryMeaning(module, c.name, c.worst.index);
  return m ? ` (${m})` : '';
}

function commandOptions(sources: string[], o: TorchOpts, fixture?: Fixture): TorchCommandOptions {
  return { sources, fixture, backend: o.backend, cell: o.cell, prefix: o.prefix, batchFirst: o.batchFirst, nonlinearity: o.nonlinearity, expect: o.expect, rtol: o.rtol, atol: o.atol, maxBytes: bytesOf(o.maxInput) };
}

const sizes = (r: { T: number; N: number | null }): string => `T=${r.T} N=${r.N ?? 'unbatched'}`;


/** `fixture`: the sources, already read (src/cli/layout.ts). */
export async function torchForward(io: IO, sources: string[], o: TorchOpts, fixture?: Fixture): Promise<void> {
  const style = styleOf(o, io);
  const r = runTorchForward(commandOptions(sources, o, fixture));
  warnUnused(io, r.unknown);
  const kind = { ...FORWARD_RESULT, time: r.time };
  await emit(io, o, r.outputs, kind, () => renderTorchForward(style, r, o.backend, o.nonlinearity), `rnn forward: ${moduleText(r.module, o.nonlinearity)}, ${sizes(r)}`);
  reportComparisons(io, o, r.expected, style, undefined, (c) => explain(r.module, c));
}

export async function torchBackward(io: IO, sources: string[], o: TorchOpts & { show?: string[] }, fixture?: Fixture): Promise<void> {
  const style = styleOf(o, io);
  const r = runTorchBackward(commandOptions(sources, o, fixture));
  const show = o.show ?? [];
  const unknownShow = show.filter((n) => !(n in r.gradients));
  if (unknownShow.length) throw new InputError(`--show ${shownList(unknownShow)}: no such gradient (have: ${Object.keys(r.gradients).join(', ')})`);
  warnUnused(io, r.unknown);
  const kind = { ...BACKWARD_RESULT, time: r.time };
  const summary = `rnn backward: ${moduleText(r.module, o.nonlinearity)}, ${sizes(r)}, ${torchLossText(r.upstream)} = ${formatNumber(r.lossValue, o.precision)}`;
  await emit(io, show.length ? { ...o, verbose: true } : o, r.gradients, kind, () => renderTorchBackward(style, r, o.backend, show, o.nonlinearity), summary);
  reportComparisons(io, o, r.expected, style, undefined, (c) => explain(r.module, c));
}

/** `rnn gradcheck --layout torch`: the check, its text or JSON, and exit 1 on a FAIL (or, with --strict, a gradient your files lack). */
export function torchGradcheckAction(io: IO, sources: string[], o: CommonOpts & Omit<TorchOpts, 'backend' | 'expect' | 'rtol' | 'atol'> & {
  mode: Mode; samples: number; directions: number; eps: number; tol: number; seed: number; only?: string[]; grads?: string[]; strict?: boolean;
}, fixture?: Fixture): void {
  const style = styleOf(o, io);
  const r = runTorchGradcheck({ ...o, sources, fixture, maxBytes: bytesOf(o.maxInput) });
  warnUnused(io, r.unknown);
  io.stdout(o.json ? JSON.stringify(r, jsonNumbers, 2) + '\n' : renderTorchGradcheck(style, r, o.nonlinearity));
  const ch = r.check, yours = ch.analytic !== 'ours';
  if (ch.notCompared.length) say(io, notComparedText('--grads', ch.notCompared, r.gradsFrom ?? []));
  const meaning = (name: string, index?: string): string => {
    const m = index === undefined ? undefined : entryMeaning(r.module, name, index);
    return m ? ` (${m})` : '';
  };
  if (!ch.pass) throw new CheckFailed(`gradcheck FAILED: ${ch.arrays.filter((a) => !a.pass).map((a) => describeFailure(a, yours, undefined, ch.arrays) + meaning(a.name, a.worst?.index)).join('; ')}`);
  if (o.strict && ch.notCompared.length) throw new CheckFailed(`gradcheck --strict: ${ch.notCompared.join(', ')} not in your --grads files`);
}
