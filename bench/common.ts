/**
 * What every section of `npm run bench` shares: clocks, statistics, running and timing
 * processes, the python interpreter, and Markdown tables.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Dims } from '../src/backends/types';

export const ROOT = path.resolve(__dirname, '..');
export const RNN = path.join(ROOT, 'bin', 'rnn');
export const NUMPY_SIDE = path.join(ROOT, 'bench', 'numpy_side.py');


export function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface Ran {
  seconds: number;
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** process.env with `env` on top; a key set to undefined is removed. */
export function envWith(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete out[k];
  return out;
}

/** Runs a command to completion (output captured, not shown) and times it, wall clock. */
export function run(cmd: string, args: readonly string[], env: Record<string, string | undefined> = {}): Ran {
  const t0 = now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, env: envWith(env) });
  const seconds = now() - t0;
  return { seconds, ok: r.status === 0 && !r.error, stdout: r.stdout ?? '', stderr: r.error ? String(r.error) : r.stderr ?? '' };
}

/** Runs a command; on failure prints why (once) and returns undefined. */
export function runOrWarn(cmd: string, args: readonly string[], env: Record<string, string | undefined> = {}): Ran | undefined {
  const r = run(cmd, args, env);
  if (r.ok) return r;
  const why = r.stderr.trim().split('\n').pop() ?? '';
  console.log(`  ! \`${[cmd, ...args].join(' ')}\` failed${why ? `: ${why}` : ''}`);
  return undefined;
}

/** The number a numpy_side.py command prints on its last line (seconds), or undefined. */
export function numpySeconds(args: readonly string[], env: Record<string, string> = {}): { inProcess: number; wall: number } | undefined {
  const r = runOrWarn(python().exe, [NUMPY_SIDE, ...args], env);
  if (!r) return undefined;
  const inProcess = Number(r.stdout.trim().split('\n').pop());
  return Number.isFinite(inProcess) ? { inProcess, wall: r.seconds } : undefined;
}

/**
 * Median seconds per call of `fn`, after warm-up (at least 3 calls and half the budget, at most
 * 1 s, so the JIT has optimized the hot loops: a big net's pass only settles after ~10 calls —
 * the first ten of a big GRU took 70 ms each (median), the next fifty 54–58). Calls are batched so one timed sample
 * lasts at least ~2 ms (timer resolution and loop overhead stay negligible at µs sizes);
 * samples are taken until both `minSamples` and `budget` seconds are reached.
 */
export function timeInProcess(fn: () => void, budget: number, minSamples = 5): number {
  let warm = 0;
  const w0 = now();
  while (warm < 3 || now() - w0 < Math.min(1, budget / 2)) {
    fn();
    warm++;
  }
  const estimate = (now() - w0) / warm;
  const batch = Math.max(1, Math.ceil(0.002 / estimate));
  const samples: number[] = [];
  const s0 = now();
  while (samples.length < minSamples || now() - s0 < budget) {
    const t0 = now();
    for (let k = 0; k < batch; k++) fn();
    samples.push((now() - t0) / batch);
  }
  return median(samples);
}

/** 1.23 µs / 45.6 ms / 7.89 s: three significant digits, unit by size. */
export function fmtTime(seconds: number | undefined): string {
  if (seconds === undefined) return 'n/a';
  const [v, unit] = seconds < 1e-3 ? [seconds * 1e6, 'µs'] : seconds < 1 ? [seconds * 1e3, 'ms'] : [seconds, 's'];
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
}

export function fmtMs(seconds: number | undefined): string {
  return seconds === undefined ? 'n/a' : (seconds * 1e3).toFixed(1);
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return 'n/a';
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

export function dimsText(d: Dims): string {
  return `n_x=${d.n_x} n_a=${d.n_a} n_y=${d.n_y} m=${d.m} T_x=${d.T_x}`;
}

/** A Markdown table with padded columns: readable in a terminal, pasteable into a README. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string =>
    '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const r of rows) console.log(line(r));
  console.log('');
}

/** The CPU time counters of /proc/stat's first line: [busy, total] jiffies, or undefined off Linux. */
export function cpuJiffies(): [number, number] | undefined {
  if (!fs.existsSync('/proc/stat')) return undefined;
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return [total - f[3] - (f[4] ?? 0), total]; // idle and iowait are not busy
}

/**
 * How busy the machine is without us: the share of all cores' time used over `seconds`
 * while this process sleeps (and no child runs). Other work on the machine makes every
 * number below noisy — numpy's OpenBLAS threads especially.
 */
export function othersBusy(seconds = 1): string {
  const before = cpuJiffies();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
  const after = cpuJiffies();
  if (!before || !after || after[1] === before[1]) return 'n/a';
  return `${(((after[0] - before[0]) / (after[1] - before[1])) * 100).toFixed(0)}%`;
}

export function heading(title: string): void {
  console.log(`\n## ${title}\n`);
  console.log(`(CPU used by other processes in the second before this section: ${othersBusy()} of ${os.availableParallelism()} cores)\n`);
}

/** The python interpreter the benchmarks time, and what `python3` on PATH is. */
export interface Python {
  /** The interpreter itself (`sys.executable` of `python3`), or plain `python3` if that failed. */
  exe: string;
  /** True when `python3` on PATH is not the interpreter (a version manager's shim, such as pyenv's). */
  shim: boolean;
}

let resolved: Python | undefined;

/**
 * `python3` resolved once to the interpreter it runs: a pyenv shim on PATH is a bash script
 * that adds ~300 ms to every start, which timing `python3` would count as numpy's.
 */
export function python(): Python {
  if (resolved) return resolved;
  const r = run('python3', ['-c', 'import sys; print(sys.executable)']);
  const exe = r.ok ? r.stdout.trim() : '';
  if (!exe || !fs.existsSync(exe)) return (resolved = { exe: 'python3', shim: false });
  const onPath = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'python3')).find((p) => fs.existsSync(p));
  let shim = false;
  try {
    shim = onPath !== undefined && fs.realpathSync(onPath) !== fs.realpathSync(exe);
  } catch {
    shim = false;
  }
  return (resolved = { exe, shim });
}

