/**
 * How bin/rnn starts the CLI (bundled to dist/launch.js; builtins only, so it stays tiny).
 *
 * dist/cli.js starts with a V8 code cache: the bytecode of the functions that an earlier run of
 * the same kind compiled, so a start deserialises them instead of compiling them one by one as
 * they are first called (bench/README.md, section 1). A code cache is only valid for the V8
 * (Node) and flags that made it, so none ships in the package: the first run of each kind
 * (`forward`, `forward --json`, `--help`, …) on each Node writes one, per user, into
 * $RNN_CACHE_DIR or $XDG_CACHE_HOME/rnn or ~/.cache/rnn (%LOCALAPPDATA%\rnn\cache on Windows).
 * RNN_NO_CACHE=1 turns it off.
 *
 * The cache can change start-up time, never behaviour: V8 checks its own version and flags and
 * the source only by length, so each build stamps the bundle with a random id (a comment at
 * its end) and a cache file records the id, Node version, kind, length and a crc32 of V8's
 * bytes (V8 verifies code caches only in debug builds, and a damaged one crashes node). A file
 * that does not match, or that another user could have written, is ignored and rewritten.
 * Nothing about the cache is ever fatal: a directory that cannot be written just means no cache.
 */
import fs = require('fs');
import Module = require('module');
import path = require('path');
import vm = require('vm');
import { crc32 } from '../io/crc32';

/** The bundle's export that starting needs (src/cli/main.ts). */
interface CliModule {
  main(argv: string[]): void;
}

/** A line at the bundle's end: `//# rnn-build <id>` (tools/bundle.ts writes it). */
export const BUILD_MARK = '\n//# rnn-build ';

/**
 * tools/bundle.ts writes dist/cli.js already wrapped as Node wraps a CommonJS module, so that the
 * source need not be copied into a wrapper at every start (bench/README.md, section 1).
 */
export const WRAPPER = ['(function (exports, require, module, __filename, __dirname) {\n', '\n});'] as const;

/** First line of a cache file: `rnn-code-cache 1 <id> <node> <arch> <kind> <length> <crc32>\n`, then V8's bytes. */
const MAGIC = 'rnn-code-cache 1';

/** Cache files kept in the directory (the newest; each is ~0.2–0.35 MB). */
export const MAX_CACHE_FILES = 32;

/** Options that run code the others do not, so runs with them get their own cache. */
const KIND_FLAGS: Record<string, string> = { '--json': 'json', '-o': 'out', '--out': 'out', '--expect': 'expect', '--grads': 'grads', '-h': 'help', '--help': 'help' };

/** What became of the code cache on a start. */
export type CacheUse = 'used' | 'rejected by V8' | 'made for another build, damaged or not ours' | 'absent' | 'off';

/** Where the cache files go, or undefined when caching is off or there is no home. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.RNN_NO_CACHE && env.RNN_NO_CACHE !== '0') return undefined;
  if (env.RNN_CACHE_DIR) return path.resolve(env.RNN_CACHE_DIR);
  if (process.platform === 'win32') return env.LOCALAPPDATA ? path.join(env.LOCALAPPDATA, 'rnn', 'cache') : undefined;
  // XDG: a relative XDG_CACHE_HOME is invalid and ignored.
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : env.HOME ? path.join(env.HOME, '.cache') : undefined;
  return base === undefined ? undefined : path.join(base, 'rnn');
}

/** The kind of run, from the command line alone: `forward`, `forward+json`, `rnn+help` … */
export function kindOf(argv: readonly string[]): string {
  const args = argv.slice(2);
  const command = args.find((a) => !a.startsWith('-'));
  const flags = new Set<string>();
  for (const a of args) {
    const flag = KIND_FLAGS[a.split('=')[0]];
    if (flag) flags.add(flag);
  }
  const name = command && /^[a-z][a-z0-9-]{0,23}$/.test(command) ? command : 'rnn';
  return [name, ...[...flags].sort()].join('+');
}

function buildIdOf(source: string): string | undefined {
  const at = source.lastIndexOf(BUILD_MARK);
  if (at < 0) return undefined;
  const end = source.indexOf('\n', at + BUILD_MARK.length);
  return source.slice(at + BUILD_MARK.length, end < 0 ? undefined : end).trim() || undefined;
}

// zlib's native crc32 is the cheapest whole-file check at hand (src/io/crc32.ts).
const checksum = (bytes: Uint8Array): string => crc32(bytes).toString(16).padStart(8, '0');

/** One cache file: where it is and the header it must carry. */
interface CacheFile {
  file: string;
  /** The header up to the length field: everything that must match this start. */
  prefix: string;
}

function cacheFileFor(dir: string, id: string, kind: string): CacheFile {
  const node = `${process.version}-${process.arch}`;
  return { file: path.join(dir, `cli-${id.slice(0, 13)}-${node}-${kind}.cache`), prefix: `${MAGIC} ${id} ${process.version} ${process.arch} ${kind} ` };
}

