/**
 * The cs231n layout (src/layouts/cs231n/) against fixtures/cs231n, made by numpy from CS231n
 * assignment 3's documented equations (fixtures/generate_cs231n.py, its gradients checked there
 * by centred differences): h, the sum loss Σ dh ⊙ h and temporal_softmax_loss (with and
 * without a mask), and every gradient under the assignment's names, to 1e-12 — on the float64
 * engine and on the mathjs reference.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { mathjsBackend } from '../src/backends/mathjs';
import { InputError } from '../src/errors';
import { parseNpz } from '../src/io/npz';
import { cs231nBackward, cs231nForward, cs231nProblem } from '../src/layouts/cs231n';
import type { Tensor } from '../src/tensor';

const DIR = path.join(__dirname, '..', 'fixtures', 'cs231n');
const cases = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as Record<string, { cell: string; mask: boolean }>;

function load(name: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const e of parseNpz(new Uint8Array(fs.readFileSync(path.join(DIR, `${name}.npz`))), name)) out[e.name] = e.tensor;
  return out;
}

/** Within 1e-12 of the largest entry of `want` (nested lists as numpy's tolist). */
function close(got: Tensor, want: unknown, what: string): void {
  const flat = (want as unknown[]).flat(Infinity) as number[];
  assert.equal(got.data.length, flat.length, `${what}: size`);
  const scale = Math.max(1, ...flat.map(Math.abs));
  flat.forEach((v, k) => assert.ok(Math.abs(got.data[k] - v) <= 1e-12 * scale, `${what}[${k}]: ${got.data[k]} vs ${v}`));
}

