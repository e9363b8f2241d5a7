/**
 * PyTorch's own modules (fixtures/torch/, made by fixtures/generate_torch.py with nn.RNN and
 * torch.autograd): what `--layout torch` (issue 19) will be tested against. Until then, what
 * our coursera cells already express — a tanh nn.RNN, whose equation
 * h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) is the seed's RNN cell with Wax = W_ih,
 * Waa = W_hh, ba = b_ih + b_hh — is mapped by hand and run through the engine: one layer, and
 * two bidirectional layers composed by hand (the reverse direction is src/model/layer.ts's);
 * outputs and every gradient against PyTorch's, to 1e-12 relative. And a one-layer LSTM's
 * forward, its gates split from PyTorch's i, f, g, o rows. The fixtures' own contract
 * (every case holds its parameters, inputs, results and gradients under PyTorch's names, in
 * float64) is checked for all of them.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { float64Backend, forwardOutputs, gradients, trace } from '../src/backends/float64';
import { release } from '../src/exec/unroll';
import type { Direction } from '../src/model/layer';
import { parseNpz } from '../src/io/npz';
import { tensor, type Arrays, type Tensor } from '../src/tensor';
import { ROOT } from './cli-helpers';

const DIR = path.join(ROOT, 'fixtures', 'torch');

interface CaseMeta {
  module: 'RNN' | 'LSTM' | 'GRU';
  args: { input_size: number; hidden_size: number; num_layers?: number; bidirectional?: boolean; bias?: boolean; proj_size?: number };
  T: number;
  N: number | null;
  batch_first: boolean;
  prefix: string;
}
const manifest = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as { torch: string; cases: Record<string, CaseMeta> };

function load(name: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const e of parseNpz(new Uint8Array(fs.readFileSync(path.join(DIR, `${name}.npz`))), `${name}.npz`)) {
    assert.equal(e.dtype, '<f8', `${name}: ${e.name}`);
    out[e.name] = e.tensor;
  }
  return out;
}

/** A (d0, d1, d2) array with its axes reversed: PyTorch's (T, N, H) as the seed's (H, N, T). */
function reversed3(t: Tensor): Tensor {
  const [d0, d1, d2] = t.shape;
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < d0; i++) for (let j = 0; j < d1; j++) for (let k = 0; k < d2; k++) out[(k * d1 + j) * d0 + i] = t.data[(i * d1 + j) * d2 + k];
  return tensor([d2, d1, d0], out);
}

