/**
 * The `torch` layout: an nn.RNN / nn.LSTM / nn.GRU in PyTorch's own names, shapes and
 * semantics (eval mode: no dropout), run as a network of the engine's layers
 * (src/backends/network.ts).
 *
 * Arrays, as PyTorch's module call and `state_dict()` name them:
 *   parameters  weight_ih_l{k}, … (names.ts), with the module's prefix if it has one
 *   input       (T, N, H_in); (N, T, H_in) with batch_first; (T, H_in) unbatched
 *   h_0, c_0    (L·D, N, H_out), (L·D, N, H) — (L·D, H_out) unbatched; zeros when absent
 *   output      (T, N, D·H_out) (batch_first: (N, T, …)), h_n, c_n as h_0, c_0
 * Backward takes grad_output (required), grad_h_n, grad_c_n (optional) and computes what
 * torch.autograd.backward([output, h_n, c_n], [grad_output, grad_h_n, grad_c_n]) does, the
 * gradients of L = Σ grad_output ⊙ output + Σ grad_h_n ⊙ h_n + Σ grad_c_n ⊙ c_n, named as
 * PyTorch's hooks name them: grad_input, grad_h_0, grad_c_0, grad_ + each parameter.
 */
import { fromSeed, toSeed, type SeqLayout } from '../sequence';
import { InputError } from '../../errors';
import { float64Layer } from '../../backends/float64';
import { CELLS } from '../../model/cells';
import { layerHasC, netBackward, netForward, type LayerEngine, type Net, type NetInputs, type NetOutputs } from '../../backends/network';
import { sameShape, tensor, type Arrays, type Tensor } from '../../tensor';
import { torchCell, type TorchCell, type TorchWeights } from './cells';
import { isParamName, outSize, paramName, recogniseTorch, seqShape, shapeText, statesShape, type ParamKind, type TorchNet } from './names';

export { recogniseTorch, paramNames, type TorchNet, type TorchModule } from './names';

export interface TorchOptions {
  /** --cell: rnn, lstm or gru, checked against the shapes. */
  readonly cell?: string;
  /** --prefix: which module's parameters, when the names carry several. */
  readonly prefix?: string;
  /** --batch-first: input and output are (N, T, …). */
  readonly batchFirst?: boolean;
  /** --nonlinearity of an nn.RNN (default tanh). */
  readonly nonlinearity?: 'tanh' | 'relu';
  /** The files, for messages. */
  readonly source?: string | readonly string[];
}

/** A module and its inputs, read from PyTorch's arrays and mapped onto the engine's network. */
export interface TorchProblem {
  readonly module: TorchNet;
  readonly cell: TorchCell;
  readonly net: Net;
  readonly inputs: NetInputs;
  /** The batch; null for unbatched input (run as N = 1). */
  readonly N: number | null;
  readonly T: number;
  readonly batchFirst: boolean;
}

/** The arrays a forward pass reads: the module's parameters, input, h_0 (and c_0). */
export const TORCH_INPUTS = ['input', 'h_0', 'c_0'] as const;
/** The upstream gradients a backward pass reads (grad_output required). */
export const TORCH_UPSTREAM = ['grad_output', 'grad_h_n', 'grad_c_n'] as const;

/** Entry k of a states array (K, N, F) — (K, F) unbatched — as the seed's (F, N). */
function stateK(t: Tensor, k: number, N: number): Tensor {
  const F = t.shape[t.shape.length - 1], out = new Float64Array(F * N);
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) out[f * N + n] = t.data[(k * N + n) * F + f];
  return tensor([F, N], out);
}

/** The seed's (F, N) states, one per k, as PyTorch's (K, N, F) — (K, F) unbatched. */
function statesArray(ts: readonly Tensor[], unbatched: boolean): Tensor {
  const [F, N] = ts[0].shape, out = new Float64Array(ts.length * N * F);
  ts.forEach((t, k) => {
    for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) out[(k * N + n) * F + f] = t.data[f * N + n];
  });
  return tensor(statesShape(ts.length, unbatched ? null : N, F), out);
}

