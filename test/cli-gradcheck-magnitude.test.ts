/**
 * gradcheck at any magnitude where the values are finite, through the real `bin/rnn`: with da
 * ×2^k (k = 532, 664, −664: ~1e160, 1e200, 1e−200) every number the sum loss's check depends on
 * is ×2^k exactly, so the verdicts and relative errors must be those of ×1 to the bit, and the
 * absolute errors and noise floors ×2^k. Before the norms were scaled (src/gradcheck/norms.ts)
 * a correct gradient FAILed at 1e200 (relative error NaN) and printed 0 at 1e160 and 1e−200,
 * where a transposed gradient PASSed.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBundle, RNN, type Run } from './cli-helpers';

type Nested = number | Nested[];
interface Check {
  name: string;
  relError: number;
  maxAbsError: number;
  noiseFloor: number;
  pass: boolean;
  belowNoise: boolean;
  wrong?: number;
  worst?: { numeric: number; analytic: number };
}

let work: string;

function rnn(args: string[]): Run {
  const r = spawnSync(process.execPath, [RNN, ...args], {
    cwd: work, env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined, FORCE_COLOR: undefined }, encoding: 'utf8', maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const map = (a: Nested, f: (v: number) => number): Nested => (Array.isArray(a) ? a.map((x) => map(x, f)) : f(a));
const scaled = (o: Record<string, Nested>, names: string[], s: number): Record<string, Nested> =>
  Object.fromEntries(Object.entries(o).map(([n, v]) => [n, names.includes(n) ? map(v, (x) => x * s) : v]));
const write = (name: string, o: object): void => fs.writeFileSync(path.join(work, name), JSON.stringify(o));

/** The arrays of a `gradcheck --json` run with the exit code expected. */
function check(args: string[], code: number): Check[] {
  const r = rnn(['gradcheck', '--cell', 'lstm', '--loss', 'sum', '--json', ...args]);
  assert.equal(r.code, code, r.stderr);
  return JSON.parse(r.stdout).checks[0].arrays;
}

/** `at` (da ×2^k) against `ref` (×1): the same verdicts and relative errors to the bit, sizes ×2^k exactly. */
function assertScaled(ref: Check[], at: Check[], k: number): void {
  const s = 2 ** k;
  assert.deepEqual(at.map((a) => a.name), ref.map((a) => a.name));
  ref.forEach((r, i) => {
    const a = at[i], what = `${a.name} at ×2^${k}`;
    assert.ok(Number.isFinite(a.relError), `${what}: relative error ${a.relError}`);
    assert.equal(a.relError, r.relError, what);
    assert.deepEqual([a.pass, a.belowNoise, a.wrong], [r.pass, r.belowNoise, r.wrong], what);
    assert.equal(a.maxAbsError, r.maxAbsError * s, what);
    assert.equal(a.noiseFloor, r.noiseFloor * s, what);
    assert.equal(a.worst!.analytic, r.worst!.analytic * s, what);
  });
}

describe('gradcheck at large and tiny magnitudes (bin/rnn)', function () {
  this.timeout(60_000);
  const K = [532, 664, -664];

  before(() => {
    buildBundle();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-magnitude-'));
    assert.equal(rnn(['init', '--cell', 'lstm', '--n-x', '3', '--n-a', '5', '--n-y', '2', '--m', '4', '--t-x', '5', '--seed', '3', '--out', 'net.json']).code, 0);
    const net = JSON.parse(fs.readFileSync(path.join(work, 'net.json'), 'utf8'));
    // The forget gate saturated by its bias: its gradients vanish and pass on the noise floor only.
    net.bf = map(net.bf, (v) => v + 30);
    delete net.labels;
    for (const k of [0, ...K]) write(`net${k}.json`, scaled(net, ['da'], 2 ** k));
    const ours = JSON.parse(rnn(['backward', '--cell', 'lstm', 'net0.json', '--json']).stdout);
    // Two broken backwards: dWo 4e-6 off everywhere (r ≈ 2e-6, just above tol), dbi of the wrong sign.
    const bad = { ...ours, dWo: map(ours.dWo, (v) => v * (1 + 4e-6)), dbi: map(ours.dbi, (v) => -v) };
    for (const k of [0, ...K]) write(`bad${k}.json`, scaled(bad, Object.keys(bad), 2 ** k));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('a correct gradient PASSes at da ×1e160, 1e200, 1e−200 with the relative errors of ×1, bit for bit (full and fast mode)', () => {
    const ref = check(['net0.json', '--mode', 'full'], 0);
    assert.ok(ref.some((a) => a.belowNoise) && ref.some((a) => !a.belowNoise && a.relError < 1e-8), ref.map((a) => `${a.name} ${a.relError}`).join(', '));
    for (const k of K) assertScaled(ref, check([`net${k}.json`, '--mode', 'full'], 0), k);
    assertScaled(check(['net0.json', '--mode', 'fast'], 0), check(['net664.json', '--mode', 'fast'], 0), 664);
    // and the table says so
    const text = rnn(['gradcheck', '--cell', 'lstm', 'net664.json', '--loss', 'sum', '--only', 'dWi']);
    assert.match(text.stdout, /│ dWi\s+│ \(5, 8\)\s+│ 40\s+│ \d(\.\d+)?e-1\d\s+│ [\d.]+e\+19\d\s+│.*│ PASS\s+│/);
  });

  it('a broken gradient FAILs at every magnitude, with the relative error and wrong entries of ×1', () => {
    const ref = check(['net0.json', '--mode', 'full', '--grads', 'bad0.json', '--only', 'dWo', 'dbi'], 1);
    assert.deepEqual(ref.map((a) => [a.name, a.pass]), [['dbi', false], ['dWo', false]]);
    assert.equal(ref[0].wrong, 5);
    assert.ok(ref[1].relError > 1e-6 && ref[1].relError < 3e-6 && ref[1].wrong! > 0, `dWo: ${ref[1].relError}, wrong ${ref[1].wrong}`);
    for (const k of K) assertScaled(ref, check([`net${k}.json`, '--mode', 'full', '--grads', `bad${k}.json`, '--only', 'dWo', 'dbi'], 1), k);
  });
});
