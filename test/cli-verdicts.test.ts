/**
 * No silent PASS, through the real `bin/rnn`: every array in an --expect or --grads file is
 * compared or an error; the notebook's y_pred is y; arrays you left out are listed and
 * counted (--strict fails on them); the loss is inferred where only one is possible; a FAIL
 * says how many entries are wrong, the worst, the first in time order; a transposed array
 * is recognised as such.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CELLS, gradientNames } from '../src/model/cells';
import { InputError } from '../src/errors';
import { gradcheck } from '../src/gradcheck';
import { float64Backend } from '../src/backends/float64';
import { fromNested, type Arrays } from '../src/tensor';
import { run, type IO } from '../src/cli/main';
import { buildBundle, RNN, expectBadInput, type Run } from './cli-helpers';


type Nested3 = number[][][];
type Nested2 = number[][];

let work: string;

/**
 * The CLI in this process (src/cli/main.ts `run`, what bin/rnn runs), in the work directory:
 * what is tested here is rnn's own wording and decisions, and ~50 processes cost ~15 s of the
 * suite. The last test checks that the real bin/rnn says the same, byte for byte.
 */
async function rnn(args: string[]): Promise<Run> {
  let stdout = '', stderr = '';
  const io: IO = {
    stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stdoutIsTTY: false,
    env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined, FORCE_COLOR: undefined },
  };
  const cwd = process.cwd();
  process.chdir(work);
  try {
    return { code: await run([process.execPath, RNN, ...args], io), stdout, stderr };
  } finally {
    process.chdir(cwd);
  }
}

/** The real bin/rnn, as a user runs it. */
function binRnn(args: string[]): Run {
  const r = spawnSync(process.execPath, [RNN, ...args], {
    cwd: work,
    env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined, FORCE_COLOR: undefined },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}


function writeJson(name: string, arrays: Record<string, unknown>): string {
  fs.writeFileSync(path.join(work, name), JSON.stringify(arrays));
  return name;
}

function readJson(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(work, name), 'utf8'));
}

function ok(r: Run): Run {
  assert.equal(r.code, 0, r.stderr);
  return r;
}

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const without = (o: Record<string, unknown>, ...names: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !names.includes(k)));

// n_x 3, n_a 5, n_y 2, m 4, T_x 6: small enough that every gradcheck runs in full mode in well under a second
const DIMS = ['--n-x', '3', '--n-a', '5', '--n-y', '2', '--m', '4', '--t-x', '6'];
const T_X = 6;

