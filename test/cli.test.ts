/**
 * The real `bin/rnn` as a child process: every README command line (under Node 22 and 24; on this node test/package.test.ts runs them), every exit code, JSON
 * output parsed back, bad input as one line on stderr, and `rnn init --seed` against numpy.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeNpy } from '../src/io/npy';
import { encodeNpz } from '../src/io/npz';
import { fromNested, tensor, type Arrays } from '../src/tensor';
import { buildBundle, ROOT, RNN, expectBadInput, type Run } from './cli-helpers';
import { OTHER_NODE_RUN } from './package-helpers';


let work: string;

function rnn(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
  const r = spawnSync(process.execPath, [RNN, ...args], {
    cwd: opts.cwd ?? work,
    input: opts.input,
    env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined, ...opts.env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function sh(line: string, cwd: string): Run {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', line], { cwd, encoding: 'utf8', env: { ...process.env, PATH: `${path.join(cwd, '.bin')}:${process.env.PATH}` } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}


function writeJson(name: string, arrays: Record<string, unknown>): string {
  const p = path.join(work, name);
  fs.writeFileSync(p, JSON.stringify(arrays));
  return p;
}

/** Node's permission model: `--permission` from Node 22 on (Node 24 knows no other name), experimental before. */
const PERMISSION = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';

const COURSE = ['--n-x', '3', '--n-a', '5', '--n-y', '2', '--m', '10', '--t-x', '7'];

