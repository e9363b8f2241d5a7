/**
 * PyTorch's names for a recurrent module's parameters, as `state_dict()` writes them
 * (torch/nn/modules/rnn.py `_flat_weights_names`): for layer l and, bidirectional, the
 * `_reverse` direction,
 *   weight_ih_l{l}[_reverse]  (G·H, H_in for l = 0, else D·H_out)
 *   weight_hh_l{l}[_reverse]  (G·H, H_out)
 *   bias_ih_l{l}[_reverse], bias_hh_l{l}[_reverse]  (G·H,)   — absent with bias=False
 *   weight_hr_l{l}[_reverse]  (H_out, H)                      — LSTM with proj_size only
 * with G the gates' count (RNN 1, GRU 3, LSTM 4) and H_out = proj_size or H. A module inside
 * a model carries its path as a prefix (`encoder.lstm.weight_ih_l0`). What a set of names and
 * shapes is — module, layers, directions, sizes — is read here, or refused naming the array.
 */
import { InputError } from '../../errors';
import { shown, shownList } from '../../escape';
import { sameShape } from '../../tensor';

export type TorchModule = 'RNN' | 'LSTM' | 'GRU';

export const GATES: Readonly<Record<TorchModule, number>> = { RNN: 1, GRU: 3, LSTM: 4 };

/** What a module is, from its parameters' names and shapes. */
export interface TorchNet {
  readonly module: TorchModule;
  readonly layers: number;
  readonly directions: 1 | 2;
  readonly bias: boolean;
  readonly inputSize: number;
  /** H: the hidden state's size (the cell state's, with projections). */
  readonly hidden: number;
  /** proj_size; 0 without projections. H_out = proj || hidden. */
  readonly proj: number;
  /** The module's path in its model, as the names carry it ('' or 'encoder.lstm.'). */
  readonly prefix: string;
}

