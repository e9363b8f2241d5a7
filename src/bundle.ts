/**
 * `npm run build` (and `prepare`, so `npm install` runs it): the esbuild bundles in dist/ and
 * the CLI's V8 code cache. The tests build through here too, so there is one configuration.
 *
 *   dist/cli.js           the CLI (bin/rnn → dist/launch.js → dist/cli.js)
 *   dist/cli.js.cache     its code cache, made by a warm-up run (src/launch.ts)
 *   dist/launch.js        bin/rnn's loader
 *   dist/index.js         the library (package.json "main")
 *   dist/reference/mathjs.js, dist/gradcheck/worker.js, dist/group-worker.js   loaded at run time by path
 */
import { spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { BUILD_MARK, cacheFileOf } from './launch';

const ROOT = path.join(__dirname, '..');
export const DIST = path.join(ROOT, 'dist');
const ENTRIES = ['cli.ts', 'launch.ts', 'index.ts', 'reference/mathjs.ts', 'gradcheck/worker.ts', 'group-worker.ts'];

export function buildDist(): void {
  // A stale cache must never meet a new bundle: remove it first (launch.ts also checks the id).
  fs.rmSync(cacheFileOf(path.join(DIST, 'cli.js')), { force: true });
  esbuild.buildSync({
    entryPoints: ENTRIES.map((f) => path.join(ROOT, 'src', f)),
    outbase: path.join(ROOT, 'src'),
    outdir: DIST,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    // Smaller source, less to read and hash at every start (~1 ms); names stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    // commander requires child_process at load time, for git-style executable subcommands,
    // which rnn does not have: load it on first use instead (~4 ms of every start).
    // cli-table3 measures each cell with string-width: printable ASCII is answered without its
    // regular expressions (src/lazy/string-width.ts).
    alias: {
      'node:child_process': path.join(ROOT, 'src', 'lazy', 'child_process.ts'),
      'string-width': path.join(ROOT, 'src', 'lazy', 'string-width.ts'),
    },
    footer: { js: `${BUILD_MARK.slice(1)}${randomUUID()}` },
  });
}

/** Warm-up run of every command in a fresh node, then V8's code cache next to dist/cli.js. */
export function writeCodeCache(): void {
  const launch = path.join(DIST, 'launch.js');
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(launch)}).writeCodeCache().catch((e) => { console.error(e.message); process.exit(1); })`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`writing the code cache failed: ${r.stderr || r.error?.message}`);
}

if (require.main === module) {
  buildDist();
  try {
    writeCodeCache();
  } catch (e) {
    // The cache only saves start-up time: an install must not fail for it (the tests, which
    // call writeCodeCache themselves, do fail).
    process.stderr.write(`rnn build: no code cache, the CLI will start ~15 ms slower: ${(e as Error).message}\n`);
  }
}
