/**
 * The real `bin/rnn` on how it talks: usage errors that point at the right help, colour
 * forced or forbidden by flags and the environment, `--out` with a one-line summary, `inspect`
 * of outputs and gradients, and `--show` of a gradient the loss does not have.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { wantColor } from '../src/cli/main';
import { loadFixture } from '../src/io/fixture';
import { buildBundle, RNN } from './cli-helpers';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let work: string;

function rnn(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const env = { ...process.env, RNN_DEBUG: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined, ...opts.env };
  const r = spawnSync(process.execPath, [RNN, ...args], { cwd: work, input: opts.input, env, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const COURSE = ['--n-x', '3', '--n-a', '5', '--n-y', '2', '--m', '10', '--t-x', '7', '--seed', '1'];
const ESC = /\x1b\[/;

describe('the rnn command line: usage, colour, --out, inspect', function () {
  before(() => {
    buildBundle();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-usage-'));
    for (const cell of ['lstm', 'rnn']) assert.equal(rnn(['init', '--cell', cell, ...COURSE, '--out', `${cell}.json`]).code, 0);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  describe('usage errors', () => {
    const cases: [string[], string][] = [
      [['forward', '--cell', 'lstm', '--bogus', 'lstm.json'], 'rnn forward --help'],
      [['forward', 'lstm.json'], 'rnn forward --help'], // --cell missing
      [['gradcheck', '--cell', 'lstm', '--mode', 'foo'], 'rnn gradcheck --help'],
      [['backward', '--cell', 'lstm', '--precision', '0', 'lstm.json'], 'rnn backward --help'],
      [['init', '--cell', 'rnn'], 'rnn init --help'],
      [['inspect'], 'rnn inspect --help'],
      [['bogus'], 'rnn --help'],
    ];
    for (const [args, help] of cases) {
      it(`rnn ${args.join(' ')}: one line on stderr pointing at \`${help}\`, exit 2`, () => {
        const r = rnn(args);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        const lines = r.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], /^rnn: /);
        assert.ok(lines[0].endsWith(`(see ${help})`), lines[0]);
      });
    }
  });

  describe('colour', () => {
    it('follows --color/--no-color, then FORCE_COLOR (over NO_COLOR, as in Node), then NO_COLOR, then the terminal', () => {
      const at = (env: NodeJS.ProcessEnv, tty = false, flag?: boolean): boolean => wantColor(flag, { env, stdoutIsTTY: tty });
      assert.equal(at({}), false);
      assert.equal(at({}, true), true);
      assert.equal(at({ NO_COLOR: '1' }, true), false);
      assert.equal(at({ NO_COLOR: '' }, true), true); // empty NO_COLOR does not count (no-color.org)
      for (const v of ['1', '2', '3', '', 'true']) assert.equal(at({ FORCE_COLOR: v }), true, `FORCE_COLOR=${v}`);
      for (const v of ['0', 'false']) assert.equal(at({ FORCE_COLOR: v }, true), false, `FORCE_COLOR=${v}`);
      assert.equal(at({ FORCE_COLOR: '1', NO_COLOR: '1' }), true);
      assert.equal(at({ FORCE_COLOR: '1' }, false, false), false);
      assert.equal(at({ NO_COLOR: '1' }, false, true), true);
    });

    it('is forced through a pipe by FORCE_COLOR or --color, headings and table borders alike; never in JSON', () => {
      assert.doesNotMatch(rnn(['forward', '--cell', 'lstm', 'lstm.json']).stdout, ESC);
      for (const run of [rnn(['forward', '--cell', 'lstm', 'lstm.json'], { env: { FORCE_COLOR: '1' } }), rnn(['forward', '--cell', 'lstm', 'lstm.json', '--color'])]) {
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /\x1b\[1m\x1b\[36mrnn forward/); // bold cyan heading (chalk)
        assert.match(run.stdout, /\x1b\[90m┌/); // grey border (cli-table3)
      }
      assert.doesNotMatch(rnn(['inspect', 'lstm.json', '--no-color'], { env: { FORCE_COLOR: '1' } }).stdout, ESC);
      assert.doesNotMatch(rnn(['inspect', 'lstm.json'], { env: { FORCE_COLOR: '0' } }).stdout, ESC);
      assert.doesNotMatch(rnn(['forward', '--cell', 'lstm', 'lstm.json', '--json', '--color']).stdout, ESC);
    });
  });

  describe('--out', () => {
    it('writes the file and prints one summary line instead of the tables', () => {
      const r = rnn(['forward', '--cell', 'lstm', 'lstm.json', '--out', 'out.npz']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, 'rnn forward: cell lstm, n_x=3 n_a=5 n_y=2 m=10 T_x=7; wrote a (5, 10, 7), y (2, 10, 7), c (5, 10, 7) to out.npz\n');
      assert.deepEqual(Object.keys(loadFixture([path.join(work, 'out.npz')]).arrays), ['a', 'y', 'c']);
      const b = rnn(['backward', '--cell', 'rnn', 'rnn.json', '--loss', 'xent', '--out', 'g.json']);
      assert.equal(b.code, 0, b.stderr);
      assert.match(b.stdout, /^rnn backward: cell rnn, n_x=3 n_a=5 n_y=2 m=10 T_x=7, xent loss = [\d.]+; wrote dx \(3, 10, 7\), da0 \(5, 10\), dWaa \(5, 5\), dWax \(5, 3\), dWya \(2, 5\), dba \(5, 1\), dby \(2, 1\) to g\.json\n$/);
    });

    it('--verbose prints the tables too and says what it wrote on stderr; --json prints the JSON', () => {
      const v = rnn(['forward', '--cell', 'lstm', 'lstm.json', '--out', 'out2.json', '--verbose']);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /predictions ŷ⟨6⟩/);
      assert.equal(v.stderr, 'rnn: wrote a (5, 10, 7), y (2, 10, 7), c (5, 10, 7) to out2.json\n');
      const j = rnn(['forward', '--cell', 'lstm', 'lstm.json', '--out', 'out3.json', '--json']);
      assert.deepEqual(JSON.parse(j.stdout), JSON.parse(fs.readFileSync(path.join(work, 'out3.json'), 'utf8')));
    });

    it('--show still prints the gradients asked for', () => {
      const r = rnn(['backward', '--cell', 'rnn', 'rnn.json', '--out', 'g2.npz', '--show', 'dWaa']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^dWaa \(5, 5\)$/m);
    });
  });

  describe('inspect', () => {
    it('describes the outputs of a forward pass instead of listing every cell as not fitting', () => {
      const out = rnn(['forward', '--cell', 'lstm', 'lstm.json', '--json']).stdout;
      const r = rnn(['inspect', '-'], { input: out });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^outputs of a forward pass, --cell lstm: n_a=5 n_y=2 m=10 T_x=7$/m);
      assert.doesNotMatch(r.stdout, /fits\?/);
      const rnnOut = rnn(['forward', '--cell', 'rnn', 'rnn.json', '--json']).stdout;
      assert.match(rnn(['inspect', '-'], { input: rnnOut }).stdout, /^outputs of a forward pass, --cell rnn, gru, gru_reset_after or rnn_relu: n_a=5 n_y=2 m=10 T_x=7$/m);
    });

    it('describes gradients, with their loss when the head\'s gradients say it', () => {
      const sum = rnn(['backward', '--cell', 'lstm', 'lstm.json', '--json']).stdout;
      assert.match(rnn(['inspect', '-'], { input: sum }).stdout, /^gradients of the sum or xent loss, --cell lstm: n_x=3 n_a=5 m=10 T_x=7$/m);
      const xent = JSON.parse(rnn(['backward', '--cell', 'rnn', 'rnn.json', '--loss', 'xent', '--json']).stdout);
      const info = JSON.parse(rnn(['inspect', '-', '--json'], { input: JSON.stringify(xent) }).stdout);
      // (the ReLU RNN has the RNN's parameters: the names fit both)
      assert.deepEqual(info.recognised, { kind: 'gradients', cells: ['rnn', 'rnn_relu'], loss: 'xent', dims: { n_x: 3, m: 10, T_x: 7, n_a: 5, n_y: 2 }, missing: {} });
      delete xent.dx;
      xent.dWaa = [[1, 2], [3, 4]]; // a wrong shape: no longer the rnn's gradients
      assert.equal(JSON.parse(rnn(['inspect', '-', '--json'], { input: JSON.stringify(xent) }).stdout).recognised, undefined);
    });

    it('a fixture is still judged as inputs of each cell', () => {
      const info = JSON.parse(rnn(['inspect', 'lstm.json', '--json']).stdout);
      assert.equal(info.recognised, undefined);
      assert.ok(info.fits.find((f: { cell: string; dims?: unknown }) => f.cell === 'lstm').dims);
    });
  });

  it('backward --show dWy without the xent loss says that dWy needs it', () => {
    const r = rnn(['backward', '--cell', 'lstm', 'lstm.json', '--show', 'dWy']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'rnn: --show dWy: a gradient of the xent loss only (the sum loss L = Σ da⊙a does not reach the output head); add --loss xent\n');
    assert.equal(rnn(['backward', '--cell', 'lstm', 'lstm.json', '--show', 'dWy', '--loss', 'xent']).code, 0);
  });
});
