/**
 * src/io/crc32.ts: zlib's CRC-32 without Node's zlib module where Node allows it — the same
 * numbers either way, never a deprecation warning — and a start of `rnn forward` on an .npz
 * (or `rnn --help`) that loads none of Node's stream machinery (nor tty, nor perf_hooks).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { crc32 as zlibCrc32 } from 'zlib';
import { crc32, crc32Source } from '../src/io/crc32';
import { buildBundle, ROOT, RNN } from './cli-helpers';

const SRC = path.join(ROOT, 'src', 'io', 'crc32.ts');

/** crc32Source() and crc32 of a few bytes in a fresh node with these options; its stderr. */
function fresh(execArgv: string[], env: NodeJS.ProcessEnv = {}): { source: string; crc: number; stderr: string } {
  const script = `const c = require(${JSON.stringify(SRC)}); console.log(c.crc32Source(), c.crc32(Buffer.from('rnn')));`;
  const r = spawnSync(process.execPath, [...execArgv, '-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: undefined, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  const [source, crc] = r.stdout.trim().split(' ');
  return { source, crc: Number(crc), stderr: r.stderr };
}

describe('crc32 without the zlib module', function () {
  this.timeout(60_000);

  it('is zlib.crc32, for every length and content', () => {
    let seed = 99;
    for (const n of [0, 1, 3, 4, 7, 8, 63, 64, 65, 1000, 4096, 65537, 1 << 20]) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      assert.equal(crc32(data), zlibCrc32(data) >>> 0, `${n} bytes`);
      assert.equal(crc32(data.subarray(1)), zlibCrc32(data.subarray(1)) >>> 0, `${n} bytes, offset 1`);
    }
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  it('takes the binding when it is there and quiet, else the module; never warns', () => {
    const plain = fresh([]);
    assert.equal(plain.source, typeof (process as unknown as { binding?: unknown }).binding === 'function' ? 'binding' : 'module');
    assert.equal(plain.stderr, '');
    for (const r of [fresh(['--pending-deprecation']), fresh([], { NODE_OPTIONS: '--pending-deprecation' }), fresh(['--throw-deprecation'])]) {
      assert.equal(r.source, 'module');
      assert.equal(r.crc, plain.crc);
      assert.equal(r.stderr, '');
    }
    assert.equal(plain.crc, zlibCrc32(Buffer.from('rnn')) >>> 0);
  });

  it('rnn --help and rnn forward on an .npz load neither zlib, streams, tty nor perf_hooks, and warn of nothing', () => {
    buildBundle();
    const fixture = path.join(ROOT, 'fixtures', 'cases', 'lstm_t7.npz');
    for (const args of [['--help'], ['forward', '--cell', 'lstm', fixture]]) {
      for (const NODE_OPTIONS of [undefined, '--pending-deprecation']) {
        // Twice: the first run of a kind writes its code cache, the second reads and checks it.
        for (let k = 0; k < 2; k++) {
          const script = `process.on('exit', () => { const loaded = process.moduleLoadList.join(','); require('fs').writeSync(2, '\\nloaded: ' + loaded); });
            process.argv = ['node', ${JSON.stringify(RNN)}, ...${JSON.stringify(args)}];
            require(${JSON.stringify(path.join(ROOT, 'dist', 'launch.js'))}).start(process.argv);`;
          const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS } });
          assert.equal(r.status, 0, r.stderr);
          const [messages, loaded] = r.stderr.split('\nloaded: ');
          assert.equal(messages, '', `stderr of rnn ${args.join(' ')} (NODE_OPTIONS=${NODE_OPTIONS})`);
          const modules = loaded.split(',');
          if (NODE_OPTIONS === undefined) {
            for (const m of ['NativeModule zlib', 'NativeModule stream', 'NativeModule net', 'NativeModule tty', 'NativeModule perf_hooks']) {
              assert.ok(!modules.includes(m), `rnn ${args.join(' ')} loaded ${m}`);
            }
          }
        }
      }
    }
  });
});
