/**
 * `npm run bench [-- --only startup|breakdown|gradcheck|engine|cold|deep]`: times our code and the seed's numpy
 * code (bench/numpy_side.py) on the same inputs, in one run, and prints tables of times and
 * ratios. A benchmark, not a test: nothing here asserts or fails on a timing.
 *
 *   startup    whole processes: bare `node -e 0`, `rnn --help` and `rnn forward` on the
 *              course-size t7 fixtures, on every Node found (bench/startup.ts), and python
 *              running the seed's numpy forward on the same files
 *   breakdown  where the start-up time of `rnn forward` goes (bench/breakdown.ts)
 *   gradcheck  full gradient check (every entry, centred differences, sum loss) of an LSTM,
 *              in-process and whole-process, against a plain numpy loop over the seed's code
 *   engine     one forward + xent backward pass, RNN/LSTM/GRU at three sizes, with GFLOP/s
 *              (warm: in-process, after warm-up)
 *   cold       one `rnn backward` on a big net as a user runs it, a fresh process each, against
 *              the seed's numpy script on the same fixture (bench/cold.ts)
 *   deep       2-layer bidirectional LSTM and GRU in PyTorch's terms, against one layer and
 *              against PyTorch's own float64 implementation where it imports (bench/deep.ts)
 *
 * See bench/README.md for the goals and the numbers measured so far.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CellName, Dims, Loss } from '../src/backends/types';
import { initFixture } from '../src/cli/commands/init';
import { float64Backend } from '../src/backends/float64';
import { gradcheck } from '../src/gradcheck';
import type { Arrays } from '../src/tensor';
import { SHARED_MIN_WORK } from '../src/exec/kernels';
import { checkInputs } from '../src/validate';
import { setKernelThreads, sharedKernels } from '../src/exec/wasm/kernels';
import { groupWorkerReady } from '../src/exec/groups';
import { dimsText, fmtRatio, fmtTime, heading, median, now, numpySeconds, othersBusy, printTable, python, ratio, RNN, run, runOrWarn, timeInProcess } from './common';
import { kernelPeak } from './peak';
import { breakdown } from './breakdown';
import { startup } from './startup';
import { cold } from './cold';
import { deep } from './deep';

const CELLS: readonly CellName[] = ['rnn', 'lstm', 'gru'];
const SECTIONS = ['startup', 'breakdown', 'gradcheck', 'engine', 'cold', 'deep'] as const;
type Section = (typeof SECTIONS)[number];

/** Checked inputs as `rnn init --seed 1` draws them (numpy_side.py draws the same). */
function drawInputs(cell: CellName, dims: Dims): Arrays {
  return checkInputs(cell, initFixture({ cell, dims, seed: 1, scale: 1 }), { da: true, labels: true }).inputs;
}

// ---------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------

function machine(): void {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const py = python();
  const numpy = run(py.exe, ['-c', 'import numpy; print(numpy.__version__)']);
  const commit = run('git', ['rev-parse', '--short', 'HEAD']);
  console.log('# rnn benchmarks\n');
  printTable(['machine', ''], [
    ['node', process.version],
    ['python / numpy', numpy.ok ? `${run(py.exe, ['--version']).stdout.trim() || 'python3'} / numpy ${numpy.stdout.trim()}` : 'n/a (numpy columns will be empty)'],
    ['python timed', `${py.exe}${py.shim ? ' (python3 on PATH is a shim)' : ''}`],
    ['cpu', model],
    ['cores', String(os.availableParallelism())],
    ['commit', commit.ok ? commit.stdout.trim() : 'n/a'],
    ['date', new Date().toISOString().slice(0, 10)],
    ['CPU busy (others), 1 s sample', othersBusy()],
  ]);
}

// ---------------------------------------------------------------------------------------
// 2. Gradient check
// ---------------------------------------------------------------------------------------

interface GradcheckSize {
  name: string;
  dims: Dims;
  /** Required speed-up of our full check over numpy's. */
  goal: number;
  /** torch.autograd.gradcheck on the same problem, measured earlier on this machine (not re-run). */
  torchSeconds: number;
  warmRuns: number;
  cliRuns: number;
  numpyRuns: number;
}

