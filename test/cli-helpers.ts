/** Shared by the tests that run the real CLI: paths, and a fresh bundle built once per run. */
import * as esbuild from 'esbuild';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..');
export const RNN = path.join(ROOT, 'bin', 'rnn');

let built = false;

/** Builds dist/ from the current sources (what `npm run build` in package.json does), once per test run. */
export function buildBundle(): void {
  if (built) return;
  esbuild.buildSync({
    entryPoints: ['cli.ts', 'index.ts', 'reference/mathjs.ts', 'gradcheck/worker.ts'].map((f) => path.join(ROOT, 'src', f)),
    outbase: path.join(ROOT, 'src'),
    outdir: path.join(ROOT, 'dist'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
  });
  built = true;
}
