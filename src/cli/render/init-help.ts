/** `rnn init --help`'s text after the options: what each layout draws, in numpy's order, and examples. Pure. */
import { CELLS } from '../../model/cells';

export function initHelp(): string {
  return `
Draws, in this order, exactly as numpy does after np.random.seed(S):
  x = randn(n_x, m, T_x); a0 = randn(n_a, m); each parameter = randn(*shape) * scale in the order
  ${drawOrder()}
  then da = randn(n_a, m, T_x); labels = randint(0, n_y, size=(m, T_x)). ${withCellState()} c0 = zeros(n_a, m).

With --layout torch: np.random.seed(S); every parameter in state_dict order = uniform(-k, k, shape), k = 1/sqrt(hidden_size)
(PyTorch's own init); then input, h_0 (c_0), grad_output, grad_h_n (grad_c_n) = randn(*shape).

With --layout cs231n (CaptioningRNN's init): np.random.seed(S); x = randn(N, T, D); h0 = randn(N, H);
Wx = randn(D, kH) / sqrt(D); Wh = randn(H, kH) / sqrt(H); b = zeros(kH) (k: rnn 1, lstm 4);
W_vocab = randn(H, V) / sqrt(H); b_vocab = zeros(V); y = randint(0, V, size=(N, T)); dh = randn(N, T, H).

Examples:
  $ rnn init --cell rnn --n-x 3 --n-a 5 --n-y 2 --m 10 --t-x 4 --seed 1 --out rnn.json
  $ rnn init --layout torch --cell lstm --input-size 3 --hidden-size 4 --num-layers 2 --bidirectional --batch 2 --seq-len 5 --seed 1 --out lstm_torch.npz
  $ rnn init --layout cs231n --cell rnn --input-size 3 --hidden-size 4 --batch 2 --seq-len 5 --vocab-size 6 --seed 1 --out rnn_cs231n.npz
`;
}

/** Every cell's parameters in the order `init` draws them (CELLS). */
function drawOrder(): string {
  return Object.values(CELLS).map((c) => `${c.name}: ${c.params.map((p) => p.name).join(', ')}`).join(' | ');
}

/** Which cells also get a c0 ("LSTM also gets"). */
function withCellState(): string {
  const names = Object.values(CELLS).filter((c) => c.hasCellState).map((c) => c.name.toUpperCase());
  return `${names.join(', ')} also get${names.length === 1 ? 's' : ''}`;
}
