/**
 * The engine's tests again in its other two modes, RNN_KERNEL_THREADS=1 (one thread: no
 * helper, no group worker, no arena) and RNN_NO_SIMD=1 (the TypeScript kernels), each in a
 * mocha process of its own (the modes are read at load time). `npm test` runs the whole
 * suite in the default mode only; bugs that showed in one of these modes alone have passed it
 * before (an x read before the groups had converted it; arena tests that did not skip).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
/** The files that exercise the engine, its kernels and its buffers (~6–9 s in each mode). */
const ENGINE_TESTS = ['backends', 'groups', 'pool', 'wasm', 'formulas', 'engine-gradient', 'fixtures', 'cells-contract'].map((f) => `test/${f}.test.ts`);

describe('the engine in its other modes', function () {
  this.timeout(120_000);
  for (const mode of ['RNN_KERNEL_THREADS=1', 'RNN_NO_SIMD=1']) {
    it(`${mode}: the engine's tests pass`, () => {
      const [key, value] = mode.split('=');
      const r = spawnSync(process.execPath, [require.resolve('mocha/bin/mocha.js'), ...ENGINE_TESTS], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, [key]: value }, maxBuffer: 64 << 20,
      });
      const summary = r.stdout.trim().split('\n').pop() ?? '';
      assert.equal(r.status, 0, `${mode}: ${summary}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
      assert.match(summary, /^\d+ passed, 0 failed/);
    });
  }
});
