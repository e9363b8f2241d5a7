/**
 * One layer-direction of an nn.LSTM with projections (proj_size P > 0), PyTorch's equations,
 * on the kernels (src/exec/): the float64 backend's layer 'lstm_proj' (src/backends/network.ts).
 *
 *   i, f, g, o = σ, σ, tanh, σ of the rows of W_ih x_t + W_hh h_{t−1} + b      (b = b_ih + b_hh)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g          (H rows)
 *   m_t = o ⊙ tanh(c_t);  h_t = W_hr m_t   (P rows: the state the next step and the next layer read)
 *
 * Backward, given dh = ∂L/∂h_t (upstream plus what step t+1 sent back) and dc from step t+1:
 *   dm = W_hrᵀ dh;  do = dm ⊙ tanh(c_t) ⊙ o(1 − o);  dc_t = dc + dm ⊙ o ⊙ (1 − tanh²(c_t))
 *   di = dc_t ⊙ g ⊙ i(1 − i);  df = dc_t ⊙ c_{t−1} ⊙ f(1 − f);  dg = dc_t ⊙ i ⊙ (1 − g²)
 *   dz = [di; df; dg; do];  dh_{t−1} = W_hhᵀ dz;  dc_{t−1} = dc_t ⊙ f
 * and, over all steps at once after the time loop (no step needs them):
 *   dW_hr = Σ_t dh_t m_tᵀ;  dW_ih = Σ_t dz_t x_tᵀ;  dW_hh = Σ_t dz_t h_{t−1}ᵀ;  db = Σ_t Σ_batch dz_t;  dx_t = W_ihᵀ dz_t
 * and forward, before it: W_ih x_t + b of every step, as one product.
 *
 * The engine's cells have one state size (a and c both n_a rows), so this layer has a time loop
 * of its own; its products and activations are the engine's (`ops`, the kernels' batches), on
 * arena blocks where there is an arena. The reference backend's twin, in plain loops:
 * src/backends/mathjs/lstm_proj.ts. Arrays as the seed lays them out: x (H_in, N, T), states (rows, N).
 */
import type { DirectionPass } from './network';
import type { Direction } from '../model/layer';
import { tensor, type Arrays, type Tensor } from '../tensor';
import { Mat, opsFor } from '../exec/ops';
import { mulBias, mulTAdd, outerAdd } from '../exec/kernels';
import { give, take } from '../exec/pool';
import { fromSteps, toTimeMajor, views } from '../exec/unroll';
import { tanh } from '../exec/fastmath';

