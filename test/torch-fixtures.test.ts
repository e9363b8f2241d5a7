/**
 * PyTorch's own modules (fixtures/torch/, made by fixtures/generate_torch.py with nn.RNN,
 * nn.LSTM, nn.GRU and torch.autograd): the fixtures' own contract — every case holds its
 * parameters, inputs, results and gradients under PyTorch's names, in float64, in the shapes
 * its module arguments give. What `--layout torch` computes from them is held to them in
 * test/torch-layout.test.ts (library) and test/cli-torch.test.ts (CLI).
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseNpz } from '../src/io/npz';
import type { Tensor } from '../src/tensor';
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
});
