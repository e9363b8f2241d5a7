/**
 * Where the real bin/rnn writes its results: `--out -` is stdout, a --out name and what exists
 * at it must agree, a directory target is swapped in whole (the user's other files carried
 * over, never copied), and results that overflow float64 are exit 2 naming the output, the
 * entry and the time step — in table, JSON and --out modes alike, nothing written.
 * (Signals and SIGKILL during writes: test/io-write.test.ts.)
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initFixture } from '../src/cli/commands/init';
import { encodeNpz } from '../src/io/npz';
import { indexText } from '../src/validate';
import { tensor, type Arrays } from '../src/tensor';
import { buildBundle, expectBadInput, RNN, type Run } from './cli-helpers';

let work: string;

function rnn(args: string[]): Run {
  const r = spawnSync(process.execPath, [RNN, ...args], {
    cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined }, maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const at = (...parts: string[]): string => path.join(work, ...parts);
const COURSE = ['--n-x', '3', '--n-a', '5', '--n-y', '2', '--m', '4', '--t-x', '3'];

describe('bin/rnn writes', function () {
  this.timeout(60_000);
  before(() => {
    buildBundle();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-cli-writes-'));
    assert.equal(rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '1', '--out', 'f.json']).code, 0);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("--out - is JSON on stdout, as --json (no directory named '-'); ./- is the way to a directory named -", () => {
    const json = rnn(['backward', '--cell', 'rnn', 'f.json', '--loss', 'sum', '--json']);
    const dash = rnn(['backward', '--cell', 'rnn', 'f.json', '--loss', 'sum', '--out', '-']);
    assert.equal(dash.code, 0, dash.stderr);
    assert.equal(dash.stdout, json.stdout);
    assert.equal(dash.stderr, '');
    assert.deepEqual(Object.keys(JSON.parse(dash.stdout)), ['dx', 'da0', 'dWaa', 'dWax', 'dba']);
    const init = rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '1', '--out', '-']);
    assert.equal(init.stdout, rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '1']).stdout);
    assert.ok(!fs.existsSync(at('-')));
    assert.equal(rnn(['forward', '--cell', 'rnn', 'f.json', '--out', './-']).code, 0);
    assert.deepEqual(fs.readdirSync(at('-')).sort(), ['a.npy', 'y.npy']);
  });

  it('a --out name and what exists there must agree: a file name is no directory, a directory name no file', () => {
    fs.mkdirSync(at('adir.npz'));
    fs.mkdirSync(at('bdir.json'));
    fs.writeFileSync(at('plain'), 'mine');
    expectBadInput(rnn(['forward', '--cell', 'rnn', 'f.json', '--out', 'adir.npz']),
      /^rnn: adir\.npz: is a directory, but the name asks for a \.npz file; to write one \.npy per array into this directory, end the path with '\/'$/);
    expectBadInput(rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '1', '--out', 'bdir.json']), /^rnn: bdir\.json: is a directory, but the name asks for a \.json file/);
    expectBadInput(rnn(['forward', '--cell', 'rnn', 'f.json', '--out', 'f.json/']), /^rnn: f\.json\/: is a file, but the trailing '\/' asks for a directory$/);
    expectBadInput(rnn(['backward', '--cell', 'rnn', 'f.json', '--out', 'plain']), /^rnn: plain: is a file, but a path without extension is a directory target/);
    assert.deepEqual(fs.readdirSync(at('adir.npz')), []);
    assert.deepEqual(fs.readdirSync(at('bdir.json')), []);
    assert.equal(fs.readFileSync(at('plain'), 'utf8'), 'mine');
    // The trailing '/' says "directory" whatever the name.
    assert.equal(rnn(['forward', '--cell', 'rnn', 'f.json', '--out', 'adir.npz/']).code, 0);
    assert.deepEqual(fs.readdirSync(at('adir.npz')).sort(), ['a.npy', 'y.npy']);
  });

  it('a directory written again is swapped whole: other files carried over (the same file), its mode kept, stale arrays refused', () => {
    assert.equal(rnn(['forward', '--cell', 'rnn', 'f.json', '--out', 'd']).code, 0);
    fs.writeFileSync(at('d', 'notes.txt'), 'my notes');
    fs.chmodSync(at('d'), 0o750);
    const before = fs.statSync(at('d', 'notes.txt')).ino;
    const aBefore = fs.statSync(at('d', 'a.npy')).ino;
    const r = rnn(['forward', '--cell', 'rnn', 'f.json', '--out', 'd']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(at('d')).sort(), ['a.npy', 'notes.txt', 'y.npy']);
    assert.equal(fs.statSync(at('d', 'notes.txt')).ino, before);
    assert.notEqual(fs.statSync(at('d', 'a.npy')).ino, aBefore);
    assert.equal(fs.statSync(at('d')).mode & 0o777, 0o750);
    assert.deepEqual(fs.readdirSync(work).filter((f) => f.startsWith('.')), []);
    // init's arrays are not forward's: a.npy and y.npy would be read with them
    expectBadInput(rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '1', '--out', 'd']), /^rnn: d: directory already holds a\.npy, y\.npy, which this write would not replace/);
    fs.mkdirSync(at('d', 'plots'));
    expectBadInput(rnn(['forward', '--cell', 'rnn', 'f.json', '--out', 'd']), /^rnn: d: directory holds the subdirectory plots, which rnn cannot carry over/);
    assert.deepEqual(fs.readdirSync(at('d')).sort(), ['a.npy', 'notes.txt', 'plots', 'y.npy']);
  });

  describe('results that are not finite', () => {
    // x and Wax ×1e300: the one overflow is x[:, 1, 2] against Wax's row 1 = [1e300, −1e300, 0.5],
    // inf − inf = nan in a[1, 1, 2] (row 0 only reaches +inf: tanh(inf) = 1); y[:, 1, 2] follows,
    // and from t=3 the whole of column 1 through Waa.
    before(() => {
      const x = new Float64Array(3 * 2 * 4).map((_, k) => 0.25 + 0.125 * (k % 5));
      for (let i = 0; i < 3; i++) x[(i * 2 + 1) * 4 + 2] = 1e300;
      const fx: Arrays = {
        x: tensor([3, 2, 4], x),
        Wax: tensor([2, 3], [1e300, 1e300, 1e300, 1e300, -1e300, 0.5]),
        Waa: tensor([2, 2], [0.1, 0.2, -0.3, 0.4]),
        Wya: tensor([2, 2], [1, -1, 0.5, 2]),
        ba: tensor([2, 1], [0, 0.1]),
        by: tensor([2, 1], [0.2, 0]),
        da: tensor([2, 2, 4], new Float64Array(16).fill(0.5)),
      };
      fs.writeFileSync(at('huge.npz'), encodeNpz(fx));
    });
    const FIRST = /^rnn: a\[1, 1, 2\] = nan at t=2 is the first output that is not finite \(also y from t=2\): every input is finite, so the forward pass overflowed float64 \(the inputs are too large\)/;

    it('tables: printed (nan from t=2 on), then one line naming a[1, 1, 2] at t=2; exit 2', () => {
      const r = rnn(['forward', '--cell', 'rnn', 'huge.npz']);
      const line = expectBadInput(r, FIRST);
      assert.match(line, /\)$/);
      assert.match(r.stdout, /│ 1 │ +[\d.e+-]+ │ +[\d.e+-]+ │/, 'step 1 is finite');
      assert.match(r.stdout, /│ 2 │ +nan │ +nan │ +nan │/, 'step 2 shows its nan');
    });

    it('--json and --out: the same line, nothing printed, nothing written; --expect cannot pass against it', () => {
      const json = rnn(['forward', '--cell', 'rnn', 'huge.npz', '--json']);
      expectBadInput(json, FIRST);
      assert.equal(json.stdout, '');
      for (const out of ['o.npz', 'odir']) {
        const r = rnn(['forward', '--cell', 'rnn', 'huge.npz', '--out', out]);
        assert.match(expectBadInput(r, FIRST), new RegExp(`; ${out.replace('.', '\\.')} not written$`));
        assert.equal(r.stdout, '');
        assert.ok(!fs.existsSync(at(out)));
      }
      fs.writeFileSync(at('mine.npz'), encodeNpz({ a: tensor([2, 2, 4], new Float64Array(16)), y: tensor([2, 2, 4], new Float64Array(16).fill(0.5)) }));
      expectBadInput(rnn(['forward', '--cell', 'rnn', 'huge.npz', '--expect', 'mine.npz']), FIRST);
    });

    it('gradients: the first step backpropagation reaches, counting down from t=T_x−1', () => {
      const r = rnn(['backward', '--cell', 'rnn', 'huge.npz', '--loss', 'sum', '--out', 'g.npz']);
      const line = expectBadInput(r, /^rnn: dx\[0, 1, 3\] = nan at t=3 is the first gradient that is not finite, counting from t=3 down as backpropagation does \(also da0, /);
      assert.match(line, /: every input is finite, so backpropagation overflowed float64 \(the inputs are too large\); g\.npz not written$/);
      assert.ok(!fs.existsSync(at('g.npz')));
    });

    it('init: a --scale that overflows names the first entry it made infinite', () => {
      const r = rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '1', '--scale', '1e308', '--out', 'i.npz']);
      // initFixture refuses while drawing, naming the first entry in numpy's draw order
      const m = /^rnn: scale 1e\+308 makes (\w+)(\[[\d, ]+\]) (-?inf): a fixture's parameters must be finite$/.exec(expectBadInput(r, /./));
      assert.ok(m, r.stderr);
      assert.ok(!fs.existsSync(at('i.npz')));
      // What numpy would draw: the first parameter (in the draw order) with an entry beyond float64.
      const drawn = initFixture({ cell: 'rnn', dims: { n_x: 3, n_a: 5, n_y: 2, m: 4, T_x: 3 }, seed: 1, scale: 1 });
      const first = Object.keys(drawn).flatMap((name) => {
        const k = drawn[name].data.findIndex((v) => ['Waa', 'Wax', 'Wya', 'ba', 'by'].includes(name) && !Number.isFinite(v * 1e308));
        return k < 0 ? [] : [{ name, index: indexText(k, drawn[name].shape), sign: drawn[name].data[k] < 0 ? '-' : '' }];
      })[0];
      assert.deepEqual([m[1], m[2], m[3]], [first.name, first.index, `${first.sign}inf`]);
      assert.ok(!fs.existsSync(at('i.npz')));
    });
  });
});
