/**
 * `rnn init --layout torch`: a PyTorch module's arrays drawn at random, under its names. With
 * a seed the draws are exactly
 *
 *   np.random.seed(S)
 *   k = 1 / np.sqrt(hidden_size)
 *   <each parameter, in state_dict order> = np.random.uniform(-k, k, shape)   (PyTorch's own init; weight_hr too)
 *   input       = np.random.randn(*input_shape)        (T, N, H_in); (N, T, H_in) batch_first; (T, H_in) unbatched
 *   h_0         = np.random.randn(L·D, N, H_out)       ((L·D, H_out) unbatched; H_out = proj_size or H)
 *   c_0         = np.random.randn(L·D, N, H)           (LSTM)
 *   grad_output = np.random.randn(*output_shape); grad_h_n like h_0; grad_c_n like c_0 (LSTM)
 */
import { NumpyRandom } from '../../random';
import type { Arrays } from '../../tensor';
import { outSize, paramNames, paramShape, seqShape, statesShape, type ParamKind, type TorchModule, type TorchNet } from './names';

export interface TorchInitOptions {
  module: TorchModule;
  inputSize: number;
  hidden: number;
  /** proj_size (an LSTM's); 0 or absent: none. */
  proj?: number;
  layers: number;
  bidirectional: boolean;
  bias: boolean;
  /** N; null: unbatched input (T, H_in). */
  batch: number | null;
  seqLen: number;
  batchFirst: boolean;
  seed: number;
}

/** The arrays `initTorch` draws, in order, with their shapes. */
export function torchFixtureShapes(o: Omit<TorchInitOptions, 'seed'>): { name: string; shape: number[]; uniform: boolean }[] {
  const net: TorchNet = { module: o.module, layers: o.layers, directions: o.bidirectional ? 2 : 1, bias: o.bias, inputSize: o.inputSize, hidden: o.hidden, proj: o.proj ?? 0, prefix: '' };
  const K = net.layers * net.directions, H = net.hidden, Hout = outSize(net), T = o.seqLen;
  const seq = (F: number): number[] => seqShape(T, o.batch, o.batchFirst, F);
  const states = (F: number): number[] => statesShape(K, o.batch, F);
  const lstm = o.module === 'LSTM';
  const params = paramNames(net).map((name) => {
    const m = /^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$/.exec(name)!;
    return { name, shape: paramShape(net, m[1] as ParamKind, Number(m[2]) * net.directions + (m[3] ? 1 : 0)), uniform: true };
  });
  return [
    ...params,
    { name: 'input', shape: seq(o.inputSize), uniform: false },
    { name: 'h_0', shape: states(Hout), uniform: false },
    ...(lstm ? [{ name: 'c_0', shape: states(H), uniform: false }] : []),
    { name: 'grad_output', shape: seq(net.directions * Hout), uniform: false },
    { name: 'grad_h_n', shape: states(Hout), uniform: false },
    ...(lstm ? [{ name: 'grad_c_n', shape: states(H), uniform: false }] : []),
  ];
}

export function initTorch(o: TorchInitOptions): Arrays {
  const rng = new NumpyRandom(o.seed);
  const k = 1 / Math.sqrt(o.hidden);
  const out: Arrays = {};
  for (const a of torchFixtureShapes(o)) out[a.name] = a.uniform ? rng.uniform(-k, k, ...a.shape) : rng.randn(...a.shape);
  return out;
}
