/**
 * Names from files and the command line cannot forge a message or drive the terminal: bin/rnn
 * prints every array name, zip member, JSON key, file and directory entry, and option value it
 * echoes through src/escape.ts. Each run below feeds hostile names to one command (the
 * fixtures: fixtures/hostile/generate_hostile.py; file names with newlines are made here) and
 * every run is held to the same rules: no unprintable character but the newline in anything
 * written, every stderr line a message of its own (`rnn: `), and the name shown escaped.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeNpy } from '../src/io/npy';
import { buildBundle, ROOT, RNN, expectBadInput, type Run } from './cli-helpers';

const HOSTILE = path.join(ROOT, 'fixtures', 'hostile');
const KEYS = path.join(HOSTILE, 'hostile-keys.json');
/** How the warnings and tables show the names of hostile-keys.json (the generator's HOSTILE_KEYS). */
const SHOWN_KEYS = ["'x\\x1b[31mred'", "'extra\\nrnn: fake second message'", "'\\x9b2Jclear'", "'\\u202eevil'", "'line\\u2028sep'", "'tab\\there'", "'del\\x7f'", "it's\\"];

/** Unprintable characters (the newline aside): controls, format characters such as U+202E, separators such as U+2028. */
const UNPRINTABLE = /[^\P{C}\n]|[^\P{Z} ]/u;

let work: string;

