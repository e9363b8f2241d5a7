/**
 * CS231n assignment 3's layout (rnn_layers.py): the arrays its functions take and return,
 * mapped onto the notebook's cells (the engine's `rnn` and `lstm`, one layer).
 *
 *   rnn_forward(x, h0, Wx, Wh, b):  x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,) → h (N, T, H)
 *     next_h = tanh(x Wx + prev_h Wh + b)                — the notebook's RNN with Wax = Wxᵀ, Waa = Whᵀ
 *   lstm_forward: Wx (D, 4H), Wh (H, 4H), b (4H,), their H-blocks the gates i, f, o, g (that order);
 *     c0 = 0                                             — the notebook's LSTM with Wi = [Wh_iᵀ, Wx_iᵀ], …
 *   temporal_affine_forward: scores = h W_vocab + b_vocab, W_vocab (H, V), b_vocab (V,)
 *                                                        — the notebook's head, Wy = W_vocabᵀ
 *   temporal_softmax_loss(scores, y, mask): −Σ mask · log softmax(scores)[y] / N
 *                                                        — the xent loss with its mask, labels = y
 *   rnn_backward(dh, cache): the gradients of Σ dh ⊙ h   — the sum loss with da = dh
 *
 * Gradients under the assignment's names: dx (N, T, D), dh0 (N, H), dWx, dWh, db, and with the
 * softmax loss dW_vocab, db_vocab. The assignment has no GRU.
 */
import { float64Backend } from '../../backends/float64';
import type { Backend } from '../../backends/types';
import { InputError } from '../../errors';
import { CELLS } from '../../model/cells';
import { formatShape, tensor, type Arrays, type Tensor } from '../../tensor';
import { fromSeed, toSeed, type SeqLayout } from '../sequence';

export type Cs231nCell = 'rnn' | 'lstm';
/** Gate blocks of Wx, Wh, b in the assignment's order, as the notebook's LSTM names them. */
const LSTM_GATES = ['Wi', 'Wf', 'Wo', 'Wc'] as const;
const GATE_BIAS: Record<(typeof LSTM_GATES)[number], string> = { Wi: 'bi', Wf: 'bf', Wo: 'bo', Wc: 'bc' };

export interface Cs231nProblem {
  readonly cell: Cs231nCell;
  readonly N: number;
  readonly T: number;
  readonly D: number;
  readonly H: number;
  /** The vocabulary V; undefined without W_vocab (only the sum loss, on dh). */
  readonly V?: number;
  /** The same problem in the notebook's names (the engine's input). */
  readonly arrays: Arrays;
}

/** The arrays, checked, as the notebook's cell: `cell` from --cell, else from Wx's columns (H or 4H). */
export function cs231nProblem(a: Readonly<Record<string, Tensor>>, o: { cell?: string; source?: string | readonly string[] } = {}): Cs231nProblem {
  const fail = (msg: string): never => {
    throw new InputError(msg, o.source);
  };
  for (const name of ['x', 'Wx', 'Wh', 'b']) if (!a[name]) fail(`${name} is missing (the cs231n layout reads x, h0, Wx, Wh, b as rnn_forward takes them)`);
  const shape = (name: string, want: number[]): void => {
    const t = a[name];
    if (t && (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]))) fail(`${name} is ${formatShape(t.shape)}, expected ${formatShape(want)}`);
  };
  if (a.x.shape.length !== 3) fail(`x is ${formatShape(a.x.shape)}, expected (N, T, D)`);
  const [N, T, D] = a.x.shape, H = a.Wh.shape[0];
  const k = a.Wh.shape[1] / H;
  const cell: Cs231nCell = k === 1 ? 'rnn' : k === 4 ? 'lstm' : fail(`Wh is ${formatShape(a.Wh.shape)}: an RNN's is (H, H), an LSTM's (H, 4H)`);
  if (o.cell !== undefined && o.cell !== cell) fail(`--cell ${o.cell}, but Wh is ${formatShape(a.Wh.shape)}, ${cell === 'rnn' ? "an RNN's (H, H)" : "an LSTM's (H, 4H)"}${o.cell === 'gru' ? ' (the assignment has no GRU)' : ''}`);
  shape('Wx', [D, k * H]);
  shape('b', [k * H]);
  shape('h0', [N, H]);
  shape('dh', [N, T, H]);
  const V = a.W_vocab ? a.W_vocab.shape[1] : undefined;
  if (a.W_vocab) shape('W_vocab', [H, V!]);
  if (a.b_vocab && !a.W_vocab) fail('b_vocab without W_vocab (the temporal affine layer takes both)');
  if (a.W_vocab) {
    if (!a.b_vocab) fail('W_vocab without b_vocab (the temporal affine layer takes both)');
    shape('b_vocab', [V!]);
  }
  shape('y', [N, T]);
  shape('mask', [N, T]);
  const entry = (name: string, ok: (v: number) => boolean, why: string): void => {
    const t = a[name], k = t ? t.data.findIndex((v) => !ok(v)) : -1;
    if (k >= 0) fail(`${name}[${Math.floor(k / T)}, ${k % T}] = ${t.data[k]} ${why}`);
  };
  if (a.y && V !== undefined) entry('y', (v) => Number.isInteger(v) && v >= 0 && v < V, `is not an index into the vocabulary: y holds integers in [0, V) = [0, ${V})`);
  entry('mask', (v) => v === 0 || v === 1, 'is not 0 or 1: a mask keeps a score (1) or leaves it out (0)');

  const L = seqLayout(N, T);
  const out: Arrays = { x: toSeed(a.x, L), a0: a.h0 ? transposed(a.h0) : tensor([H, N]) };
  if (cell === 'rnn') {
    Object.assign(out, { Wax: transposed(a.Wx), Waa: transposed(a.Wh), ba: tensor([H, 1], a.b.data.slice()) });
  } else {
    out.c0 = tensor([H, N]); // (lstm_forward: the initial cell state is zero)
    LSTM_GATES.forEach((W, g) => {
      const Wg = tensor([H, H + D]), bg = tensor([H, 1]);
      for (let r = 0; r < H; r++) {
        const col = g * H + r;
        for (let q = 0; q < H; q++) Wg.data[r * (H + D) + q] = a.Wh.data[q * 4 * H + col];
        for (let d = 0; d < D; d++) Wg.data[r * (H + D) + H + d] = a.Wx.data[d * 4 * H + col];
        bg.data[r] = a.b.data[col];
      }
      out[W] = Wg;
      out[GATE_BIAS[W]] = bg;
    });
  }
  const head = CELLS[cell].head;
  out[head.W] = a.W_vocab ? transposed(a.W_vocab) : tensor([1, H]);
  out[head.b] = a.b_vocab ? tensor([V!, 1], a.b_vocab.data.slice()) : tensor([1, 1]);
  if (a.y) out.labels = a.y;
  if (a.mask) out.mask = a.mask;
  if (a.dh) out.da = toSeed(a.dh, L);
  return { cell, N, T, D, H, V, arrays: out };
}