describe('the verdicts of --expect and gradcheck --grads (bin/rnn)', function () {
  let fixture: Record<string, unknown>;
  let out: { a: Nested3; y: Nested3 };
  let sum: Record<string, unknown>; // our gradients of the sum loss
  let xent: Record<string, unknown>; // and of the xent loss

  before(async () => {
    buildBundle();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-verdicts-'));
    ok(await rnn(['init', '--cell', 'rnn', ...DIMS, '--seed', '5', '--out', 'net.json']));
    fixture = readJson('net.json');
    writeJson('net_da.json', without(fixture, 'labels')); // da, no labels
    writeJson('net_labels.json', without(fixture, 'da')); // labels, no da
    out = JSON.parse(ok(await rnn(['forward', '--cell', 'rnn', 'net.json', '--json'])).stdout);
    sum = JSON.parse(ok(await rnn(['backward', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--json'])).stdout);
    xent = JSON.parse(ok(await rnn(['backward', '--cell', 'rnn', 'net.json', '--loss', 'xent', '--json'])).stdout);
    writeJson('sum.json', sum);
    writeJson('xent.json', xent);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  describe('the name contract', () => {
    it("the notebook's y_pred is y: a buggy y_pred fails (exit 1), a right one passes with y compared", async () => {
      // rnn_forward returns a, y_pred: a bug from step 3 on changes y_pred[:, :, 3:]
      const buggy = copy(out.y);
      for (const row of buggy) for (const col of row) for (let t = 3; t < T_X; t++) col[t] += 1e-3;
      writeJson('y_pred_bad.json', { a: out.a, y_pred: buggy });
      const bad = await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'y_pred_bad.json']);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stdout, /│ y \(your y_pred\)\s+│ \(2, 4, 6\)\s+│.*│ FAIL: 24 of 48 wrong, first at t=3\s+│/);
      assert.match(bad.stdout, /^FAIL \(2 of 2 arrays compared\): y$/m);
      assert.match(bad.stderr, /^rnn: --expect: y \(your y_pred\): 24 of 48 entries wrong, worst y\[\d, \d, [345]\] \(yours [\d.]+, ours [\d.]+\), first mismatch at t=3 \(y\[0, 0, 3\]\)\n$/);

      writeJson('y_pred.json', { a: out.a, y_pred: out.y });
      const good = ok(await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'y_pred.json']));
      assert.match(good.stdout, /│ y \(your y_pred\)\s+│ \(2, 4, 6\)\s+│ 0\.?\s+│ 0\.?\s+│.*│ PASS\s+│/);
      assert.match(good.stdout, /^PASS \(2 of 2 arrays compared\)$/m);
      assert.equal(good.stderr, '');
    });

    it('y and y_pred both: the same array twice is exit 2', async () => {
      writeJson('twice.json', { y: out.y, y_pred: out.y });
      expectBadInput(await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'twice.json']), /twice\.json: --expect: y and y_pred are the same array/);
    });

    it('a misnamed gradient (dW_aa) is exit 2 with "did you mean dWaa", never a silent PASS', async () => {
      const g = without(sum, 'dWaa');
      g.dW_aa = (sum.dWaa as Nested2).map((row) => row.map((v) => v * 1.01)); // and wrong
      writeJson('dW_aa.json', g);
      for (const args of [
        ['backward', '--cell', 'rnn', 'net.json', '--expect', 'dW_aa.json'],
        ['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'dW_aa.json'],
      ]) {
        const line = expectBadInput(await rnn(args), /dW_aa\.json: --(expect|grads): dW_aa \(did you mean dWaa\?\): no such gradient of the sum loss for --cell rnn/);
        assert.match(line, /compared: dx, da0, dWaa, dWax, dba; accepted, not compared: Waa, Wax, Wya, ba, by, x, a0, da, labels, mask\)$/, args[0]);
      }
    });

    it('an unknown name is exit 2 listing the possible names; y_hat suggests y; unnamed np.savez arrays say so', async () => {
      writeJson('foo.json', { a: out.a, foo: out.y });
      expectBadInput(
        await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'foo.json']),
        /foo\.json: --expect: foo: no such output of rnn forward --cell rnn \(compared: a, y \(or y_pred\); accepted, not compared: Waa, Wax, Wya, ba, by, x, a0, da, labels, mask\)$/,
      );
      writeJson('y_hat.json', { y_hat: out.y });
      expectBadInput(await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'y_hat.json']), /y_hat \(did you mean y\?\): no such output/);
      writeJson('arr.json', { arr_0: out.a, arr_1: out.y });
      expectBadInput(await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'arr.json']), /arr_0, arr_1: np\.savez's names for arrays passed without a name; save them by name, np\.savez\(f, a=a, y=y\)/);
    });

    it('names that belong elsewhere say where: a gradient of the xent loss only, an output of forward, a gradient in forward', async () => {
      expectBadInput(
        await rnn(['backward', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--expect', 'xent.json']),
        /xent\.json: --expect: dWya, dby are gradients of the xent loss only, not of the sum loss: use --loss xent/,
      );
      expectBadInput(
        await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'xent.json']),
        /xent\.json: --grads: dWya, dby are gradients of the xent loss only, not of the sum loss: use --loss xent/,
      );
      writeJson('a_and_dx.json', { a: out.a, dx: sum.dx });
      expectBadInput(await rnn(['backward', '--cell', 'rnn', 'net.json', '--expect', 'a_and_dx.json']), /a is an output of rnn forward — compare with rnn forward --expect/);
      expectBadInput(await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'a_and_dx.json']), /dx is a gradient — compare with rnn backward --expect/);
    });

    it('inputs in your file are accepted and not compared; a file of inputs only is exit 2', async () => {
      writeJson('with_inputs.json', { ...fixture, a: out.a, y: out.y });
      const r = ok(await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'with_inputs.json']));
      assert.match(r.stdout, /^PASS \(2 of 2 arrays compared\)$/m);
      assert.match(r.stderr, /^rnn: --expect: inputs, not compared: x, a0, Waa, Wax, Wya, ba, by, da, labels\n$/);
      expectBadInput(await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'net.json']), /net\.json: --expect: nothing to compare: only inputs \(.*\); expected some of a, y \(or y_pred\)/);
    });

    it('the library refuses unknown names in grads too', async () => {
      const inputs: Arrays = {};
      for (const [k, v] of Object.entries(fixture)) inputs[k] = fromNested(v as Nested3);
      const loss = { kind: 'sum' as const, da: inputs.da };
      const grads = float64Backend.backward('rnn', inputs, loss);
      grads.dW_aa = grads.dWaa;
      delete grads.dWaa;
      assert.throws(() => gradcheck({ cell: 'rnn', inputs, loss, grads }), (e: unknown) => e instanceof InputError && /dW_aa \(did you mean dWaa\?\)/.test(e.message));
    });
  });

  describe('arrays you left out', () => {
    it('--expect: listed on stderr as not compared, counted in the PASS line; --strict exits 1', async () => {
      writeJson('a_only.json', { a: out.a });
      const r = ok(await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'a_only.json']));
      assert.equal(r.stderr, 'rnn: --expect: not compared: y (not in a_only.json)\n');
      assert.match(r.stdout, /^PASS \(1 of 2 arrays compared\)$/m);
      const strict = await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'a_only.json', '--strict']);
      assert.equal(strict.code, 1, strict.stderr);
      assert.match(strict.stderr, /^rnn: --expect: not compared: y \(not in a_only\.json\)\nrnn: --expect --strict: y not in your files\n$/);
      writeJson('dx_only.json', { dx: sum.dx, dWaa: sum.dWaa });
      const b = ok(await rnn(['backward', '--cell', 'rnn', 'net.json', '--expect', 'dx_only.json', '--json']));
      assert.match(b.stderr, /^PASS \(2 of 5 arrays compared\)$/m); // --json: the report goes to stderr
      assert.equal((await rnn(['backward', '--cell', 'rnn', 'net.json', '--expect', 'dx_only.json', '--strict'])).code, 1);
    });

    it('gradcheck --grads: the same; arrays --only leaves out are not "not compared"', async () => {
      writeJson('g_partial.json', { dx: sum.dx, dWaa: sum.dWaa });
      const r = ok(await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'g_partial.json']));
      assert.equal(r.stderr, 'rnn: --grads: not compared: da0, dWax, dba (not in g_partial.json)\n');
      assert.match(r.stdout, /^PASS \(2 of 5 arrays compared\): every gradient of yours checked agrees with finite differences$/m);
      const json = JSON.parse(ok(await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'g_partial.json', '--json'])).stdout);
      assert.deepEqual(json.checks[0].notCompared, ['da0', 'dWax', 'dba']);
      const strict = await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'g_partial.json', '--strict']);
      assert.equal(strict.code, 1, strict.stderr);
      assert.match(strict.stderr, /rnn: gradcheck --strict: da0, dWax, dba not in your --grads files\n$/);
      const only = ok(await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'g_partial.json', '--only', 'dx', 'dWaa', '--strict']));
      assert.equal(only.stderr, '');
      assert.match(only.stdout, /^PASS \(2 of 2 arrays compared\)/m);
      expectBadInput(await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'g_partial.json', '--only', 'dba']), /--only dba: not in your --grads files g_partial\.json/);
      expectBadInput(await rnn(['forward', '--cell', 'rnn', 'net.json', '--strict']), /--strict needs --expect/);
    });
  });

  describe('the loss', () => {
    it('gradcheck --grads with the sum loss and no da in the fixture is exit 2', async () => {
      expectBadInput(
        await rnn(['gradcheck', '--cell', 'rnn', 'net_labels.json', '--loss', 'sum', '--grads', 'sum.json']),
        /net_labels\.json: your gradients were taken with some upstream da: put it in the fixture/,
      );
      // without --grads the drawn da stays
      const drawn = ok(await rnn(['gradcheck', '--cell', 'rnn', 'net_labels.json', '--loss', 'sum']));
      assert.match(drawn.stdout, /note: da for the sum loss: not in the fixture, drawn as np\.random\.seed\(0\)/);
    });

    it('backward infers it from the fixture and from --expect, and says so on stderr', async () => {
      const fromDa = ok(await rnn(['backward', '--cell', 'rnn', 'net_da.json', '--json']));
      assert.equal(fromDa.stderr, 'rnn: loss sum (inferred: the fixture has da and no labels)\n');
      assert.deepEqual(Object.keys(JSON.parse(fromDa.stdout)), gradientNames(CELLS.rnn, 'sum'));
      const fromLabels = ok(await rnn(['backward', '--cell', 'rnn', 'net_labels.json', '--json']));
      assert.equal(fromLabels.stderr, 'rnn: loss xent (inferred: the fixture has labels and no da)\n');
      assert.deepEqual(JSON.parse(fromLabels.stdout), xent);
      writeJson('head.json', { dWya: xent.dWya, dby: xent.dby });
      const fromExpect = ok(await rnn(['backward', '--cell', 'rnn', 'net.json', '--expect', 'head.json']));
      assert.match(fromExpect.stderr, /^rnn: loss xent \(inferred: your --expect files hold dWya, dby, which only the xent loss has\)\n/);
      assert.match(fromExpect.stdout, /loss xent/);
      assert.match(fromExpect.stdout, /^PASS \(2 of 7 arrays compared\)$/m);
      // both da and labels, no clue: the documented default, sum, and nothing on stderr
      const both = ok(await rnn(['backward', '--cell', 'rnn', 'net.json', '--json']));
      assert.equal(both.stderr, '');
      assert.deepEqual(JSON.parse(both.stdout), sum);
      writeJson('net_none.json', without(fixture, 'da', 'labels'));
      expectBadInput(await rnn(['backward', '--cell', 'rnn', 'net_none.json']), /net_none\.json: rnn backward needs a loss, and the fixture has neither da nor labels/);
      writeJson('net_da_only.json', without(fixture, 'labels'));
      expectBadInput(await rnn(['backward', '--cell', 'rnn', 'net_da_only.json', '--expect', 'head.json']), /net_da_only\.json: your --expect files hold dWya, dby, which only the xent loss has, and the xent loss needs labels/);
    });

    it('gradcheck --grads infers it; da and labels with no clue is exit 2 asking for --loss', async () => {
      writeJson('xent_body.json', without(xent, 'dWya', 'dby')); // no gradient only xent has
      const cases: [string, string, string, RegExp][] = [
        ['net_da.json', 'sum.json', 'sum', /^rnn: loss sum \(inferred: the fixture has da and no labels\)\n$/],
        ['net_labels.json', 'xent_body.json', 'xent', /^rnn: loss xent \(inferred: the fixture has labels and no da\)\nrnn: --grads: not compared: dWya, dby \(not in xent_body\.json\)\n$/],
        ['net.json', 'xent.json', 'xent', /^rnn: loss xent \(inferred: your --grads files hold dWya, dby, which only the xent loss has\)\n$/],
      ];
      for (const [net, grads, loss, said] of cases) {
        const r = ok(await rnn(['gradcheck', '--cell', 'rnn', net, '--grads', grads, '--json']));
        assert.match(r.stderr, said, `${net} ${grads}`);
        const json = JSON.parse(r.stdout);
        assert.deepEqual(json.checks.map((c: { loss: string }) => c.loss), [loss]);
        assert.equal(json.pass, true);
      }
      expectBadInput(await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--grads', 'sum.json']), /net\.json: the fixture has da and labels: say which loss your gradients are of with --loss sum or --loss xent/);
    });
  });

  describe('what a FAIL says', () => {
    it('gradcheck: how many entries are wrong, the worst, and the first in backpropagation order', async () => {
      // A BPTT bug at step t = 2 corrupts dx there and at every earlier step: dx[:, :, :3].
      const g = copy(sum) as Record<string, Nested3>;
      g.dx.forEach((row) => row.forEach((col) => { for (let t = 0; t <= 2; t++) col[t] += 1e-3; }));
      g.dx[1][2][0] += 1e-2; // the worst
      writeJson('dx_bad.json', g);
      const r = await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'dx_bad.json']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /│ dx\s+│ \(3, 4, 6\)\s+│ 72\s+│ [\d.e-]+\s+│ [\d.e-]+\s+│ \[1, 2, 0\]: numeric [-\d.e]+, yours [-\d.e]+\s+│ FAIL: 36 of 72 wrong, first at t=2\s+│/);
      assert.match(r.stdout, /^FAIL \(5 of 5 arrays compared\): dx \(sum\)$/m);
      assert.match(
        r.stderr,
        /^rnn: gradcheck FAILED: dx: 36 of 72 entries wrong, worst dx\[1, 2, 0\] \(numeric [-\d.e]+, yours [-\d.e]+\), first mismatch at t=2 \(dx\[0, 0, 2\]\), counting from t=5 down as backpropagation does, relative error [\d.e-]+\n$/,
      );
      // the refinement ran (the first pass failed) but changed nothing: no * and no footnote
      assert.doesNotMatch(r.stdout, /\*|refine/);
      const json = JSON.parse((await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'dx_bad.json', '--json'])).stdout);
      const dx = json.checks[0].arrays[0];
      assert.equal(dx.wrong, 36);
      assert.deepEqual(dx.firstMismatch, { t: 2, T: 6, index: '[0, 0, 2]' });
      assert.equal(dx.refinementChanged, false);
    });

    it('fast mode counts the wrong directions', async () => {
      const r = await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'dx_bad.json', '--mode', 'fast', '--only', 'dx']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^rnn: gradcheck FAILED: dx: \d of 6 directions wrong, worst dx along v\d/);
    });

    it('--expect: the first mismatch in forward order, with the entry', async () => {
      const a = copy(out.a);
      a[3][1][4] += 1e-4; // the first wrong step
      a[0][0][5] += 1e-4;
      writeJson('a_bad.json', { a, y: out.y });
      const r = await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'a_bad.json']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^rnn: --expect: a: 2 of 120 entries wrong, worst a\[\d, \d, \d\] .*, first mismatch at t=4 \(a\[3, 1, 4\]\)\n$/);
    });

    it('a transposed array: the batch-major layout, time-major, .T, a dropped axis of length 1', async () => {
      // yours (m, T_x, n_a) = ours.transpose(1, 2, 0)
      const [n_a, m] = [out.a.length, out.a[0].length];
      const batchMajor = Array.from({ length: m }, (_, j) => Array.from({ length: T_X }, (_, t) => Array.from({ length: n_a }, (_, i) => out.a[i][j][t])));
      writeJson('a_batch.json', { a: batchMajor, y: out.y });
      const r = await rnn(['forward', '--cell', 'rnn', 'net.json', '--expect', 'a_batch.json']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /│ a\s+│ \(5, 4, 6\) vs yours \(4, 6, 5\)\s+│ —\s+│ —\s+│ your a is \(m, T_x, n_a\) = ours transposed \(1, 2, 0\)\? — the batch-major layout/);
      assert.match(r.stderr, /^rnn: --expect: a: your shape \(4, 6, 5\), ours \(5, 4, 6\) — your a is \(m, T_x, n_a\) = ours transposed \(1, 2, 0\)\? — the batch-major layout \(PyTorch batch_first, Keras\); np\.transpose\(yours, \(2, 0, 1\)\) is ours\n$/);

      const g = copy(sum) as Record<string, Nested2 & Nested3>;
      const dx = g.dx as Nested3;
      g.dx = Array.from({ length: T_X }, (_, t) => Array.from({ length: m }, (_, j) => dx.map((row) => row[j][t]))) as Nested2 & Nested3;
      g.dWax = (g.dWax as Nested2)[0].map((_, c) => (g.dWax as Nested2).map((row) => row[c])) as Nested2 & Nested3;
      g.dba = (g.dba as Nested2).map((row) => row[0]) as unknown as Nested2 & Nested3;
      writeJson('g_shapes.json', g);
      const s = await rnn(['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'g_shapes.json']);
      assert.equal(s.code, 1, s.stderr);
      assert.match(s.stderr, /dx: your shape \(6, 4, 3\), ours \(3, 4, 6\) — your dx is \(T_x, m, n_x\) = ours transposed \(2, 1, 0\)\? — the time-major layout/);
      assert.match(s.stderr, /dWax: your shape \(3, 5\), ours \(5, 3\) — your dWax is \(n_x, n_a\) = ours\.T\?/);
      assert.match(s.stderr, /dba: your shape \(5,\), ours \(5, 1\) — your dba \(5,\) is ours \(5, 1\) without its axis of length 1\? reshape it to \(5, 1\)/);
    });

    it('the refinement footnote appears where it turned a FAIL into a PASS, with a * on those rows', async function () {
      this.timeout(20_000);
      // n_a = 32, T_x = 20, N(0, 1) weights: gradients explode through time (test/gradcheck.test.ts)
      ok(await rnn(['init', '--cell', 'rnn', '--n-x', '8', '--n-a', '32', '--n-y', '4', '--m', '4', '--t-x', '20', '--seed', '1', '--out', 'exploding.json']));
      const r = ok(await rnn(['gradcheck', '--cell', 'rnn', 'exploding.json', '--loss', 'sum', '--only', 'da0']));
      assert.match(r.stdout, /│ da0\s+│ \(32, 4\)\s+│ 128\*\s+│/);
      assert.match(r.stdout, /^\* PASS after refinement: the centred difference at eps had not converged/m);
    });
  });

  it('the real bin/rnn says what the in-process runs say, byte for byte (PASS, FAIL, exit 2, gradcheck)', async () => {
    // (the files come from the tests above; a timing in a table is the only thing that may differ)
    const untimed = (r: Run): Run => ({ ...r, stdout: r.stdout.replace(/\d+(\.\d+)? ?(ms|s)\b/g, 'T') });
    for (const args of [
      ['forward', '--cell', 'rnn', 'net.json', '--expect', 'a_only.json'],
      ['forward', '--cell', 'rnn', 'net.json', '--expect', 'a_bad.json'],
      ['forward', '--cell', 'rnn', 'net.json', '--expect', 'y_hat.json'],
      ['gradcheck', '--cell', 'rnn', 'net.json', '--loss', 'sum', '--grads', 'dx_bad.json'],
      ['backward', '--cell', 'rnn', 'net_da.json', '--json'],
    ]) {
      const real = binRnn(args);
      assert.ok(real.stdout.length + real.stderr.length > 0, args.join(' '));
      assert.deepEqual(untimed(await rnn(args)), untimed(real), args.join(' '));
    }
  });

  it('--help names the alias and --strict', async () => {
    for (const cmd of ['forward', 'backward']) {
      const h = ok(await rnn([cmd, '--help'])).stdout.replace(/\s+/g, ' ');
      assert.match(h, /the notebook's y_pred for y/, cmd);
      assert.match(h, /--strict/, cmd);
    }
    assert.match(ok(await rnn(['gradcheck', '--help'])).stdout, /--strict/);
  });
});
