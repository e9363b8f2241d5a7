/**
 * bin/rnn's loader (src/cli/launch.ts): the first good run of each kind writes a per-user V8 code
 * cache, later runs use it; a cache for another build, a damaged one, one V8 rejects or one
 * another user could have written is ignored (and replaced); nothing about the cache is ever
 * fatal, and it never changes what the CLI prints. No cache ships in dist/.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { crc32 } from 'zlib';
import { cacheDir, kindOf, MAX_CACHE_FILES, prune, WRAPPER } from '../src/cli/launch';
import { buildBundle, ROOT, RNN } from './cli-helpers';

const FIXTURE = path.join(ROOT, 'fixtures', 'cases', 'lstm_t7.npz');
const LAUNCH = path.join(ROOT, 'dist', 'launch.js');

interface Run {
  cache: string;
  file: string;
  stdout: string;
  stderr: string;
  code: number | null;
}

/** `rnn <args>` as bin/rnn runs it, in a fresh node; reports what the cache did and its file. */
function launch(args: string[], env: NodeJS.ProcessEnv, launchJs = LAUNCH): Run {
  const script = `const argv = ['node', 'rnn', ...${JSON.stringify(args)}];
    const l = require(${JSON.stringify(launchJs)}).loadCli(argv);
    process.stderr.write('cache: ' + l.cache + ' ' + l.cacheFile + '\\n');
    if (l.cache !== 'used') process.once('exit', (code) => code <= 1 && l.save());
    l.cli.main(argv);`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined, RNN_NO_CACHE: undefined, ...env } });
  const m = /^cache: (.*) (\S+)$/m.exec(r.stderr);
  assert.ok(m, `no cache report; stderr: ${r.stderr}`);
  return { cache: m[1], file: m[2], stdout: r.stdout, stderr: r.stderr.replace(m[0] + '\n', ''), code: r.status };
}

const made: string[] = [];
const tmp = (prefix: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
};

/** Header and V8 bytes of a cache file. */
function readCacheFile(file: string): { header: string; v8: Buffer } {
  const bytes = fs.readFileSync(file);
  const nl = bytes.indexOf(10);
  return { header: bytes.toString('latin1', 0, nl), v8: Buffer.from(bytes.subarray(nl + 1)) };
}

function writeCacheFile(file: string, header: string, v8: Buffer): void {
  fs.writeFileSync(file, Buffer.concat([Buffer.from(`${header}\n`, 'latin1'), v8]), { mode: 0o600 });
}

/** The header with its length and checksum fields made to fit `v8`. */
const resealed = (header: string, v8: Buffer): string =>
  `${header.split(' ').slice(0, -2).join(' ')} ${v8.length} ${crc32(v8).toString(16).padStart(8, '0')}`;