const GRADCHECK_SIZES: readonly GradcheckSize[] = [
  { name: 'course', dims: { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 }, goal: 10, torchSeconds: 0.66, warmRuns: 7, cliRuns: 5, numpyRuns: 3 },
  { name: 'medium', dims: { n_x: 16, n_a: 32, n_y: 16, m: 8, T_x: 20 }, goal: 2, torchSeconds: 68, warmRuns: 2, cliRuns: 1, numpyRuns: 1 },
];

interface OursGradcheck {
  first: number;
  warm: number;
  evaluations: number;
  pass: boolean;
}

function oursGradcheck(size: GradcheckSize): OursGradcheck {
  const inputs = drawInputs('lstm', size.dims);
  const once = (): { seconds: number; evaluations: number; pass: boolean } => {
    const t0 = now();
    const r = gradcheck({ cell: 'lstm', inputs, loss: { kind: 'sum', da: inputs.da }, mode: 'full' });
    return { seconds: now() - t0, evaluations: r.evaluations, pass: r.pass };
  };
  const first = once();
  const warm = Array.from({ length: size.warmRuns }, () => once().seconds);
  return { first: first.seconds, warm: median(warm), evaluations: first.evaluations, pass: first.pass };
}

/** Whole process: `rnn gradcheck` on a fixture that `rnn init` wrote (init not timed). */
function cliGradcheck(size: GradcheckSize, dir: string): number | undefined {
  const file = path.join(dir, `lstm_${size.name}.npz`);
  const d = size.dims;
  const init = runOrWarn(RNN, ['init', '--cell', 'lstm', '--n-x', `${d.n_x}`, '--n-a', `${d.n_a}`, '--n-y', `${d.n_y}`,
    '--m', `${d.m}`, '--t-x', `${d.T_x}`, '--seed', '1', '--out', file]);
  if (!init) return undefined;
  const times: number[] = [];
  for (let k = 0; k < size.cliRuns; k++) {
    const r = runOrWarn(RNN, ['gradcheck', '--cell', 'lstm', '--loss', 'sum', '--mode', 'full', file]);
    if (!r) return undefined;
    times.push(r.seconds);
  }
  return median(times);
}

function numpyGradcheck(size: GradcheckSize): { inProcess: number; wall: number } | undefined {
  const d = size.dims;
  const runs: { inProcess: number; wall: number }[] = [];
  for (let k = 0; k < size.numpyRuns; k++) {
    const r = numpySeconds(['gradcheck', 'lstm', `${d.n_x}`, `${d.n_a}`, `${d.n_y}`, `${d.m}`, `${d.T_x}`]);
    if (!r) return undefined;
    runs.push(r);
  }
  return { inProcess: median(runs.map((r) => r.inProcess)), wall: median(runs.map((r) => r.wall)) };
}