describe('cs231n layout: rnn_layers.py as numpy computes it', () => {
  it('has an RNN and an LSTM case, each with and without a mask', () => {
    assert.deepEqual(Object.values(cases).map((c) => `${c.cell} ${c.mask}`).sort(), ['lstm false', 'lstm true', 'rnn false', 'rnn true']);
  });

  for (const [name, meta] of Object.entries(cases)) {
    for (const [backendName, backend] of [['float64', undefined], ['mathjs', mathjsBackend]] as const) {
      it(`${name} (${backendName}): h, both losses and every gradient under the assignment's names`, () => {
        const a = load(name), want = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8'));
        const p = cs231nProblem(a);
        assert.equal(p.cell, meta.cell);
        close(cs231nForward(p, backend).h, want.h, 'h');
        for (const [loss, key] of [['sum', 'sum'], ['softmax', 'xent']] as const) {
          const r = cs231nBackward(p, loss, backend);
          assert.ok(Math.abs(r.loss - want[`loss_${key}`]) <= 1e-12 * Math.max(1, Math.abs(want[`loss_${key}`])), `loss ${loss}: ${r.loss} vs ${want[`loss_${key}`]}`);
          assert.deepEqual(Object.keys(r.gradients).sort(), Object.keys(want[`backward_${key}`]).sort());
          for (const [g, v] of Object.entries(want[`backward_${key}`])) close(r.gradients[g], v, `${loss} ${g}`);
        }
      });
    }
  }

  it("refuses what the assignment's functions would not take, in one line naming the array", () => {
    const a = load('lstm_plain');
    const refused = (arrays: Record<string, Tensor>, o: { cell?: string } = {}): string => {
      try {
        cs231nProblem(arrays, o);
      } catch (e) {
        assert.ok(e instanceof InputError && !e.message.includes('\n'), String(e));
        return e.message;
      }
      return assert.fail('accepted');
    };
    assert.match(refused({ ...a, h0: { shape: [5, 3], data: new Float64Array(15) } }), /^h0 is \(5, 3\), expected \(3, 6\)$/);
    assert.match(refused(a, { cell: 'gru' }), /^--cell gru, but Wh is \(6, 24\), an LSTM's \(H, 4H\) \(the assignment has no GRU\)$/);
    const { Wx: _w, ...noWx } = a;
    assert.match(refused(noWx), /^Wx is missing/);
    assert.match(refused({ ...a, Wh: { shape: [6, 12], data: new Float64Array(72) } }), /^Wh is \(6, 12\): an RNN's is \(H, H\), an LSTM's \(H, 4H\)$/);
    const y = { shape: a.y.shape, data: a.y.data.slice() };
    y.data[7] = 7; // (V = 7: one past the last index)
    assert.match(refused({ ...a, y }), /^y\[1, 2\] = 7 is not an index into the vocabulary: y holds integers in \[0, V\) = \[0, 7\)$/);
    assert.match(refused({ ...a, mask: { shape: [3, 5], data: new Float64Array(15).fill(0.5) } }), /^mask\[0, 0\] = 0\.5 is not 0 or 1/);
  });
});

describe('rnn --layout cs231n (CLI, in-process)', () => {
  const { run } = require('../src/cli/main') as typeof import('../src/cli/main');
  const os = require('os') as typeof import('os');
  const rnn = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '', stderr = '';
    const io = { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), stdoutIsTTY: false, env: { ...process.env, NO_COLOR: '1', RNN_DEBUG: undefined } };
    return { code: await run([process.execPath, 'rnn', ...args], io), stdout, stderr };
  };
  const file = (name: string): string => path.join(DIR, `${name}.npz`);

  it('forward and backward read the names, say the layout they chose, and give what numpy gives', async () => {
    const want = JSON.parse(fs.readFileSync(path.join(DIR, 'lstm_mask.json'), 'utf8'));
    const f = await rnn(['forward', file('lstm_mask'), '--json']);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.stderr, "rnn: reading the arrays as --layout cs231n: they carry CS231n's rnn_layers.py names (Wx, Wh, b); --layout chooses\n");
    close({ shape: [], data: Float64Array.from((JSON.parse(f.stdout).h as unknown[]).flat(Infinity) as number[]) }, want.h, 'h');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-cs231n-'));
    try {
      const b = await rnn(['backward', '--layout', 'cs231n', file('lstm_mask'), '--loss', 'xent', '--out', path.join(dir, 'g.npz')]);
      assert.equal(b.code, 0, b.stderr);
      assert.match(b.stdout, /^rnn backward: CS231n lstm, L = temporal_softmax_loss\(h W_vocab \+ b_vocab, y, mask\) = [\d.]+; wrote dx \(4, 6, 3\), dh0 \(4, 5\), dWx \(3, 20\), dWh \(5, 20\), db \(20,\), dW_vocab \(5, 4\), db_vocab \(4,\) to /);
      const got = Object.fromEntries(parseNpz(new Uint8Array(fs.readFileSync(path.join(dir, 'g.npz'))), 'g.npz').map((e) => [e.name, e.tensor]));
      for (const [g, v] of Object.entries(want.backward_xent)) close(got[g], v, g);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("init --layout cs231n draws what numpy draws for CaptioningRNN's init (fixtures/cs231n/init), bit for bit", async () => {
    const inits = JSON.parse(fs.readFileSync(path.join(DIR, 'init', 'cases.json'), 'utf8')) as Record<string, { cell: string; N: number; T: number; D: number; H: number; V: number; seed: number }>;
    assert.deepEqual(Object.values(inits).map((c) => c.cell).sort(), ['lstm', 'rnn']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-cs231n-init-'));
    try {
      for (const [name, c] of Object.entries(inits)) {
        const out = path.join(dir, `${name}.npz`);
        const r = await rnn(['init', '--layout', 'cs231n', '--cell', c.cell, '--input-size', `${c.D}`, '--hidden-size', `${c.H}`, '--batch', `${c.N}`, '--seq-len', `${c.T}`, '--vocab-size', `${c.V}`, '--seed', `${c.seed}`, '--out', out]);
        assert.equal(r.code, 0, r.stderr);
        const ours = parseNpz(new Uint8Array(fs.readFileSync(out)), out), numpy = parseNpz(new Uint8Array(fs.readFileSync(path.join(DIR, 'init', `${name}.npz`))), name);
        assert.deepEqual(ours.map((e) => e.name), numpy.map((e) => e.name));
        ours.forEach((e, i) => {
          assert.deepEqual(e.tensor.shape, numpy[i].tensor.shape, e.name);
          assert.ok(Buffer.from(e.tensor.data.buffer, e.tensor.data.byteOffset, e.tensor.data.byteLength).equals(Buffer.from(numpy[i].tensor.data.buffer, numpy[i].tensor.data.byteOffset, numpy[i].tensor.data.byteLength)), `${name} ${e.name}`);
        });
        // and what it drew runs: a forward, and both losses' backward
        for (const args of [['forward'], ['backward', '--loss', 'sum'], ['backward', '--loss', 'xent']]) assert.equal((await rnn([...args, out, '--json'])).code, 0, args.join(' '));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--expect: numpy's own gradients PASS; one wrong entry FAILs (exit 1) under the assignment's name and index; a misnamed array is exit 2 with a did-you-mean", async () => {
    const want = JSON.parse(fs.readFileSync(path.join(DIR, 'lstm_mask.json'), 'utf8'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-cs231n-expect-'));
    const { encodeJsonArrays } = await import('../src/io/json');
    const { tensor } = await import('../src/tensor');
    const grads = (edit?: (a: Record<string, Tensor>) => void): string => {
      const a: Record<string, Tensor> = {};
      for (const [g, v] of Object.entries(want.backward_xent)) {
        const flat = (v as unknown[]).flat(Infinity) as number[];
        const shape = cs231nBackward(cs231nProblem(load('lstm_mask')), 'softmax').gradients[g].shape;
        a[g] = tensor(shape, Float64Array.from(flat));
      }
      edit?.(a);
      const p = path.join(dir, `g${Math.random().toString(36).slice(2)}.json`);
      fs.writeFileSync(p, encodeJsonArrays(a));
      return p;
    };
    try {
      const ok = await rnn(['backward', file('lstm_mask'), '--loss', 'xent', '--expect', grads()]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /PASS \(7 of 7 arrays compared\)/);
      const bad = await rnn(['backward', file('lstm_mask'), '--loss', 'xent', '--expect', grads((a) => (a.dWx.data[1 * 20 + 7] += 1e-3))]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /rnn: --expect: dWx: 1 of 60 entries wrong, worst dWx\[1, 7\]/);
      const misnamed = await rnn(['backward', file('lstm_mask'), '--loss', 'xent', '--expect', grads((a) => { a.dW_x = a.dWx; delete a.dWx; })]);
      assert.equal(misnamed.code, 2);
      assert.match(misnamed.stderr, /--expect: dW_x \(did you mean dWx\?\): no such gradient of rnn backward --layout cs231n --loss xent/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('inspect says which function the arrays are for, their sizes and what backward can run', async () => {
    const r = await rnn(['inspect', file('lstm_mask')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nCS231n's lstm_forward \(layout cs231n\): N=4 T=6 D=3 H=5 V=4\nbackward: --loss sum \(dh\), --loss xent \(temporal_softmax_loss on y, with its mask\)\n/);
    const j = JSON.parse((await rnn(['inspect', file('rnn_plain'), '--json'])).stdout);
    assert.deepEqual(j.cs231n, { problem: { cell: 'rnn', N: 3, T: 5, D: 4, H: 6, V: 7 }, losses: ['sum', 'xent'], mask: false });
  });

  it('asks which loss when the fixture has both dh and y, and refuses in one line what it does not do yet', async () => {
    const both = await rnn(['backward', '--layout', 'cs231n', file('rnn_plain')]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /the fixture has dh and y: say which loss with --loss sum \(Σ dh ⊙ h\) or --loss xent/);
    for (const [args, msg] of [
      [['gradcheck', file('rnn_plain')], /gradcheck --layout cs231n: not yet/],
      [['forward', '--layout', 'cs231n', '--batch-first', file('rnn_plain')], /--batch-first: for --layout torch only/],
      [['init', '--layout', 'cs231n', '--cell', 'gru', '--input-size', '2', '--hidden-size', '3', '--batch', '2', '--seq-len', '2', '--vocab-size', '3'], /--cell gru: --layout cs231n draws the assignment's RNN or LSTM/],
      [['init', '--layout', 'cs231n', '--cell', 'rnn', '--input-size', '2', '--hidden-size', '3', '--batch', '2', '--seq-len', '2'], /required option '--vocab-size <n>' not specified/],
      [['init', '--layout', 'cs231n', '--cell', 'rnn', '--input-size', '2', '--hidden-size', '3', '--batch', '2', '--seq-len', '2', '--vocab-size', '3', '--num-layers', '2'], /--num-layers: not the cs231n layout's/],
      [['init', '--cell', 'rnn', '--n-x', '2', '--n-a', '3', '--n-y', '2', '--m', '2', '--t-x', '2', '--vocab-size', '3'], /--vocab-size: for --layout cs231n only/],
    ] as const) {
      const r = await rnn([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').filter((l) => !/--layout chooses$/.test(l)).length, 1, r.stderr);
    }
  });
});
