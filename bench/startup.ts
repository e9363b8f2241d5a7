/**
 * Section 1 of `npm run bench`: whole processes, wall clock. `rnn --help` and `rnn forward` on
 * the course fixtures against bare `node -e 0` on the same Node, for every Node found (the one
 * running the bench; 22 and 24 when their binaries are installed), and against python running
 * the seed's numpy forward on the same files. All commands alternate round by round; a ratio is
 * the median over rounds of (command / `node -e 0` of the same round).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CellName } from '../src/backends/types';
import { fmtMs, fmtRatio, heading, median, NUMPY_SIDE, printTable, python, ratio, RNN, ROOT, run, runOrWarn } from './common';

const CELLS: readonly CellName[] = ['rnn', 'lstm', 'gru'];
/** Rounds timed (RNN_BENCH_ROUNDS overrides: fewer for a quick look, more on a noisy machine). */
const ROUNDS = Number(process.env.RNN_BENCH_ROUNDS) || 15;
/** The goals of issue 15: at most these multiples of bare `node -e 0`. */
const GOAL_HELP = 1.25;
const GOAL_FORWARD = 1.4;

export interface NodeBin {
  exe: string;
  version: string;
  major: number;
}

/** `exe --version`, if exe is a Node binary. */
function nodeVersion(exe: string): string | undefined {
  const r = spawnSync(exe, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /^v\d+\.\d+\.\d+/.test(r.stdout) ? r.stdout.trim() : undefined;
}

/**
 * The Nodes to time: this one; binaries of the `node-<os>-<arch>` packages installed in
 * node_modules or test/nodes/node_modules (the tests' pinned 22 and 24, under any alias); and
 * RNN_BENCH_NODES (paths separated by the PATH delimiter). One per version, oldest first.
 */
export function findNodes(): NodeBin[] {
  const candidates = [process.execPath];
  const pkgDirs = (modules: string): string[] => {
    if (!fs.existsSync(modules)) return [];
    return fs.readdirSync(modules).flatMap((d) =>
      d.startsWith('@') ? fs.readdirSync(path.join(modules, d)).map((e) => path.join(modules, d, e)) : [path.join(modules, d)]);
  };
  const modules = [path.join(ROOT, 'node_modules'), path.join(ROOT, 'test', 'nodes', 'node_modules')];
  for (const dir of modules.flatMap(pkgDirs)) {
    try {
      const { name } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (name && /^node-(linux|darwin|win)-[a-z0-9]+$/.test(name)) candidates.push(path.join(dir, 'bin', 'node'));
    } catch {
      // not a package
    }
  }
  candidates.push(...(process.env.RNN_BENCH_NODES ?? '').split(path.delimiter).filter(Boolean));
  const byVersion = new Map<string, NodeBin>();
  for (const exe of candidates) {
    if (!fs.existsSync(exe)) continue;
    const version = nodeVersion(exe);
    if (version && !byVersion.has(version)) byVersion.set(version, { exe, version, major: Number(version.slice(1).split('.')[0]) });
  }
  return [...byVersion.values()].sort((a, b) => a.major - b.major || a.version.localeCompare(b.version));
}

interface Spawn {
  key: string;
  label: string;
  cmd: string;
  args: string[];
  /** Environment changes, made anew for every run (a fresh cache directory for a first run). */
  env?: () => Record<string, string | undefined>;
  /** The key of the `node -e 0` its ratio is taken against. */
  base?: string;
}

const fixtureOf = (cell: CellName): string => `fixtures/cases/${cell}_t7.npz`;

/**
 * Every spawn once per round, in order, after one warm-up round (which also writes the code
 * caches of the runs that use one): per key, the wall times and the per-round ratios to its base.
 */
function alternate(spawns: readonly Spawn[], rounds: number): Map<string, { seconds?: number; ratio?: number }> {
  const times = new Map<string, number[]>(spawns.map((s) => [s.key, []]));
  const failed = new Set<string>();
  for (let round = 0; round <= rounds; round++) {
    for (const s of spawns) {
      if (failed.has(s.key)) continue;
      const env = s.env?.() ?? {};
      const r = round === 0 ? runOrWarn(s.cmd, s.args, env) : run(s.cmd, s.args, env);
      if (!r) failed.add(s.key);
      else if (round > 0) times.get(s.key)!.push(r.seconds);
    }
  }
  const out = new Map<string, { seconds?: number; ratio?: number }>();
  for (const s of spawns) {
    const t = times.get(s.key)!;
    if (failed.has(s.key) || t.length < rounds) {
      out.set(s.key, {});
      continue;
    }
    const base = s.base && !failed.has(s.base) ? times.get(s.base)! : undefined;
    out.set(s.key, { seconds: median(t), ratio: base && base.length === t.length ? median(t.map((v, i) => v / base[i])) : undefined });
  }
  return out;
}

const verdict = (r: number | undefined, goal: number): string => (r === undefined ? 'n/a' : r <= goal ? 'met' : 'not met');

export function startup(): void {
  heading('1. Start-up (whole process, wall clock)');
  const py = python();
  const nodes = findNodes();
  const certs = process.env.NODE_EXTRA_CA_CERTS;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-bench-cache-'));
  const firstRuns = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-bench-first-'));
  let fresh = 0;
  console.log(`Median of ${ROUNDS} rounds after one warm-up round; in each round every command runs once, in turn. Ratio: median over`);
  console.log('rounds of the command\'s time / `node -e 0`\'s in the same round, same Node. `rnn` is `<node> bin/rnn`, its code cache');
  console.log('(src/cli/launch.ts) written by the warm-up round into a scratch directory; "first run" starts with no cache and writes');
  console.log(`it, "no cache" has RNN_NO_CACHE=1. Fixtures: fixtures/cases/{rnn,lstm,gru}_t7.npz (n_x=3 n_a=5 n_y=2 m=10 T_x=7).`);
  console.log(`Nodes: ${nodes.map((n) => `${n.version} (${n.exe})`).join(', ')}.`);
  if (certs) {
    console.log(`NODE_EXTRA_CA_CERTS is set (${certs}): every node start parses those certificates first, which makes \`node -e 0\``);
    console.log('slower and every ratio smaller; the rows marked "no CA certs" run without it.');
  }
  console.log(`python: ${py.exe}${py.shim ? ' (sys.executable of `python3`, which on PATH is a shim: timing that would add the shim\'s start)' : ''}.\n`);
  try {
    const spawns: Spawn[] = [];
    const cached = (): Record<string, string | undefined> => ({ RNN_CACHE_DIR: cacheDir, RNN_NO_CACHE: undefined });
    for (const n of nodes) {
      const k = (s: string): string => `${n.version} ${s}`;
      const rnn = (args: string[]): string[] => [RNN, ...args];
      const noCerts = (env: () => Record<string, string | undefined>) => () => ({ ...env(), NODE_EXTRA_CA_CERTS: undefined });
      spawns.push(
        { key: k('node'), label: 'node -e 0', cmd: n.exe, args: ['-e', '0'] },
        { key: k('help'), label: 'rnn --help', cmd: n.exe, args: rnn(['--help']), env: cached, base: k('node') },
        ...CELLS.map((c) => ({ key: k(`forward ${c}`), label: `rnn forward --cell ${c}`, cmd: n.exe, args: rnn(['forward', '--cell', c, fixtureOf(c)]), env: cached, base: k('node') })),
        { key: k('help nocache'), label: 'rnn --help, no cache', cmd: n.exe, args: rnn(['--help']), env: () => ({ RNN_NO_CACHE: '1' }), base: k('node') },
        { key: k('forward nocache'), label: 'rnn forward --cell lstm, no cache', cmd: n.exe, args: rnn(['forward', '--cell', 'lstm', fixtureOf('lstm')]), env: () => ({ RNN_NO_CACHE: '1' }), base: k('node') },
        {
          key: k('forward first'), label: 'rnn forward --cell lstm, first run', cmd: n.exe, args: rnn(['forward', '--cell', 'lstm', fixtureOf('lstm')]),
          env: () => ({ RNN_CACHE_DIR: path.join(firstRuns, String(fresh++)), RNN_NO_CACHE: undefined }), base: k('node'),
        },
      );
      if (certs) {
        const none = (): Record<string, string | undefined> => ({ NODE_EXTRA_CA_CERTS: undefined });
        spawns.push(
          { key: k('node nocerts'), label: 'node -e 0, no CA certs', cmd: n.exe, args: ['-e', '0'], env: none },
          { key: k('help nocerts'), label: 'rnn --help, no CA certs', cmd: n.exe, args: rnn(['--help']), env: noCerts(cached), base: k('node nocerts') },
          { key: k('forward nocerts'), label: 'rnn forward --cell lstm, no CA certs', cmd: n.exe, args: rnn(['forward', '--cell', 'lstm', fixtureOf('lstm')]), env: noCerts(cached), base: k('node nocerts') },
        );
      }
    }
    const here = nodes.find((n) => n.exe === process.execPath) ?? nodes[0];
    spawns.push(
      { key: 'py numpy', label: `python -c "import numpy"`, cmd: py.exe, args: ['-c', 'import numpy'], base: `${here.version} node` },
      ...(py.shim ? [{ key: 'py shim', label: 'python3 (PATH, shim) -c "import numpy"', cmd: 'python3', args: ['-c', 'import numpy'], base: `${here.version} node` }] : []),
      ...CELLS.map((c) => ({ key: `py forward ${c}`, label: `python numpy_side.py forward ${c}`, cmd: py.exe, args: [NUMPY_SIDE, 'forward', c, fixtureOf(c)], base: `${here.version} node` })),
    );
    const t = alternate(spawns, ROUNDS);
    for (const n of nodes) {
      const mine = spawns.filter((s) => s.key.startsWith(`${n.version} `));
      console.log(`Node ${n.version}:\n`);
      printTable(['command', 'median ms', `vs node -e 0`], mine.map((s) => [s.label, fmtMs(t.get(s.key)?.seconds), s.base ? fmtRatio(t.get(s.key)?.ratio) : '1.00×']));
    }
    console.log('The goals (issue 15): `rnn --help` at most 1.25× and `rnn forward --cell lstm` at most 1.4× bare `node -e 0`.\n');
    const goalRow = (n: NodeBin, suffix: string, label: string): string[] => {
      const h = t.get(`${n.version} help${suffix}`)?.ratio, f = t.get(`${n.version} forward${suffix === '' ? ' lstm' : suffix}`)?.ratio;
      // Three decimals: the verdict compares the unrounded ratio (1.254 is not ≤ 1.25).
      const r3 = (r: number | undefined): string => (r === undefined ? 'n/a' : `${r.toFixed(3)}×`);
      return [`${n.version}${label}`, fmtMs(t.get(`${n.version} node${suffix}`)?.seconds), r3(h), verdict(h, GOAL_HELP), r3(f), verdict(f, GOAL_FORWARD)];
    };
    printTable(['node', 'node -e 0 ms', 'rnn --help', `≤ ${GOAL_HELP}×`, 'rnn forward --cell lstm', `≤ ${GOAL_FORWARD}×`], [
      ...nodes.map((n) => goalRow(n, '', '')),
      ...(certs ? nodes.map((n) => goalRow(n, ' nocerts', ', no CA certs')) : []),
    ]);
    console.log(`python (${py.exe}), against Node ${here.version}:\n`);
    printTable(['command', 'median ms', 'vs node -e 0'], spawns.filter((s) => s.key.startsWith('py ')).map((s) => [s.label, fmtMs(t.get(s.key)?.seconds), fmtRatio(t.get(s.key)?.ratio)]));
    printTable(['cell', 'rnn forward ms', 'python forward ms', 'rnn / python'], CELLS.map((c) => {
      const ours = t.get(`${here.version} forward ${c}`)?.seconds, theirs = t.get(`py forward ${c}`)?.seconds;
      return [c, fmtMs(ours), fmtMs(theirs), fmtRatio(ratio(ours, theirs))];
    }));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.rmSync(firstRuns, { recursive: true, force: true });
  }
}
