/**
 * `npm run build` (and `prepare`, so `npm install` in a clone and `npm pack` run it): the
 * esbuild bundles in dist/ and the library's type declarations. The tests build through here
 * too, so there is one configuration. No V8 code cache is built: it would only be valid for this
 * Node; bin/rnn makes one per user on first run (src/cli/launch.ts).
 *
 *   dist/cli.js           the CLI (bin/rnn → dist/launch.js → dist/cli.js), wrapped as a function
 *   dist/launch.js        bin/rnn's loader
 *   dist/index.js         the library (package.json "main"; "exports" for require)
 *   dist/index.mjs        the library as an ES module ("exports" for import)
 *   dist/types/           their declarations (index.d.ts, and index.d.mts for import)
 *   dist/reference/mathjs.js, dist/gradcheck/worker.js, dist/group-worker.js   loaded at run time by path
 *
 * What ships is package.json "files"; test/package.test.ts packs it and installs it.
 */
import { randomUUID } from 'crypto';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { BUILD_MARK, WRAPPER } from '../src/cli/launch';
import { patchedTable } from '../src/cli/render/table-patches';

const ROOT = path.join(__dirname, '..');
export const DIST = path.join(ROOT, 'dist');
/**
 * The CommonJS bundles: dist/<out>.js from src/<in>. The names under dist/ are what the code finds
 * at run time (bin/rnn → dist/launch.js → dist/cli.js; the workers and the mathjs reference next
 * to the bundle that starts them), so they stay put when sources move.
 */
export const ENTRIES: readonly { out: string; in: string }[] = [
  { out: 'cli', in: 'cli/main.ts' },
  { out: 'launch', in: 'cli/launch.ts' },
  { out: 'index', in: 'index.ts' },
  { out: 'reference/mathjs', in: 'backends/mathjs/index.ts' },
  { out: 'gradcheck/worker', in: 'gradcheck/worker.ts' },
  { out: 'group-worker', in: 'exec/group-worker.ts' },
];
/** The library's ES module build (package.json "exports" → "import"). */
export const ESM_LIBRARY = 'index.mjs';
/**
 * Packages the bundles leave to require() at run time: package.json "dependencies", nothing
 * else. mathjs: results are the consumer's mathjs matrices (one copy, one Matrix class), and
 * everything else is bundled (commander, chalk, cli-table3, fflate are devDependencies).
 */
export const EXTERNAL = ['mathjs'];

/**
 * dist/index.mjs runs the same engine as ES module code; what the sources take from CommonJS
 * (require() of builtins and of dist/reference/mathjs.js, __dirname for the worker files)
 * comes from these bindings. It imports mathjs as an ES module: mathjs's two builds have two
 * Matrix classes, and an `import`ing consumer holds the ES module one.
 */
const ESM_PRELUDE = [
  "import { createRequire as __rnnRequire } from 'node:module';",
  "import { fileURLToPath as __rnnPath } from 'node:url';",
  'const require = __rnnRequire(import.meta.url);',
  'const __filename = __rnnPath(import.meta.url);',
  "const __dirname = require('node:path').dirname(__filename);",
].join('\n');