describe('the rnn command line', function () {
  before(() => {
    buildBundle();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-cli-'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  describe('README', () => {
    // On this node test/package.test.ts runs every README line from the installed package, in a
    // fresh directory: the same lines, and more of what a user has. Under Node 22 and 24 it leaves
    // them to this test (test/node-versions.test.ts).
    (OTHER_NODE_RUN ? it : it.skip)('every command line in the README runs and exits 0', () => {
      const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
      const lines = [...readme.matchAll(/```console\n([\s\S]*?)```/g)].flatMap((m) =>
        m[1].split('\n').filter((l) => l.startsWith('$ ')).map((l) => l.slice(2)),
      );
      assert.ok(lines.length >= 10, `only ${lines.length} README command lines found`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-readme-'));
      try {
        fs.mkdirSync(path.join(dir, '.bin'));
        fs.writeFileSync(path.join(dir, '.bin', 'rnn'), `#!/bin/sh\nexec "${process.execPath}" "${RNN}" "$@"\n`, { mode: 0o755 });
        let ran = 0;
        for (const line of lines) {
          // `npm install` / `npm test` are what CI itself runs (.ci/run); here the bundle is built.
          const cmd = line.replace(/^npm install && /, '').replace(/\bnpx rnn\b/g, 'rnn');
          if (cmd === 'npm test') continue;
          const r = sh(cmd, dir);
          assert.equal(r.code, 0, `README line failed (exit ${r.code}): ${line}\n${r.stderr}`);
          assert.ok(r.stdout.length + r.stderr.length > 0, `README line printed nothing: ${line}`);
          ran++;
        }
        assert.equal(ran, lines.length - 1);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('init', () => {
    it('--seed 1 reproduces numpy: every array equals the numpy-made rnn_course case bit for bit', () => {
      const r = rnn(['init', '--cell', 'rnn', '--n-x', '3', '--n-a', '5', '--n-y', '2', '--m', '10', '--t-x', '4', '--seed', '1']);
      assert.equal(r.code, 0, r.stderr);
      const ours = JSON.parse(r.stdout);
      const numpy = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures/cases/rnn_course.json'), 'utf8')).inputs;
      assert.deepEqual(Object.keys(ours).sort(), Object.keys(numpy).sort());
      for (const name of Object.keys(numpy)) assert.deepEqual(ours[name], numpy[name], name);
      assert.equal(ours.x[0][0][0], 1.6243453636632417); // np.random.seed(1); np.random.randn()
    });

    it('writes every format atomically and reports the seed it drew', () => {
      for (const out of ['f.json', 'f.npz', 'fdir']) {
        const r = rnn(['init', '--cell', 'gru', ...COURSE, '--out', out]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /^rnn: seed \d+ \(pass --seed \d+ to draw the same fixture again\)/);
      }
      assert.ok(fs.statSync(path.join(work, 'fdir')).isDirectory());
      assert.ok(fs.existsSync(path.join(work, 'fdir', 'Wu.npy')));
      assert.deepEqual(fs.readdirSync(work).filter((f) => f.endsWith('.tmp')), []);
    });
  });

  describe('forward', () => {
    it('--json is a fixture of a, y, c with the right shapes, and pipes into inspect -', () => {
      assert.equal(rnn(['init', '--cell', 'lstm', ...COURSE, '--seed', '2', '--out', 'l.json']).code, 0);
      const r = rnn(['forward', '--cell', 'lstm', 'l.json', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(out).sort(), ['a', 'c', 'y']);
      assert.deepEqual(fromNested(out.a).shape, [5, 10, 7]);
      assert.deepEqual(fromNested(out.y).shape, [2, 10, 7]);
      const inspected = rnn(['inspect', '-', '--json'], { input: r.stdout });
      assert.equal(inspected.code, 0, inspected.stderr);
      const info = JSON.parse(inspected.stdout);
      assert.deepEqual(info.arrays.map((a: { name: string }) => a.name), ['a', 'y', 'c']);
      assert.equal(info.arrays[0].source, '-');
      assert.ok(info.fits.every((f: { dims?: unknown }) => f.dims === undefined), 'outputs alone fit no cell');
      assert.deepEqual(info.recognised, { kind: 'outputs', cells: ['lstm'], dims: { m: 10, T_x: 7, n_a: 5, n_y: 2 }, missing: {} });
    });

    it('prints tables with the dims, arrays, predictions and state; no colour when piped', () => {
      const r = rnn(['forward', '--cell', 'lstm', 'l.json', '--t', '3']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /│ n_x │ n_a │ n_y │\s+m │ T_x │/);
      assert.match(r.stdout, /predictions ŷ⟨3⟩/);
      assert.match(r.stdout, /│ c0\s+│ input/);
      assert.doesNotMatch(r.stdout, /\x1b\[/);
    });

    it('names the one source file above the arrays, or each array\'s file when there are several', () => {
      const one = rnn(['forward', '--cell', 'lstm', 'l.json']);
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /^inputs from l\.json$/m);
      assert.match(one.stdout, /│ array │ role\s+│ shape\s+│\n/);
      const all = JSON.parse(fs.readFileSync(path.join(work, 'l.json'), 'utf8')) as Record<string, unknown>;
      // the parameters in one file, x in another, a0 and c0 left to default to zeros
      writeJson('params.json', Object.fromEntries(Object.entries(all).filter(([k]) => !['x', 'a0', 'c0'].includes(k))));
      writeJson('x.json', { x: all.x });
      const two = rnn(['forward', '--cell', 'lstm', 'params.json', 'x.json']);
      assert.equal(two.code, 0, two.stderr);
      assert.doesNotMatch(two.stdout, /inputs from/);
      assert.match(two.stdout, /│ Wf\s+│ input\s+│ \(\d+, \d+\)\s+│ params\.json\s+│/);
      assert.match(two.stdout, /│ x\s+│ input\s+│ \([\d, ]+\)\s+│ x\.json\s+│/);
      assert.match(two.stdout, /│ a0\s+│ default \(zeros\)\s+│/);
    });

    it('--backend mathjs gives the same outputs', () => {
      const a = JSON.parse(rnn(['forward', '--cell', 'lstm', 'l.json', '--json']).stdout);
      const b = JSON.parse(rnn(['forward', '--cell', 'lstm', 'l.json', '--json', '--backend', 'mathjs']).stdout);
      const ta = fromNested(a.y), tb = fromNested(b.y);
      ta.data.forEach((v, k) => assert.ok(Math.abs(v - tb.data[k]) < 1e-12, `y entry ${k}`));
    });

    it('--expect: exit 0 on a match, 1 with the worst entry on a mismatch', () => {
      assert.equal(rnn(['forward', '--cell', 'lstm', 'l.json', '--out', 'ours.npz']).code, 0);
      const ok = rnn(['forward', '--cell', 'lstm', 'l.json', '--expect', 'ours.npz']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /PASS/);
      const ours = JSON.parse(rnn(['forward', '--cell', 'lstm', 'l.json', '--json']).stdout);
      ours.c[4][9][6] += 1e-4;
      writeJson('theirs.json', { c: ours.c, a: ours.a });
      const bad = rnn(['forward', '--cell', 'lstm', 'l.json', '--expect', 'theirs.json']);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stdout, /c\[4, 9, 6\]/);
      // y is not in theirs.json: listed, not failed (test/cli-verdicts.test.ts has the whole contract)
      assert.match(bad.stderr, /^rnn: --expect: not compared: y \(not in theirs\.json\)\nrnn: --expect: c: 1 of 350 entries wrong, worst c\[4, 9, 6\] .*first mismatch at t=6 .*\n$/);
    });

    it('big products run on one thread where worker threads are not allowed, with the same output', () => {
      // 512·128·16 multiply-adds per step: shared with the kernels' helper thread, if it may start
      const init = rnn(['init', '--cell', 'lstm', '--n-x', '4', '--n-a', '128', '--n-y', '3', '--m', '16', '--t-x', '2', '--seed', '3', '--out', 'wide.npz']);
      assert.equal(init.code, 0, init.stderr);
      const free = rnn(['forward', '--cell', 'lstm', 'wide.npz', '--json']);
      assert.equal(free.code, 0, free.stderr);
      const r = spawnSync(process.execPath, [PERMISSION, '--allow-fs-read=*', RNN, 'forward', '--cell', 'lstm', 'wide.npz', '--json'], {
        cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, free.stdout);
    });
  });

  describe('backward', () => {
    it('--json gradients of both losses; sum needs da, xent needs labels', () => {
      const sum = JSON.parse(rnn(['backward', '--cell', 'lstm', 'l.json', '--json']).stdout);
      assert.deepEqual(Object.keys(sum), ['dx', 'da0', 'dc0', 'dWf', 'dbf', 'dWi', 'dbi', 'dWo', 'dbo', 'dWc', 'dbc']);
      const xent = JSON.parse(rnn(['backward', '--cell', 'lstm', 'l.json', '--loss', 'xent', '--json']).stdout);
      assert.ok('dWy' in xent && 'dby' in xent);
      const fx = JSON.parse(fs.readFileSync(path.join(work, 'l.json'), 'utf8'));
      delete fx.da;
      writeJson('noda.json', fx);
      expectBadInput(rnn(['backward', '--cell', 'lstm', 'noda.json', '--loss', 'sum']), /noda\.json: missing da for --cell lstm \(found: x, a0, Wf/);
    });
  });

  // Not under Node 22 and 24 (test/node-versions.test.ts): there the three modes of a big GRU are
  // compared with this node's bytes directly, which is what this shows and a third of its time.
  (OTHER_NODE_RUN ? describe.skip : describe)('the same bytes in every engine mode', () => {
    // Big nets: column groups and operands resident in the kernel's memory (2^20+ multiply-adds
    // per step product), small enough to be quick; medium ones: one group on the arena (from
    // 2^12 per step), an odd batch. The default engine (arena, packed weights, group worker),
    // one thread (RNN_KERNEL_THREADS=1: no arena, resident copies) and plain TypeScript
    // (RNN_NO_SIMD=1) must write the very same bytes.
    const nets: [string, string, string[]][] = [
      ['lstm', 'big', ['--n-x', '4', '--n-a', '112', '--n-y', '3', '--m', '32', '--t-x', '3']],
      ['gru', 'big', ['--n-x', '4', '--n-a', '112', '--n-y', '3', '--m', '32', '--t-x', '3']],
      ['rnn', 'medium', ['--n-x', '5', '--n-a', '32', '--n-y', '3', '--m', '9', '--t-x', '4']],
      ['lstm', 'medium', ['--n-x', '5', '--n-a', '32', '--n-y', '3', '--m', '9', '--t-x', '4']],
      ['gru', 'medium', ['--n-x', '5', '--n-a', '32', '--n-y', '3', '--m', '9', '--t-x', '4']],
    ];
    for (const [cell, size, dims] of nets) {
      it(`${cell}, ${size}: forward and backward, default / RNN_KERNEL_THREADS=1 / RNN_NO_SIMD=1`, () => {
        const net = `${cell}-${size}`;
        const init = rnn(['init', '--cell', cell, ...dims, '--seed', '7', '-o', `${net}-modes.npz`]);
        assert.equal(init.code, 0, init.stderr);
        for (const cmd of [['forward'], ['backward', '--loss', 'xent']]) {
          const out = (mode: string, env: NodeJS.ProcessEnv): Buffer => {
            const file = `${net}-${cmd[0]}-${mode}.npz`;
            const r = rnn([...cmd, '--cell', cell, `${net}-modes.npz`, '-o', file], { env });
            assert.equal(r.code, 0, `${mode}: ${r.stderr}`);
            return fs.readFileSync(path.join(work, file));
          };
          const want = out('default', {});
          assert.ok(want.equals(out('one-thread', { RNN_KERNEL_THREADS: '1' })), `${cmd[0]}: RNN_KERNEL_THREADS=1 differs`);
          assert.ok(want.equals(out('no-simd', { RNN_NO_SIMD: '1' })), `${cmd[0]}: RNN_NO_SIMD=1 differs`);
        }
      });
    }
  });

  describe('gradcheck', () => {
    it('passes the built-in net of every cell and exits 0', () => {
      for (const cell of ['rnn', 'lstm', 'gru']) {
        const r = rnn(['gradcheck', '--cell', cell, '--json']);
        assert.equal(r.code, 0, r.stderr);
        const res = JSON.parse(r.stdout);
        assert.equal(res.pass, true);
        assert.deepEqual(res.checks.map((c: { loss: string }) => c.loss), ['sum', 'xent']);
        assert.equal(res.checks[0].mode, 'full');
      }
    });

    it('big checks run on the bundled worker threads with the same results as one thread', () => {
      assert.equal(rnn(['init', '--cell', 'lstm', '--n-x', '8', '--n-a', '16', '--n-y', '4', '--m', '8', '--t-x', '10', '--seed', '5', '--out', 'med.npz']).code, 0);
      const args = ['gradcheck', '--cell', 'lstm', 'med.npz', '--loss', 'sum', '--mode', 'full', '--json'];
      const one = rnn([...args, '--threads', '1']);
      const two = rnn([...args, '--threads', '2']);
      assert.equal(two.code, 0, two.stderr);
      const strip = (r: Run): unknown => JSON.parse(r.stdout).checks.map((c: { arrays: unknown }) => c.arrays);
      assert.deepEqual(strip(two), strip(one));
      // Where worker threads are not allowed, the same check runs on this thread.
      const locked = spawnSync(process.execPath, [PERMISSION, '--allow-fs-read=*', RNN, ...args, '--threads', '2'], {
        cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined },
      });
      assert.equal(locked.status, 0, locked.stderr);
      assert.deepEqual(strip({ code: 0, stdout: locked.stdout, stderr: '' }), strip(one));
    });

    it('exits 1 and names the array and entry when YOUR gradient is wrong', () => {
      // A seeded net, and an error far above any tolerance, whatever the entry's size.
      assert.equal(rnn(['init', '--cell', 'gru', ...COURSE, '--seed', '7', '--out', 'g_net.npz']).code, 0);
      assert.equal(rnn(['backward', '--cell', 'gru', 'g_net.npz', '--loss', 'xent', '--json', '--out', 'g.json']).code, 0);
      const g = JSON.parse(fs.readFileSync(path.join(work, 'g.json'), 'utf8'));
      g.dWr[1][2] += 1e-3;
      writeJson('g_bad.json', g);
      const r = rnn(['gradcheck', '--cell', 'gru', 'g_net.npz', '--loss', 'xent', '--grads', 'g_bad.json']);
      assert.equal(r.code, 1, r.stderr);
      const row = /│ dWr\s+│ \(5, 8\)\s+│ 40\*?\s+│ ([\d.e+-]+)\s+│ [\d.e+-]+\s+│ \[1, 2\]: numeric/.exec(r.stdout);
      assert.ok(row, r.stdout);
      // the message writes the relative error as the table's column does: the same string
      assert.match(r.stderr, /^rnn: gradcheck FAILED: dWr: 1 of 40 entries wrong, worst dWr\[1, 2\] \(numeric [-\d.e]+, yours [-\d.e]+\), relative error [-\d.e]+\n$/);
      assert.ok(r.stderr.endsWith(`, relative error ${row[1]}\n`), r.stderr);
      assert.match(row[1], /^\d(\.\d+)?e-\d\d$/); // next to correct gradients' ~1e-9: scientific, as numpy prints such a column
      const good = rnn(['gradcheck', '--cell', 'gru', 'g_net.npz', '--loss', 'xent', '--grads', 'g.json']);
      assert.equal(good.code, 0, good.stderr);
    });
  });

  describe('bad input: exit 2, one line naming the file and the problem', () => {
    it('a missing key lists what is missing and what was found', () => {
      writeJson('partial.json', { x: [[[1]]], Wax: [[1]] });
      expectBadInput(rnn(['forward', '--cell', 'rnn', 'partial.json']), /partial\.json: missing Waa, Wya, ba, by for --cell rnn \(found: x, Wax\)/);
    });

    it('a wrong shape names the array, its shape and the expected one', () => {
      const fx = JSON.parse(rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '3']).stdout);
      fx.Waa = fx.Waa.map((row: number[]) => row.slice(0, 4));
      writeJson('badshape.json', fx);
      expectBadInput(rnn(['forward', '--cell', 'rnn', 'badshape.json']), /badshape\.json: Waa has shape \(5, 4\) but n_a = 5 needs \(5, 5\)/);
    });

    it('a ragged JSON array names the path of the first bad element', () => {
      fs.writeFileSync(path.join(work, 'ragged.json'), '{"x": [[1, 2], [3]]}');
      expectBadInput(rnn(['inspect', 'ragged.json']), /ragged\.json: .*x\[1\]: expected 2 numbers, got 1/);
    });

    it('a truncated .npy', () => {
      const bytes = encodeNpy(tensor([5, 3], new Float64Array(15).fill(1)));
      fs.writeFileSync(path.join(work, 'Wax.npy'), bytes.subarray(0, bytes.length - 8));
      expectBadInput(rnn(['inspect', 'Wax.npy']), /Wax\.npy: .*(truncated|short|needs|holds)/i);
    });

    it('NaN in an input names the array and the index', () => {
      const arrays: Arrays = JSON.parse(rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '4']).stdout);
      const t: Arrays = {};
      for (const [k, v] of Object.entries(arrays)) t[k] = fromNested(v);
      t.x.data[(1 * 10 + 2) * 7 + 3] = NaN;
      fs.writeFileSync(path.join(work, 'nan.npz'), encodeNpz(t));
      expectBadInput(rnn(['forward', '--cell', 'rnn', 'nan.npz']), /nan\.npz: x\[1, 2, 3\] is nan: inputs must be finite/);
    });

    it('an unknown cell, option or file', () => {
      expectBadInput(rnn(['forward', '--cell', 'tcn', 'l.json']), /--cell.*'tcn'.*(rnn, lstm, gru|Allowed choices)/);
      expectBadInput(rnn(['forward', '--cell', 'rnn', '--frobnicate']), /unknown option '--frobnicate'/);
      expectBadInput(rnn(['forward', '--cell', 'rnn', 'nope.json']), /nope\.json: no such file/);
      expectBadInput(rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '-3']), /--seed/);
    });

    it('--max-input refuses inputs bigger than the limit before reading them; names the limit', () => {
      const r = rnn(['inspect', 'l.json', '--max-input', '0.001']);
      expectBadInput(r, /l\.json: .*(limit|too big|exceeds|larger)/i);
      assert.equal(rnn(['inspect', 'l.json', '--max-input', '1']).code, 0);
    });

    it('names the cell does not use are a warning on stderr, not an error', () => {
      const fx = JSON.parse(fs.readFileSync(path.join(work, 'l.json'), 'utf8'));
      writeJson('extra.json', { ...fx, Wz: [[1]], notes: [1, 2] });
      const r = rnn(['forward', '--cell', 'lstm', 'extra.json', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, 'rnn: warning: not used by this cell: Wz, notes\n');
      assert.deepEqual(Object.keys(JSON.parse(r.stdout)).sort(), ['a', 'c', 'y']);
    });

    it('RNN_DEBUG=1 adds the stack trace', () => {
      const r = rnn(['forward', '--cell', 'rnn', 'nope.json'], { env: { RNN_DEBUG: '1' } });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /\n\s+at /);
    });

    it('nothing is written when the input is bad or the target cannot be written', () => {
      expectBadInput(rnn(['forward', '--cell', 'rnn', 'partial.json', '--out', 'never.json']), /missing/);
      assert.ok(!fs.existsSync(path.join(work, 'never.json')));
      const r = rnn(['init', '--cell', 'rnn', ...COURSE, '--seed', '1', '--out', 'no/such/dir/f.json']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /no\/such\/dir/);
      assert.deepEqual(fs.readdirSync(work).filter((f) => f.endsWith('.tmp')), []);
    });
  });

  describe('help and version', () => {
    it('--help prints usage with an example per command (no arguments: the same on stderr, exit 2); --version the version', () => {
      for (const args of [[], ['--help']]) {
        const r = rnn(args);
        assert.equal(r.code, args.length ? 0 : 2);
        const help = args.length ? r.stdout : r.stderr;
        assert.equal(args.length ? r.stderr : r.stdout, '');
        for (const cmd of ['forward', 'backward', 'gradcheck', 'init', 'inspect']) assert.match(help, new RegExp(`\\$ rnn ${cmd} `), cmd);
        assert.match(help, /Exit codes:/);
      }
      const v = rnn(['--version']);
      assert.equal(v.code, 0);
      assert.equal(v.stdout.trim(), JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    });
  });
});
