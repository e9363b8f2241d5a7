/**
 * gradcheck on PyTorch modules (src/layouts/torch/gradcheck.ts): our gradients of a module's
 * loss pass against finite differences of its whole forward, in every mode; PyTorch's own
 * gradients (fixtures/torch, torch.autograd) pass as "yours", by their grad_ names or by the
 * plain parameter names of a file of p.grad; a porting mistake's gradients FAIL, the wrong
 * arrays named as PyTorch names them.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { layerPass } from '../src/backends/float64';
import { oneByOne } from '../src/backends/network';
import { InputError } from '../src/errors';
import { parseNpz } from '../src/io/npz';
import { torchBackward, torchProblem } from '../src/layouts/torch';
import { torchGradcheck } from '../src/layouts/torch/gradcheck';
import type { Tensor } from '../src/tensor';
import { ROOT } from './cli-helpers';

function load(name: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const e of parseNpz(new Uint8Array(fs.readFileSync(path.join(ROOT, 'fixtures', 'torch', `${name}.npz`))), name)) out[e.name] = e.tensor;
  return out;
}

/** The module's own arrays: parameters, input, h_0 (c_0) and the upstream gradients, no results. */
function moduleOf(a: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(a).filter(([k]) => !/^(output|h_n|c_n)$/.test(k) && !(k.startsWith('grad_') && !/^grad_(output|h_n|c_n)$/.test(k))));
}

const BOUND = 1e-8;

describe('gradcheck on PyTorch modules (--layout torch)', function () {
  this.timeout(60_000);

  for (const name of ['lstm_2layer_bidir', 'gru_2layer_bidir', 'rnn_relu', 'lstm_batch_first', 'lstm_proj_bidir']) {
    it(`${name}: our gradients land ≤ ${BOUND} in full, sample and fast modes`, () => {
      const a = moduleOf(load(name)), opts = { nonlinearity: name === 'rnn_relu' ? ('relu' as const) : undefined, batchFirst: name === 'lstm_batch_first' };
      for (const mode of ['full', 'sample', 'fast'] as const) {
        const r = torchGradcheck(a, { ...opts, mode, seed: 3 });
        assert.ok(r.pass, `${mode}: ${r.arrays.filter((x) => !x.pass).map((x) => x.name).join(', ')}`);
        for (const x of r.arrays) assert.ok(x.relError <= BOUND, `${mode} ${x.name}: ${x.relError}`);
        assert.ok(r.arrays.some((x) => x.name === 'grad_weight_hh_l0') && r.arrays.some((x) => x.name === 'grad_input'));
      }
    });
  }

  it("PyTorch's own gradients pass as yours, by grad_ names or a file of p.grad (plain parameter names)", () => {
    const all = load('gru_2layer_bidir'), a = moduleOf(all);
    const grads = Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('grad_') && !/^grad_(output|h_n|c_n)$/.test(k)));
    const r = torchGradcheck(a, { grads });
    assert.ok(r.pass && r.analytic === 'yours' && r.notCompared.length === 0, JSON.stringify(r.arrays.filter((x) => !x.pass)));
    const plain = Object.fromEntries(Object.entries(grads).filter(([k]) => k.startsWith('grad_weight') || k.startsWith('grad_bias')).map(([k, t]) => [k.slice(5), t]));
    const p = torchGradcheck(a, { grads: plain, mode: 'sample' });
    assert.ok(p.pass);
    assert.deepEqual(p.notCompared, ['grad_input', 'grad_h_0']);
    assert.throws(() => torchGradcheck(a, { grads: { grad_weight_hh_l9: grads.grad_weight_hh_l0 } }), (e: unknown) => e instanceof InputError && /grad_weight_hh_l9: neither a gradient of this module/.test(e.message));
  });

  it('the gradients of a reverse direction walked forward FAIL, named as PyTorch names them', () => {
    const a = moduleOf(load('lstm_2layer_bidir'));
    const wrong = torchBackward(torchProblem(a), a, {}, oneByOne((cell, inputs) => layerPass(cell, inputs, 'forward'))).gradients;
    const r = torchGradcheck(a, { grads: wrong, mode: 'fast' });
    assert.ok(!r.pass);
    const failed = r.arrays.filter((x) => !x.pass).map((x) => x.name);
    for (const n of ['grad_input', 'grad_weight_ih_l0_reverse', 'grad_weight_hh_l1_reverse']) assert.ok(failed.includes(n), `${n} passed; failed: ${failed.join(', ')}`);
  });
});
