/**
 * Section `cold` of `npm run bench`: one `rnn backward` on a big net as a user runs it — a
 * fresh process, once — against the seed's numpy forward and backward on the same fixture,
 * also a fresh process (bench/numpy_side.py backward). Both are whole processes: start-up,
 * reading the .npz, the pass and the output. The compute alone is t(T_x = 400) − t(T_x = 1)
 * of the same command. Commands alternate round by round; times are medians over the rounds.
 * Minor page faults come from /usr/bin/time where it exists: on a fresh process every page
 * touched first is one, and they cost ~10 µs each on this machine (bench/README.md, "One cold run").
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CellName } from '../src/backends/types';
import { fmtMs, fmtRatio, heading, median, NUMPY_SIDE, printTable, python, ratio, RNN } from './common';

const CELLS: readonly CellName[] = ['rnn', 'lstm', 'gru'];
const T_XS = [1, 100, 400] as const;
/** The big nets of issue 18 (n_y as the engine section's big size). */
const DIMS = { n_x: 64, n_a: 128, n_y: 64, m: 32 };
/** Rounds timed (RNN_BENCH_ROUNDS overrides). */
const ROUNDS = Number(process.env.RNN_BENCH_ROUNDS) || 7;
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Timed {
  ms: number;
  faults?: number;
}

/** One whole process: wall time (ms) and, with /usr/bin/time, its minor page faults. */
function timed(cmd: string, args: readonly string[], cwd: string): Timed {
  const [exe, argv] = TIME ? [TIME, ['-f', '%R', cmd, ...args]] : [cmd, [...args]];
  const start = process.hrtime.bigint();
  const r = spawnSync(exe, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const last = TIME ? Number(r.stderr.trim().split('\n').pop()) : NaN;
  return { ms, faults: Number.isFinite(last) ? last : undefined };
}

export function cold(): void {
  heading('4. One cold run: `rnn backward` on a big net, a fresh process each (whole process)');
  console.log(`rnn: node bin/rnn backward --cell C FILE.npz (sum loss, tables on stdout). numpy: ${path.basename(NUMPY_SIDE)} backward C FILE.npz,`);
  console.log(`the seed's forward and backward of da. Fixtures: rnn init --seed 1, n_x ${DIMS.n_x}, n_a ${DIMS.n_a}, n_y ${DIMS.n_y}, m ${DIMS.m}.`);
  console.log(`Median of ${ROUNDS} alternating rounds; compute = t(T_x 400) − t(T_x 1). The warm figures of the same passes are section 3's.\n`);
  const py = python();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-bench-cold-'));
  try {
    const rows: string[][] = [];
    const compute: string[][] = [];
    for (const cell of CELLS) {
      const at = new Map<number, { rnn: number; numpy: number }>();
      for (const T of T_XS) {
        const file = `${cell}_${T}.npz`;
        const dims = Object.entries({ ...DIMS, t_x: T }).flatMap(([k, v]) => [`--${k.replace('_', '-')}`, String(v)]);
        timed(process.execPath, [RNN, 'init', '--cell', cell, ...dims, '--seed', '1', '--out', file], dir);
        timed(process.execPath, [RNN, 'backward', '--cell', cell, file], dir); // (the code cache for this kind of run)
        const ours: Timed[] = [], theirs: Timed[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          ours.push(timed(process.execPath, [RNN, 'backward', '--cell', cell, file], dir));
          theirs.push(timed(py.exe, [NUMPY_SIDE, 'backward', cell, file], dir));
        }
        const o = median(ours.map((t) => t.ms)), n = median(theirs.map((t) => t.ms));
        at.set(T, { rnn: o, numpy: n });
        const faults = (ts: Timed[]): string => (ts[0].faults === undefined ? 'n/a' : String(median(ts.map((t) => t.faults!))));
        rows.push([`${cell}, T_x ${T}`, fmtMs(o / 1000), fmtMs(n / 1000), fmtRatio(ratio(o, n)), faults(ours), faults(theirs)]);
      }
      const first = at.get(T_XS[0])!, last = at.get(T_XS[T_XS.length - 1])!;
      const o = last.rnn - first.rnn, n = last.numpy - first.numpy;
      compute.push([cell, fmtMs(o / 1000), fmtMs(n / 1000), fmtRatio(ratio(o, n))]);
    }
    printTable(['net', 'rnn (ms)', 'numpy (ms)', 'rnn / numpy (goal ≤ 1)', 'rnn page faults', 'numpy page faults'], rows);
    console.log('');
    printTable(['compute, T_x 400 − T_x 1', 'rnn (ms)', 'numpy (ms)', 'rnn / numpy (goal ≤ 1)'], compute);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
