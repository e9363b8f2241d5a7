/** Shared by the tests that run the real CLI: paths, and a fresh dist/ built once per run. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDist } from '../src/bundle';

export const ROOT = path.join(__dirname, '..');
export const RNN = path.join(ROOT, 'bin', 'rnn');

// The CLIs the tests start keep their code caches (src/launch.ts) here, not in the user's ~/.cache.
if (!process.env.RNN_CACHE_DIR) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-test-cache-'));
  process.env.RNN_CACHE_DIR = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}

let built = false;

/** Builds dist/ from the current sources, as `npm run build` does. */
export function buildBundle(): void {
  if (built) return;
  buildDist();
  built = true;
}
