/**
 * Numbers as the commands print them: one notation per table column and per printed array,
 * no `0.` or `1.e-09`, option values as the README writes them. Runs the CLI in-process.
 */
import { strict as assert } from 'assert';
import * as path from 'path';
import { run, type IO } from '../src/cli/main';
import { loadFixture } from '../src/io';
import { checkFinite, checkInputs } from '../src/validate';
import { comparisonTable, formatArray, stateSummary, stepTable, type Style } from '../src/cli/render/text';

const CASES = path.join(__dirname, '..', 'fixtures', 'cases');
const plain: Style = { color: false, precision: 8 };

async function rnn(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const io: IO = { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stdoutIsTTY: false, env: {} };
  const code = await run(['node', 'rnn', ...args], io);
  return { code, stdout, stderr };
}

/** The body cells of a cli-table3 table (rows between the header and the bottom rule), trimmed. */
function cells(table: string): string[][] {
  return table.split('\n').filter((l) => l.startsWith('│')).slice(1).map((l) => l.split('│').slice(1, -1).map((c) => c.trim()));
}

const SCIENTIFIC = /^-?\d(\.\d+)?e[+-]\d\d+$/;
const POSITIONAL = /^-?\d+(\.\d+)?$/;

/** Every cell of the column is a number and all take the same notation. */
function assertOneNotation(column: string[], what: string): void {
  const numbers = column.filter((c) => c !== '—' && c !== '…');
  assert.ok(numbers.length > 0, what);
  const sci = numbers.filter((c) => SCIENTIFIC.test(c)).length, pos = numbers.filter((c) => POSITIONAL.test(c)).length;
  assert.ok((sci === numbers.length || pos === numbers.length), `${what}: mixed notation ${numbers.join(' ')}`);
}

/** numpy with trim='-' never leaves a point without digits after it (`0.`, `137.`, `1.e-09`). */
function assertNoBarePoint(text: string): void {
  assert.doesNotMatch(text, /\d\.(?!\d)/, text);
}

