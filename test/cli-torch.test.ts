/**
 * `rnn forward|backward --layout torch` as a user runs it (in-process `run`, and once through
 * bin/rnn): PyTorch's names in and out, --expect in PyTorch's names and indices, and every
 * misuse one line, exit 2. The numbers themselves are PyTorch's (fixtures/torch/,
 * test/torch-layout.test.ts holds the library to them for every module it runs).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run, type IO } from '../src/cli/main';
import { encodeJsonArrays, parseJsonArrays } from '../src/io/json';
import { parseNpz } from '../src/io/npz';
import { tensor, type Arrays, type Tensor } from '../src/tensor';
import { buildBundle, expectBadInput, RNN, ROOT, type Run } from './cli-helpers';

const DIR = path.join(ROOT, 'fixtures', 'torch');
const fixture = (name: string): string => path.join(DIR, `${name}.npz`);
let work: string;

function load(file: string): Arrays {
  const out: Arrays = {};
  for (const e of parseNpz(new Uint8Array(fs.readFileSync(file)), file)) out[e.name] = e.tensor;
  return out;
}

async function rnn(args: string[]): Promise<Run> {
  let stdout = '', stderr = '';
  const io: IO = {
    stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stdoutIsTTY: false,
    env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined, FORCE_COLOR: undefined },
  };
  return { code: await run([process.execPath, RNN, ...args], io), stdout, stderr };
}

function close(actual: Tensor | undefined, expected: Tensor, what: string): void {
  assert.ok(actual, `${what}: missing`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const scale = Math.max(...expected.data.map(Math.abs));
  expected.data.forEach((v, k) => assert.ok(Math.abs(actual.data[k] - v) <= 1e-12 * scale, `${what}[${k}]`));
}

/** Only the arrays named, from a fixture, as a JSON file in the work directory. */
function subset(file: string, names: string[], out: string, edit?: (a: Arrays) => void): string {
  const a = load(file), picked: Arrays = {};
  for (const n of names) picked[n] = tensor(a[n].shape, a[n].data.slice());
  edit?.(picked);
  const p = path.join(work, out);
  fs.writeFileSync(p, encodeJsonArrays(picked));
  return p;
}