describe('bin/rnn start-up: dist/launch.js and the per-user code cache', function () {
  this.timeout(120_000);
  const args = ['forward', '--cell', 'lstm', FIXTURE];
  let dir: string;
  let first: Run;
  let second: Run;

  before(() => {
    buildBundle();
    dir = tmp('rnn-cache-');
    first = launch(args, { RNN_CACHE_DIR: dir });
    second = launch(args, { RNN_CACHE_DIR: dir });
  });

  after(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });

  it('ships no code cache: the build leaves none in dist/', () => {
    const all = fs.readdirSync(path.join(ROOT, 'dist'), { recursive: true }).map(String);
    assert.deepEqual(all.filter((f) => /cache/i.test(f)), []);
  });

  it('the first run writes a cache for its kind of run, the next one uses it, with the same output', () => {
    assert.equal(first.cache, 'absent');
    assert.equal(first.code, 0);
    assert.match(first.stdout, /rnn forward — cell lstm/);
    assert.equal(path.dirname(first.file), dir);
    assert.match(path.basename(first.file), new RegExp(`^cli-[0-9a-f-]{13}-${process.version}-${process.arch}-forward\\.cache$`));
    assert.equal(second.cache, 'used');
    assert.equal(second.file, first.file);
    assert.equal(second.code, 0);
    assert.equal(second.stdout, first.stdout);
    assert.equal(second.stderr, first.stderr);
    const { header, v8 } = readCacheFile(first.file);
    const [magic, version, id, node, arch, kind, length, sum] = header.split(' ');
    assert.deepEqual([magic, version, node, arch, kind], ['rnn-code-cache', '1', process.version, process.arch, 'forward']);
    assert.ok(fs.readFileSync(path.join(ROOT, 'dist', 'cli.js'), 'utf8').includes(`\n//# rnn-build ${id}\n`));
    assert.equal(Number(length), v8.length);
    assert.equal(sum, crc32(v8).toString(16).padStart(8, '0'));
    if (process.platform !== 'win32') assert.equal(fs.statSync(first.file).mode & 0o777, 0o600);
  });

  it('keeps one cache per kind of run: --json, --help and the bare command are kinds of their own', () => {
    assert.equal(kindOf(['node', 'rnn', 'forward', '--cell', 'lstm', 'f.npz']), 'forward');
    assert.equal(kindOf(['node', 'rnn', 'forward', '--json', '-c', 'gru', 'f.npz', '--out=y.npz']), 'forward+json+out');
    assert.equal(kindOf(['node', 'rnn', '--help']), 'rnn+help');
    assert.equal(kindOf(['node', 'rnn', 'gradcheck', '-h']), 'gradcheck+help');
    assert.equal(kindOf(['node', 'rnn', '../../etc/passwd']), 'rnn');
    const json = launch([...args, '--json'], { RNN_CACHE_DIR: dir });
    assert.equal(json.cache, 'absent');
    assert.notEqual(json.file, first.file);
    assert.equal(launch([...args, '--json'], { RNN_CACHE_DIR: dir }).cache, 'used');
  });

  /** A run on a copy of the first run's cache after `damage`; the cache file is rewritten by it. */
  function withDamagedCache(damage: (header: string, v8: Buffer) => { header: string; v8: Buffer }): Run {
    const d = tmp('rnn-cache-');
    const file = path.join(d, path.basename(first.file));
    const { header, v8 } = readCacheFile(first.file);
    const bad = damage(header, v8);
    writeCacheFile(file, bad.header, bad.v8);
    const r = launch(args, { RNN_CACHE_DIR: d });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, first.stdout);
    assert.equal(r.stderr, '');
    const fields = (f: string): string[] => readCacheFile(f).header.split(' ').slice(0, -2);
    assert.deepEqual(fields(file), fields(first.file), 'rewritten for this build, node and kind');
    assert.equal(launch(args, { RNN_CACHE_DIR: d }).cache, 'used', 'the run replaced the bad cache');
    return r;
  }

  it('ignores and replaces a cache made for another build of the same length', () => {
    // V8 alone (it checks the source's length only) would accept it.
    const r = withDamagedCache((header, v8) => {
      const f = header.split(' ');
      f[2] = (f[2][0] === '0' ? '1' : '0') + f[2].slice(1);
      return { header: f.join(' '), v8 };
    });
    assert.equal(r.cache, 'made for another build, damaged or not ours');
  });

  it('ignores and replaces a damaged cache (node would crash on it)', () => {
    const r = withDamagedCache((header, v8) => ({ header, v8: Buffer.from(v8).fill(0x5a, 64, 4096) }));
    assert.equal(r.cache, 'made for another build, damaged or not ours');
    const cut = withDamagedCache((header, v8) => ({ header, v8: v8.subarray(0, v8.length >> 1) }));
    assert.equal(cut.cache, 'made for another build, damaged or not ours');
  });

  it('ignores and replaces a cache that V8 rejects (made by another node or under other flags)', () => {
    // V8's own header: magic, version hash, source hash, flags hash (bytes 12–15), …
    const r = withDamagedCache((header, v8) => {
      const other = Buffer.from(v8);
      other.writeUInt32LE((other.readUInt32LE(12) ^ 1) >>> 0, 12);
      return { header: resealed(header, other), v8: other };
    });
    assert.equal(r.cache, 'rejected by V8');
  });

  it('does not load a cache that another user could have written', function () {
    const d = tmp('rnn-cache-');
    const file = path.join(d, path.basename(first.file));
    fs.copyFileSync(first.file, file);
    if (process.platform === 'win32') this.skip();
    fs.chmodSync(file, 0o620);
    assert.equal(launch(args, { RNN_CACHE_DIR: d }).cache, 'made for another build, damaged or not ours');
    if (process.getuid?.() === 0) {
      fs.copyFileSync(first.file, file);
      fs.chmodSync(file, 0o600);
      fs.chownSync(file, 4242, 4242);
      const r = launch(args, { RNN_CACHE_DIR: d });
      assert.equal(r.cache, 'made for another build, damaged or not ours');
      assert.equal(r.stdout, first.stdout);
    }
  });

  it('a run that failed writes no cache (it compiled only its way to the error)', () => {
    const d = tmp('rnn-cache-');
    const r = launch(['forward', '--cell', 'lstm', path.join(d, 'missing.npz')], { RNN_CACHE_DIR: d });
    assert.equal(r.code, 2);
    assert.deepEqual(fs.readdirSync(d), []);
  });

  it('a cache directory that cannot be made or written is no error', () => {
    const d = tmp('rnn-cache-');
    const blocker = path.join(d, 'a-file');
    fs.writeFileSync(blocker, '');
    for (const where of [path.join(blocker, 'rnn'), blocker]) {
      const r = launch(args, { RNN_CACHE_DIR: where });
      assert.equal(r.code, 0);
      assert.equal(r.stdout, first.stdout);
      assert.equal(r.stderr, '');
    }
    assert.deepEqual(fs.readdirSync(d), ['a-file']);
  });

  it('RNN_NO_CACHE=1 turns it off; the default place is XDG_CACHE_HOME or ~/.cache', () => {
    const d = tmp('rnn-cache-');
    const r = launch(args, { RNN_CACHE_DIR: d, RNN_NO_CACHE: '1' });
    assert.equal(r.cache, 'off');
    assert.equal(r.stdout, first.stdout);
    assert.deepEqual(fs.readdirSync(d), []);
    // Made-up absolute directories (nothing is created there): a home and a cache home.
    const home = path.join(d, 'home'), xdg = path.join(d, 'xdg-cache');
    if (process.platform !== 'win32') {
      assert.equal(cacheDir({ HOME: home }), path.join(home, '.cache', 'rnn'));
      assert.equal(cacheDir({ HOME: home, XDG_CACHE_HOME: xdg }), path.join(xdg, 'rnn'));
      assert.equal(cacheDir({ HOME: home, XDG_CACHE_HOME: 'relative' }), path.join(home, '.cache', 'rnn'));
      assert.equal(cacheDir({}), undefined);
    }
    assert.equal(cacheDir({ HOME: home, RNN_NO_CACHE: '1' }), undefined);
  });

  it('bin/rnn itself writes the cache after a good run and uses it next time', () => {
    const d = tmp('rnn-cache-');
    const env = { ...process.env, RNN_CACHE_DIR: d, RNN_NO_CACHE: undefined, NO_COLOR: undefined };
    const a = spawnSync(process.execPath, [RNN, ...args], { encoding: 'utf8', env });
    assert.equal(a.status, 0);
    const files = fs.readdirSync(d);
    assert.equal(files.length, 1);
    const written = fs.statSync(path.join(d, files[0])).mtimeMs;
    const b = spawnSync(process.execPath, [RNN, ...args], { encoding: 'utf8', env });
    assert.equal(b.stdout, a.stdout);
    assert.equal(fs.statSync(path.join(d, files[0])).mtimeMs, written, 'a used cache is not rewritten');
  });

  it(`keeps the newest ${MAX_CACHE_FILES} cache files and drops stale temporary files`, () => {
    const d = tmp('rnn-cache-');
    const old = Date.now() / 1000 - 7200;
    for (let k = 0; k < MAX_CACHE_FILES + 5; k++) {
      const f = path.join(d, `cli-x-${k}.cache`);
      fs.writeFileSync(f, '');
      fs.utimesSync(f, old + k, old + k);
    }
    fs.writeFileSync(path.join(d, 'cli-x-1.cache.1.abc.tmp'), '');
    fs.utimesSync(path.join(d, 'cli-x-1.cache.1.abc.tmp'), old, old);
    fs.writeFileSync(path.join(d, 'cli-x-2.cache.1.abc.tmp'), '');
    fs.writeFileSync(path.join(d, 'unrelated.txt'), '');
    prune(d);
    const left = fs.readdirSync(d).sort();
    const kept = Array.from({ length: MAX_CACHE_FILES }, (_, k) => `cli-x-${k + 5}.cache`);
    assert.deepEqual(left, [...kept, 'cli-x-2.cache.1.abc.tmp', 'unrelated.txt'].sort());
  });

  it('runs a bundle that is not wrapped yet (a dist/ built before bundles came wrapped)', () => {
    const copy = tmp('rnn-dist-');
    fs.cpSync(path.join(ROOT, 'dist'), copy, { recursive: true });
    const cli = fs.readFileSync(path.join(copy, 'cli.js'), 'latin1');
    assert.ok(cli.startsWith(WRAPPER[0]) && cli.endsWith(WRAPPER[1]), 'the build wraps dist/cli.js');
    fs.writeFileSync(path.join(copy, 'cli.js'), cli.slice(WRAPPER[0].length, -WRAPPER[1].length), 'latin1');
    const d = tmp('rnn-cache-');
    for (const use of ['absent', 'used']) {
      const r = launch(args, { RNN_CACHE_DIR: d }, path.join(copy, 'launch.js'));
      assert.equal(r.cache, use);
      assert.equal(r.stdout, first.stdout);
    }
  });

  it('bin/rnn says how to build when dist/ is missing', () => {
    const d = tmp('rnn-nodist-');
    fs.mkdirSync(path.join(d, 'bin'));
    fs.copyFileSync(RNN, path.join(d, 'bin', 'rnn'));
    const r = spawnSync(process.execPath, [path.join(d, 'bin', 'rnn'), '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^rnn: dist\/ is missing; run `npm install` \(or `npm run build`\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
