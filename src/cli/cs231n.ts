/**
 * The wiring of `--layout cs231n` for forward and backward (src/cli/main.ts hands the action
 * over here): the command modules' results, rendered or emitted.
 */
import { InputError } from '../errors';
import type { BackendName } from '../backends';
import type { Fixture } from '../io/fixture';
import { runCs231nBackward, runCs231nForward } from './commands/cs231n';
import type { IO } from './main';
import { bytesOf, requireOptions, type CommonOpts } from './options';
import { emit, emitArrays, type OutputOptions } from './output';
import type { Command } from 'commander';
import { initCs231n } from '../layouts/cs231n/init';
import { formatNumber } from './render/format';
import { renderCs231nBackward, renderCs231nForward, functionOf } from './render/cs231n';
import { BACKWARD_RESULT, FORWARD_RESULT, reportComparisons, say, seedOrDrawn, styleOf, warnUnused } from './report';

export interface Cs231nOpts extends CommonOpts {
  cell?: string;
  backend: BackendName;
  loss?: 'sum' | 'xent';
  expect?: string[];
  strict?: boolean;
  rtol: number;
  atol: number;
  maxInput: number;
}

/** What the cs231n layout does not take (yet): refused, never ignored. */
function refuseUnsupported(o: Cs231nOpts & { t?: number; show?: string[]; prefix?: string; batchFirst?: boolean; nonlinearity?: string }): void {
  const torch = [o.prefix !== undefined && '--prefix', o.batchFirst && '--batch-first', o.nonlinearity !== undefined && '--nonlinearity'].filter((x): x is string => !!x);
  if (torch.length) throw new InputError(`${torch.join(', ')}: for --layout torch only (the cs231n layout is rnn_layers.py's: x is (N, T, D))`);
  if (o.t !== undefined) throw new InputError('--t: --layout cs231n shows the arrays, not predictions by step');
  if (o.show) throw new InputError('--show: not with --layout cs231n yet; --json or --out give every gradient');
}

const LOSS_TEXT = { sum: 'L = Σ dh ⊙ h (rnn_backward(dh, cache))', xent: 'L = temporal_softmax_loss(h W_vocab + b_vocab, y, mask)' } as const;


export async function cs231nForward(io: IO, sources: string[], o: Cs231nOpts & { t?: number }, fixture?: Fixture): Promise<void> {
  refuseUnsupported(o);
  const style = styleOf(o, io);
  const r = runCs231nForward({ sources, fixture, backend: o.backend, cell: o.cell, expect: o.expect, rtol: o.rtol, atol: o.atol, maxBytes: bytesOf(o.maxInput) });
  warnUnused(io, r.unknown);
  const p = r.problem;
  await emit(io, o, r.outputs, { ...FORWARD_RESULT, time: r.time }, () => renderCs231nForward(style, r, o.backend), `rnn forward: CS231n ${functionOf(r)}, N=${p.N} T=${p.T} D=${p.D} H=${p.H}`);
  reportComparisons(io, o, r.expected, style);
}

export async function cs231nBackward(io: IO, sources: string[], o: Cs231nOpts & { show?: string[] }, fixture?: Fixture): Promise<void> {
  refuseUnsupported(o);
  const style = styleOf(o, io);
  const r = runCs231nBackward({ sources, fixture, backend: o.backend, cell: o.cell, loss: o.loss, expect: o.expect, rtol: o.rtol, atol: o.atol, maxBytes: bytesOf(o.maxInput) });
  warnUnused(io, r.unknown);
  if (r.lossInferred) say(io, r.lossInferred);
  const summary = `rnn backward: CS231n ${r.problem.cell}, ${LOSS_TEXT[r.loss]} = ${formatNumber(r.lossValue, o.precision)}`;
  await emit(io, o, r.gradients, { ...BACKWARD_RESULT, time: r.time }, () => renderCs231nBackward(style, r, o.backend, `${LOSS_TEXT[r.loss]} = ${formatNumber(r.lossValue, o.precision)}`), summary);
  reportComparisons(io, o, r.expected, style);
}

/** `rnn init --layout cs231n`'s options: the assignment's N, T, D, H, V under the flags torch's init has, and --vocab-size. */
export interface Cs231nInitOpts {
  cell: string;
  inputSize?: number;
  hiddenSize?: number;
  batch?: number;
  seqLen?: number;
  vocabSize?: number;
  projSize?: number;
  numLayers?: number;
  bidirectional?: boolean;
  bias: boolean;
  unbatched?: boolean;
  batchFirst?: boolean;
  nX?: number;
  nA?: number;
  nY?: number;
  m?: number;
  tX?: number;
  seed?: number;
  scale: number;
}

export async function cs231nInit(io: IO, cmd: Command, o: Cs231nInitOpts & OutputOptions): Promise<void> {
  requireOptions(cmd, o, [['inputSize', '--input-size <n>'], ['hiddenSize', '--hidden-size <n>'], ['batch', '--batch <n>'], ['seqLen', '--seq-len <n>'], ['vocabSize', '--vocab-size <n>']]);
  const other = [
    o.nX !== undefined && '--n-x', o.nA !== undefined && '--n-a', o.nY !== undefined && '--n-y', o.m !== undefined && '--m', o.tX !== undefined && '--t-x', o.scale !== 1 && '--scale',
    o.projSize !== undefined && '--proj-size', o.numLayers !== undefined && '--num-layers', o.bidirectional && '--bidirectional', !o.bias && '--no-bias',
    o.unbatched && '--unbatched', o.batchFirst && '--batch-first',
  ].filter((x): x is string => !!x);
  if (other.length) throw new InputError(`${other.join(', ')}: not the cs231n layout's; it takes --input-size D, --hidden-size H, --batch N, --seq-len T, --vocab-size V`);
  if (o.cell !== 'rnn' && o.cell !== 'lstm') throw new InputError(`--cell ${o.cell}: --layout cs231n draws the assignment's RNN or LSTM (--cell rnn or lstm; it has no GRU)`);
  const seed = seedOrDrawn(io, o.seed);
  const arrays = initCs231n({ cell: o.cell, N: o.batch!, T: o.seqLen!, D: o.inputSize!, H: o.hiddenSize!, V: o.vocabSize!, seed });
  await emitArrays(io, o, arrays, { what: 'array', order: 'forward', cause: 'randn draws are finite' });
}
