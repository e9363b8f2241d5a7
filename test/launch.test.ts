/**
 * bin/rnn's loader (src/launch.ts): the V8 code cache is used when it was made for this very
 * bundle and ignored otherwise, and it never changes what the CLI prints.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { crc32 } from 'zlib';
import { buildBundle, ROOT } from './cli-helpers';

const FIXTURE = path.join(ROOT, 'fixtures', 'cases', 'lstm_t7.npz');

/** Copies dist/ into a scratch directory so a test can damage it; returns the copy's launch.js. */
function copyDist(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-launch-'));
  fs.cpSync(path.join(ROOT, 'dist'), dir, { recursive: true });
  return path.join(dir, 'launch.js');
}

/** Runs `rnn <args>` through the given launch.js in a fresh node; reports what the cache did. */
function launch(launchJs: string, args: string[]): { cache: string; stdout: string; code: number | null } {
  const script = `const { cli, cache } = require(${JSON.stringify(launchJs)}).loadCli();
    process.stderr.write('cache: ' + cache + '\\n');
    cli.main(['node', 'rnn', ...${JSON.stringify(args)}]);`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined } });
  const m = /^cache: (.*)$/m.exec(r.stderr);
  assert.ok(m, `no cache report; stderr: ${r.stderr}`);
  return { cache: m[1], stdout: r.stdout, code: r.status };
}

describe('bin/rnn start-up: dist/launch.js and the code cache', function () {
  this.timeout(60_000);
  const args = ['forward', '--cell', 'lstm', FIXTURE];
  let fresh: ReturnType<typeof launch>;

  before(() => {
    buildBundle();
    fresh = launch(path.join(ROOT, 'dist', 'launch.js'), args);
  });

  it('uses the cache that the build made for this bundle', () => {
    assert.equal(fresh.cache, 'used');
    assert.equal(fresh.code, 0);
    assert.match(fresh.stdout, /rnn forward — cell lstm/);
  });

  /** Runs through a copy of dist/ whose cache file went through `damage`; returns what the cache did. */
  function withDamagedCache(damage: (header: string, v8: Buffer) => Buffer): ReturnType<typeof launch> {
    const copy = copyDist();
    const cacheFile = path.join(path.dirname(copy), 'cli.js.cache');
    const bytes = fs.readFileSync(cacheFile);
    const nl = bytes.indexOf(10);
    fs.writeFileSync(cacheFile, damage(bytes.toString('latin1', 0, nl), Buffer.from(bytes.subarray(nl + 1))));
    return launch(copy, args);
  }

  it('ignores a cache made for another build, with the same output', () => {
    // Same length, another build id: V8 alone (it checks the source's length only) would accept it.
    const r = withDamagedCache((header, v8) => {
      const [mark, id, sum] = header.split(' ');
      const other = (id[0] === '0' ? '1' : '0') + id.slice(1);
      return Buffer.concat([Buffer.from(`${mark} ${other} ${sum}\n`, 'latin1'), v8]);
    });
    assert.equal(r.cache, 'made for another build or damaged');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, fresh.stdout);
  });

  it('ignores a damaged cache (node would crash on it), with the same output', () => {
    const r = withDamagedCache((header, v8) => {
      v8.fill(0x5a, 64, 4096);
      return Buffer.concat([Buffer.from(`${header}\n`, 'latin1'), v8]);
    });
    assert.equal(r.cache, 'made for another build or damaged');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, fresh.stdout);
  });

  it('ignores a cache that V8 rejects (made by another node or other flags)', () => {
    // V8's own header: magic, version hash, source hash, flags hash (bytes 12–15), …; a cache
    // made by another node or under other flags differs there. Flip one bit of the flags hash.
    const r = withDamagedCache((header, v8) => {
      v8.writeUInt32LE((v8.readUInt32LE(12) ^ 1) >>> 0, 12);
      const [mark, id] = header.split(' ');
      const sum = crc32(v8).toString(16).padStart(8, '0');
      return Buffer.concat([Buffer.from(`${mark} ${id} ${sum}\n`, 'latin1'), v8]);
    });
    assert.equal(r.cache, 'rejected by V8');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, fresh.stdout);
  });

  it('runs without a cache', () => {
    const copy = copyDist();
    fs.rmSync(path.join(path.dirname(copy), 'cli.js.cache'));
    const r = launch(copy, args);
    assert.equal(r.cache, 'absent');
    assert.equal(r.stdout, fresh.stdout);
  });

  it('bin/rnn says how to build when dist/ is missing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-nodist-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.copyFileSync(path.join(ROOT, 'bin', 'rnn'), path.join(dir, 'bin', 'rnn'));
    const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'rnn'), '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^rnn: dist\/ is missing; run `npm install` \(or `npm run build`\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
