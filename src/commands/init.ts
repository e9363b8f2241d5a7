/**
 * `rnn init`: a complete random fixture for a cell. With a seed the draws are exactly
 *
 *   np.random.seed(S)
 *   x  = np.random.randn(n_x, m, T_x)
 *   a0 = np.random.randn(n_a, m)
 *   <each parameter, in CELLS order> = np.random.randn(*shape) * scale
 *        RNN:  Waa, Wax, Wya, ba, by
 *        LSTM: Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by
 *        GRU:  Wu, bu, Wr, br, Wc, bc, Wy, by
 *   da = np.random.randn(n_a, m, T_x)
 *   labels = np.random.randint(0, n_y, size=(m, T_x))
 *
 * and for the LSTM `c0` = zeros (n_a, m), drawn from nothing (as in the seed).
 */
import type { CellName, Dims } from '../backend';
import { CELLS } from '../cells';
import { NumpyRandom } from '../random';
import { zeros, type Arrays } from '../tensor';

export interface InitOptions {
  cell: CellName;
  dims: Dims;
  seed: number;
  /** Multiplies every parameter (not x, a0, da); 1 reproduces the course's randn draws. */
  scale: number;
}

export function initFixture({ cell: cellName, dims: d, seed, scale }: InitOptions): Arrays {
  const rng = new NumpyRandom(seed);
  const cell = CELLS[cellName];
  const out: Arrays = {};
  out.x = rng.randn(d.n_x, d.m, d.T_x);
  out.a0 = rng.randn(d.n_a, d.m);
  for (const p of cell.params) {
    const t = rng.randn(...p.shape(d));
    if (scale !== 1) for (let k = 0; k < t.data.length; k++) t.data[k] *= scale;
    out[p.name] = t;
  }
  out.da = rng.randn(d.n_a, d.m, d.T_x);
  out.labels = rng.randint(0, d.n_y, [d.m, d.T_x]);
  if (cell.hasCellState) out.c0 = zeros([d.n_a, d.m]);
  return out;
}