describe('numbers in tables and messages', () => {
  it('ŷ⟨t⟩: the shown entries are one array, one notation', () => {
    // one tiny probability makes numpy print the whole array in scientific notation
    const y = { shape: [2, 3, 1], data: Float64Array.from([0.5, 0.99999, 1e-5, 0.5, 1e-5, 0.99999]) };
    const body = cells(stepTable(plain, y, 0, 'k')).map((r) => r.slice(1)).flat();
    assert.deepEqual(body, ['5e-01', '9.9999e-01', '1e-05', '5e-01', '1e-05', '9.9999e-01']);
    const y2 = { shape: [2, 2, 1], data: Float64Array.from([0.5, 0.25, 0.5, 0.75]) };
    assert.deepEqual(cells(stepTable(plain, y2, 0, 'k')).map((r) => r.slice(1)).flat(), ['0.5', '0.25', '0.5', '0.75']);
  });

  it('state summary: each column takes its own notation', () => {
    // a's mean is ~0 at t=0 and 0.5 at t=1: that column is scientific, the others positional
    const a = { shape: [2, 1, 2], data: Float64Array.from([-0.5, 0.5, 0.5 + 1e-7, 0.5]) };
    const rows = cells(stateSummary(plain, { a }, ['a']));
    const column = (k: number): string[] => rows.map((r) => r[k]);
    assert.deepEqual(column(1), ['-0.5', '0.5']);
    assert.deepEqual(column(3), ['5e-08', '5e-01']);
    for (const k of [1, 2, 3, 4]) assertOneNotation(column(k), `column ${k}`);
  });

  it('a printed array: one notation, points aligned like numpy\'s', () => {
    const t = { shape: [2, 3], data: Float64Array.from([0.5, 137, -2.25, 1, 0, 3]) };
    assert.equal(formatArray(t, 8), '[[  0.5  137     -2.25]\n [  1      0      3   ]]');
    const s = { shape: [3], data: Float64Array.from([0.499, 4.99e-5, NaN]) };
    assert.equal(formatArray(s, 3), '[4.99e-01 4.99e-05      nan]');
    assert.equal(formatArray({ shape: [], data: Float64Array.from([1e-9]) }, 8), '1e-09');
  });

  it('--expect table: tolerances as typed, each error column and each worst pair in one notation', () => {
    const comps = [
      { name: 'a', yours: 'a', ok: true, shape: [2, 2], yourShape: [2, 2], checked: 4, bad: 0, maxAbs: 1e-12, maxRel: 2e-12, worst: { index: '[0, 1]', ours: 0.5, yours: 0.5000000000005 } },
      { name: 'y', yours: 'y', ok: false, shape: [2, 2], yourShape: [2, 2], checked: 4, bad: 1, maxAbs: 0.25, maxRel: 0.499, worst: { index: '[1, 1]', ours: 1e-5, yours: 0.25 } },
    ];
    const text = comparisonTable(plain, comps, 1e-6, 1e-9);
    assert.match(text, /rtol 1e-6, atol 1e-9/);
    const rows = cells(text);
    assert.deepEqual(rows.map((r) => r[2]), ['1e-12', '2.5e-01']);
    assert.deepEqual(rows.map((r) => r[3]), ['2e-12', '4.99e-01']);
    assert.equal(rows[0][4], 'a[0, 1]: ours 0.5, yours 0.5');
    assert.equal(rows[1][4], 'y[1, 1]: ours 1e-05, yours 2.5e-01');
  });

  it('every command\'s tables: one notation per column, no bare points', async () => {
    const fixture = path.join(CASES, 'lstm_course.npz');
    for (const args of [['forward', '--cell', 'lstm', fixture], ['backward', '--cell', 'lstm', fixture, '--loss', 'xent', '--show', 'dWy', 'dx'], ['inspect', fixture]]) {
      const r = await rnn(...args);
      assert.equal(r.code, 0, r.stderr);
      assertNoBarePoint(r.stdout);
    }
    const g = await rnn('gradcheck', '--cell', 'gru', path.join(CASES, 'gru_course.npz'), '--only', 'dWr', 'dbr', 'dx');
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /eps 1e-6, tol 1e-6/);
    assert.match(g.stdout, /loss evaluations in \d+(\.\d+)? s/);
    assertNoBarePoint(g.stdout.replace(/cannot check these entries more tightly.*\n/, ''));
    const tables = g.stdout.split(/\n(?=┌)/).slice(1).map(cells);
    assert.equal(tables.length, 2);
    for (const rows of tables) {
      assertOneNotation(rows.map((r) => r[3]), 'rel. error');
      assertOneNotation(rows.map((r) => r[4]), 'max abs err');
      for (const r of rows) {
        const [, numeric, analytic] = /numeric (\S+), analytic (\S+)/.exec(r[5])!;
        assertOneNotation([numeric, analytic], `worst ${r[0]}`);
      }
    }
  });

  it('help: defaults as the README writes them, one default for --threads', async () => {
    const forward = (await rnn('forward', '--help')).stdout;
    assert.match(forward, /--rtol <x>\s+relative tolerance for --expect \(default: 1e-6\)/);
    assert.match(forward, /--atol <x>\s+absolute tolerance for --expect \(default: 1e-9\)/);
    const gradcheck = (await rnn('gradcheck', '--help')).stdout.replace(/\s+/g, ' ');
    assert.match(gradcheck, /--eps <x> finite-difference step: .* halves it down to x\/1000 \(default: 1e-6\)/);
    assert.match(gradcheck, /that passes \(default: 1e-6\)/);
    assert.match(gradcheck, /Defaults: eps 1e-6, tol 1e-6/);
    const threads = /--threads <n>(.*?)--grads/.exec(gradcheck)![1];
    assert.equal(threads.match(/default/g)?.length, 1, threads);
    assert.match(threads, /\(default: the machine's cores, \d+ here\)/);
    assert.doesNotMatch(forward + gradcheck, /0\.00000/);
  });

  it('messages: values from the input as numpy writes them', () => {
    const x = { shape: [2], data: Float64Array.from([1, -Infinity]) };
    assert.throws(() => checkFinite('x', x), /^InputError: x\[1\] is -inf: inputs must be finite$/);
    assert.throws(() => checkFinite('x', { shape: [1], data: Float64Array.from([NaN]) }), /x\[0\] is nan:/);
    const inputs = { ...loadFixture([path.join(CASES, 'rnn_course.npz')]).arrays };
    for (const [bad, text] of [[1.5, '1.5'], [1e21, '1e+21'], [-1e-7, '-1e-07']] as const) {
      const labels = { shape: inputs.labels.shape, data: Float64Array.from(inputs.labels.data) };
      labels.data[3] = bad;
      assert.throws(() => checkInputs('rnn', { ...inputs, labels }, { labels: true }), new RegExp(`labels\\[0, 3\\] = ${text.replace('+', '\\+')} is not a class id`));
    }
  });
});
