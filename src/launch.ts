/**
 * How bin/rnn starts the CLI (bundled to dist/launch.js; builtins only, so it stays tiny).
 *
 * dist/cli.js is compiled with a V8 code cache, dist/cli.js.cache: bytecode for every
 * function that a warm-up run of each command compiled, written by `npm run build` (see
 * writeCodeCache below and src/bundle.ts). A start then deserialises bytecode instead of
 * parsing and compiling the bundle's functions one by one as they are first called — about
 * 15 ms of a ~150 ms `rnn forward` (bench/README.md, section 1).
 *
 * V8 checks that a cache matches its V8 version and flags, and the source only by length, so
 * each build stamps the bundle with a random id (a last-line comment) and the cache records
 * the id it was made for. Any mismatch, a rejected cache or a missing one: the bundle is
 * compiled as usual — the cache only ever changes start-up time, never behaviour.
 */
import * as fs from 'fs';
import Module from 'module';
import { tmpdir } from 'os';
import * as path from 'path';
import * as vm from 'vm';
import { crc32 } from 'zlib';

/** The bundle's exports that starting and warming up need (src/cli.ts). */
interface CliModule {
  main(argv: string[]): void;
  run(argv: string[], io: object): Promise<number>;
}

/** The bundle's last line: `//# rnn-build <id>` (src/bundle.ts writes it). */
export const BUILD_MARK = '\n//# rnn-build ';

/**
 * Header line of a cache file: `rnn-build <id> <crc32 of the rest>\n`, then V8's bytes. The
 * checksum is ours: V8 verifies code caches only in debug builds, and a damaged one makes
 * node crash (SIGSEGV, measured). zlib's crc32 costs ~2.7 ms per start with loading zlib;
 * sha1 would cost ~5 (loading crypto alone takes 4.3 ms).
 */
const CACHE_HEADER = 'rnn-build ';

export const cacheFileOf = (bundle: string): string => `${bundle}.cache`;

function buildIdOf(source: string): string | undefined {
  const at = source.lastIndexOf(BUILD_MARK);
  if (at < 0) return undefined;
  const end = source.indexOf('\n', at + BUILD_MARK.length);
  return source.slice(at + BUILD_MARK.length, end < 0 ? undefined : end).trim() || undefined;
}

/** What became of the code cache on a load. */
export type CacheUse = 'used' | 'rejected by V8' | 'made for another build or damaged' | 'absent';

/** V8's bytes from a cache file, if it was made for the build `id`. */
function readCache(file: string, id: string | undefined): { bytes?: Buffer; use: CacheUse } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return { use: 'absent' };
  }
  const nl = buf.indexOf(10);
  const bytes = buf.subarray(nl + 1);
  if (id === undefined || nl < 0 || buf.toString('latin1', 0, nl) !== `${CACHE_HEADER}${id} ${checksum(bytes)}`) return { use: 'made for another build or damaged' };
  return { bytes, use: 'used' };
}

const checksum = (bytes: Uint8Array): string => crc32(bytes).toString(16).padStart(8, '0');

/** Compiles and runs the bundle like require() would, with `cachedData` when given. */
function compile(bundle: string, source: string, cachedData: Buffer | undefined): { cli: CliModule; script: vm.Script } {
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  const mod = { exports: {} as CliModule };
  const fn = script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void;
  fn(mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
  return { cli: mod.exports, script };
}

/** Loads dist/cli.js (next to this file), with its code cache when that fits. */
export function loadCli(bundle = path.join(__dirname, 'cli.js')): { cli: CliModule; cache: CacheUse } {
  const source = fs.readFileSync(bundle, 'utf8');
  const { bytes, use } = readCache(cacheFileOf(bundle), buildIdOf(source));
  const { cli, script } = compile(bundle, source, bytes);
  return { cli, cache: bytes && script.cachedDataRejected ? 'rejected by V8' : use };
}

/** Entry point of bin/rnn. */
export function start(argv: string[]): void {
  const bundle = path.join(__dirname, 'cli.js');
  let cli: CliModule;
  try {
    cli = loadCli(bundle).cli;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    process.stderr.write(`rnn: ${bundle} is missing; run \`npm install\` (or \`npm run build\`) in ${path.dirname(__dirname)}\n`);
    process.exit(2);
  }
  cli.main(argv);
}

/**
 * The warm-up behind the cache: every command once, in this process, on fixtures that `init`
 * draws into a temporary directory; output discarded. Run by src/bundle.ts in a fresh `node`.
 */
export async function writeCodeCache(bundle = path.join(__dirname, 'cli.js')): Promise<void> {
  const source = fs.readFileSync(bundle, 'utf8');
  const id = buildIdOf(source);
  if (id === undefined) throw new Error(`${bundle} has no build id (build it with src/bundle.ts)`);
  const { cli, script } = compile(bundle, source, undefined);
  const tmp = fs.mkdtempSync(path.join(tmpdir(), 'rnn-warmup-'));
  const errors: string[] = [];
  const io = { stdout: () => undefined, stderr: (s: string) => void errors.push(s), stdoutIsTTY: false, env: {} };
  try {
    const dims = ['--n-x', '3', '--n-a', '5', '--n-y', '2', '--m', '10', '--t-x', '7'];
    const runs: string[][] = [[], ['--help'], ['forward', '--help']];
    for (const cell of ['rnn', 'lstm', 'gru']) {
      const f = path.join(tmp, `${cell}.npz`);
      const j = path.join(tmp, `${cell}.json`);
      runs.push(
        ['init', '--cell', cell, ...dims, '--seed', '1', '--out', f],
        ['init', '--cell', cell, ...dims, '--seed', '2', '--out', j],
        ['forward', '--cell', cell, f],
        ['forward', '--cell', cell, j, '--json', '--out', path.join(tmp, `${cell}_y.json`)],
        ['forward', '--cell', cell, f, '--expect', path.join(tmp, `${cell}_y.json`)],
        ['backward', '--cell', cell, f],
        ['backward', '--cell', cell, f, '--loss', 'xent', '--json'],
        ['gradcheck', '--cell', cell, f, '--threads', '1'],
        ['inspect', f],
        ['inspect', j, path.join(tmp, `${cell}_y.json`)],
      );
    }
    for (const argv of runs) {
      const code = await cli.run(['node', 'rnn', ...argv], io);
      // --expect against another draw's outputs is meant to fail (exit 1), no command at all is
      // bad usage (exit 2); anything else is a broken build.
      if (code !== 0 && !(code === 1 && argv.includes('--expect')) && !(code === 2 && argv.length === 0)) {
        throw new Error(`warm-up \`rnn ${argv.join(' ')}\` exited ${code}: ${errors.join('')}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const file = cacheFileOf(bundle);
  const part = `${file}.${process.pid}.tmp`;
  const bytes = script.createCachedData();
  fs.writeFileSync(part, Buffer.concat([Buffer.from(`${CACHE_HEADER}${id} ${checksum(bytes)}\n`, 'latin1'), bytes]));
  fs.renameSync(part, file);
}