/** `inputs`: x, a0 (P, N), c0 (H, N), weight_ih (4H, H_in), weight_hh (4H, P), bias (4H, 1), weight_hr (P, H). */
export function lstmProjLayer(inputs: Arrays, direction: Direction): DirectionPass {
  const [H_in, N, T] = inputs.x.shape, P = inputs.weight_hr.shape[0], H = inputs.weight_hr.shape[1];
  const taken: Float64Array[] = [];
  /** A buffer of n values (an arena block where there is one), given back by release(). */
  const buf = (n: number, zero = true): Float64Array => {
    const X = take(n, true, zero);
    taken.push(X);
    return X;
  };
  const copy = (t: Tensor): Float64Array => {
    const X = buf(t.data.length, false);
    X.set(t.data);
    return X;
  };
  const Wih = copy(inputs.weight_ih), Whh = copy(inputs.weight_hh), Whr = copy(inputs.weight_hr), b = copy(inputs.bias);
  const a0 = copy(inputs.a0), c0 = copy(inputs.c0);
  const X = toTimeMajor(inputs.x.data, H_in, N, T, [N], buf(H_in * N * T, false));
  const ops = opsFor(X);
  const W = { hh: new Mat(Whh, 4 * H, P), hr: new Mat(Whr, P, H) };
  // Step blocks, time-major: the gates (activated), c, tanh(c), m, h.
  const G = buf(4 * H * N * T, false), C = buf(H * N * T, false), TC = buf(H * N * T, false), M = buf(H * N * T, false), Hs = buf(P * N * T);
  const at = (B: Float64Array, rows: number, t: number): Mat => new Mat(B, rows, N, t * rows * N);
  const order = Array.from({ length: T }, (_, k) => (direction === 'forward' ? k : T - 1 - k));
  /** The step taken before t, −1 for the first (a0, c0). */
  const prev = (t: number): number => (direction === 'forward' ? t - 1 : t + 1 < T ? t + 1 : -1);
  const hBefore = (t: number): Mat => (prev(t) < 0 ? new Mat(a0, P, N) : at(Hs, P, prev(t)));
  const cBefore = (t: number): Float64Array => (prev(t) < 0 ? c0 : C.subarray(prev(t) * H * N, (prev(t) + 1) * H * N));

  mulBias(G, b, Wih, H_in, 0, 4 * H, H_in, X, N, 0, 0, T, 4 * H * N, H_in * N); // W_ih x_t + b, every step
  for (const t of order) {
    const z = at(G, 4 * H, t);
    ops.addProduct(z, W.hh, hBefore(t));
    const [i, f, g, o] = z.blocks(H);
    ops.sigmoid(i);
    ops.sigmoid(f);
    ops.tanh(g);
    ops.sigmoid(o);
    const cPrev = cBefore(t), HN = H * N, s = t * HN, zs = t * 4 * HN;
    for (let u = 0; u < HN; u++) {
      const c = G[zs + HN + u] * cPrev[u] + G[zs + u] * G[zs + 2 * HN + u];
      C[s + u] = c;
      TC[s + u] = tanh(c);
      M[s + u] = G[zs + 3 * HN + u] * TC[s + u];
    }
    ops.addProduct(at(Hs, P, t), W.hr, at(M, H, t)); // (Hs starts at zero)
  }

  const sequence = (B: Float64Array, rows: number): Tensor => tensor([rows, N, T], fromSteps(views(B, rows * N, T), rows, N));
  let live = true;
  return {
    a: sequence(Hs, P),
    c: sequence(C, H),
    backward(da, dcN) {
      const HN = H * N, PN = P * N;
      const dH = buf(PN * T, false), dZ = buf(4 * HN * T, false), dm = buf(HN, false);
      const dhNext = buf(PN), dcNext = buf(HN);
      if (dcN) dcNext.set(dcN.data);
      const up = toTimeMajor(da.data, P, N, T, [N], buf(PN * T, false));
      for (let k = T - 1; k >= 0; k--) {
        const t = order[k], cPrev = cBefore(t), s = t * HN, zs = t * 4 * HN;
        for (let q = 0; q < PN; q++) dH[t * PN + q] = up[t * PN + q] + dhNext[q];
        const dmM = new Mat(dm, H, N);
        ops.zero(dmM);
        ops.addProductT(dmM, W.hr, at(dH, P, t));
        for (let u = 0; u < HN; u++) {
          const i = G[zs + u], f = G[zs + HN + u], g = G[zs + 2 * HN + u], o = G[zs + 3 * HN + u], tc = TC[s + u];
          const dc = dcNext[u] + dm[u] * o * (1 - tc * tc);
          dZ[zs + u] = dc * g * i * (1 - i);
          dZ[zs + HN + u] = dc * cPrev[u] * f * (1 - f);
          dZ[zs + 2 * HN + u] = dc * i * (1 - g * g);
          dZ[zs + 3 * HN + u] = dm[u] * tc * o * (1 - o);
          dcNext[u] = dc * f;
        }
        const dh = new Mat(dhNext, P, N);
        ops.zero(dh);
        ops.addProductT(dh, W.hh, at(dZ, 4 * H, t));
      }
      // Every step's dz at once: the weights' gradients and dx.
      const dWih = new Float64Array(4 * H * H_in), dWhh = new Float64Array(4 * H * P), dWhr = new Float64Array(P * H), db = new Float64Array(4 * H);
      outerAdd(dWhr, H, 0, dH, P, M, H, N, 0, 0, T, PN, HN);
      outerAdd(dWih, H_in, 0, dZ, 4 * H, X, H_in, N, 0, 0, T, 4 * HN, H_in * N);
      // h_{t−1}: a0 for the first step taken, then the state of the step before (t−1 forward, t+1 reverse)
      const [first, dFrom, hFrom] = direction === 'forward' ? [0, 1, 0] : [T - 1, 0, 1];
      outerAdd(dWhh, P, 0, dZ, 4 * H, a0, P, N, first * 4 * HN, 0, 1);
      if (T > 1) outerAdd(dWhh, P, 0, dZ, 4 * H, Hs, P, N, dFrom * 4 * HN, hFrom * PN, T - 1, 4 * HN, PN);
      for (let t = 0; t < T; t++) for (let r = 0; r < 4 * H; r++) for (let j = 0; j < N; j++) db[r] += dZ[t * 4 * HN + r * N + j];
      const dX = buf(H_in * N * T);
      mulTAdd(dX, Wih, H_in, 0, 4 * H, H_in, dZ, N, 0, 0, T, H_in * N, 4 * HN);
      return {
        dx: sequence(dX, H_in), da0: tensor([P, N], dhNext.slice()), dc0: tensor([H, N], dcNext.slice()),
        dweight_ih: tensor([4 * H, H_in], dWih), dweight_hh: tensor([4 * H, P], dWhh), dbias: tensor([4 * H, 1], db), dweight_hr: tensor([P, H], dWhr),
      };
    },
    release() {
      if (!live) return;
      live = false;
      give(...taken);
      taken.length = 0;
    },
  };
}
