/** Shared by the tests that run the real CLI: paths, and a fresh dist/ built once per run. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDist } from '../tools/bundle';

export const ROOT = path.join(__dirname, '..');
export const RNN = path.join(ROOT, 'bin', 'rnn');

// The CLIs the tests start keep their code caches (src/cli/launch.ts) here, not in the user's ~/.cache.
if (!process.env.RNN_CACHE_DIR) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-test-cache-'));
  process.env.RNN_CACHE_DIR = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}

/** Set for the mocha processes a test starts after building dist/ itself (test/engine-modes.test.ts). */
export const DIST_BUILT_ENV = 'RNN_TEST_DIST_BUILT';
let built = process.env[DIST_BUILT_ENV] === '1';

/**
 * Builds dist/ from the current sources, as `npm run build` does, once per process — and not
 * in processes started with DIST_BUILT_ENV, which must not rewrite dist/ under each other.
 */
export function buildBundle(): void {
  if (built) return;
  buildDist();
  built = true;
}

/** A finished run of the CLI. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Bad input: exit 2, one line on stderr starting `rnn: ` and matching `pattern`, no stack trace. */
export function expectBadInput(r: Run, pattern: RegExp): string {
  assert.equal(r.code, 2, `exit code ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `stderr must be one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^rnn: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\bat .*\.(js|ts):\d+/);
  return lines[0];
}