/** rnn_forward / lstm_forward: h (N, T, H). */
export function cs231nForward(p: Cs231nProblem, backend: Backend = float64Backend): { h: Tensor } {
  const { a } = backend.forward(p.cell, p.arrays);
  return { h: fromSeed(a, seqLayout(p.N, p.T)) };
}

/**
 * The gradients of the sum loss Σ dh ⊙ h (rnn_backward(dh, cache)) or of temporal_softmax_loss
 * through the temporal affine layer ('softmax'), under the assignment's names.
 */
export function cs231nBackward(p: Cs231nProblem, loss: 'sum' | 'softmax', backend: Backend = float64Backend): { loss: number; gradients: Arrays } {
  const { arrays: a, H, D, N } = p;
  if (loss === 'softmax' && p.V === undefined) throw new InputError('the softmax loss needs W_vocab and b_vocab (temporal_affine_forward) and y');
  if (loss === 'softmax' && !a.labels) throw new InputError('the softmax loss needs y (N, T): the ground-truth indices');
  if (loss === 'sum' && !a.da) throw new InputError('the sum loss needs dh (N, T, H): the upstream gradient rnn_backward takes');
  const r = backend.lossAndGradients(p.cell, a, loss === 'sum' ? { kind: 'sum', da: a.da } : { kind: 'xent', labels: a.labels, ...(a.mask ? { mask: a.mask } : {}) });
  const g = r.gradients;
  const out: Arrays = { dx: fromSeed(g.dx, seqLayout(N, p.T)), dh0: transposed(g.da0) };
  if (p.cell === 'rnn') {
    Object.assign(out, { dWx: transposed(g.dWax), dWh: transposed(g.dWaa), db: tensor([H], g.dba.data.slice()) });
  } else {
    const dWx = tensor([D, 4 * H]), dWh = tensor([H, 4 * H]), db = tensor([4 * H]);
    LSTM_GATES.forEach((W, k) => {
      const dW = g['d' + W], dbg = g['d' + GATE_BIAS[W]];
      for (let r = 0; r < H; r++) {
        const col = k * H + r;
        for (let q = 0; q < H; q++) dWh.data[q * 4 * H + col] = dW.data[r * (H + D) + q];
        for (let d = 0; d < D; d++) dWx.data[d * 4 * H + col] = dW.data[r * (H + D) + H + d];
        db.data[col] = dbg.data[r];
      }
    });
    Object.assign(out, { dWx, dWh, db });
  }
  if (loss === 'softmax') {
    const head = CELLS[p.cell].head;
    out.dW_vocab = transposed(g['d' + head.W]);
    out.db_vocab = tensor([p.V!], g['d' + head.b].data.slice());
  }
  return { loss: r.loss, gradients: out };
}

/** The assignment's sequences, (N, T, F): batch-first. */
const seqLayout = (N: number, T: number): SeqLayout => ({ N, T, batchFirst: true, unbatched: false });

/** A matrix's transpose. */
function transposed(m: Tensor): Tensor {
  const [r, c] = m.shape, out = tensor([c, r]);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.data[j * r + i] = m.data[i * c + j];
  return out;
}
