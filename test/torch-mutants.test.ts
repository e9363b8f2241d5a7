/**
 * Mutation test of `--layout torch`: the mistakes a port makes between PyTorch and the seed's
 * cells — a reverse direction walked forward, a layer reading one direction of the layer below,
 * h_n of the reverse direction read at the wrong end, gates read in the wrong order, b_hh
 * dropped — each break the comparison with PyTorch's own numbers (fixtures/torch), and their
 * gradients FAIL `gradcheck --layout torch` against the real module; the arrays they break are
 * named as PyTorch names them. The real code breaks none.
 * Mutants are data (a LayerEngine that ignores the direction) or one source string replaced
 * in src/backends/network.ts or src/layouts/torch/cells.ts (a missing target fails, naming it).
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { float64Layer, layerPass } from '../src/backends/float64';
import { oneByOne, type LayerEngine } from '../src/backends/network';
import { parseNpz } from '../src/io/npz';
import * as realTorch from '../src/layouts/torch';
import { torchGradcheck } from '../src/layouts/torch/gradcheck';
import type { Tensor } from '../src/tensor';
import { ROOT } from './cli-helpers';
import { editedModule } from './mutate';

type TorchModule = typeof realTorch;

function load(name: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const e of parseNpz(new Uint8Array(fs.readFileSync(path.join(ROOT, 'fixtures', 'torch', `${name}.npz`))), name)) out[e.name] = e.tensor;
  return out;
}

/** The torch layout with src/layouts/torch/index.ts's imports of the network or the cells replaced. */
const torchWith = (overrides: Record<string, unknown>): TorchModule => editedModule('layouts/torch/index', '', '', overrides) as unknown as TorchModule;

/** PyTorch's arrays (outputs and gradients) that `t` gets wrong by more than 1e-9 of their size. */
function broken(t: TorchModule, name: string, engine: LayerEngine = float64Layer, nonlinearity?: 'relu'): string[] {
  const a = load(name);
  const p = t.torchProblem(a, { nonlinearity });
  const r = t.torchBackward(p, a, {}, engine);
  const ours = { ...r.outputs, ...r.gradients };
  return Object.keys(ours).filter((k) => {
    const scale = Math.max(...a[k].data.map(Math.abs));
    return ours[k].data.some((v, i) => !(Math.abs(v - a[k].data[i]) <= 1e-9 * scale));
  }).sort();
}

interface Mutant {
  bug: string;
  fixture: string;
  torch: () => TorchModule;
  engine?: LayerEngine;
  /** Arrays it must break (PyTorch's names), among others it may. */
  breaks: string[];
}

const networkWith = (find: string, replace: string): TorchModule => torchWith({ '../../backends/network': editedModule('backends/network', find, replace) });
const cellsWith = (find: string, replace: string): TorchModule => torchWith({ './cells': editedModule('layouts/torch/cells', find, replace) });

const MUTANTS: Mutant[] = [
  {
    bug: 'the reverse direction walked forward', fixture: 'lstm_2layer_bidir', torch: () => realTorch,
    engine: oneByOne((cell, inputs) => layerPass(cell, inputs, 'forward')),
    breaks: ['output', 'h_n', 'c_n', 'grad_input', 'grad_weight_ih_l0_reverse', 'grad_weight_hh_l1_reverse'],
  },
  {
    bug: "layer 1 reads layer 0's forward states twice, not [forward; reverse]", fixture: 'rnn_2layer_bidir',
    torch: () => networkWith('rowsStacked(p.a)', 'rowsStacked(p.a.map(() => p.a[0]))'),
    breaks: ['output', 'h_n', 'grad_weight_ih_l1', 'grad_weight_ih_l0_reverse'],
  },
  {
    bug: "h_n of the reverse direction read at t = T−1, not at t = 0 (where it ends)", fixture: 'gru_2layer_bidir',
    torch: () => networkWith("(dir === 'forward' ? T - 1 : 0)", 'T - 1'),
    breaks: ['h_n', 'grad_weight_hh_l0_reverse'],
  },
  {
    bug: "LSTM gates read i, f swapped (PyTorch's rows i, f, g, o taken as f, i, g, o)", fixture: 'lstm',
    torch: () => cellsWith("[['Wi', 'bi'], ['Wf', 'bf'], ['Wc', 'bc'], ['Wo', 'bo']]", "[['Wf', 'bf'], ['Wi', 'bi'], ['Wc', 'bc'], ['Wo', 'bo']]"),
    breaks: ['output', 'h_n', 'c_n', 'grad_weight_ih_l0', 'grad_bias_hh_l0'],
  },
  {
    bug: "GRU gates read r, z swapped", fixture: 'gru',
    torch: () => cellsWith("(['r', 'z'] as const).forEach((g, gate) => {", "(['z', 'r'] as const).forEach((g, gate) => {"),
    breaks: ['output', 'h_n', 'grad_weight_hh_l0', 'grad_bias_ih_l0'],
  },
  {
    bug: 'b_hh dropped (only b_ih added)', fixture: 'rnn_tanh',
    torch: () => cellsWith('out[i] = w.bias_ih.data[r0 + i] + w.bias_hh.data[r0 + i]', 'out[i] = w.bias_ih.data[r0 + i]'),
    breaks: ['output', 'h_n', 'grad_bias_ih_l0', 'grad_bias_hh_l0', 'grad_weight_hh_l0'],
  },
];

describe('--layout torch: the porting mistakes break the comparison with PyTorch, under PyTorch\'s names', () => {
  it('the real code breaks nothing on those fixtures', () => {
    for (const f of new Set(MUTANTS.map((m) => m.fixture))) assert.deepEqual(broken(realTorch, f), [], f);
  });
  for (const mu of MUTANTS) {
    it(`${mu.bug} (${mu.fixture}): off PyTorch's numbers, and its gradients FAIL gradcheck`, () => {
      const got = broken(mu.torch(), mu.fixture, mu.engine);
      for (const name of mu.breaks) assert.ok(got.includes(name), `${name} not broken; broken: ${got.join(', ')}`);
      // Its gradients as a user's, against finite differences of the real module: FAIL, the same arrays named.
      const a = load(mu.fixture), t = mu.torch();
      const grads = t.torchBackward(t.torchProblem(a), a, {}, mu.engine ?? float64Layer).gradients;
      const r = torchGradcheck(a, { grads, mode: 'fast', seed: 1 });
      const failed = r.arrays.filter((x) => !x.pass).map((x) => x.name);
      assert.ok(!r.pass);
      for (const name of mu.breaks.filter((n) => n.startsWith('grad_'))) assert.ok(failed.includes(name), `gradcheck passed ${name}; failed: ${failed.join(', ')}`);
    });
  }
});