/** esbuild's options for dist/ (test/package.test.ts reads which packages they bundle). */
export function bundleOptions(): esbuild.BuildOptions[] {
  const common: esbuild.BuildOptions = {
    // src/backends/index.ts requires the mathjs reference by a path that differs in a bundle
    define: { RNN_BUNDLED: 'true' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // Smaller source, less to read and hash at every start; names stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    // commander requires child_process at load time, for git-style executable subcommands,
    // which rnn does not have: load it on first use instead (bench/README.md, "Start-up tricks").
    // cli-table3 measures each cell with string-width: one-column characters are answered
    // without its emoji regular expression (src/cli/lazy/string-width.ts).
    alias: {
      'node:child_process': path.join(ROOT, 'src', 'cli', 'lazy', 'child_process.ts'),
      'string-width': path.join(ROOT, 'src', 'cli', 'lazy', 'string-width.ts'),
      // cli-table3 with speed patches that keep its output (src/cli/render/table-patches.ts)
      'cli-table3': patchedTable(ROOT),
    },
  };
  return [
    {
      ...common,
      entryPoints: ENTRIES.map((e) => ({ out: e.out, in: path.join(ROOT, 'src', e.in) })),
      outdir: DIST,
      format: 'cjs',
      footer: { js: `${BUILD_MARK.slice(1)}${randomUUID()}` },
    },
    {
      ...common,
      entryPoints: [path.join(ROOT, 'src', 'index.ts')],
      outfile: path.join(DIST, ESM_LIBRARY),
      format: 'esm',
      banner: { js: ESM_PRELUDE },
    },
  ];
}

export function buildDist(): void {
  // A cache file from the builds before there were per-user caches (src/cli/launch.ts).
  fs.rmSync(path.join(DIST, 'cli.js.cache'), { force: true });
  for (const options of bundleOptions()) esbuild.buildSync(options);
  wrapCli();
}

/**
 * src/cli/launch.ts reads the CLI bundle as latin1, which is utf8 only for ASCII, and compiles it as
 * it is: wrap it here, once, as Node wraps a module (the head is a line of its own, so a source
 * map, if there is one, moves down one line).
 */
function wrapCli(): void {
  const file = path.join(DIST, 'cli.js');
  const cli = fs.readFileSync(file);
  // Already wrapped (another build wrapped esbuild's output in between): never wrap twice.
  if (cli.subarray(0, WRAPPER[0].length).toString('latin1') === WRAPPER[0]) return;
  const at = cli.findIndex((b) => b > 0x7f);
  if (at >= 0) throw new Error(`dist/cli.js has a non-ASCII byte at ${at}: keep esbuild's charset 'ascii'`);
  fs.writeFileSync(file, `${WRAPPER[0]}${cli.toString('latin1')}${WRAPPER[1]}`, 'latin1');
  const map = `${file}.map`;
  if (fs.existsSync(map)) {
    const m = JSON.parse(fs.readFileSync(map, 'utf8')) as { mappings: string };
    fs.writeFileSync(map, JSON.stringify({ ...m, mappings: `;${m.mappings}` }));
  }
}

/** Relative module specifiers a declaration file imports (`from './x'`, `import('./x')`). */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/**
 * dist/types/: declarations of src/index.ts and of what its declarations import, nothing else
 * (tsc emits one per source file of the program; the rest are the engine's internals).
 */
export function buildTypes(): void {
  const ts = require('typescript') as typeof import('typescript');
  const outDir = path.join(DIST, 'types');
  fs.rmSync(outDir, { recursive: true, force: true });
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  if (!config) throw new Error('tsconfig.json: unreadable');
  const program = ts.createProgram([path.join(ROOT, 'src', 'index.ts')], {
    ...config.options,
    declaration: true,
    emitDeclarationOnly: true,
    declarationDir: outDir,
    rootDir: path.join(ROOT, 'src'),
    noEmit: false,
  });
  const emitted = new Map<string, string>();
  const result = program.emit(undefined, (file, text) => emitted.set(path.resolve(file), text));
  if (result.diagnostics.length) {
    throw new Error(`type declarations: ${ts.formatDiagnostics(result.diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' })}`);
  }
  const keep = new Set<string>();
  const visit = (file: string): void => {
    if (keep.has(file)) return;
    const text = emitted.get(file);
    if (text === undefined) throw new Error(`type declarations: ${path.relative(ROOT, file)} is imported but was not emitted`);
    keep.add(file);
    for (const [, spec] of text.matchAll(RELATIVE_IMPORT)) {
      const base = path.resolve(path.dirname(file), spec);
      visit(emitted.has(`${base}.d.ts`) ? `${base}.d.ts` : path.join(base, 'index.d.ts'));
    }
  };
  visit(path.join(outDir, 'index.d.ts'));
  for (const file of keep) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, emitted.get(file)!);
  }
  // The ES module entry's declarations: the same API (a .d.mts, so that TypeScript sees an ES module).
  fs.writeFileSync(path.join(outDir, 'index.d.mts'), "export * from './index.js';\n");
}

if (require.main === module) {
  buildDist();
  buildTypes();
}