/** Reads the module and its inputs from `arrays`, checking every shape against PyTorch's. */
export function torchProblem(arrays: Readonly<Record<string, Tensor>>, o: TorchOptions = {}): TorchProblem {
  const fail: (msg: string) => never = (msg) => {
    throw new InputError(msg, o.source);
  };
  const shapes = Object.fromEntries(Object.entries(arrays).map(([n, t]) => [n, t.shape]));
  const module = recogniseTorch(shapes, o);
  const nonlinearity = o.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && module.module !== 'RNN') fail(`--nonlinearity ${nonlinearity}: an nn.${module.module} has none to choose (nn.RNN only)`);
  const cell = torchCell(module.module, { nonlinearity, proj: module.proj });
  if (typeof cell === 'string') fail(cell);
  const x = arrays.input;
  if (!x) fail('input is missing: PyTorch\'s input, (T, N, H_in) (or (N, T, H_in) with --batch-first, (T, H_in) unbatched)');
  const unbatched = x.shape.length === 2, batchFirst = !unbatched && !!o.batchFirst;
  const H_in = module.inputSize;
  if (!(x.shape.length === 2 || x.shape.length === 3) || x.shape[x.shape.length - 1] !== H_in) {
    fail(`input is ${shapeText(x.shape)}, expected (T, N, ${H_in})${batchFirst ? ' — (N, T, …) with --batch-first' : ''} or unbatched (T, ${H_in}): weight_ih_l0 says H_in = ${H_in}`);
  }
  const [T, N] = unbatched ? [x.shape[0], 1] : batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  if (!(T > 0 && N > 0)) fail(`input is ${shapeText(x.shape)}: no time steps or no batch`);
  const L: SeqLayout = { T, N, batchFirst, unbatched };
  const K = module.layers * module.directions, H = module.hidden, Hout = outSize(module);
  const hasC = module.module === 'LSTM';
  const states = (name: string, F: number): Tensor[] | undefined => {
    const t = arrays[name];
    if (!t) return undefined;
    const want = statesShape(K, unbatched ? null : N, F);
    if (!sameShape(t.shape, want)) {
      // (the batch read from the other axis of input fits: the input's layout is the other one)
      const swapped = !unbatched && t.shape.length === 3 && t.shape[1] === (batchFirst ? x.shape[1] : x.shape[0]) && t.shape[1] !== N;
      const hint = unbatched ? ': the input is unbatched' : swapped ? (batchFirst ? ': is the input (T, N, H_in)? drop --batch-first' : ': is the input (N, T, H_in)? add --batch-first') : '';
      fail(`${name} is ${shapeText(t.shape)}, expected ${shapeText(want)} (layers·directions, ${unbatched ? '' : 'N, '}${F === Hout && Hout !== H ? 'proj_size' : 'H'})${hint}`);
    }
    return Array.from({ length: K }, (_, k) => stateK(t, k, N));
  };
  if (!hasC && arrays.c_0) fail(`c_0: an nn.${module.module} has no cell state`);
  const params: Arrays[] = [];
  for (let k = 0; k < K; k++) {
    const w: TorchWeights = {};
    for (const kind of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'weight_hr'] as ParamKind[]) {
      const t = arrays[paramName(module, kind, k)];
      if (t) w[kind] = t;
    }
    params.push(cell.toEngine(w, H, w.weight_ih!.shape[1]));
  }
  const net: Net = {
    cell: cell.engine, hidden: Hout, ...(module.proj ? { cellSize: H } : {}), layers: module.layers, directions: module.directions, hasC: layerHasC(cell.engine),
  };
  const inputs: NetInputs = { x: toSeed(unbatched ? tensor([T, 1, H_in], x.data) : x, L), params, a0: states('h_0', Hout), c0: hasC ? states('c_0', H) : undefined };
  return { module, cell, net, inputs, N: unbatched ? null : N, T, batchFirst };
}

/** The shape of the module's output: (T, N, D·H_out) in its layout. */
export const outputShape = (p: TorchProblem): number[] => seqShape(p.T, p.N, p.batchFirst, p.net.directions * outSize(p.module));

const layoutOf = (p: TorchProblem): SeqLayout => ({ T: p.T, N: p.N ?? 1, batchFirst: p.batchFirst, unbatched: p.N === null });

/** The net's outputs under PyTorch's names: output, h_n (and c_n). */
function outputsOf(p: TorchProblem, out: NetOutputs): Record<string, Tensor> {
  const L = layoutOf(p);
  const r: Record<string, Tensor> = { output: fromSeed(out.output, L), h_n: statesArray(out.aN, L.unbatched) };
  if (out.cN) r.c_n = statesArray(out.cN, L.unbatched);
  return r;
}