describe('rnn --layout torch (CLI)', () => {
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-torch-'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('forward --json: output, h_n, c_n of a 2-layer bidirectional nn.LSTM, as PyTorch computed them', async () => {
    const r = await rnn(['forward', '--layout', 'torch', fixture('lstm_2layer_bidir'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^rnn: warning: not read by this command: output, h_n, c_n, grad_input, grad_h_0/);
    const out = parseJsonArrays(r.stdout, 'stdout'), a = load(fixture('lstm_2layer_bidir'));
    assert.deepEqual(Object.keys(out), ['output', 'h_n', 'c_n']);
    for (const k of Object.keys(out)) close(out[k], a[k], k);
  });

  it('backward --out: grad_input, grad_h_0, grad_c_0 and grad_ + every parameter, prefix kept; one summary line', async () => {
    const out = path.join(work, 'grads.npz');
    const r = await rnn(['backward', '--layout', 'torch', fixture('lstm_prefixed'), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^rnn backward: nn\.LSTM\(3, 4, bidirectional=True\), T=4 N=2, L = Σ grad_output ⊙ output \+ Σ grad_h_n ⊙ h_n \+ Σ grad_c_n ⊙ c_n = -?\d.*; wrote grad_input \(4, 2, 3\), grad_h_0 \(2, 2, 4\), grad_c_0 \(2, 2, 4\), grad_encoder\.lstm\.weight_ih_l0 \(16, 3\),/);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    const g = load(out), a = load(fixture('lstm_prefixed'));
    const want = Object.keys(a).filter((k) => k.startsWith('grad_') && !/^grad_(output|h_n|c_n)$/.test(k));
    assert.deepEqual(Object.keys(g).sort(), want.sort());
    for (const k of want) close(g[k], a[k], k);
  });

  it('backward --expect: PyTorch\'s own gradients PASS; one wrong entry FAILs (exit 1) under PyTorch\'s name and index', async () => {
    const names = ['grad_input', 'grad_h_0', 'grad_weight_ih_l0', 'grad_weight_hh_l0', 'grad_bias_ih_l0', 'grad_bias_hh_l0', 'grad_weight_ih_l1_reverse', 'grad_weight_hh_l1_reverse', 'grad_bias_ih_l1_reverse', 'grad_bias_hh_l1_reverse'];
    const good = subset(fixture('rnn_2layer_bidir'), names, 'good.json');
    const ok = await rnn(['backward', '--layout', 'torch', fixture('rnn_2layer_bidir'), '--expect', good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /PASS \(10 of 18 arrays compared\)/);
    assert.match(ok.stderr, /not compared: .*grad_weight_ih_l0_reverse/);
    const bad = subset(fixture('rnn_2layer_bidir'), names, 'bad.json', (a) => {
      a.grad_weight_hh_l1_reverse.data[2 * 4 + 3] += 1e-3; // [2, 3]
    });
    const r = await rnn(['backward', '--layout', 'torch', fixture('rnn_2layer_bidir'), '--expect', bad]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /grad_weight_hh_l1_reverse[^\n]*grad_weight_hh_l1_reverse\[2, 3\][^\n]*FAIL/);
    assert.match(r.stderr, /worst grad_weight_hh_l1_reverse\[2, 3\] \(yours [^)]*\) \(layer 1 reverse, unit 2\)/);
  });

  it('forward --expect: a wrong name is exit 2 with a did-you-mean; a wrong output step is found in time order on axis 0', async () => {
    const misnamed = subset(fixture('rnn_tanh'), ['output'], 'misnamed.json', (a) => {
      a.outputs = a.output;
      delete a.output;
    });
    expectBadInput(await rnn(['forward', '--layout', 'torch', fixture('rnn_tanh'), '--expect', misnamed]), /outputs.*did you mean output/);
    const late = subset(fixture('rnn_tanh'), ['output', 'h_n'], 'late.json', (a) => {
      a.output.data[3 * 2 * 4 + 1 * 4 + 2] += 0.5; // output[3, 1, 2]
      a.output.data[4 * 2 * 4 + 0 * 4 + 0] += 0.5; // output[4, 0, 0]
    });
    const r = await rnn(['forward', '--layout', 'torch', fixture('rnn_tanh'), '--expect', late]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /first mismatch at t=3 \(output\[3, 1, 2\]\)/);
  });

  it('refuses misuse in one line, exit 2: options of the other layout, a missing --cell, PyTorch names under --layout coursera, a batch-first input read as time-major', async () => {
    expectBadInput(await rnn(['forward', '--layout', 'coursera', '--cell', 'lstm', '--batch-first', fixture('lstm')]), /--batch-first: for --layout torch only/);
    expectBadInput(await rnn(['forward', '--layout', 'coursera', fixture('lstm')]), /required option '-c, --cell <cell>' not specified \(see rnn forward --help\)/);
    expectBadInput(await rnn(['forward', '--layout', 'coursera', '--cell', 'lstm', fixture('lstm')]), /missing Wf.*add --layout torch/);
    expectBadInput(await rnn(['forward', '--cell', 'lstm', '--batch-first', path.join(ROOT, 'fixtures', 'cases', 'lstm_t7.npz')]), /--batch-first: for --layout torch only/);
    expectBadInput(await rnn(['forward', '--layout', 'torch', '--t', '2', fixture('lstm')]), /--t: a PyTorch module has no predictions/);
    expectBadInput(await rnn(['backward', '--layout', 'torch', '--loss', 'sum', fixture('lstm')]), /--loss: --layout torch takes PyTorch's loss/);
    expectBadInput(await rnn(['forward', '--layout', 'torch', fixture('lstm_batch_first')]), /h_0 is \(1, 2, 4\), expected \(1, 5, 4\).*add --batch-first/);
    expectBadInput(await rnn(['forward', '--layout', 'torch', '--cell', 'gru', fixture('lstm')]), /--cell gru, but weight_hh_l0 is \(16, 4\)/);
    const { grad_output: _g, ...noUpstream } = load(fixture('lstm'));
    const p = path.join(work, 'no-upstream.json');
    fs.writeFileSync(p, encodeJsonArrays(noUpstream));
    expectBadInput(await rnn(['backward', '--layout', 'torch', p]), /grad_output is missing: the upstream gradient of output, \(5, 2, 4\)/);
  });

  it('init --layout torch draws what numpy draws (fixtures/init_torch, made by numpy alone), and forward and backward run on it', async () => {
    const dir = path.join(ROOT, 'fixtures', 'init_torch');
    const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as Record<string, string[]>;
    assert.ok(Object.keys(cases).length >= 4 && Object.values(cases).some((a) => a.includes('--proj-size')));
    for (const [name, argv] of Object.entries(cases)) {
      const out = path.join(work, `init-${name}.npz`);
      const r = await rnn([...argv, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      const ours = load(out), numpy = load(path.join(dir, `${name}.npz`));
      assert.deepEqual(Object.keys(ours), Object.keys(numpy), name);
      for (const k of Object.keys(numpy)) {
        assert.deepEqual(ours[k].shape, numpy[k].shape, `${name}: ${k}`);
        assert.ok(ours[k].data.every((v, i) => Object.is(v, numpy[k].data[i])), `${name}: ${k} differs from numpy's`);
      }
      const flags = argv.includes('--batch-first') ? ['--batch-first'] : [];
      assert.equal((await rnn(['forward', '--layout', 'torch', out, ...flags])).code, 0, name);
      const b = await rnn(['backward', '--layout', 'torch', out, ...flags]);
      assert.equal(b.code, 0, `${name}: ${b.stderr}`);
      assert.equal(b.stderr, '', `${name}: every array is read`);
    }
    expectBadInput(await rnn(['init', '--layout', 'torch', '--cell', 'lstm', '--input-size', '3', '--hidden-size', '4', '--seq-len', '5']), /--batch N, or --unbatched/);
    expectBadInput(await rnn(['init', '--layout', 'torch', '--cell', 'gru', '--input-size', '3', '--hidden-size', '4', '--proj-size', '2', '--seq-len', '5', '--batch', '2']), /--proj-size: projections exist in nn\.LSTM only/);
    expectBadInput(await rnn(['init', '--layout', 'torch', '--cell', 'lstm', '--input-size', '3', '--hidden-size', '4', '--proj-size', '4', '--seq-len', '5', '--batch', '2']), /--proj-size 4: must be smaller than --hidden-size 4/);
    expectBadInput(await rnn(['init', '--layout', 'torch', '--cell', 'lstm', '--hidden-size', '4', '--seq-len', '5', '--batch', '2']), /required option '--input-size <n>' not specified/);
    expectBadInput(await rnn(['init', '--layout', 'torch', '--cell', 'lstm', '--n-x', '3', '--input-size', '3', '--hidden-size', '4', '--seq-len', '5', '--batch', '2']), /--n-x: the coursera layout's/);
    expectBadInput(await rnn(['init', '--cell', 'lstm', '--n-x', '3', '--n-a', '4', '--n-y', '2', '--m', '2', '--t-x', '3', '--bidirectional']), /--bidirectional: for --layout torch only/);
    expectBadInput(await rnn(['init', '--cell', 'lstm', '--n-x', '3', '--n-a', '4', '--m', '2', '--t-x', '3']), /required option '--n-y <n>' not specified \(see rnn init --help\)/);
  });

  it('--backend mathjs runs the same module on the literal reference cells: the same tables to 8 digits, the gradients to 1e-12', async () => {
    const f = fixture('gru_2layer_bidir');
    const [ours, ref] = [await rnn(['backward', '--layout', 'torch', f, '--json']), await rnn(['backward', '--layout', 'torch', f, '--json', '--backend', 'mathjs'])];
    assert.equal(ref.code, 0, ref.stderr);
    const a = parseJsonArrays(ours.stdout, 'float64'), b = parseJsonArrays(ref.stdout, 'mathjs');
    assert.deepEqual(Object.keys(b), Object.keys(a));
    for (const k of Object.keys(a)) close(b[k], a[k], k);
  });

  it('inspect says what PyTorch module the names make, and what its input can be', async () => {
    const r = await rnn(['inspect', fixture('lstm_prefixed')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^a PyTorch module: nn\.LSTM\(3, 4, bidirectional=True\) under the prefix encoder\.lstm\.$/m);
    assert.match(r.stdout, /^input: T=4 N=2, or with --batch-first N=4 T=2/m);
    const j = JSON.parse((await rnn(['inspect', fixture('grid_gru_l3_bi_bf_nobias'), '--json'])).stdout);
    assert.deepEqual(j.torch.module, { module: 'GRU', layers: 3, directions: 2, bias: false, inputSize: 3, hidden: 4, proj: 0, prefix: '' });
    const { weight_hh_l0: _w, ...broken } = load(fixture('lstm'));
    const p = path.join(work, 'broken.json');
    fs.writeFileSync(p, encodeJsonArrays(broken));
    assert.match((await rnn(['inspect', p])).stdout, /^PyTorch parameter names, but not a module: weight_hh_l0 is missing$/m);
  });

  it('gradcheck --layout torch: ours PASS; PyTorch\'s p.grad file as --grads PASS with what it lacks listed; one wrong entry FAILs (exit 1), named as PyTorch names it', async () => {
    const f = fixture('gru'); // (deep modules in every mode: test/torch-gradcheck.test.ts)
    const ours = await rnn(['gradcheck', '--layout', 'torch', f, '--json']);
    assert.equal(ours.code, 0, ours.stderr);
    const j = JSON.parse(ours.stdout) as { check: { mode: string; pass: boolean; arrays: { name: string; relError: number }[] } };
    assert.equal(j.check.mode, 'full');
    assert.equal(j.check.arrays.length, 6);
    for (const a of j.check.arrays) assert.ok(a.relError < 1e-8, `${a.name}: ${a.relError}`);
    const a = load(f);
    const pgrad = path.join(work, 'pgrad.json');
    fs.writeFileSync(pgrad, encodeJsonArrays(Object.fromEntries(Object.entries(a).filter(([k]) => /^grad_(weight|bias)/.test(k)).map(([k, t]) => [k.slice(5), t]))));
    const yours = await rnn(['gradcheck', '--layout', 'torch', f, '--grads', pgrad, '--mode', 'sample']);
    assert.equal(yours.code, 0, yours.stderr);
    assert.match(yours.stdout, /PASS \(4 of 6 arrays compared\)/);
    assert.match(yours.stderr, /--grads: not compared: grad_input, grad_h_0/);
    const bad = subset(f, ['grad_input', 'grad_weight_hh_l0'], 'bad-grads.json', (g) => {
      g.grad_weight_hh_l0.data[2 * 4 + 3] += 1e-3;
    });
    const r = await rnn(['gradcheck', '--layout', 'torch', f, '--grads', bad]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /gradcheck FAILED: grad_weight_hh_l0: 1 of 48 entries wrong, worst grad_weight_hh_l0\[2, 3\] .* \(gate r of layer 0, unit 2\)$/m);
    expectBadInput(await rnn(['gradcheck', '--layout', 'torch', f, '--loss', 'sum']), /--loss: --layout torch takes PyTorch's loss/);
    expectBadInput(await rnn(['gradcheck', '--layout', 'torch']), /give its files/);
    // without grad_output: drawn from --seed (a note says so), never against your gradients
    const { grad_output: _g, grad_h_n: _h, ...noUpstream } = a;
    const bare = path.join(work, 'no-grad-output.json');
    fs.writeFileSync(bare, encodeJsonArrays(Object.fromEntries(Object.entries(noUpstream).filter(([k]) => !k.startsWith('grad_') && !/^(output|h_n)$/.test(k)))));
    const drawn = await rnn(['gradcheck', '--layout', 'torch', bare, '--seed', '5', '--mode', 'sample']);
    assert.equal(drawn.code, 0, drawn.stderr);
    assert.match(drawn.stdout, /note: grad_output: not in the fixture, drawn as np\.random\.seed\(5\); randn\(5, 2, 4\)/);
    assert.match(drawn.stdout, /layout torch: L = Σ grad_output ⊙ output\n/);
    expectBadInput(await rnn(['gradcheck', '--layout', 'torch', bare, '--grads', pgrad]), /your gradients were taken with some upstream grad_output: put it in the fixture/);
    expectBadInput(await rnn(['gradcheck', '--cell', 'lstm', '--batch-first']), /--batch-first: for --layout torch only/);
  });

  it("without --layout, a PyTorch module's names choose the torch layout, said in one line on stderr; the notebook's names stay coursera", async () => {
    for (const args of [['forward'], ['backward'], ['gradcheck', '--mode', 'sample', '--samples', '2']]) {
      const auto = await rnn([...args, fixture('gru_2layer_bidir')]), forced = await rnn([...args, '--layout', 'torch', fixture('gru_2layer_bidir')]);
      assert.equal(auto.code, 0, auto.stderr);
      const untimed = (s: string): string => s.replace(/in \d+(\.\d+)? s/g, '');
      assert.equal(untimed(auto.stdout), untimed(forced.stdout), args[0]);
      const said = "rnn: reading the arrays as --layout torch: they carry a PyTorch module's state_dict names (weight_ih_l0, …); --layout chooses\n";
      assert.equal(auto.stderr, said + forced.stderr, args[0]);
    }
    const course = await rnn(['forward', '--cell', 'lstm', path.join(ROOT, 'fixtures', 'cases', 'lstm_t7.npz')]);
    assert.equal(course.code, 0, course.stderr);
    assert.doesNotMatch(course.stderr, /--layout/);
  });

  it('bin/rnn prints what run() prints', async function () {
    this.timeout(60_000);
    buildBundle();
    const args = ['backward', '--layout', 'torch', '--batch-first', fixture('lstm_batch_first'), '--show', 'grad_c_0'];
    const r = spawnSync(process.execPath, [RNN, ...args], { env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined }, encoding: 'utf8' });
    const inProcess = await rnn(args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, inProcess.stdout);
    assert.equal(r.stderr, inProcess.stderr);
    assert.match(r.stdout, /grad_c_0 \(1, 2, 4\)\n\[\[\[/);
  });
});