function rnn(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [RNN, ...args], {
    cwd: work, input: opts.input, encoding: 'utf8',
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, RNN_DEBUG: undefined, ...opts.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The rules every run keeps, whatever names it was fed. */
function clean(r: Run): Run {
  assert.doesNotMatch(r.stdout.replace(/\x1b\[[0-9;]*m/g, ''), UNPRINTABLE, `stdout: ${JSON.stringify(r.stdout)}`);
  assert.doesNotMatch(r.stderr, UNPRINTABLE, `stderr: ${JSON.stringify(r.stderr)}`);
  for (const line of r.stderr.split('\n').slice(0, -1)) assert.match(line, /^rnn: /, `stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /^rnn: fake/m, 'a forged message line');
  return r;
}

describe('hostile names through bin/rnn', function () {
  this.timeout(120_000);
  before(() => {
    buildBundle();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-names-'));
    fs.copyFileSync(KEYS, path.join(work, 'bad\nrnn: fake.json'));
    fs.mkdirSync(path.join(work, 'dir'));
    fs.writeFileSync(path.join(work, 'dir', 'Wax\x1b[2J.npy'), encodeNpy({ shape: [5, 3], data: new Float64Array(15) }));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('a zip member named "extra\\nrnn: fake second message.npy" is one escaped warning, not a forged line', () => {
    const r = clean(rnn(['forward', '--cell', 'rnn', path.join(HOSTILE, 'forged-member.npz')]));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "rnn: warning: not used by this cell: 'extra\\nrnn: fake second message'\n");
  });

  it('JSON keys with colours, C1 controls, bidi overrides and separators are shown escaped in warnings and tables', () => {
    const warned = clean(rnn(['forward', '--cell', 'rnn', KEYS]));
    assert.equal(warned.code, 0, warned.stderr);
    assert.equal(warned.stderr, `rnn: warning: not used by this cell: ${SHOWN_KEYS.join(', ')}\n`);
    const table = clean(rnn(['inspect', KEYS]));
    assert.equal(table.code, 0, table.stderr);
    for (const name of SHOWN_KEYS) assert.match(table.stdout, new RegExp(`^│ ${name.replace(/[\\[\]()]/g, '\\$&')} +│ \\(1,\\) `, 'm'), name);
    // colour forced: escape sequences are our colours only, the key's is text
    const coloured = clean(rnn(['inspect', KEYS, '--color']));
    assert.match(coloured.stdout, /\x1b\[/);
    assert.ok(coloured.stdout.includes("'x\\x1b[31mred'"));
    assert.doesNotMatch(coloured.stdout, /\x1b\[31mred/);
  });

  it('--json output stays JSON that reads back to the very names, with nothing unprintable raw', () => {
    const r = clean(rnn(['inspect', KEYS, '--json']));
    assert.equal(r.code, 0, r.stderr);
    const names = (JSON.parse(r.stdout) as { arrays: { name: string }[] }).arrays.map((a) => a.name);
    const keys = Object.keys(JSON.parse(fs.readFileSync(KEYS, 'utf8')) as object);
    assert.deepEqual(names, keys);
  });

  it('a file name with a newline keeps the error on one line, and so do bad members and names in --expect and --grads', () => {
    expectBadInput(clean(rnn(['forward', '--cell', 'lstm', 'bad\nrnn: fake.json'])), /^rnn: 'bad\\nrnn: fake\.json': missing Wf, .* \(found: x, .*'x\\x1b\[31mred'/);
    expectBadInput(clean(rnn(['inspect', 'nothing\x1b[2J\nhere.json'])), /^rnn: 'nothing\\x1b\[2J\\nhere\.json': no such file$/);
    expectBadInput(clean(rnn(['inspect', path.join(HOSTILE, 'broken-member.npz')])), /: member 'bad\\nrnn: fake message\.npy': not an NPY file/);
    expectBadInput(clean(rnn(['inspect', KEYS, 'bad\nrnn: fake.json'])), /^rnn: 'bad\\nrnn: fake\.json': array 'x' is already defined by .*hostile-keys\.json$/);
    expectBadInput(clean(rnn(['forward', '--cell', 'rnn', KEYS, '--expect', 'bad\nrnn: fake.json'])), /^rnn: 'bad\\nrnn: fake\.json': --expect: 'x\\x1b\[31mred', 'extra\\nrnn: fake second message', .*: no such output/);
    expectBadInput(clean(rnn(['gradcheck', '--cell', 'rnn', KEYS, '--loss', 'sum', '--grads', 'bad\nrnn: fake.json'])), /^rnn: 'bad\\nrnn: fake\.json': --grads: 'x\\x1b\[31mred'/);
  });

  it('a directory entry is shown escaped as the array it names', () => {
    const r = clean(rnn(['inspect', 'dir']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^│ 'Wax\\x1b\[2J' +│ \(5, 3\) +│ 'dir\/Wax\\x1b\[2J\.npy' /m);
  });

  it('option values echoed back are escaped: --show, --only, --out, a bad --cell, an unknown option', () => {
    expectBadInput(clean(rnn(['backward', '--cell', 'rnn', KEYS, '--show', 'dWaa\nrnn: fake'])), /^rnn: --show 'dWaa\\nrnn: fake': no such gradient/);
    expectBadInput(clean(rnn(['gradcheck', '--cell', 'rnn', '--only', 'dWaa\x1b[31m'])), /^rnn: --only 'dWaa\\x1b\[31m': not a gradient/);
    expectBadInput(clean(rnn(['forward', '--cell', 'rnn\nrnn: fake', KEYS])), /argument 'rnn\\nrnn: fake' is invalid/);
    expectBadInput(clean(rnn(['forward', '--cell', 'rnn', KEYS, '--bogus\x1b[2J'])), /unknown option '--bogus\\x1b\[2J'/);
    const out = clean(rnn(['forward', '--cell', 'rnn', path.join(HOSTILE, 'forged-member.npz'), '--out', 'o\nrnn: fake.json']));
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^rnn forward: cell rnn, .*; wrote a \(3, 2, 2\), y \(2, 2, 2\) to 'o\\nrnn: fake\.json'\n$/);
    const init = clean(rnn(['init', '--cell', 'rnn', '--n-x', '1', '--n-a', '1', '--n-y', '1', '--m', '1', '--t-x', '1', '--seed', '1', '--out', 'i\x1b[2J.npz']));
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /^rnn: wrote x, .* to 'i\\x1b\[2J\.npz'\n$/);
    assert.ok(fs.existsSync(path.join(work, 'i\x1b[2J.npz')), 'the file itself has its real name');
  });
});