function gradcheckSection(): void {
  heading('2. Gradient check (LSTM, sum loss, every entry, centred differences)');
  console.log('Ours: gradcheck({ mode: \'full\' }) in-process, one thread — the first call at each size ("first";');
  console.log('at course size the first gradcheck of the process, so JIT warm-up included) and the median of the');
  console.log('next calls ("warm") — and `rnn gradcheck --cell lstm --loss sum --mode full FILE` with its default');
  console.log('options as a whole process, on a fixture written by `rnn init --seed 1`. numpy: numpy_side.py');
  console.log('gradcheck, the seed\'s forward re-run twice per entry; "in-process" excludes python start-up and');
  console.log('imports, "process" is the wall time of the whole command. Speed-up = numpy time / our time.\n');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-bench-'));
  try {
    const rows: string[][] = [];
    const speedups: string[][] = [];
    for (const size of GRADCHECK_SIZES) {
      const ours = oursGradcheck(size);
      const cli = cliGradcheck(size, dir);
      const np = numpyGradcheck(size);
      const label = `${size.name} (${dimsText(size.dims)})`;
      rows.push([label, fmtTime(ours.first), fmtTime(ours.warm), fmtTime(cli), fmtTime(np?.inProcess), fmtTime(np?.wall),
        `${fmtTime(size.torchSeconds)}*`, `${ours.evaluations}`, ours.pass ? 'PASS' : 'FAIL']);
      const warmUp = ratio(np?.inProcess, ours.warm);
      speedups.push([size.name, fmtRatio(ratio(np?.inProcess, ours.first)), fmtRatio(warmUp), fmtRatio(ratio(np?.wall, cli)),
        `≥ ${size.goal}×`, warmUp === undefined ? 'n/a' : warmUp >= size.goal ? 'met' : 'not met', fmtRatio(ratio(size.torchSeconds, ours.warm))]);
    }
    printTable(['size', 'ours first', 'ours warm', 'rnn gradcheck (process)', 'numpy in-process', 'numpy (process)',
      'torch*', 'loss evaluations', 'verdict'], rows);
    printTable(['size', 'numpy / ours first', 'numpy / ours warm', 'numpy / rnn (processes)', 'goal', 'met? (warm)', 'torch* / ours warm'], speedups);
    console.log('* torch.autograd.gradcheck on the same problems, measured earlier on this machine; constants, not re-run.');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// 3. Engine
// ---------------------------------------------------------------------------------------

interface EngineSize {
  name: string;
  dims: Dims;
  /** Seconds of timed samples for ours, per cell. */
  budget: number;
  /** Timed passes numpy_side.py takes the median of (after 2 warm-up passes). */
  numpyReps: number;
}

const ENGINE_SIZES: readonly EngineSize[] = [
  { name: 'course', dims: { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 }, budget: 0.5, numpyReps: 300 },
  { name: 'medium', dims: { n_x: 16, n_a: 32, n_y: 16, m: 8, T_x: 20 }, budget: 0.5, numpyReps: 100 },
  { name: 'big', dims: { n_x: 64, n_a: 128, n_y: 64, m: 32, T_x: 100 }, budget: 2, numpyReps: 25 },
];

/** Gate products per step: 1 (rnn), 4 (lstm), 3 (gru, gru_reset_after). */
const GATES: Record<CellName, number> = { rnn: 1, lstm: 4, gru: 3, gru_reset_after: 3, rnn_relu: 1 };

/**
 * FLOPs of one forward + backward pass, counting only the matrix products (2 per
 * multiply-add): forward per step G·n_a·(n_a+n_x)·m + n_y·n_a·m; backward twice that
 * (each product has two gradient products: w.r.t. the weights and w.r.t. the input).
 */
function passFlops(cell: CellName, d: Dims): number {
  const forwardMacs = d.T_x * (GATES[cell] * d.n_a * (d.n_a + d.n_x) * d.m + d.n_y * d.n_a * d.m);
  return 2 * 3 * forwardMacs;
}

function oursEngine(cell: CellName, size: EngineSize, threads: boolean): number {
  const inputs = drawInputs(cell, size.dims);
  const loss: Loss = { kind: 'xent', labels: inputs.labels };
  setKernelThreads(threads);
  try {
    return timeInProcess(() => void float64Backend.backward(cell, inputs, loss), size.budget);
  } finally {
    setKernelThreads(true);
  }
}

/**
 * Does any product of a pass reach the size that the kernels share with their helper thread?
 * The biggest batch is the input projection over all steps (src/exec/unroll/pass.ts project).
 */
const sharesProducts = (cell: CellName, d: Dims): boolean => GATES[cell] * d.n_a * d.n_x * d.m * d.T_x >= SHARED_MIN_WORK;

function numpyEngine(cell: CellName, size: EngineSize): number | undefined {
  const d = size.dims;
  return numpySeconds(['engine', cell, `${d.n_x}`, `${d.n_a}`, `${d.n_y}`, `${d.m}`, `${d.T_x}`, `${size.numpyReps}`])?.inProcess;
}

/** GFLOP/s of numpy's 2048×2048 matmul (numpy_side.py peak), on `threads` cores or as OpenBLAS likes. */
function numpyPeak(threads?: number): number | undefined {
  // (numpySeconds reads the last line printed, here GFLOP/s rather than seconds)
  return numpySeconds(['peak'], threads ? { OPENBLAS_NUM_THREADS: String(threads) } : {})?.inProcess;
}

function engineSection(): void {
  heading('3. Engine: one forward + xent backward pass (in-process)');
  console.log('Ours: float64Backend.backward(cell, inputs, xent) from src/backends/float64.ts, median after warm-up. numpy: numpy_side.py');
  console.log('engine, the seed\'s forward + backward with the xent head, median of its passes (OpenBLAS, default threads).');
  console.log('GFLOP/s counts only the matrix products, 2 FLOPs per multiply-add: forward per step');
  console.log('G·n_a·(n_a+n_x)·m + n_y·n_a·m with G = 1 rnn, 4 lstm, 3 gru; backward twice the forward\'s products.\n');
  console.log('Where products (or batches of them over all steps) reach 2^20 multiply-adds (big nets), the kernels share them with a helper thread,');
  console.log('and where a step\'s recurrent product does, the two halves of the batch run their time loops on two threads (column groups);');
  console.log('"ours, 1 thread" is the same pass with both off (RNN_KERNEL_THREADS=1 does it for a process).\n');
  const helper = sharedKernels();
  if (helper) void helper.helperReady(); // starts them; they are ready long before the big sizes run
  void groupWorkerReady();
  const rows: string[][] = [];
  for (const size of ENGINE_SIZES) {
    for (const cell of CELLS) {
      const ours = oursEngine(cell, size, true);
      const one = sharesProducts(cell, size.dims) ? oursEngine(cell, size, false) : undefined;
      const np = numpyEngine(cell, size);
      const flops = passFlops(cell, size.dims);
      rows.push([`${size.name} ${cell}`, fmtTime(ours), one === undefined ? '—' : fmtTime(one), fmtTime(np), fmtRatio(ratio(np, ours)),
        (flops / ours / 1e9).toFixed(2), np === undefined ? 'n/a' : (flops / np / 1e9).toFixed(2)]);
    }
  }
  console.log(ENGINE_SIZES.map((s) => `${s.name}: ${dimsText(s.dims)}`).join('; ') + '\n');
  printTable(['size / cell', 'ours per pass', 'ours, 1 thread', 'numpy per pass', 'numpy / ours', 'ours GFLOP/s', 'numpy GFLOP/s'], rows);
  // The ceilings, for reading the GFLOP/s columns (bench/peak.ts says why they differ).
  const fmt = (v: number | undefined): string => (v === undefined ? 'n/a' : v.toFixed(1));
  console.log(`\nThe machine's limits, measured now (GFLOP/s): our SIMD kernel alone on its best product (big LSTM step, 512×128·128×32,`);
  console.log(`one thread) ${fmt(kernelPeak(512, 128, 32, 20, true))} with W packed as the big nets' passes pack it (${fmt(kernelPeak())} as it is);`);
  console.log(`numpy's 2048×2048 matmul ${fmt(numpyPeak(1))} on one core, ${fmt(numpyPeak())} on all ${os.availableParallelism()}.`);
}

// ---------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------

function parseOnly(argv: readonly string[]): Section[] {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return [...SECTIONS];
  const value = argv[i].includes('=') ? argv[i].slice('--only='.length) : argv[i + 1];
  const picked = (value ?? '').split(',').filter(Boolean);
  const bad = picked.filter((p) => !(SECTIONS as readonly string[]).includes(p));
  if (!picked.length || bad.length) {
    console.error(`usage: npm run bench [-- --only ${SECTIONS.join('|')}]${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}`);
    process.exit(2);
  }
  return SECTIONS.filter((s) => picked.includes(s));
}

function main(): void {
  const sections = parseOnly(process.argv.slice(2));
  const started = now();
  machine();
  const runners: Record<Section, () => void> = { startup, breakdown, gradcheck: gradcheckSection, engine: engineSection, cold, deep };
  for (const s of sections) runners[s]();
  console.log(`\n(benchmark took ${(now() - started).toFixed(0)} s)`);
}

main();