export type ParamKind = 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_hr';
const PARAM = /^(.*?)(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$/;

/** H_out: the size of h (and of each direction's rows of output). */
export const outSize = (n: TorchNet): number => n.proj || n.hidden;

/** The name of layer-direction k's parameter (k = l·D + dir, PyTorch's order of h_0). */
export function paramName(n: TorchNet, kind: ParamKind, k: number): string {
  const l = Math.floor(k / n.directions), reverse = k % n.directions === 1;
  return `${n.prefix}${kind}_l${l}${reverse ? '_reverse' : ''}`;
}

/** Every parameter of the module, in state_dict order. */
export function paramNames(n: TorchNet): string[] {
  const kinds: ParamKind[] = ['weight_ih', 'weight_hh', ...(n.bias ? ['bias_ih', 'bias_hh'] as const : []), ...(n.proj ? ['weight_hr'] as const : [])];
  return Array.from({ length: n.layers * n.directions }, (_, k) => kinds.map((kind) => paramName(n, kind, k))).flat();
}

/** The shape PyTorch gives a parameter. */
export function paramShape(n: TorchNet, kind: ParamKind, k: number): number[] {
  const G = GATES[n.module], H = n.hidden, Hout = outSize(n);
  const l = Math.floor(k / n.directions);
  switch (kind) {
    case 'weight_ih': return [G * H, l === 0 ? n.inputSize : n.directions * Hout];
    case 'weight_hh': return [G * H, Hout];
    case 'bias_ih': case 'bias_hh': return [G * H];
    case 'weight_hr': return [Hout, H];
  }
}

/** The module each --cell names in the torch layout. */
export const MODULE_OF_CELL: Readonly<Record<string, TorchModule>> = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' };

/** Is `name` one of PyTorch's recurrent parameter names (with any prefix)? Gradients (`grad_…`) are not. */
export const isParamName = (name: string): boolean => !name.startsWith('grad_') && PARAM.test(name);

/**
 * The module behind `shapes` (name → shape; other arrays may be there too). `cell`: --cell
 * (rnn, lstm, gru), checked against the shapes; `prefix`: --prefix, which module's parameters
 * when the names carry several. `source` names the files in messages.
 */
export function recogniseTorch(shapes: Readonly<Record<string, readonly number[]>>, o: { cell?: string; prefix?: string; source?: string | readonly string[] } = {}): TorchNet {
  const fail: (msg: string) => never = (msg) => {
    throw new InputError(msg, o.source);
  };
  const found = Object.keys(shapes).filter(isParamName).map((name) => {
    const [, prefix, kind, l, rev] = PARAM.exec(name)!;
    return { name, prefix, kind: kind as ParamKind, l: Number(l), reverse: rev !== undefined };
  });
  if (!found.length) fail("no PyTorch parameters (weight_ih_l0, weight_hh_l0, ...): --layout torch reads a module's state_dict names");
  const prefixes = [...new Set(found.map((f) => f.prefix))];
  let prefix: string;
  if (o.prefix !== undefined) {
    const want = o.prefix === '' || /[._/]$/.test(o.prefix) ? o.prefix : o.prefix + '.';
    if (!prefixes.includes(want)) fail(`--prefix ${shown(o.prefix)}: no parameters under it (the modules here: ${shownList(prefixes.map((p) => p || '(no prefix)'))})`);
    prefix = want;
  } else if (prefixes.length > 1) {
    fail(`parameters of ${prefixes.length} modules: ${shownList(prefixes.map((p) => p || '(no prefix)'))}; pick one with --prefix`);
  } else prefix = prefixes[0];
  const mine = found.filter((f) => f.prefix === prefix);
  const layers = Math.max(...mine.map((f) => f.l)) + 1;
  const directions = mine.some((f) => f.reverse) ? 2 : 1;
  const first = `${prefix}weight_hh_l0`, hh = shapes[first];
  if (!hh) fail(`${shown(first)} is missing`);
  if (hh.length !== 2) fail(`${shown(first)} is ${shapeText(hh)}; PyTorch's weight_hh is 2-d (gates·H, H)`);
  const hr = shapes[`${prefix}weight_hr_l0`];
  const hidden = hr ? hr[1] : hh[1], proj = hr ? hr[0] : 0;
  if (!(hidden > 0)) fail(`${shown(first)} is ${shapeText(hh)}: no hidden units`);
  const G = hh[0] / hidden;
  const byRows = (Object.keys(GATES) as TorchModule[]).find((m) => GATES[m] === G);
  if (o.cell !== undefined && !Object.prototype.hasOwnProperty.call(MODULE_OF_CELL, o.cell)) {
    fail(`--cell ${o.cell}: --layout torch names a module, --cell rnn, lstm or gru (an nn.GRU is the engine's gru_reset_after; a ReLU nn.RNN is --cell rnn --nonlinearity relu)`);
  }
  const asked = o.cell === undefined ? undefined : MODULE_OF_CELL[o.cell];
  if (!byRows) fail(`${shown(first)} is ${shapeText(hh)}: ${hh[0]} rows are not 1, 3 or 4 times H = ${hidden} (an RNN's, GRU's or LSTM's gates)`);
  if (asked && asked !== byRows) {
    fail(`--cell ${o.cell}, but ${shown(first)} is ${shapeText(hh)}: ${G}·H rows, an nn.${byRows}'s (an nn.${asked} has ${GATES[asked]}·H)`);
  }
  if (proj && byRows !== 'LSTM') fail(`${shown(`${prefix}weight_hr_l0`)}: projections (proj_size) exist in nn.LSTM only`);
  const ih = shapes[`${prefix}weight_ih_l0`];
  if (!ih || ih.length !== 2) fail(`${shown(`${prefix}weight_ih_l0`)} is ${ih ? shapeText(ih) : 'missing'}; PyTorch's weight_ih is 2-d (gates·H, H_in)`);
  const bias = mine.some((f) => f.kind === 'bias_ih' || f.kind === 'bias_hh');
  const net: TorchNet = { module: byRows!, layers, directions, bias, inputSize: ih![1], hidden, proj, prefix };
  // every parameter there, each of its shape; none besides
  const want = paramNames(net);
  for (const name of want) {
    const m = PARAM.exec(name)!, k = Number(m[3]) * directions + (m[4] ? 1 : 0);
    const s = shapes[name], expected = paramShape(net, m[2] as ParamKind, k);
    if (!s) fail(`${shown(name)} is missing (an nn.${net.module} of ${layers} layer${layers > 1 ? 's' : ''}${directions === 2 ? ', bidirectional' : ''}${bias ? '' : ', bias=False'} has ${want.length} parameters: ${describeKinds(net)})`);
    if (!sameShape(s, expected)) fail(`${shown(name)} is ${shapeText(s)}, expected ${shapeText(expected)} (${shapeWhy(net, m[2] as ParamKind, k)})`);
  }
  const extra = mine.map((f) => f.name).filter((name) => !want.includes(name));
  if (extra.length) fail(`${shownList(extra)}: not a parameter of this nn.${net.module} (${describeKinds(net)}, layers 0 … ${layers - 1})`);
  return net;
}

function describeKinds(n: TorchNet): string {
  return ['weight_ih', 'weight_hh', ...(n.bias ? ['bias_ih', 'bias_hh'] : []), ...(n.proj ? ['weight_hr'] : [])].map((k) => `${k}_l{k}${n.directions === 2 ? '[_reverse]' : ''}`).join(', ');
}

function shapeWhy(n: TorchNet, kind: ParamKind, k: number): string {
  const G = GATES[n.module], l = Math.floor(k / n.directions);
  const gates = G === 1 ? 'H' : `${G}·H`;
  switch (kind) {
    case 'weight_ih': return l === 0 ? `${gates}, H_in` : `${gates}, ${n.directions === 2 ? '2·' : ''}H_out: layer ${l} reads layer ${l - 1}'s output`;
    case 'weight_hh': return `${gates}, H_out`;
    case 'bias_ih': case 'bias_hh': return gates;
    case 'weight_hr': return 'proj_size, H';
  }
}

export const shapeText = (s: readonly number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

/** A sequence's shape in PyTorch's layout: (T, N, F), (N, T, F) batch-first, (T, F) unbatched (N null). */
export const seqShape = (T: number, N: number | null, batchFirst: boolean, F: number): number[] => (N === null ? [T, F] : batchFirst ? [N, T, F] : [T, N, F]);
/** The states' shape (h_0, c_n, …): (K, N, F), (K, F) unbatched. */
export const statesShape = (K: number, N: number | null, F: number): number[] => (N === null ? [K, F] : [K, N, F]);

/** Each module's gate rows, in PyTorch's order (torch/nn/modules/rnn.py). */
const GATE_NAMES: Readonly<Record<TorchModule, readonly string[]>> = { RNN: [], GRU: ['r', 'z', 'n'], LSTM: ['i', 'f', 'g', 'o'] };

/**
 * What an entry of a parameter (or of its gradient, grad_…) is in the module: `gate g of layer 1
 * reverse, unit 7` for row 263 of weight_hh_l1_reverse of an LSTM with H = 128 (`index` as
 * the reports write it, `[263, 7]`); undefined for other arrays.
 */
export function entryMeaning(n: TorchNet, name: string, index: string): string | undefined {
  const m = PARAM.exec(name.startsWith('grad_') ? name.slice('grad_'.length) : name);
  const row = /^\[(\d+)/.exec(index);
  if (!m || m[1] !== n.prefix || !row) return undefined;
  const [, , kind, l, rev] = m, r = Number(row[1]);
  const where = `layer ${l}${rev ? ' reverse' : ''}`;
  if (kind === 'weight_hr') return `row ${r} of ${where}'s projection`;
  const gates = GATE_NAMES[n.module], unit = r % n.hidden;
  return gates.length ? `gate ${gates[Math.floor(r / n.hidden)]} of ${where}, unit ${unit}` : `${where}, unit ${unit}`;
}
