/**
 * One layer-direction of an nn.LSTM with projections (proj_size P > 0), PyTorch's equations:
 *
 *   i, f, g, o = σ, σ, tanh, σ of the rows of W_ih x_t + W_hh h_{t−1} + b      (b = b_ih + b_hh)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g          (H rows)
 *   h_t = W_hr (o ⊙ tanh(c_t))         (P rows: the state the next step and the next layer read)
 *
 * Backward, given dh = ∂L/∂h_t (upstream plus what step t+1 sent back) and dc from step t+1:
 *   m = o ⊙ tanh(c_t);  dW_hr += dh mᵀ;  dm = W_hrᵀ dh
 *   do = dm ⊙ tanh(c_t) ⊙ o(1 − o);  dc_t = dc + dm ⊙ o ⊙ (1 − tanh²(c_t))
 *   di = dc_t ⊙ g ⊙ i(1 − i);  df = dc_t ⊙ c_{t−1} ⊙ f(1 − f);  dg = dc_t ⊙ i ⊙ (1 − g²)
 *   dz = [di; df; dg; do];  dW_ih += dz x_tᵀ;  dW_hh += dz h_{t−1}ᵀ;  db += Σ_batch dz
 *   dx_t = W_ihᵀ dz;  dh_{t−1} = W_hhᵀ dz;  dc_{t−1} = dc_t ⊙ f
 *
 * The reference backend's layer 'lstm_proj' (src/backends/network.ts), in plain loops on
 * Float64Arrays as the equations read, one step at a time: the literal twin of the float64
 * backend's src/backends/lstm-proj.ts (test/torch-layout.test.ts holds them together). Arrays as
 * the seed lays them out: x (H_in, N, T), states (rows, N).
 */
import type { DirectionPass } from '../network';
import type { Direction } from '../../model/layer';
import { tensor, type Arrays, type Tensor } from '../../tensor';

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** C += A·B (A (r, k), B (k, n) with B's element (q, j) at B[bOff + q·bStride + j·bStep]), all row-major but B. */
function mulAdd(C: Float64Array, A: Float64Array, r: number, k: number, B: (q: number, j: number) => number, n: number): void {
  for (let i = 0; i < r; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let q = 0; q < k; q++) s += A[i * k + q] * B(q, j);
    C[i * n + j] += s;
  }
}