/** (rows, cols) transposed. */
function transposed(data: Float64Array, rows: number, cols: number): Tensor {
  const out = new Float64Array(data.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return tensor([cols, rows], out);
}

function close(actual: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let scale = 0, diff = 0;
  for (let k = 0; k < expected.data.length; k++) {
    scale = Math.max(scale, Math.abs(expected.data[k]));
    diff = Math.max(diff, Math.abs(actual.data[k] - expected.data[k]));
  }
  assert.ok(scale > 0, `${what}: all zeros`);
  assert.ok(diff <= 1e-12 * scale, `${what}: off by ${diff} (largest entry ${scale})`);
}

/** Rows r0 … r0+n−1 of an (R, N, T) array. */
function rowsOf(t: Tensor, r0: number, n: number): Tensor {
  const [, N, T] = t.shape;
  return tensor([n, N, T], t.data.slice(r0 * N * T, (r0 + n) * N * T));
}

/** Arrays stacked along the first axis. */
function stacked(...ts: Tensor[]): Tensor {
  const data = new Float64Array(ts.reduce((s, t) => s + t.data.length, 0));
  let at = 0;
  for (const t of ts) {
    data.set(t.data, at);
    at += t.data.length;
  }
  return tensor([ts.reduce((s, t) => s + t.shape[0], 0), ...ts[0].shape.slice(1)], data);
}

const sum = (x: Tensor, y: Tensor): Tensor => tensor(x.shape, x.data.map((v, k) => v + y.data[k]));

/** Step t of an (H, N, T) array, (H, N). */
function stepOf(t: Tensor, s: number): Tensor {
  const [H, N, T] = t.shape;
  const out = new Float64Array(H * N);
  for (let k = 0; k < H * N; k++) out[k] = t.data[k * T + s];
  return tensor([H, N], out);
}

/**
 * One direction of one layer of a tanh nn.RNN as the seed's RNN cell: x (H_in, N, T), its
 * state_dict entries under `suffix`, h_0's entry `k`; walking `dir`. Returns the layer's a and
 * a backward of a given upstream da.
 */
function rnnLayer(a: Record<string, Tensor>, suffix: string, k: number, x: Tensor, dir: Direction) {
  const W = a[`weight_ih${suffix}`], H = W.shape[0], [, N] = x.shape;
  const bias = new Float64Array(H).map((_, i) => a[`bias_ih${suffix}`].data[i] + a[`bias_hh${suffix}`].data[i]);
  const inputs: Arrays = {
    x, a0: transposed(a.h_0.data.slice(k * N * H, (k + 1) * N * H), N, H),
    Wax: W, Waa: a[`weight_hh${suffix}`], ba: tensor([H, 1], bias),
    Wya: tensor([1, H], new Float64Array(H)), by: tensor([1, 1], new Float64Array(1)),
  };
  const out = (): Tensor => {
    const tr = trace('rnn', inputs, { direction: dir });
    try {
      return forwardOutputs(tr).a;
    } finally {
      release(tr);
    }
  };
  const back = (da: Tensor): Arrays => {
    const tr = trace('rnn', inputs, { direction: dir, head: false });
    try {
      return gradients(tr, { kind: 'sum', da });
    } finally {
      release(tr);
    }
  };
  return { H, a: out(), back };
}

/** da with an (H, N) gradient added at step s. */
function plusAt(da: Tensor, g: Tensor, s: number): Tensor {
  const [H, N, T] = da.shape, out = da.data.slice();
  for (let k = 0; k < H * N; k++) out[k * T + s] += g.data[k];
  return tensor([H, N, T], out);
}

describe('PyTorch fixtures (fixtures/torch)', () => {
  it('every case holds its parameters, inputs, results and gradients under PyTorch\'s names', () => {
    assert.ok(Object.keys(manifest.cases).length >= 10);
    for (const [name, meta] of Object.entries(manifest.cases)) {
      const a = load(name);
      const layers = meta.args.num_layers ?? 1, dirs = meta.args.bidirectional ? 2 : 1;
      const suffixes = Array.from({ length: layers }, (_, l) => [`_l${l}`, ...(dirs === 2 ? [`_l${l}_reverse`] : [])]).flat();
      const kinds = ['weight_ih', 'weight_hh', ...(meta.args.bias === false ? [] : ['bias_ih', 'bias_hh']), ...(meta.args.proj_size ? ['weight_hr'] : [])];
      const params = suffixes.flatMap((s) => kinds.map((k) => meta.prefix + k + s));
      const states = meta.module === 'LSTM' ? ['h', 'c'] : ['h'];
      const expected = [
        ...params, 'input', ...states.map((s) => `${s}_0`), 'output', ...states.map((s) => `${s}_n`),
        'grad_output', ...states.map((s) => `grad_${s}_n`), 'grad_input', ...states.map((s) => `grad_${s}_0`), ...params.map((p) => `grad_${p}`),
      ];
      assert.deepEqual(Object.keys(a).sort(), expected.sort(), name);
      const T = meta.T, H_in = meta.args.input_size;
      const shape = meta.N === null ? [T, H_in] : meta.batch_first ? [meta.N, T, H_in] : [T, meta.N, H_in];
      assert.deepEqual(a.input.shape, shape, `${name}: input`);
      for (const p of params) assert.deepEqual(a[`grad_${p}`].shape, a[p].shape, `${name}: grad_${p}`);
    }
  });

  it('a one-layer tanh nn.RNN is the seed\'s RNN: outputs and every gradient match PyTorch\'s to 1e-12', () => {
    const a = load('rnn_tanh');
    const [T, N, H_in] = a.input.shape, H = a.weight_hh_l0.shape[0];
    const bias = new Float64Array(H).map((_, i) => a.bias_ih_l0.data[i] + a.bias_hh_l0.data[i]);
    const inputs: Arrays = {
      x: reversed3(a.input), // (H_in, N, T)
      a0: transposed(a.h_0.data, N, H), // h_0[0]ᵀ
      Wax: a.weight_ih_l0, Waa: a.weight_hh_l0, ba: tensor([H, 1], bias),
      Wya: tensor([1, H], new Float64Array(H)), by: tensor([1, 1], new Float64Array(1)), // no head in PyTorch's module; unused by the sum loss
    };
    const out = float64Backend.forward('rnn', inputs);
    close(out.a, reversed3(a.output), 'output');
    const last = new Float64Array(H * N); // a⟨T−1⟩ is h_n
    for (let i = 0; i < H; i++) for (let j = 0; j < N; j++) last[i * N + j] = out.a.data[(i * N + j) * T + T - 1];
    close(tensor([H, N], last), transposed(a.h_n.data, N, H), 'h_n');

    // L = Σ grad_output ⊙ output + Σ grad_h_n ⊙ h_n: the sum loss with da = grad_output, plus grad_h_n at the last step
    const da = reversed3(a.grad_output);
    for (let i = 0; i < H; i++) for (let j = 0; j < N; j++) da.data[(i * N + j) * T + T - 1] += a.grad_h_n.data[j * H + i];
    const g = float64Backend.backward('rnn', inputs, { kind: 'sum', da });
    close(g.dx, reversed3(a.grad_input), 'grad_input');
    close(g.da0, transposed(a.grad_h_0.data, N, H), 'grad_h_0');
    close(g.dWax, a.grad_weight_ih_l0, 'grad_weight_ih_l0');
    close(g.dWaa, a.grad_weight_hh_l0, 'grad_weight_hh_l0');
    close(tensor([H], g.dba.data), a.grad_bias_ih_l0, 'grad_bias_ih_l0');
    close(tensor([H], g.dba.data), a.grad_bias_hh_l0, 'grad_bias_hh_l0');
    assert.equal(H_in, inputs.x.shape[0]);
  });

  it("a one-layer nn.LSTM is the seed's LSTM with PyTorch's gates i, f, g, o split into Wi, Wf, Wc, Wo: output, h_n and c_n to 1e-12", () => {
    // Forward only: PyTorch's loss reaches c_n too (grad_c_n), which the sum loss cannot say yet.
    const a = load('lstm');
    const [T, N, H_in] = a.input.shape, H = a.weight_hh_l0.shape[1];
    // gate g of PyTorch's stacked rows (i 0, f 1, g 2, o 3) as the seed's W (H, H + H_in) on [a_prev; x], and its b
    const gate = (g: number): { W: Tensor; b: Tensor } => {
      const W = new Float64Array(H * (H + H_in)), b = new Float64Array(H);
      for (let i = 0; i < H; i++) {
        const r = g * H + i;
        for (let k = 0; k < H; k++) W[i * (H + H_in) + k] = a.weight_hh_l0.data[r * H + k];
        for (let k = 0; k < H_in; k++) W[i * (H + H_in) + H + k] = a.weight_ih_l0.data[r * H_in + k];
        b[i] = a.bias_ih_l0.data[r] + a.bias_hh_l0.data[r];
      }
      return { W: tensor([H, H + H_in], W), b: tensor([H, 1], b) };
    };
    const [i, f, g, o] = [0, 1, 2, 3].map(gate);
    const inputs: Arrays = {
      x: reversed3(a.input), a0: transposed(a.h_0.data, N, H), c0: transposed(a.c_0.data, N, H),
      Wf: f.W, bf: f.b, Wi: i.W, bi: i.b, Wc: g.W, bc: g.b, Wo: o.W, bo: o.b,
      Wy: tensor([1, H], new Float64Array(H)), by: tensor([1, 1], new Float64Array(1)),
    };
    const out = float64Backend.forward('lstm', inputs);
    close(out.a, reversed3(a.output), 'output');
    close(stepOf(out.a, T - 1), transposed(a.h_n.data, N, H), 'h_n');
    close(stepOf(out.c, T - 1), transposed(a.c_n.data, N, H), 'c_n');
  });

  it("a two-layer bidirectional tanh nn.RNN, composed of the engine's layers in both directions by hand: outputs and every gradient to 1e-12", () => {
    // PyTorch's semantics (torch/nn/modules/rnn.py): the _reverse direction walks t = T−1 … 0;
    // layer 1 reads layer 0's output, both directions' h concatenated; h_n is ordered layer 0
    // forward, layer 0 reverse, layer 1 forward, layer 1 reverse. What issue 19's network
    // will do; here it checks that src/model/layer.ts's reverse direction is PyTorch's.
    const a = load('rnn_2layer_bidir');
    const [T, N] = a.input.shape;
    const x0 = reversed3(a.input);
    const f0 = rnnLayer(a, '_l0', 0, x0, 'forward'), r0 = rnnLayer(a, '_l0_reverse', 1, x0, 'reverse');
    const H = f0.H, x1 = stacked(f0.a, r0.a);
    const f1 = rnnLayer(a, '_l1', 2, x1, 'forward'), r1 = rnnLayer(a, '_l1_reverse', 3, x1, 'reverse');
    close(stacked(f1.a, r1.a), reversed3(a.output), 'output');
    const hn = (k: number): Tensor => transposed(a.h_n.data.slice(k * N * H, (k + 1) * N * H), N, H);
    [stepOf(f0.a, T - 1), stepOf(r0.a, 0), stepOf(f1.a, T - 1), stepOf(r1.a, 0)].forEach((h, k) => close(h, hn(k), `h_n[${k}]`));

    const gOut = reversed3(a.grad_output);
    const gHn = (k: number): Tensor => transposed(a.grad_h_n.data.slice(k * N * H, (k + 1) * N * H), N, H);
    const gf1 = f1.back(plusAt(rowsOf(gOut, 0, H), gHn(2), T - 1)), gr1 = r1.back(plusAt(rowsOf(gOut, H, H), gHn(3), 0));
    const dx1 = sum(gf1.dx, gr1.dx);
    const gf0 = f0.back(plusAt(rowsOf(dx1, 0, H), gHn(0), T - 1)), gr0 = r0.back(plusAt(rowsOf(dx1, H, H), gHn(1), 0));
    close(sum(gf0.dx, gr0.dx), reversed3(a.grad_input), 'grad_input');
    [gf0, gr0, gf1, gr1].forEach((g, k) => close(g.da0, transposed(a.grad_h_0.data.slice(k * N * H, (k + 1) * N * H), N, H), `grad_h_0[${k}]`));
    const suffixes = ['_l0', '_l0_reverse', '_l1', '_l1_reverse'];
    [gf0, gr0, gf1, gr1].forEach((g, k) => {
      const s = suffixes[k];
      close(g.dWax, a[`grad_weight_ih${s}`], `grad_weight_ih${s}`);
      close(g.dWaa, a[`grad_weight_hh${s}`], `grad_weight_hh${s}`);
      close(tensor([H], g.dba.data), a[`grad_bias_ih${s}`], `grad_bias_ih${s}`);
    });
  });
});
