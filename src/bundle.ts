/**
 * `npm run build` (and `prepare`, so `npm install` runs it): the esbuild bundles in dist/. The
 * tests build through here too, so there is one configuration. No V8 code cache is built: it
 * would only be valid for this Node; bin/rnn makes one per user on first run (src/launch.ts).
 *
 *   dist/cli.js           the CLI (bin/rnn → dist/launch.js → dist/cli.js), wrapped as a function
 *   dist/launch.js        bin/rnn's loader
 *   dist/index.js         the library (package.json "main")
 *   dist/reference/mathjs.js, dist/gradcheck/worker.js, dist/group-worker.js   loaded at run time by path
 */
import { randomUUID } from 'crypto';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { BUILD_MARK, WRAPPER } from './launch';

const ROOT = path.join(__dirname, '..');
export const DIST = path.join(ROOT, 'dist');
const ENTRIES = ['cli.ts', 'launch.ts', 'index.ts', 'reference/mathjs.ts', 'gradcheck/worker.ts', 'group-worker.ts'];

export function buildDist(): void {
  // A cache file from the builds before there were per-user caches (src/launch.ts).
  fs.rmSync(path.join(DIST, 'cli.js.cache'), { force: true });
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
    // cli-table3 measures each cell with string-width: one-column characters are answered
    // without its emoji regular expression (src/lazy/string-width.ts).
    alias: {
      'node:child_process': path.join(ROOT, 'src', 'lazy', 'child_process.ts'),
      'string-width': path.join(ROOT, 'src', 'lazy', 'string-width.ts'),
    },
    footer: { js: `${BUILD_MARK.slice(1)}${randomUUID()}` },
  });
  // src/launch.ts reads the CLI bundle as latin1, which is utf8 only for ASCII, and compiles it
  // as it is: wrap it here, once, as Node wraps a module (the head is a line of its own, so its
  // source map moves down one line).
  const file = path.join(DIST, 'cli.js');
  const cli = fs.readFileSync(file);
  const at = cli.findIndex((b) => b > 0x7f);
  if (at >= 0) throw new Error(`dist/cli.js has a non-ASCII byte at ${at}: keep esbuild's charset 'ascii'`);
  fs.writeFileSync(file, `${WRAPPER[0]}${cli.toString('latin1')}${WRAPPER[1]}`, 'latin1');
  const map = `${file}.map`;
  if (fs.existsSync(map)) {
    const m = JSON.parse(fs.readFileSync(map, 'utf8')) as { mappings: string };
    fs.writeFileSync(map, JSON.stringify({ ...m, mappings: `;${m.mappings}` }));
  }
}

if (require.main === module) buildDist();
