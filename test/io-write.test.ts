/**
 * writeArrays / writeFileAtomic: format by target, atomic replacement (also under
 * SIGKILL), directory targets, and clean errors.
 */
import { strict as assert } from 'assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import { buildSync } from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Interrupted } from '../src/errors';
import { loadFixture } from '../src/io/fixture';
import { parseNpy } from '../src/io/npy';
import { liveTemps } from '../src/io/temps';
import { outputFormat, writeArrays, writeArraysInterruptible, writeFileAtomic } from '../src/io/write';
import { directorySteps, keptText } from '../src/io/write-dir';
import type { Arrays, Tensor } from '../src/tensor';
import { initFixture } from '../src/cli/commands/init';
import { buildBundle, RNN } from './cli-helpers';
import { throwsInput, hex } from './helpers';

const ROOT = path.join(__dirname, '..');
const t = (shape: number[], values: number[]): Tensor => ({ shape, data: Float64Array.from(values) });


const ARRAYS: Arrays = {
  Wax: t([2, 3], [0.1, -0.2, 1e-300, 3, 4, -0]),
  by: t([2, 1], [1.5, -2.5]),
  s: t([], [42]),
};

describe('io/write: writeArrays', () => {
  let dir: string;
  const p = (...parts: string[]): string => path.join(dir, ...parts);
  const leftovers = (d = dir): string[] => fs.readdirSync(d).filter((f) => f.endsWith('.tmp'));
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-io-write-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  const sameAsInput = (arrays: Arrays, names = Object.keys(ARRAYS)): void => {
    assert.deepEqual(Object.keys(arrays), names);
    for (const k of names) {
      assert.deepEqual(arrays[k].shape, ARRAYS[k].shape);
      assert.equal(hex(arrays[k].data), hex(ARRAYS[k].data), k);
    }
  };

  it('chooses the format from the target', () => {
    assert.equal(outputFormat(p('a.json')), 'json');
    assert.equal(outputFormat(p('a.NPZ')), 'npz');
    assert.equal(outputFormat(p('a.npy')), 'npy');
    assert.equal(outputFormat(p('out')), 'dir');
    assert.equal(outputFormat(p('run.v2') + '/'), 'dir');
    fs.mkdirSync(p('exists.v3'));
    assert.equal(outputFormat(p('exists.v3')), 'dir');
    throwsInput(() => outputFormat(p('out.npzz')),
      /out\.npzz: unknown output extension '\.npzz'; write to a \.json, \.npy, \.npz or \.safetensors file, or a directory \(end the path with '\/'\)$/);
    assert.equal(outputFormat('-'), 'stdout');
    // The name and what exists there must agree.
    fs.mkdirSync(p('d.npy'));
    throwsInput(() => outputFormat(p('d.npy')), /d\.npy: is a directory, but the name asks for a \.npy file; to write one \.npy per array into this directory, end the path with '\/'$/);
    assert.equal(outputFormat(p('d.npy') + '/'), 'dir');
    fs.writeFileSync(p('f.json'), '{}');
    fs.writeFileSync(p('plain'), '');
    throwsInput(() => outputFormat(p('f.json') + '/'), /f\.json\/: is a file, but the trailing '\/' asks for a directory$/);
    throwsInput(() => outputFormat(p('plain')), /plain: is a file, but a path without extension is a directory target/);
    assert.equal(outputFormat(p('f.json')), 'json');
  });

  for (const target of ['f.json', 'f.npz', 'outdir', 'slash.d/']) {
    it(`${target}: writes, reads back bit-exactly, leaves no temp files`, () => {
      writeArrays(p(target), ARRAYS);
      sameAsInput(loadFixture([p(target)]).arrays);
      assert.deepEqual(leftovers(), []);
      // and again over the existing target
      writeArrays(p(target), ARRAYS);
      sameAsInput(loadFixture([p(target)]).arrays);
      assert.deepEqual(leftovers(), []);
    });
  }

  it('.npy takes exactly one array (read back under the file stem)', () => {
    writeArrays(p('W.npy'), { Wax: ARRAYS.Wax });
    const back = loadFixture([p('W.npy')]).arrays;
    assert.equal(hex(back.W.data), hex(ARRAYS.Wax.data));
    throwsInput(() => writeArrays(p('two.npy'), ARRAYS), /two\.npy: a \.npy file holds exactly one array, got 3 \(Wax, by, s\); write a \.npz or a directory instead$/);
    assert.ok(!fs.existsSync(p('two.npy')));
  });

  it('a failure while encoding leaves the old file untouched and no temp file', () => {
    writeArrays(p('keep.json'), ARRAYS);
    const before = fs.readFileSync(p('keep.json'));
    throwsInput(() => writeArrays(p('keep.json'), { bad: t([1], [NaN]) }),
      /keep\.json: cannot write 'bad' as JSON: element \[0\] is nan and JSON has no NaN or Infinity \(write \.npy or \.npz instead\)$/);
    assert.deepEqual(fs.readFileSync(p('keep.json')), before);
    assert.deepEqual(leftovers(), []);
  });

  it('a failure while writing (missing directory, target is a directory) is a clean error', () => {
    throwsInput(() => writeArrays(p('no', 'such', 'x.npz'), ARRAYS), /x\.npz: cannot write: directory .*such does not exist$/);
    fs.mkdirSync(p('d.npz'));
    throwsInput(() => writeFileAtomic(p('d.npz'), new Uint8Array(1)), /d\.npz: is a directory; cannot replace it with a file$/);
    throwsInput(() => writeArrays(p('no', 'dir') + '/', ARRAYS), /dir\/: cannot write: directory .*no does not exist$/);
    assert.deepEqual(leftovers(), []);
  });

  it('keeps the permission bits of a file it replaces', () => {
    fs.writeFileSync(p('m.json'), '{}');
    fs.chmodSync(p('m.json'), 0o640);
    writeArrays(p('m.json'), ARRAYS);
    assert.equal(fs.statSync(p('m.json')).mode & 0o777, 0o640);
  });

  it('a directory target: created whole, or refreshed file by file, never mixing in stale arrays', () => {
    writeArrays(p('out'), ARRAYS);
    assert.deepEqual(fs.readdirSync(p('out')).sort(), ['Wax.npy', 'by.npy', 's.npy']);
    assert.equal(hex(parseNpy(fs.readFileSync(p('out', 'by.npy')), 'by.npy').tensor.data), hex(ARRAYS.by.data));
    // the same names again: replaced in place
    writeArrays(p('out'), { ...ARRAYS, by: t([1], [9]) });
    assert.deepEqual([...loadFixture([p('out')]).arrays.by.data], [9]);
    // fewer names: by.npy and s.npy would stay behind and be loaded with the new Wax
    throwsInput(() => writeArrays(p('out'), { Wax: ARRAYS.Wax }),
      /out: directory already holds by\.npy, s\.npy, which this write would not replace; loading the directory would then mix old and new arrays — remove them or write to a new directory$/);
    // other kinds of files do not matter
    fs.writeFileSync(p('out', 'notes.txt'), 'hi');
    writeArrays(p('out'), { ...ARRAYS });
    assert.deepEqual(leftovers(p('out')), []);
  });

  it('a directory target: a file that appears in the old set during the write is kept with it, and reported', () => {
    writeArrays(p('out'), ARRAYS);
    fs.writeFileSync(p('out', 'notes.txt'), 'mine');
    const steps = directorySteps(p('out'), { ...ARRAYS, by: t([1], [7]) });
    assert.equal(steps.next().done, false); // the new set is complete beside it, not yet swapped in
    assert.equal(leftovers().length, 1);
    fs.writeFileSync(p('out', 'late.txt'), 'also mine');
    const r = steps.next();
    assert.ok(r.done);
    assert.deepEqual(fs.readdirSync(p('out')).sort(), ['Wax.npy', 'by.npy', 'notes.txt', 's.npy']);
    assert.deepEqual([...loadFixture([p('out')]).arrays.by.data], [7]);
    const kept = r.value.kept!;
    assert.match(kept.path, /\/\.out\.\d+\.[0-9a-f]{12}\.old$/);
    assert.deepEqual(fs.readdirSync(kept.path), ['late.txt']);
    assert.equal(keptText('out', r.value), `warning: out: its previous contents are kept at ${kept.path}: late.txt appeared there during the write`);
  });

  it('a directory target that is the current directory, or holds it, is refused', () => {
    fs.mkdirSync(p('here', 'deeper'), { recursive: true });
    const cwd = process.cwd();
    try {
      process.chdir(p('here', 'deeper'));
      throwsInput(() => writeArrays('.', ARRAYS), /^\.: is the current directory; rnn replaces a directory target whole/);
      throwsInput(() => writeArrays('..', ARRAYS), /^\.\.: is the current directory or one of its parents/);
    } finally {
      process.chdir(cwd);
    }
    assert.deepEqual(fs.readdirSync(p('here')), ['deeper']);
  });

  it('an aborted write stops at its next step: temp removed, target as it was', async () => {
    writeArrays(p('keep.npz'), ARRAYS);
    const before = fs.readFileSync(p('keep.npz'));
    for (const target of ['keep.npz', 'newdir']) {
      const ac = new AbortController();
      const writing = writeArraysInterruptible(p(target), { big: { shape: [1 << 20], data: new Float64Array(1 << 20) }, ...ARRAYS }, ac.signal);
      ac.abort('SIGTERM');
      await assert.rejects(writing, (e: Error) => e instanceof Interrupted && e.signal === 'SIGTERM' && /not written, left as it was$/.test(e.message));
      assert.deepEqual(leftovers(), []);
      assert.deepEqual(liveTemps(), []);
    }
    assert.deepEqual(fs.readFileSync(p('keep.npz')), before);
    assert.ok(!fs.existsSync(p('newdir')));
  });

  it('a directory target refuses names that are not file names', () => {
    throwsInput(() => writeArrays(p('o1'), { 'a/b': ARRAYS.s }), /o1: array name 'a\/b' cannot be a file name: it contains a path separator; write a \.npz or \.json instead$/);
    throwsInput(() => writeArrays(p('o2'), { '': ARRAYS.s }), /o2: array name '' cannot be a file name: it is empty/);
    throwsInput(() => writeArrays(p('o3'), { W: ARRAYS.s, w: ARRAYS.s }), /o3: arrays 'W' and 'w' would be the same file on a case-insensitive file system/);
    assert.ok(!fs.existsSync(p('o1')) && !fs.existsSync(p('o2')) && !fs.existsSync(p('o3')));
    // the same names are fine in an .npz
    writeArrays(p('ok.npz'), { 'a/b': ARRAYS.s, W: ARRAYS.s, w: ARRAYS.by });
    assert.deepEqual(Object.keys(loadFixture([p('ok.npz')]).arrays), ['a/b', 'W', 'w']);
  });

  it('a kill during a write leaves the old file or the new one, never part of one', async function () {
    this.timeout(30000);
    const target = p('big.npy');
    // The writer runs as plain node (an esbuild bundle) so each round starts fast.
    const bundle = p('writer.js');
    buildSync({
      stdin: {
        contents: `import { writeFileAtomic } from './src/io/write'; import { encodeNpy } from './src/io/npy'; export { writeFileAtomic, encodeNpy };`,
        resolveDir: ROOT, loader: 'ts',
      },
      bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent',
    });
    // Two versions of a 4 MiB array, told apart by their values.
    const n = 1 << 19;
    const child = `
      const { writeFileAtomic, encodeNpy } = require(${JSON.stringify(bundle)});
      const v = [1, 2].map((x) => encodeNpy({ shape: [${n}], data: new Float64Array(${n}).fill(x) }));
      writeFileAtomic(${JSON.stringify(target)}, v[0]);
      process.stdout.write('ready\\n');
      for (let i = 1; ; i++) writeFileAtomic(${JSON.stringify(target)}, v[i % 2]);`;
    let interrupted = 0;
    for (let round = 0; round < 8; round++) {
      const proc = spawn(process.execPath, ['-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 5 + 13 * round));
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
      const arr = parseNpy(fs.readFileSync(target), 'big.npy').tensor.data; // throws if torn
      assert.equal(arr.length, n);
      const first = arr[0];
      assert.ok(first === 1 || first === 2);
      assert.ok(arr.every((x) => x === first), 'a mix of old and new data');
      // A kill in the middle of a write leaves its temp file behind — never a torn target.
      for (const f of leftovers()) { interrupted++; fs.unlinkSync(p(f)); }
    }
    assert.ok(interrupted > 0, 'no kill landed in the middle of a write; the test proved nothing');
  });
});

describe('bin/rnn interrupted while writing', function () {
  this.timeout(180_000);
  let dir: string;
  const p = (...parts: string[]): string => path.join(dir, ...parts);
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  before(() => {
    buildBundle();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-io-kill-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Temps and old sets beside `name` in dir. */
  const beside = (name: string, kind: 'tmp' | 'old'): string[] => fs.readdirSync(dir).filter((f) => f.startsWith(`.${name}.`) && f.endsWith(`.${kind}`));
  const start = (args: string[]): ChildProcessWithoutNullStreams => spawn(process.execPath, [RNN, ...args], { cwd: dir, env: { ...process.env, RNN_DEBUG: undefined } });
  const exited = (c: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: string | null; stderr: string }> => {
    let stderr = '';
    c.stderr.on('data', (d) => { stderr += d; });
    return new Promise((resolve) => c.once('close', (code, signal) => resolve({ code, signal, stderr })));
  };
  /** Resolves true once a temp of `name` exists, false if the process ended first. */
  const tempAppears = async (name: string, c: ChildProcessWithoutNullStreams): Promise<boolean> => {
    while (c.exitCode === null && c.signalCode === null) {
      if (beside(name, 'tmp').length) return true;
      await new Promise((r) => setImmediate(r));
    }
    return false;
  };
  // ~8.5 MB of arrays: x and da (64, 64, 128) — long enough a write to be caught in the middle.
  const DIMS = { n_x: 64, n_a: 64, n_y: 2, m: 64, T_x: 128 };
  const init = (seed: number, out: string): string[] =>
    ['init', '--cell', 'rnn', '--n-x', '64', '--n-a', '64', '--n-y', '2', '--m', '64', '--t-x', '128', '--seed', String(seed), '--out', out];

  for (const [sig, code, target] of [['SIGINT', 130, 'old.npz'], ['SIGTERM', 143, 'olddir']] as const) {
    it(`${sig} in the middle of --out ${target}: exit ${code}, the temp removed, ${target} as it was`, async () => {
      writeArrays(p(target), initFixture({ cell: 'rnn', dims: { ...DIMS, T_x: 2 }, seed: 9, scale: 1 }));
      const snapshot = (): string => (fs.statSync(p(target)).isDirectory()
        ? fs.readdirSync(p(target)).sort().map((f) => f + fs.readFileSync(p(target, f)).toString('hex')).join()
        : fs.readFileSync(p(target)).toString('hex'));
      const before = snapshot();
      const child = start(init(1, target));
      const done = exited(child);
      assert.ok(await tempAppears(target, child), 'the write ended before its temp was seen');
      child.kill(sig);
      const r = await done;
      assert.equal(r.code, code, r.stderr);
      assert.equal(r.stderr, `rnn: interrupted by ${sig}: ${target} not written, left as it was\n`);
      assert.deepEqual([...beside(target, 'tmp'), ...beside(target, 'old')], []);
      assert.equal(snapshot(), before);
    });
  }

  it('SIGKILL at any point: a directory target holds the old set or the new one, whole, and the user\'s own file', async () => {
    const sets = [1, 2].map((seed) => initFixture({ cell: 'rnn', dims: DIMS, seed, scale: 1 }));
    const fingerprint = (a: Arrays): string => Object.keys(a).sort().map((k) => `${k}${a[k].shape}:${hex(a[k].data)}`).join();
    const prints = sets.map(fingerprint);
    const D = p('kd');
    writeArrays(D, sets[0]);
    fs.writeFileSync(path.join(D, 'notes.txt'), 'mine');
    const notes = fs.statSync(path.join(D, 'notes.txt')).ino;
    let mid = 0, swapWindow = 0, rounds = 0;
    // Half the kills at a random moment of the process's life, half just after its new set began.
    for (; rounds < 4 || (mid === 0 && rounds < 12); rounds++) {
      const child = start(init(1 + (rounds % 2), 'kd'));
      const done = exited(child);
      if (rounds % 2 === 0) await sleep(Math.random() * 800);
      else if (await tempAppears('kd', child)) await sleep(Math.random() * 30);
      child.kill('SIGKILL');
      const r = await done;
      assert.ok(r.code === 0 || r.signal === 'SIGKILL', `exit ${r.code}: ${r.stderr}`);
      const tmp = beside('kd', 'tmp'), old = beside('kd', 'old');
      if (tmp.length || old.length) mid++;
      if (!fs.existsSync(D)) {
        // Killed between the swap's two renames: the old set is whole in .old (README: rename it back).
        assert.equal(old.length, 1);
        fs.renameSync(p(old[0]), D);
        swapWindow++;
      }
      assert.ok(prints.includes(fingerprint(loadFixture([D]).arrays)), `round ${rounds}: not one whole set`);
      assert.deepEqual(fs.readdirSync(D).filter((f) => !f.endsWith('.npy')), ['notes.txt']);
      assert.equal(fs.statSync(path.join(D, 'notes.txt')).ino, notes);
      for (const f of [...beside('kd', 'tmp'), ...beside('kd', 'old')]) fs.rmSync(p(f), { recursive: true });
    }
    assert.ok(mid > 0, `no kill of ${rounds} landed while a set was written: the test proved nothing`);
    if (process.env.RNN_TEST_VERBOSE) console.log(`      ${rounds} kills, ${mid} in the middle of a write, ${swapWindow} between the swap's renames`);
  });
});
