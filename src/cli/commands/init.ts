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
import type { CellName, Dims } from '../../backends/types';
import { CELLS } from '../../model/cells';
import { LOSS_NAMES, LOSSES } from '../../model/losses';
import { InputError } from '../../errors';
import { DEFAULT_MAX_BYTES, formatBytes, resolveMaxBytes } from '../../io/common';
import { NumpyRandom } from '../../random';
import { formatExact, formatNumber } from '../render/format';
import { formatShape, zeros, type Arrays, type Shape } from '../../tensor';
import { indexText } from '../../validate';

export interface InitOptions {
  cell: CellName;
  dims: Dims;
  seed: number;
  /** Multiplies every parameter (not x, a0, da); 1 reproduces the course's randn draws. */
  scale: number;
  /**
   * Largest fixture drawn, in bytes of float64 data (default: 1 GiB, io/common.ts
   * DEFAULT_MAX_BYTES — the most the readers take by default, so what init writes reads back).
   */
  maxBytes?: number;
}

/** The arrays `initFixture` draws for these dims, in order, with their shapes. */
export function fixtureShapes(cellName: CellName, d: Dims): { name: string; shape: Shape }[] {
  const cell = CELLS[cellName];
  return [
    { name: 'x', shape: [d.n_x, d.m, d.T_x] },
    { name: 'a0', shape: [d.n_a, d.m] },
    ...cell.params.map((p) => ({ name: p.name, shape: p.shape(d) })),
    ...LOSS_NAMES.map((k) => ({ name: LOSSES[k].input.name, shape: LOSSES[k].input.shape(d) })),
    ...(cell.hasCellState ? [{ name: 'c0', shape: [d.n_a, d.m] }] : []),
  ];
}

/** Bytes for messages; past 2^53 a double no longer counts them exactly. */
const bytesText = (n: number): string => (n <= Number.MAX_SAFE_INTEGER ? formatBytes(n) : `${formatNumber(n, 3)} bytes`);

/**
 * Refuses dims whose fixture is over `maxBytes`, before anything is allocated: an InputError
 * naming the size and the biggest array. (Products of whole numbers up to 2^53 stay finite in
 * float64 and only round above the limit, so the comparison holds for any dims.)
 */
export function checkFixtureSize(cellName: CellName, d: Dims, maxBytes?: number): void {
  const limit = resolveMaxBytes(maxBytes);
  const arrays = fixtureShapes(cellName, d).map((a) => ({ ...a, bytes: a.shape.reduce((p, n) => p * n, 8) }));
  const total = arrays.reduce((s, a) => s + a.bytes, 0);
  if (total <= limit) return;
  const big = arrays.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  throw new InputError(
    `the fixture would hold ${bytesText(total)} of float64 data (${big.name} ${formatShape(big.shape)} alone ${bytesText(big.bytes)}), ` +
      `over the limit of ${formatBytes(limit)} (raise it with --max-output, or maxBytes in the library)`,
  );
}

export function initFixture({ cell: cellName, dims: d, seed, scale, maxBytes = DEFAULT_MAX_BYTES }: InitOptions): Arrays {
  checkFixtureSize(cellName, d, maxBytes);
  const rng = new NumpyRandom(seed);
  const cell = CELLS[cellName];
  const out: Arrays = {};
  out.x = rng.randn(d.n_x, d.m, d.T_x);
  out.a0 = rng.randn(d.n_a, d.m);
  for (const p of cell.params) {
    const t = rng.randn(...p.shape(d));
    if (scale !== 1) {
      for (let k = 0; k < t.data.length; k++) {
        t.data[k] *= scale;
        if (!Number.isFinite(t.data[k])) {
          throw new InputError(`scale ${formatExact(scale)} makes ${p.name}${indexText(k, t.shape)} ${formatExact(t.data[k])}: a fixture's parameters must be finite`);
        }
      }
    }
    out[p.name] = t;
  }
  for (const k of LOSS_NAMES) out[LOSSES[k].input.name] = LOSSES[k].input.draw(rng, d); // da, then labels
  if (cell.hasCellState) out.c0 = zeros([d.n_a, d.m]);
  return out;
}
