/**
 * PyTorch's cells as the engine's (src/model/cells/), one layer-direction at a time — only where
 * the equations are the same, so that the weights map exactly:
 *
 *   nn.RNN (tanh): h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
 *     = the seed's RNN cell, a⟨t⟩ = tanh(Waa a⟨t−1⟩ + Wax x⟨t⟩ + ba), with
 *       Wax = W_ih, Waa = W_hh, ba = b_ih + b_hh; with nonlinearity='relu', the engine's
 *       rnn_relu with the same weights.
 *   nn.LSTM: i, f, g, o = σ, σ, tanh, σ of the rows (in that order) of W_ih x_t + b_ih + W_hh h_{t−1} + b_hh;
 *     c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh(c_t)
 *     = the seed's LSTM with W_gate = [W_hh rows | W_ih rows] (it multiplies [a⟨t−1⟩; x⟨t⟩]) and
 *       b_gate = b_ih + b_hh rows, for (i, f, g, o) = (Wi, Wf, Wc, Wo).
 *
 *   nn.GRU: r, z = σ of the rows (in that order) of W_ih x_t + b_ih + W_hh h_{t−1} + b_hh;
 *     n = tanh(W_in x_t + b_in + r⊙(W_hn h_{t−1} + b_hn)), h_t = (1 − z)⊙n + z⊙h_{t−1}
 *     = the engine's gru_reset_after with W{r,z} = [W_h{r,z} | W_i{r,z}], b{r,z} = b_i + b_h,
 *       Wn = W_in, bn = b_in, Whn = W_hn, bhn = b_hn.
 *
 * Backward, b_ih and b_hh enter the loss only through their sum (for the GRU's n rows: apart), so each one's gradient is
 * the engine's db; W_ih's and W_hh's gradients are the columns of dW_gate they came from.
 */
import type { CellName } from '../../model/cells';
import { tensor, type Arrays, type Tensor } from '../../tensor';
import type { ParamKind, TorchModule } from './names';
import type { LayerCell } from '../../backends/network';

/** One layer-direction's parameters under PyTorch's kinds (biases absent with bias=False). */
export type TorchWeights = Partial<Record<ParamKind, Tensor>>;

export interface TorchCell {
  /** The engine's cell with the same equations, or the backends' layer of its own (projections). */
  readonly engine: LayerCell;
  /** The parameters as the engine cell's (H: hidden size, H_in: this layer's input size). */
  toEngine(w: TorchWeights, H: number, H_in: number): Arrays;
  /** The engine cell's gradients ('d' + its names) under PyTorch's kinds. */
  fromEngine(g: Arrays, H: number, H_in: number, bias: boolean): TorchWeights;
}

/** b_ih + b_hh as a column (H·G, 1), zeros without biases. */
function biasSum(w: TorchWeights, rows: number, r0 = 0, n = rows): Float64Array {
  const out = new Float64Array(n);
  if (w.bias_ih && w.bias_hh) for (let i = 0; i < n; i++) out[i] = w.bias_ih.data[r0 + i] + w.bias_hh.data[r0 + i];
  return out;
}

const rnnTanh: TorchCell = {
  engine: 'rnn',
  toEngine: (w, H) => ({ Wax: w.weight_ih!, Waa: w.weight_hh!, ba: tensor([H, 1], biasSum(w, H)) }),
  fromEngine(g, H, _H_in, bias) {
    const out: TorchWeights = { weight_ih: g.dWax, weight_hh: g.dWaa };
    if (bias) {
      out.bias_ih = tensor([H], g.dba.data.slice());
      out.bias_hh = tensor([H], g.dba.data.slice());
    }
    return out;
  },
};

/** nn.RNN(nonlinearity='relu'): the same weights on the engine's rnn_relu, h_t = max(…, 0). */
const rnnRelu: TorchCell = { ...rnnTanh, engine: 'rnn_relu' };

/** PyTorch's LSTM gate rows, in order, and the seed's parameters they become. */
const LSTM_GATES = [['Wi', 'bi'], ['Wf', 'bf'], ['Wc', 'bc'], ['Wo', 'bo']] as const;

