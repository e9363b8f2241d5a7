/** Shared by the tests that run the real CLI: paths, and a fresh dist/ built once per run. */
import * as path from 'path';
import { buildDist, writeCodeCache } from '../src/bundle';

export const ROOT = path.join(__dirname, '..');
export const RNN = path.join(ROOT, 'bin', 'rnn');

let built = false;

/** Builds dist/ and the code cache from the current sources, as `npm run build` does. */
export function buildBundle(): void {
  if (built) return;
  buildDist();
  writeCodeCache();
  built = true;
}
