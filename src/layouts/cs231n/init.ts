/**
 * `rnn init --layout cs231n`: a fixture in CS231n assignment 3's names, the weights drawn as its
 * CaptioningRNN initialises them (classifiers/rnn.py: randn scaled by 1/√fan-in, zero biases),
 * every draw numpy's after np.random.seed(S), in this order:
 *
 *   x = randn(N, T, D); h0 = randn(N, H)
 *   Wx = randn(D, k·H) / sqrt(D); Wh = randn(H, k·H) / sqrt(H); b = zeros(k·H)      (k: RNN 1, LSTM 4)
 *   W_vocab = randn(H, V) / sqrt(H); b_vocab = zeros(V)
 *   y = randint(0, V, size=(N, T)); dh = randn(N, T, H)
 *
 * (fixtures/generate_cs231n.py's init cases draw the same in numpy; test/cs231n-layout.test.ts
 * holds the two to the bit.)
 */
import { NumpyRandom } from '../../random';
import { tensor, type Arrays, type Tensor } from '../../tensor';
import type { Cs231nCell } from '.';

export interface Cs231nInitOptions {
  cell: Cs231nCell;
  N: number;
  T: number;
  D: number;
  H: number;
  V: number;
  seed: number;
}

export function initCs231n(o: Cs231nInitOptions): Arrays {
  const rng = new NumpyRandom(o.seed), k = o.cell === 'lstm' ? 4 : 1;
  const scaled = (t: Tensor, fanIn: number): Tensor => {
    const s = Math.sqrt(fanIn);
    for (let i = 0; i < t.data.length; i++) t.data[i] /= s;
    return t;
  };
  const x = rng.randn(o.N, o.T, o.D), h0 = rng.randn(o.N, o.H);
  const Wx = scaled(rng.randn(o.D, k * o.H), o.D), Wh = scaled(rng.randn(o.H, k * o.H), o.H);
  const W_vocab = scaled(rng.randn(o.H, o.V), o.H);
  const y = rng.randint(0, o.V, [o.N, o.T]), dh = rng.randn(o.N, o.T, o.H);
  return { x, h0, Wx, Wh, b: tensor([k * o.H]), W_vocab, b_vocab: tensor([o.V]), y, dh };
}
