/**
 * `--layout torch` against PyTorch itself (fixtures/torch/, made by fixtures/generate_torch.py
 * with nn.RNN / nn.LSTM / nn.GRU in float64 and torch.autograd): every module the layout runs,
 * read under PyTorch's names, gives output, h_n, c_n and every gradient to 1e-12 relative to
 * the largest entry of PyTorch's array; what it cannot run yet is refused with the reason.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../src/errors';
import { parseNpz } from '../src/io/npz';
import { mathjsLayer } from '../src/backends/mathjs';
import { entryMeaning } from '../src/layouts/torch/names';
import { recogniseTorch, torchBackward, torchForward, torchProblem } from '../src/layouts/torch';
import type { Tensor } from '../src/tensor';
import { ROOT } from './cli-helpers';

const DIR = path.join(ROOT, 'fixtures', 'torch');
const manifest = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as {
  cases: Record<string, { module: string; batch_first: boolean; N: number | null; args: { nonlinearity?: string; proj_size?: number; num_layers?: number; bidirectional?: boolean; bias?: boolean } }>;
};

function load(name: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const e of parseNpz(new Uint8Array(fs.readFileSync(path.join(DIR, `${name}.npz`))), `${name}.npz`)) out[e.name] = e.tensor;
  return out;
}

function close(actual: Tensor | undefined, expected: Tensor, what: string): void {
  assert.ok(actual, `${what}: missing`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let scale = 0, diff = 0;
  for (let k = 0; k < expected.data.length; k++) {
    scale = Math.max(scale, Math.abs(expected.data[k]));
    diff = Math.max(diff, Math.abs(actual.data[k] - expected.data[k]));
  }
  assert.ok(scale > 0, `${what}: all zeros`);
  assert.ok(diff <= 1e-12 * scale, `${what}: off by ${diff} (largest entry ${scale})`);
}

/** Every case. */
const RUNS = Object.keys(manifest.cases);