/** V8's bytes from a cache file, if it is intact, for this start, and only ours to write. */
function readCache(c: CacheFile): { bytes?: Buffer; use: CacheUse } {
  let fd: number;
  try {
    fd = fs.openSync(c.file, 'r');
  } catch {
    return { use: 'absent' };
  }
  const notOurs = { use: 'made for another build, damaged or not ours' as const };
  try {
    const st = fs.fstatSync(fd);
    // Bytecode runs as us: a file that someone else owns or may write is not loaded.
    if (typeof process.getuid === 'function' && (st.uid !== process.getuid() || (st.mode & 0o022) !== 0)) return notOurs;
    const buf = fs.readFileSync(fd);
    const nl = buf.indexOf(10);
    if (nl < 0 || nl > 512) return notOurs;
    const header = buf.toString('latin1', 0, nl);
    const bytes = buf.subarray(nl + 1);
    if (header !== `${c.prefix}${bytes.length} ${checksum(bytes)}`) return notOurs;
    return { bytes, use: 'used' };
  } catch {
    return notOurs;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes the bytecode compiled so far, atomically (a private temporary file renamed over the
 * old one), then keeps only the newest MAX_CACHE_FILES cache files. Errors are swallowed.
 */
function writeCache(c: CacheFile, script: vm.Script): void {
  const dir = path.dirname(c.file);
  const part = `${c.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const bytes = script.createCachedData();
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(part, Buffer.concat([Buffer.from(`${c.prefix}${bytes.length} ${checksum(bytes)}\n`, 'latin1'), bytes]), { mode: 0o600, flag: 'wx' });
    fs.renameSync(part, c.file);
    prune(dir);
  } catch {
    try {
      fs.rmSync(part, { force: true });
    } catch {
      // nothing more to do: the cache is an optimisation
    }
  }
}

/** Deletes all but the newest MAX_CACHE_FILES cache files, and temporary files older than an hour. */
export function prune(dir: string): void {
  const now = Date.now();
  const files: { file: string; mtime: number }[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith('cli-')) continue;
    const file = path.join(dir, name);
    try {
      const mtime = fs.statSync(file).mtimeMs;
      if (name.endsWith('.tmp')) {
        if (now - mtime > 3600e3) fs.rmSync(file, { force: true });
      } else if (name.endsWith('.cache')) {
        files.push({ file, mtime });
      }
    } catch {
      // gone meanwhile (another rnn pruning): fine
    }
  }
  files.sort((a, b) => b.mtime - a.mtime);
  for (const { file } of files.slice(MAX_CACHE_FILES)) fs.rmSync(file, { force: true });
}

/** What loadCli did, for bin/rnn, the tests and the bench. */
export interface Loaded {
  cli: CliModule;
  cache: CacheUse;
  /** The cache file of this kind of run, when caching is on. */
  cacheFile?: string;
  /** Writes the cache of this run if it had none that fitted (call at the end of a good run). */
  save(): void;
  /** Milliseconds spent reading the bundle, reading and checking its cache, compiling, running its top level (for the bench). */
  timings: { read: number; cache: number; compile: number; run: number };
}

/** The cache file for a run of `argv` of the bundle `source`, or undefined when caching is off. */
function cacheFileOf(source: string, argv: readonly string[], env: NodeJS.ProcessEnv): CacheFile | undefined {
  const id = buildIdOf(source);
  const dir = cacheDir(env);
  return dir !== undefined && id !== undefined ? cacheFileFor(dir, id, kindOf(argv)) : undefined;
}

/** Loads dist/cli.js (next to this file) with the code cache of this kind of run, when there is one that fits. */
export function loadCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, bundle = path.join(__dirname, 'cli.js')): Loaded {
  // process.hrtime: the global `performance` would load perf_hooks (a dozen modules) at every start.
  const now = (): number => Number(process.hrtime.bigint()) / 1e6;
  const t0 = now();
  // The bundle is ASCII (esbuild escapes the rest; tools/bundle.ts checks), so latin1 decodes it
  // as utf8 would, by a plain copy.
  const source = fs.readFileSync(bundle, 'latin1');
  const t1 = now();
  const c = cacheFileOf(source, argv, env);
  const { bytes, use } = c ? readCache(c) : { bytes: undefined, use: 'off' as CacheUse };
  const t2 = now();
  const wrapped = source.startsWith(WRAPPER[0]) ? source : Module.wrap(source);
  const script = new vm.Script(wrapped, { filename: bundle, cachedData: bytes });
  const t3 = now();
  const mod = { exports: {} as CliModule };
  const fn = script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  fn(mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
  const t4 = now();
  const cache: CacheUse = bytes && script.cachedDataRejected ? 'rejected by V8' : use;
  return {
    cli: mod.exports, cache, cacheFile: c?.file, save: () => c && cache !== 'used' && writeCache(c, script),
    timings: { read: t1 - t0, cache: t2 - t1, compile: t3 - t2, run: t4 - t3 },
  };
}

/** Entry point of bin/rnn. */
export function start(argv: string[]): void {
  const bundle = path.join(__dirname, 'cli.js');
  let loaded: Loaded;
  try {
    loaded = loadCli(argv, process.env, bundle);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    process.stderr.write(`rnn: ${bundle} is missing; run \`npm install\` (or \`npm run build\`) in ${path.dirname(__dirname)}\n`);
    process.exit(2);
  }
  // Only a run that went through (0 ok, 1 a check failed) has compiled what its kind needs.
  if (loaded.cache !== 'used' && loaded.cacheFile) process.once('exit', (code) => code <= 1 && loaded.save());
  // Once nothing is left to do (every write has completed: a pending one keeps the loop alive),
  // exit at once instead of tearing the heap and the environment down (bench/README.md, section 1).
  process.once('beforeExit', () => process.exit());
  loaded.cli.main(argv);
}
