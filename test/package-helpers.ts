/**
 * The package as a user installs it (test/package.test.ts, test/node-versions.test.ts): the
 * tarball `npm pack` makes, installed into a fresh project without the network.
 *
 * Offline install: `npm ci --offline` with a lockfile written here — the tarball, and for each
 * of its dependencies (transitively) the entry of our own package-lock.json. `npm ci` here put
 * exactly those tarballs into the npm cache, and npm installs from the cache by their integrity;
 * `npm install <tarball> --offline` cannot, as it needs registry metadata the cache lacks.
 */
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './cli-helpers';

export interface Packed {
  /** The .tgz file. */
  file: string;
  integrity: string;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** Children of test/node-versions.test.ts get the parent's tarball (a JSON Packed) here. */
export const PACKED_ENV = 'RNN_TEST_PACKED';

/**
 * Whether this is one of those children (Node 22 or 24): tests whose subject does not depend
 * on the node running them ran already in the parent, and are skipped here (their reasons are
 * where they skip).
 */
export const OTHER_NODE_RUN = PACKED_ENV in process.env;

let packed: Packed | undefined;

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` in ${cwd} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `npm pack` of the repository (its `prepare` builds dist/), once per process. */
export function packTarball(): Packed {
  if (packed) return packed;
  const given = process.env[PACKED_ENV];
  if (given) return (packed = JSON.parse(given) as Packed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-pack-'));
  const r = run('npm', ['pack', '--json', '--pack-destination', dir], ROOT);
  const info = (JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as (Packed & { filename: string })[])[0];
  return (packed = { file: path.join(dir, info.filename), integrity: info.integrity, unpackedSize: info.unpackedSize, files: info.files });
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * package-lock.json for a project depending on `deps` (name → spec), with the tarball as `rnn`:
 * every other package is resolved as node would from where it is required, in our lockfile.
 */
export function consumerLock(pack: Packed, deps: Record<string, string>): object {
  const ours = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string>; bin?: object; engines?: object; license?: string };
  const packages: Record<string, LockEntry> = {
    '': { name: 'rnn-consumer', version: '1.0.0', dependencies: deps },
    'node_modules/rnn': {
      version: manifest.version, resolved: deps.rnn, integrity: pack.integrity, license: manifest.license,
      dependencies: manifest.dependencies, bin: manifest.bin, engines: manifest.engines,
    },
  };
  const queue: [string, Record<string, string>][] = [['', deps], ['node_modules/rnn', manifest.dependencies ?? {}]];
  while (queue.length) {
    const [from, wanted] = queue.shift()!;
    for (const name of Object.keys(wanted)) {
      if (from === '' && name === 'rnn') continue;
      let at: string | undefined;
      for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
        const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
        if (ours.packages[key] && key !== 'node_modules/rnn') { at = key; break; }
        if (!dir) break;
      }
      if (!at) throw new Error(`${name} (needed by ${from || 'the consumer'}) is not in package-lock.json`);
      if (packages[at]) continue;
      const { dev: _d, devOptional: _o, optional: _p, peer: _q, ...entry } = ours.packages[at];
      packages[at] = entry;
      queue.push([at, { ...entry.dependencies, ...entry.optionalDependencies }]);
    }
  }
  return { name: 'rnn-consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

/** A fresh project in `dir` (an ES module package) with the tarball and `deps` installed offline. */
export function installConsumer(dir: string, pack: Packed, deps: Record<string, string>, env: NodeJS.ProcessEnv): void {
  fs.mkdirSync(dir, { recursive: true });
  const all = { rnn: `file:${path.relative(dir, pack.file)}`, ...deps };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'rnn-consumer', version: '1.0.0', private: true, type: 'module', dependencies: all }, null, 2));
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(consumerLock(pack, all), null, 2));
  // --engine-strict: package.json "engines" must admit the node running this (22 and 24 too).
  const r = spawnSync('npm', ['ci', '--offline', '--engine-strict', '--no-audit', '--no-fund'], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) {
    const hint = /ENOTCACHED/.test(r.stderr) ? ' (the npm cache lacks a dependency: run `npm ci` in the repository first)' : '';
    throw new Error(`npm ci --offline of the packed rnn failed${hint}:\n${r.stderr}`);
  }
}