describe('--layout torch: PyTorch modules by their state_dict names (fixtures/torch)', () => {
  it('the cases cover every module × 1, 2, 3 layers × one or two directions × batch_first or not × bias or not, ReLU, unbatched', () => {
    const c = Object.values(manifest.cases);
    const key = (m: (typeof c)[number]): string => `${m.module} ${m.args.num_layers ?? 1} ${m.args.bidirectional ? 2 : 1} ${m.batch_first} ${m.args.bias !== false}`;
    const have = new Set(c.map(key));
    for (const mod of ['RNN', 'LSTM', 'GRU']) for (const l of [1, 2, 3]) for (const d of [1, 2]) for (const bf of [false, true]) for (const b of [true, false]) assert.ok(have.has(`${mod} ${l} ${d} ${bf} ${b}`), `${mod} ${l} ${d} ${bf} ${b}`);
    assert.ok(c.some((m) => m.args.nonlinearity === 'relu') && c.some((m) => m.N === null));
    assert.ok(RUNS.length >= 80, `${RUNS.length} cases`);
  });

  for (const name of RUNS) {
    it(`${name}: output, h_n (c_n) and every gradient as PyTorch's, to 1e-12`, () => {
      const a = load(name), meta = manifest.cases[name];
      const p = torchProblem(a, { batchFirst: meta.batch_first, nonlinearity: meta.args.nonlinearity === 'relu' ? 'relu' : undefined });
      const out = torchForward(p);
      const states = meta.module === 'LSTM' ? ['h', 'c'] : ['h'];
      assert.deepEqual(Object.keys(out), ['output', ...states.map((s) => `${s}_n`)]);
      for (const k of Object.keys(out)) close(out[k], a[k], k);
      const b = torchBackward(p, a);
      for (const k of Object.keys(out)) close(b.outputs[k], a[k], `backward's ${k}`);
      const grads = Object.keys(a).filter((k) => k.startsWith('grad_') && !['grad_output', 'grad_h_n', 'grad_c_n'].includes(k));
      assert.deepEqual(Object.keys(b.gradients).sort(), grads.sort());
      for (const k of grads) close(b.gradients[k], a[k], k);
      let L = 0;
      for (const [o, g] of [['output', 'grad_output'], ['h_n', 'grad_h_n'], ['c_n', 'grad_c_n']]) if (a[g]) a[g].data.forEach((v, i) => (L += v * a[o].data[i]));
      assert.ok(Math.abs(b.loss - L) <= 1e-12 * Math.abs(L), `loss ${b.loss} vs ${L}`);
    });
  }

  it("the mathjs reference's cells, composed by the same network, give the engine's numbers to 1e-12 (named cases)", function () {
    this.timeout(30_000);
    for (const name of RUNS.filter((n) => !n.startsWith('grid_'))) {
      const a = load(name), meta = manifest.cases[name];
      const opts = { batchFirst: meta.batch_first, nonlinearity: meta.args.nonlinearity === 'relu' ? ('relu' as const) : undefined };
      const ours = torchBackward(torchProblem(a, opts), a), ref = torchBackward(torchProblem(a, opts), a, {}, mathjsLayer);
      for (const k of Object.keys(ours.outputs)) close(ref.outputs[k], ours.outputs[k], `${name} ${k}`);
      assert.deepEqual(Object.keys(ref.gradients), Object.keys(ours.gradients));
      for (const k of Object.keys(ours.gradients)) close(ref.gradients[k], ours.gradients[k], `${name} ${k}`);
    }
  });

  it('without grad_h_n and grad_c_n, the gradients are of Σ grad_output ⊙ output alone (h_n and c_n still reach them through output)', () => {
    const a = load('lstm_2layer_bidir');
    const p = torchProblem(a);
    const full = torchBackward(p, a), part = torchBackward(torchProblem(a), { grad_output: a.grad_output });
    const diff = (n: string): number => Math.max(...full.gradients[n].data.map((v, k) => Math.abs(v - part.gradients[n].data[k])));
    assert.ok(diff('grad_weight_hh_l1') > 1e-3, 'grad_h_n / grad_c_n change the gradients');
    let L = 0;
    a.grad_output.data.forEach((v, i) => (L += v * a.output.data[i]));
    assert.ok(Math.abs(part.loss - L) <= 1e-12 * Math.abs(L));
  });

  it("says what a parameter's entry is: its gate (PyTorch's order), layer, direction and unit", () => {
    const lstm = { module: 'LSTM', layers: 2, directions: 2, bias: true, inputSize: 64, hidden: 128, proj: 0, prefix: '' } as const;
    assert.equal(entryMeaning(lstm, 'weight_hh_l1_reverse', '[263, 7]'), 'gate g of layer 1 reverse, unit 7');
    assert.equal(entryMeaning(lstm, 'grad_bias_ih_l0', '[130]'), 'gate f of layer 0, unit 2');
    assert.equal(entryMeaning({ ...lstm, module: 'GRU' }, 'grad_weight_ih_l0', '[300, 1]'), 'gate n of layer 0, unit 44');
    assert.equal(entryMeaning({ ...lstm, module: 'RNN' }, 'weight_hh_l1', '[5, 1]'), 'layer 1, unit 5');
    assert.equal(entryMeaning(lstm, 'grad_input', '[1, 2, 3]'), undefined);
    assert.equal(entryMeaning({ ...lstm, prefix: 'enc.' }, 'weight_hh_l0', '[1, 2]'), undefined);
    assert.equal(entryMeaning({ ...lstm, prefix: 'enc.' }, 'grad_enc.weight_hh_l0', '[129, 2]'), 'gate f of layer 0, unit 1');
  });

  it('reads the module from names and shapes: layers, directions, sizes, bias, prefix', () => {
    const shapes = (n: string): Record<string, readonly number[]> => Object.fromEntries(Object.entries(load(n)).map(([k, t]) => [k, t.shape]));
    assert.deepEqual(recogniseTorch(shapes('lstm_2layer_bidir')), { module: 'LSTM', layers: 2, directions: 2, bias: true, inputSize: 3, hidden: 4, proj: 0, prefix: '' });
    assert.deepEqual(recogniseTorch(shapes('gru_nobias')), { module: 'GRU', layers: 1, directions: 1, bias: false, inputSize: 3, hidden: 4, proj: 0, prefix: '' });
    assert.deepEqual(recogniseTorch(shapes('lstm_proj_bidir')), { module: 'LSTM', layers: 2, directions: 2, bias: true, inputSize: 3, hidden: 5, proj: 2, prefix: '' });
    assert.equal(recogniseTorch(shapes('lstm_prefixed')).prefix, 'encoder.lstm.');
    assert.equal(recogniseTorch(shapes('lstm_prefixed'), { prefix: 'encoder.lstm' }).prefix, 'encoder.lstm.');
  });

  const refused = (f: () => unknown, re: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'));
  };

  it('refuses, in one line naming the array: a --cell the shapes contradict, a wrong shape, a missing parameter, two modules', () => {
    const a = load('lstm_2layer_bidir');
    refused(() => torchProblem(a, { cell: 'gru' }), /--cell gru, but weight_hh_l0 is \(16, 4\): 4·H rows, an nn\.LSTM's/);
    refused(() => torchProblem(load('gru'), { cell: 'gru_reset_after' }), /--cell gru_reset_after: --layout torch names a module, --cell rnn, lstm or gru/);
    const { weight_hh_l1_reverse: _drop, ...missing } = a;
    refused(() => torchProblem(missing), /weight_hh_l1_reverse is missing/);
    refused(() => torchProblem({ ...a, weight_ih_l1: a.weight_ih_l0 }), /weight_ih_l1 is \(16, 3\), expected \(16, 8\) \(4·H, 2·H_out: layer 1 reads layer 0's output\)/);
    refused(() => torchProblem({ ...a, h_0: a.c_0.data.length ? { shape: [4, 3], data: a.h_0.data.slice(0, 12) } as Tensor : a.h_0 }), /h_0 is \(4, 3\), expected \(4, 3, 4\)/);
    const two = { ...load('lstm_prefixed'), 'decoder.rnn.weight_ih_l0': a.weight_ih_l0 };
    refused(() => torchProblem(two), /parameters of 2 modules: encoder\.lstm\., decoder\.rnn\.; pick one with --prefix/);
    refused(() => torchProblem({ ...a, input: a.h_0 }), /input is \(4, 3, 4\), expected \(T, N, 3\)/);
    refused(() => torchProblem(a, { nonlinearity: 'relu' }), /--nonlinearity relu: an nn\.LSTM has none/);
    // a ReLU RNN read as tanh is a different module: its outputs differ from PyTorch's
    const relu = load('rnn_relu'), asTanh = torchForward(torchProblem(relu));
    assert.ok(Math.max(...asTanh.output.data.map((v, k) => Math.abs(v - relu.output.data[k]))) > 0.1);
  });

});
