/**
 * The engine's tests again in its other two modes, RNN_KERNEL_THREADS=1 (one thread: no
 * helper, no group worker, no arena) and RNN_NO_SIMD=1 (the TypeScript kernels), each in a
 * mocha process of its own (the modes are read at load time). `npm test` runs the whole
 * suite in the default mode only; bugs that showed in one of these modes alone have passed it
 * before (an x read before the groups had converted it; arena tests that did not skip).
 */
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as path from 'path';
import { buildBundle, DIST_BUILT_ENV } from './cli-helpers';

const ROOT = path.join(__dirname, '..');
/** The files that exercise the engine, its kernels and its buffers (~6–9 s in each mode). */
const ENGINE_TESTS = ['backends', 'groups', 'pool', 'wasm', 'formulas', 'engine-gradient', 'fixtures', 'cells-contract'].map((f) => `test/${f}.test.ts`);

/** The engine's tests in a mocha process of their own, with `mode` (NAME=value) set. */
function runMode(mode: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [key, value] = mode.split('=');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [require.resolve('mocha/bin/mocha.js'), ...ENGINE_TESTS], { cwd: ROOT, env: { ...process.env, [key]: value, [DIST_BUILT_ENV]: '1' } });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const MODES = ['RNN_KERNEL_THREADS=1', 'RNN_NO_SIMD=1'];

/**
 * Both modes start when mocha loads this file, so that they overlap the rest of the suite (as
 * test/node-versions.test.ts's runs do); they share nothing but the CPU. Not when only some tests
 * are picked (--grep, --fgrep): then the first test starts them if it runs.
 */
const picked = process.argv.some((a) => /^(-g|-f|--grep|--fgrep)(=|$)/.test(a));
let runs: Promise<{ code: number | null; stdout: string; stderr: string }>[] | undefined = picked ? undefined : startModes();

function startModes(): Promise<{ code: number | null; stdout: string; stderr: string }>[] {
  buildBundle(); // here, once: two processes building dist/ at once would garble it
  return MODES.map(runMode);
}

describe('the engine in its other modes', function () {
  this.timeout(120_000);
  for (const mode of MODES) {
    it(`${mode}: the engine's tests pass`, async () => {
      runs ??= startModes();
      const r = await runs[MODES.indexOf(mode)];
      const summary = r.stdout.trim().split('\n').pop() ?? '';
      assert.equal(r.code, 0, `${mode}: ${summary}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
      assert.match(summary, /^\d+ passed, 0 failed/);
    });
  }
});