/** `inputs`: x, a0 (P, N), c0 (H, N), weight_ih (4H, H_in), weight_hh (4H, P), bias (4H, 1), weight_hr (P, H). */
export function lstmProjReference(inputs: Arrays, direction: Direction): DirectionPass {
  const { x, a0, c0, weight_ih: Wih, weight_hh: Whh, bias, weight_hr: Whr } = inputs;
  const [H_in, N, T] = x.shape, P = Whr.shape[0], H = Whr.shape[1];
  const order = Array.from({ length: T }, (_, k) => (direction === 'forward' ? k : T - 1 - k));
  const xAt = (t: number) => (q: number, j: number): number => x.data[(q * N + j) * T + t];
  const gates: Float64Array[] = [], cs: Float64Array[] = [], hs: Float64Array[] = [];
  let hPrev = a0.data, cPrev = c0.data;
  const before: { h: Float64Array; c: Float64Array }[] = [];
  for (const t of order) {
    before[t] = { h: hPrev, c: cPrev };
    const z = new Float64Array(4 * H * N);
    for (let r = 0; r < 4 * H; r++) z.fill(bias.data[r], r * N, (r + 1) * N);
    mulAdd(z, Wih.data, 4 * H, H_in, xAt(t), N);
    const hp = hPrev;
    mulAdd(z, Whh.data, 4 * H, P, (q, j) => hp[q * N + j], N);
    const c = new Float64Array(H * N), m = new Float64Array(H * N);
    for (let u = 0; u < H * N; u++) {
      const i = sigmoid(z[u]), f = sigmoid(z[H * N + u]), g = Math.tanh(z[2 * H * N + u]), o = sigmoid(z[3 * H * N + u]);
      z[u] = i;
      z[H * N + u] = f;
      z[2 * H * N + u] = g;
      z[3 * H * N + u] = o;
      c[u] = f * cPrev[u] + i * g;
      m[u] = o * Math.tanh(c[u]);
    }
    const h = new Float64Array(P * N);
    mulAdd(h, Whr.data, P, H, (q, j) => m[q * N + j], N);
    gates[t] = z;
    cs[t] = c;
    hs[t] = h;
    hPrev = h;
    cPrev = c;
  }
  const sequence = (steps: Float64Array[], rows: number): Tensor => {
    const out = new Float64Array(rows * N * T);
    for (let t = 0; t < T; t++) for (let q = 0; q < rows * N; q++) out[q * T + t] = steps[t][q];
    return tensor([rows, N, T], out);
  };
  return {
    a: sequence(hs, P),
    c: sequence(cs, H),
    backward(da, dcN) {
      const dWih = new Float64Array(4 * H * H_in), dWhh = new Float64Array(4 * H * P), db = new Float64Array(4 * H), dWhr = new Float64Array(P * H);
      const dx = new Float64Array(H_in * N * T);
      let dhNext = new Float64Array(P * N), dcNext = dcN ? dcN.data.slice() : new Float64Array(H * N);
      for (let k = T - 1; k >= 0; k--) {
        const t = order[k], z = gates[t], c = cs[t], { h: hp, c: cp } = before[t];
        const dh = new Float64Array(P * N);
        for (let q = 0; q < P * N; q++) dh[q] = da.data[q * T + t] + dhNext[q];
        const tc = new Float64Array(H * N), m = new Float64Array(H * N);
        for (let u = 0; u < H * N; u++) {
          tc[u] = Math.tanh(c[u]);
          m[u] = z[3 * H * N + u] * tc[u];
        }
        for (let p = 0; p < P; p++) for (let q = 0; q < H; q++) {
          let s = 0;
          for (let j = 0; j < N; j++) s += dh[p * N + j] * m[q * N + j];
          dWhr[p * H + q] += s;
        }
        const dm = new Float64Array(H * N);
        for (let q = 0; q < H; q++) for (let j = 0; j < N; j++) {
          let s = 0;
          for (let p = 0; p < P; p++) s += Whr.data[p * H + q] * dh[p * N + j];
          dm[q * N + j] = s;
        }
        const dz = new Float64Array(4 * H * N), dcPrev = new Float64Array(H * N);
        for (let u = 0; u < H * N; u++) {
          const i = z[u], f = z[H * N + u], g = z[2 * H * N + u], o = z[3 * H * N + u];
          const dc = dcNext[u] + dm[u] * o * (1 - tc[u] * tc[u]);
          dz[u] = dc * g * i * (1 - i);
          dz[H * N + u] = dc * cp[u] * f * (1 - f);
          dz[2 * H * N + u] = dc * i * (1 - g * g);
          dz[3 * H * N + u] = dm[u] * tc[u] * o * (1 - o);
          dcPrev[u] = dc * f;
        }
        for (let r = 0; r < 4 * H; r++) {
          for (let j = 0; j < N; j++) db[r] += dz[r * N + j];
          for (let q = 0; q < H_in; q++) {
            let s = 0;
            for (let j = 0; j < N; j++) s += dz[r * N + j] * x.data[(q * N + j) * T + t];
            dWih[r * H_in + q] += s;
          }
          for (let q = 0; q < P; q++) {
            let s = 0;
            for (let j = 0; j < N; j++) s += dz[r * N + j] * hp[q * N + j];
            dWhh[r * P + q] += s;
          }
        }
        const dhPrev = new Float64Array(P * N);
        for (let q = 0; q < H_in; q++) for (let j = 0; j < N; j++) {
          let s = 0;
          for (let r = 0; r < 4 * H; r++) s += Wih.data[r * H_in + q] * dz[r * N + j];
          dx[(q * N + j) * T + t] = s;
        }
        for (let q = 0; q < P; q++) for (let j = 0; j < N; j++) {
          let s = 0;
          for (let r = 0; r < 4 * H; r++) s += Whh.data[r * P + q] * dz[r * N + j];
          dhPrev[q * N + j] = s;
        }
        dhNext = dhPrev;
        dcNext = dcPrev;
      }
      return {
        dx: tensor([H_in, N, T], dx), da0: tensor([P, N], dhNext), dc0: tensor([H, N], dcNext),
        dweight_ih: tensor([4 * H, H_in], dWih), dweight_hh: tensor([4 * H, P], dWhh), dbias: tensor([4 * H, 1], db), dweight_hr: tensor([P, H], dWhr),
      };
    },
    release() {},
  };
}
