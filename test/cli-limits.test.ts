/**
 * Numeric options at their limits through bin/rnn: values past what rnn can honour are bad
 * usage (exit 2, one line naming the option), never an internal error (exit 70), and `init`
 * refuses a fixture too big to hold before it allocates anything.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../src/errors';
import { encodeJsonArrays } from '../src/io/json';
import type { Tensor } from '../src/tensor';
import { buildBundle, ROOT, RNN, expectBadInput, type Run } from './cli-helpers';

let work: string;

function rnn(args: string[]): Run & { seconds: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [RNN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const FIXTURE = path.join(ROOT, 'fixtures/cases/rnn_course.npz');
const ONE = ['--n-x', '1', '--n-a', '1', '--n-y', '1', '--m', '1', '--t-x', '1', '--seed', '1'];

describe('numeric options at their limits', function () {
  this.timeout(120_000);
  before(() => {
    buildBundle();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-limits-'));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('--max-input past 8 PiB (1e308, 1.7e308) is bad usage, not an internal error; 8 PiB itself is taken', () => {
    expectBadInput(rnn(['inspect', FIXTURE, '--max-input', '1e308']), /--max-input must be a number > 0 and at most 8589934592, got '1e308' \(see rnn inspect --help\)$/);
    expectBadInput(rnn(['forward', '--cell', 'rnn', FIXTURE, '--max-input', '1.7e308']), /--max-input must be a number > 0 and at most 8589934592, got '1\.7e308'/);
    const r = rnn(['inspect', FIXTURE, '--max-input', '8589934592']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('--precision 101 is bad usage on every command that takes it; 100 prints every digit, as 17 does', () => {
    for (const cmd of [['forward', '--cell', 'rnn', FIXTURE], ['backward', '--cell', 'rnn', FIXTURE], ['gradcheck', '--cell', 'rnn', FIXTURE], ['inspect', FIXTURE]]) {
      expectBadInput(rnn([...cmd, '--precision', '101']), /--precision must be a whole number from 1 to 100, got '101'/);
    }
    const p100 = rnn(['inspect', FIXTURE, '--precision', '100']);
    assert.equal(p100.code, 0, p100.stderr);
    assert.equal(p100.stdout, rnn(['inspect', FIXTURE, '--precision', '17']).stdout);
    assert.notEqual(p100.stdout, rnn(['inspect', FIXTURE]).stdout);
  });

  it('init refuses a fixture over --max-output at once, before allocating, naming its size and biggest array', () => {
    const cases: [string[], RegExp][] = [
      [['--cell', 'rnn', '--n-x', '3', '--n-a', '100000', '--n-y', '2', '--m', '10', '--t-x', '7'], /Waa \(100000, 100000\) alone 80000000000 bytes \(74\.5 GiB\)/],
      [['--cell', 'rnn', '--n-x', '3', '--n-a', '5', '--n-y', '2', '--m', '1000000000', '--t-x', '1000000000'], /da \(5, 1000000000, 1000000000\) alone 4e\+19 bytes/],
      [['--cell', 'lstm', '--n-x', '4294967296', '--n-a', '1', '--n-y', '1', '--m', '1', '--t-x', '1'], /Wf \(1, 4294967297\) alone 34359738376 bytes \(32 GiB\)/],
      [['--cell', 'gru', '--n-x', '2147483648', '--n-a', '1', '--n-y', '1', '--m', '1', '--t-x', '1'], /Wu \(1, 2147483649\) alone 17179869192 bytes \(16 GiB\)/],
    ];
    for (const [dims, biggest] of cases) {
      const r = rnn(['init', ...dims, '--seed', '1']);
      expectBadInput(r, /^rnn: the fixture would hold .* of float64 data \(.*\), over the limit of 1073741824 bytes \(1 GiB\) \(raise it with --max-output/);
      assert.match(r.stderr, biggest);
      // the bug drew for 30 s and more; refusing is a start-up's work
      assert.ok(r.seconds < 10, `${dims.join(' ')}: ${r.seconds} s`);
    }
    // the limit is --max-output's: 9 numbers are 72 bytes
    expectBadInput(rnn(['init', '--cell', 'rnn', ...ONE, '--max-output', '0.00006']), /would hold 72 bytes of float64 data \(x \(1, 1, 1\) alone 8 bytes\), over the limit of 62 bytes/);
    assert.equal(rnn(['init', '--cell', 'rnn', ...ONE, '--max-output', '0.0002']).code, 0);
    expectBadInput(rnn(['init', '--cell', 'rnn', ...ONE, '--max-output', '1e308']), /--max-output must be a number > 0 and at most 8589934592/);
    expectBadInput(rnn(['init', '--cell', 'rnn', '--n-x', '99999999999999999999', ...ONE.slice(2)]), /--n-x must be a whole number from 1 to 9007199254740991, got '99999999999999999999'/);
  });

  it('init --scale that makes a parameter infinite is bad input naming the entry', () => {
    expectBadInput(rnn(['init', '--cell', 'rnn', ...ONE, '--scale', '1e308']), /^rnn: scale 1e\+308 makes \w+\[0, 0\] -?inf: a fixture's parameters must be finite$/);
  });

  it('JSON output longer than a JavaScript string can be is bad input naming the array, not an internal error', () => {
    // The bound is V8's string length by default; the same accounting at a small bound (test/io-json.test.ts holds it to the character).
    const data = new Float64Array(1000).fill(0.1234567890123456);
    assert.throws(() => encodeJsonArrays({ a: { shape: [2], data: data.subarray(0, 2) }, y: { shape: [1000], data } as Tensor }, 4096), (e: unknown) =>
      e instanceof InputError && /^cannot write the arrays as JSON: at 'y' the text passes 4096 bytes \(4 KiB\), the most one string holds; write \.npz or \.npy instead$/.test(e.message));
  });
});