/** PyTorch's forward: output, h_n (and c_n). */
export function torchForward(p: TorchProblem, engine: LayerEngine = float64Layer): Record<string, Tensor> {
  return outputsOf(p, netForward(engine, p.net, p.inputs));
}

export interface TorchBackward {
  readonly outputs: Record<string, Tensor>;
  /** L = Σ grad_output ⊙ output + Σ grad_h_n ⊙ h_n (+ Σ grad_c_n ⊙ c_n). */
  readonly loss: number;
  /** grad_input, grad_h_0 (grad_c_0), grad_ + every parameter, in state_dict order. */
  readonly gradients: Record<string, Tensor>;
}

/** PyTorch's backward of `upstream` (grad_output, and optionally grad_h_n, grad_c_n). */
export function torchBackward(p: TorchProblem, upstream: Readonly<Record<string, Tensor>>, o: Pick<TorchOptions, 'source'> = {}, engine: LayerEngine = float64Layer): TorchBackward {
  const L = layoutOf(p), { module } = p, K = module.layers * module.directions, Hout = outSize(module);
  const hasC = p.net.hasC;
  const fail: (msg: string) => never = (msg) => {
    throw new InputError(msg, o.source);
  };
  const stateShape = (F: number): number[] => statesShape(K, p.N, F);
  const checked = (name: string, want: number[], required: boolean): Tensor | undefined => {
    const t = upstream[name];
    if (!t) return required ? fail(`${name} is missing: the upstream gradient of output, ${shapeText(want)}`) : undefined;
    if (!sameShape(t.shape, want)) fail(`${name} is ${shapeText(t.shape)}, expected ${shapeText(want)}, the shape of ${name.slice(5)}`);
    return t;
  };
  if (!hasC && upstream.grad_c_n) fail(`grad_c_n: an nn.${module.module} has no cell state`);
  const gOut = checked('grad_output', outputShape(p), true)!;
  const gh = checked('grad_h_n', stateShape(Hout), false), gc = hasC ? checked('grad_c_n', stateShape(module.hidden), false) : undefined;
  const per = (t: Tensor | undefined): Tensor[] | undefined => t && Array.from({ length: K }, (_, k) => stateK(t, k, L.N));
  const { outputs, gradients: g } = netBackward(engine, p.net, p.inputs, { da: toSeed(L.unbatched ? tensor([p.T, 1, gOut.shape[1]], gOut.data) : gOut, L), daN: per(gh), dcN: per(gc) });
  const outs = outputsOf(p, outputs);
  let loss = dot(gOut, outs.output);
  if (gh) loss += dot(gh, outs.h_n);
  if (gc) loss += dot(gc, outs.c_n);
  const grads: Record<string, Tensor> = { grad_input: fromSeed(g.dx, L), grad_h_0: statesArray(g.da0, L.unbatched) };
  if (g.dc0) grads.grad_c_0 = statesArray(g.dc0, L.unbatched);
  for (let k = 0; k < K; k++) {
    const H_in = k < module.directions ? module.inputSize : module.directions * Hout; // (layer 0 reads input, the others the layer below)
    const w = p.cell.fromEngine(g.params[k], module.hidden, H_in, module.bias);
    for (const [kind, t] of Object.entries(w)) grads['grad_' + paramName(module, kind as ParamKind, k)] = t!;
  }
  return { outputs: outs, loss, gradients: ordered(grads, module, K) };
}

/** grad_input, grad_h_0, grad_c_0, then the parameters' gradients in state_dict order. */
function ordered(g: Record<string, Tensor>, module: TorchNet, K: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const n of ['grad_input', 'grad_h_0', 'grad_c_0']) if (g[n]) out[n] = g[n];
  for (let k = 0; k < K; k++) for (const kind of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'weight_hr'] as ParamKind[]) {
    const n = 'grad_' + paramName(module, kind, k);
    if (g[n]) out[n] = g[n];
  }
  return out;
}

const dot = (a: Tensor, b: Tensor): number => {
  let s = 0;
  for (let k = 0; k < a.data.length; k++) s += a.data[k] * b.data[k];
  return s;
};

/** Names in `arrays` a torch-layout command does not read: neither the module's parameters nor `reads`. */
export function unusedTorch(arrays: Readonly<Record<string, unknown>>, module: TorchNet, reads: readonly string[]): string[] {
  return Object.keys(arrays).filter((n) => !(isParamName(n) && n.startsWith(module.prefix)) && !reads.includes(n));
}
