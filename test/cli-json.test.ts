/**
 * bin/rnn reading JSON: an input over --max-input is refused at the number that passes the
 * limit — from a file or a pipe, at a small fraction of its size in memory — and valid JSON on
 * standard input (a pipe (in blocks), a redirected file, a non-blocking pipe) reads exactly
 * as the same file does.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBundle, expectBadInput, RNN, type Run } from './cli-helpers';

describe('bin/rnn reading JSON', function () {
  this.timeout(120_000);
  let dir: string;
  const p = (name: string): string => path.join(dir, name);

  /** Runs `sh -c script` where `rnn` is bin/rnn that notes its peak RSS; returns the run and that peak in MB. */
  function measured(script: string): Run & { peakMB: number } {
    const rss = p('rss');
    fs.rmSync(rss, { force: true });
    const r = spawnSync('sh', ['-c', `rnn() { "$NODE" -r ./peak.js "$RNN" "$@"; }; ${script}`], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, NODE: process.execPath, RNN, RSS_FILE: rss },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, peakMB: Number(fs.readFileSync(rss, 'utf8')) / 1024 };
  }

  before(() => {
    buildBundle();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-cli-json-'));
    // rnn's own peak resident memory, written as it exits (maxRSS is in KiB)
    fs.writeFileSync(p('peak.js'), "process.on('exit', () => require('fs').writeFileSync(process.env.RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses 50 MB of numbers over --max-input at the limit, from a file or a pipe, in little memory', () => {
    const row = Array.from({ length: 1000 }, (_, k) => String((k * 7919) % 1000)).join(', ');
    const big = `{"w": [1, 2], "x": [${Array.from({ length: 13000 }, () => `[${row}]`).join(',\n')}]}`;
    fs.writeFileSync(p('big.json'), big);
    fs.writeFileSync(p('small.json'), '{"x": [[1, 2], [3, 4]]}');
    assert.ok(big.length > 50e6);

    const small = measured('rnn inspect small.json --max-input 1');
    assert.equal(small.code, 0, small.stderr);
    const file = measured('rnn inspect big.json --max-input 1');
    expectBadInput(file, /^rnn: big\.json: 'x' takes the arrays over the limit of 1048576 bytes \(1 MiB\) as float64: more than 131072 numbers \(raise it with --max-input, or maxBytes in the library\)$/);
    const pipe = measured('cat big.json | rnn inspect - --max-input 1');
    expectBadInput(pipe, /^rnn: -: 'x' takes the arrays over the limit of 1048576 bytes \(1 MiB\)/);
    // Read and parsed whole, the file took ~370 MB more than a tiny one (bench/README.md, "JSON
    // over --max-input"); refused at the limit, what was read up to there (4 MiB blocks).
    for (const [how, r] of [['file', file], ['pipe', pipe]] as const) {
      assert.ok(r.peakMB - small.peakMB < 40, `${how}: peak ${r.peakMB.toFixed(0)} MB, ${small.peakMB.toFixed(0)} MB for a tiny file`);
    }
  });

  it('refuses more than 65536 arrays (empty ones cost no float64 but memory and time)', () => {
    fs.writeFileSync(p('empties.json'), `{${Array.from({ length: 70000 }, (_, k) => `"a${k}": []`).join(', ')}}`);
    const r = measured('rnn inspect empties.json');
    expectBadInput(r, /^rnn: empties\.json: holds more than 65536 arrays \(a fixture is the arrays of one net\)$/);
  });

  it('reads a valid file over V8\'s string limit (513 MiB: only with RNN_BIG_TESTS=1)', function () {
    // It cannot be one JavaScript string; it used to be reported as 'not valid UTF-8 text'. ~5 s
    // and 0.6 GB, so not in every run: test/io-json.test.ts shows that no such string is made.
    if (!process.env.RNN_BIG_TESTS) this.skip();
    const { constants } = require('buffer') as typeof import('buffer');
    const big = Buffer.alloc(513 * 2 ** 20, 0x20);
    big.write('{"x": [[1.5, -2]],', 0);
    big.write('"y": [[3e-5]]}', big.length - 14);
    assert.ok(big.length > constants.MAX_STRING_LENGTH);
    fs.writeFileSync(p('huge.json'), big);
    const r = measured('rnn inspect huge.json --json');
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { arrays: Array<{ name: string; shape: number[]; min: number }> };
    assert.deepEqual(info.arrays.map((a) => [a.name, a.shape, a.min]), [['x', [1, 2], -2], ['y', [1, 1], 3e-5]]);
  });

  it('reads JSON on standard input as from the file: a pipe (in blocks), a redirected file', () => {
    const init = spawnSync(process.execPath, [RNN, 'init', '--cell', 'rnn', '--n-x', '64', '--n-a', '4', '--n-y', '2', '--m', '32', '--t-x', '100', '--seed', '5', '--out', p('f.json')], { encoding: 'utf8' });
    assert.equal(init.status, 0, init.stderr);
    const text = fs.readFileSync(p('f.json'));
    assert.ok(text.length > 4 << 20, `${text.length} bytes`); // more than one block (of x: the outputs stay small)
    const args = [RNN, 'forward', '--cell', 'rnn', '--json'];
    const fromFile = spawnSync(process.execPath, [...args, p('f.json')], { encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(fromFile.status, 0, fromFile.stderr);
    const pipe = spawnSync(process.execPath, [...args, '-'], { input: text, encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(pipe.stderr, '');
    assert.equal(pipe.stdout, fromFile.stdout);
    const redirected = spawnSync('sh', ['-c', `"${process.execPath}" ${args.map((a) => `"${a}"`).join(' ')} - < f.json`], { cwd: dir, encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(redirected.stderr, '');
    assert.equal(redirected.stdout, fromFile.stdout);
  });
});