const lstm: TorchCell = {
  engine: 'lstm',
  toEngine(w, H, H_in) {
    const out: Arrays = {}, ih = w.weight_ih!.data, hh = w.weight_hh!.data, n = H + H_in;
    LSTM_GATES.forEach(([W, b], gate) => {
      const Wg = new Float64Array(H * n);
      for (let i = 0; i < H; i++) {
        const r = gate * H + i;
        Wg.set(hh.subarray(r * H, (r + 1) * H), i * n);
        Wg.set(ih.subarray(r * H_in, (r + 1) * H_in), i * n + H);
      }
      out[W] = tensor([H, n], Wg);
      out[b] = tensor([H, 1], biasSum(w, 4 * H, gate * H, H));
    });
    return out;
  },
  fromEngine(g, H, H_in, bias) {
    const ih = new Float64Array(4 * H * H_in), hh = new Float64Array(4 * H * H), db = new Float64Array(4 * H), n = H + H_in;
    LSTM_GATES.forEach(([W, b], gate) => {
      const dW = g['d' + W].data;
      for (let i = 0; i < H; i++) {
        const r = gate * H + i;
        hh.set(dW.subarray(i * n, i * n + H), r * H);
        ih.set(dW.subarray(i * n + H, (i + 1) * n), r * H_in);
        db[r] = g['d' + b].data[i];
      }
    });
    const out: TorchWeights = { weight_ih: tensor([4 * H, H_in], ih), weight_hh: tensor([4 * H, H], hh) };
    if (bias) {
      out.bias_ih = tensor([4 * H], db);
      out.bias_hh = tensor([4 * H], db.slice());
    }
    return out;
  },
};

/** PyTorch's GRU gate rows r, z, then n. */
const gru: TorchCell = {
  engine: 'gru_reset_after',
  toEngine(w, H, H_in) {
    const ih = w.weight_ih!.data, hh = w.weight_hh!.data, n = H + H_in;
    const out: Arrays = {};
    (['r', 'z'] as const).forEach((g, gate) => {
      const W = new Float64Array(H * n);
      for (let i = 0; i < H; i++) {
        const r = gate * H + i;
        W.set(hh.subarray(r * H, (r + 1) * H), i * n);
        W.set(ih.subarray(r * H_in, (r + 1) * H_in), i * n + H);
      }
      out['W' + g] = tensor([H, n], W);
      out['b' + g] = tensor([H, 1], biasSum(w, 3 * H, gate * H, H));
    });
    out.Wn = tensor([H, H_in], ih.slice(2 * H * H_in, 3 * H * H_in));
    out.Whn = tensor([H, H], hh.slice(2 * H * H, 3 * H * H));
    out.bn = tensor([H, 1], w.bias_ih ? w.bias_ih.data.slice(2 * H, 3 * H) : new Float64Array(H));
    out.bhn = tensor([H, 1], w.bias_hh ? w.bias_hh.data.slice(2 * H, 3 * H) : new Float64Array(H));
    return out;
  },
  fromEngine(g, H, H_in, bias) {
    const ih = new Float64Array(3 * H * H_in), hh = new Float64Array(3 * H * H), n = H + H_in;
    const bi = new Float64Array(3 * H), bh = new Float64Array(3 * H);
    (['r', 'z'] as const).forEach((gt, gate) => {
      const dW = g['dW' + gt].data, db = g['db' + gt].data;
      for (let i = 0; i < H; i++) {
        const r = gate * H + i;
        hh.set(dW.subarray(i * n, i * n + H), r * H);
        ih.set(dW.subarray(i * n + H, (i + 1) * n), r * H_in);
        bi[r] = bh[r] = db[i];
      }
    });
    ih.set(g.dWn.data, 2 * H * H_in);
    hh.set(g.dWhn.data, 2 * H * H);
    bi.set(g.dbn.data, 2 * H);
    bh.set(g.dbhn.data, 2 * H);
    const out: TorchWeights = { weight_ih: tensor([3 * H, H_in], ih), weight_hh: tensor([3 * H, H], hh) };
    if (bias) {
      out.bias_ih = tensor([3 * H], bi);
      out.bias_hh = tensor([3 * H], bh);
    }
    return out;
  },
};

/**
 * nn.LSTM with proj_size: its own layer (lstm-proj.ts: the engine's a and c have one size),
 * with b = b_ih + b_hh as above and W_hr as it is.
 */
const lstmProj: TorchCell = {
  engine: 'lstm_proj',
  toEngine(w, H) {
    return { weight_ih: w.weight_ih!, weight_hh: w.weight_hh!, weight_hr: w.weight_hr!, bias: tensor([4 * H, 1], biasSum(w, 4 * H)) };
  },
  fromEngine(g, H, _H_in, bias) {
    const out: TorchWeights = { weight_ih: g.dweight_ih, weight_hh: g.dweight_hh, weight_hr: g.dweight_hr };
    if (bias) {
      out.bias_ih = tensor([4 * H], g.dbias.data.slice());
      out.bias_hh = tensor([4 * H], g.dbias.data.slice());
    }
    return out;
  },
};

/**
 * The engine cell for a module, or why there is none yet: the reason is the user's message
 * (the module's equations differ from every cell the engine has).
 */
export function torchCell(module: TorchModule, o: { nonlinearity: 'tanh' | 'relu'; proj: number }): TorchCell | string {
  if (module === 'RNN') return o.nonlinearity === 'tanh' ? rnnTanh : rnnRelu;
  if (module === 'LSTM') return o.proj ? lstmProj : lstm;
  return gru;
}
