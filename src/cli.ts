/**
 * The `rnn` command line. This file only wires commander to the command modules in
 * src/commands/ (plain functions returning results) and to the renderers in src/render/
 * (pure functions returning text), and maps errors to exit codes in one place
 * (`exitCodeFor`). Data goes to stdout, messages to stderr.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { availableParallelism } from 'os';
import type { CellName } from './backend';
import { BACKEND_NAMES, type BackendName } from './backends';
import { CELL_NAMES, CELLS } from './cells';
import { runBackward, LOSS_KINDS, type LossKind } from './commands/backward';
import { runForward } from './commands/forward';
import { GRADCHECK_LOSSES, GradcheckInterrupted, runGradcheck, type GradcheckLoss } from './commands/gradcheck';
import { initFixture } from './commands/init';
import { runInspect } from './commands/inspect';
import { DEFAULT_ATOL, DEFAULT_RTOL, describeMismatch, type Comparison } from './compare';
import { CheckFailed, EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, InputError, Interrupted } from './errors';
import { DEFAULT_DIRECTIONS, DEFAULT_EPS, DEFAULT_SAMPLES, DEFAULT_TOL, describeFailure, MODES, type Mode } from './gradcheck';
import { DEFAULT_MAX_BYTES } from './io/common';
import { encodeJsonArrays } from './io/json';
import { writeArrays } from './io/write';
import { DEFAULT_PRECISION } from './render/format';
import { gradcheckReport, processInterrupts, terminalLive, type Interrupts, type LiveRegion } from './live';
import { comparisonTable, gradcheckInterrupted, gradcheckSummary, renderBackward, renderForward, renderInspect, type Style } from './render/text';
import type { Arrays } from './tensor';
import { version } from '../package.json';

/** An unexpected exception: a bug in rnn, not in the user's input. */
export const EXIT_INTERNAL = 70;

/** Where output goes; tests pass their own. */
export interface IO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdoutIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Progress and finished rows on a terminal (src/live.ts). Absent when stderr is not a TTY. */
  live?: LiveRegion;
  /** Turns SIGINT / SIGTERM into an AbortSignal while a long command runs. Absent in-process. */
  interrupts?: () => Interrupts;
}

const defaultIO = (): IO => ({
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  stdoutIsTTY: !!process.stdout.isTTY,
  env: process.env,
  live: process.stderr.isTTY ? terminalLive(process.stderr) : undefined,
  interrupts: processInterrupts,
});

// ---- option parsers: a bad value is a usage error (exit 2) naming the option ----

function positiveInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a whole number ≥ 1, got '${v}'`);
    return Number(v);
  };
}

function nonNegativeInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) > max) throw new InvalidArgumentError(`${name} must be a whole number from 0 to ${max}, got '${v}'`);
    return Number(v);
  };
}

function positiveNumber(name: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`${name} must be a finite number > 0, got '${v}'`);
    return x;
  };
}

function nonNegativeNumber(name: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < 0) throw new InvalidArgumentError(`${name} must be a finite number ≥ 0, got '${v}'`);
    return x;
  };
}

function cellOption(): Option {
  return new Option('-c, --cell <cell>', `the cell: ${CELL_NAMES.map((n) => `${n} (${CELLS[n].title})`).join('; ')}`)
    .choices(CELL_NAMES)
    .makeOptionMandatory();
}

interface CommonOpts {
  json?: boolean;
  color: boolean;
  precision: number;
  out?: string;
}

function addOutputOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print the result as one JSON object of named arrays (a valid fixture) instead of tables')
    .option('-o, --out <path>', 'also write the result: FILE.json, FILE.npz, FILE.npy (one array) or a directory of .npy files')
    .option('--precision <digits>', 'significant digits in tables', positiveInt('--precision'), DEFAULT_PRECISION)
    .option('--no-color', 'no colour (also off when stdout is not a terminal or NO_COLOR is set)');
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .addOption(cellOption())
    .addOption(new Option('--backend <name>', 'float64 (fast kernels) or mathjs (literal reference implementation)').choices(BACKEND_NAMES).default('float64'))
    .option('--expect <files...>', "compare our results with these arrays of the same names; exit 1 on a mismatch")
    .option('--rtol <x>', 'relative tolerance for --expect', nonNegativeNumber('--rtol'), DEFAULT_RTOL)
    .option('--atol <x>', 'absolute tolerance for --expect', nonNegativeNumber('--atol'), DEFAULT_ATOL);
}

/** The input size limit (a zip bomb or a lying header must not take the machine down). */
function addInputLimit(cmd: Command): Command {
  return cmd.option('--max-input <MiB>', 'refuse inputs that decode to more than this many MiB of float64 data', positiveNumber('--max-input'), DEFAULT_MAX_BYTES / 2 ** 20);
}

const bytesOf = (mib: number): number => Math.floor(mib * 2 ** 20);

function styleOf(o: CommonOpts, io: IO): Style {
  const color = o.color && !o.json && io.stdoutIsTTY && !('NO_COLOR' in io.env && io.env.NO_COLOR !== '');
  return { color, precision: o.precision };
}

/** Emits a result: JSON or tables to stdout, and the arrays to --out. */
function emit(io: IO, o: CommonOpts, arrays: Arrays, text: () => string): void {
  if (o.out) {
    writeArrays(o.out, arrays);
    io.stderr(`rnn: wrote ${Object.keys(arrays).join(', ')} to ${o.out}\n`);
  }
  io.stdout(o.json ? encodeJsonArrays(arrays) : text());
}

/** After --expect: report to stderr in JSON mode (stdout stays a fixture), fail on a mismatch. */
function reportComparisons(io: IO, o: CommonOpts & { rtol: number; atol: number }, comps: Comparison[] | undefined, style: Style): void {
  if (!comps) return;
  const text = comparisonTable(style, comps, o.rtol, o.atol) + '\n';
  if (o.json) io.stderr(text);
  else io.stdout(text);
  const bad = comps.filter((c) => !c.ok);
  if (bad.length) throw new CheckFailed(`--expect: ${bad.map(describeMismatch).join('; ')}`);
}

const EXAMPLES = `
Examples:
  $ rnn init --cell lstm --n-x 3 --n-a 5 --n-y 2 --m 10 --t-x 7 --seed 1 --out lstm.json
  $ rnn forward --cell lstm lstm.json
  $ rnn forward --cell lstm lstm.json --json > out.json
  $ rnn forward --cell lstm lstm.json --expect my_outputs.npz
  $ rnn backward --cell lstm lstm.json --loss xent --show dWy
  $ rnn gradcheck --cell lstm
  $ rnn gradcheck --cell lstm lstm.json --loss sum --grads my_grads.npz
  $ rnn inspect lstm.json
  $ rnn forward --cell lstm lstm.json --json | rnn inspect -

Exit codes:
  0  success
  1  a check failed (--expect mismatch, gradcheck FAIL)
  2  bad usage or bad input (one line on stderr names the file and the problem)
 70  internal error (a bug in rnn; RNN_DEBUG=1 shows the stack)
130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM. gradcheck first prints what it finished
`;

export function buildProgram(io: IO): Command {
  const program = new Command('rnn')
    .description('Run and gradient-check recurrent nets (RNN, LSTM, GRU) in float64.\nFixtures: .json, .npy, .npz files, directories of them, or - for JSON on stdin.')
    .version(version, '-V, --version')
    .exitOverride()
    // commander's own errors (unknown option, bad choice, ...) as one line, like ours
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (s, write) => write(`rnn: ${s.replace(/^error: /, '').trim()} (see rnn --help)\n`),
    })
    .addHelpText('after', EXAMPLES);

  addInputLimit(addOutputOptions(addRunOptions(program.command('forward'))))
    .description('run the sequence forward: a, y (and c for LSTM) for every time step')
    .argument('[fixtures...]', 'files with the parameters and x (a0, c0 default to zeros)')
    .option('-t, --t <step>', 'time step whose predictions are shown (default: the last)', nonNegativeInt('--t'))
    .addHelpText('after', '\nExample:\n  $ rnn forward --cell rnn fixtures/cases/rnn_course.npz\n')
    .action((sources: string[], o: CommonOpts & { cell: CellName; backend: BackendName; expect?: string[]; rtol: number; atol: number; t?: number; maxInput: number }) => {
      const style = styleOf(o, io);
      const r = runForward({ cell: o.cell, sources, backend: o.backend, expect: o.expect, rtol: o.rtol, atol: o.atol, maxBytes: bytesOf(o.maxInput) });
      const T_x = r.dims.T_x;
      if (o.t !== undefined && o.t >= T_x) throw new InputError(`--t ${o.t} is past the last time step ${T_x - 1}`);
      warnUnknown(io, r.unknown);
      emit(io, o, r.outputs, () => renderForward(style, r, o.t ?? T_x - 1));
      reportComparisons(io, o, r.comparisons, style);
    });

  addInputLimit(addOutputOptions(addRunOptions(program.command('backward'))))
    .description('gradients of a loss: dx, da0 (dc0), and every dW/db')
    .argument('[fixtures...]', 'files with the parameters, x, and da (sum loss) or labels (xent loss)')
    .addOption(new Option('--loss <kind>', 'sum: L = Σ da⊙a with the fixture\'s da; xent: softmax cross-entropy on labels').choices(LOSS_KINDS).default('sum'))
    .option('--show <names...>', 'print these gradients in full (e.g. dWaa dx)')
    .addHelpText('after', '\nExample:\n  $ rnn backward --cell lstm fixtures/cases/lstm_course.npz --loss xent --show dWy\n')
    .action((sources: string[], o: CommonOpts & { cell: CellName; backend: BackendName; loss: LossKind; show?: string[]; expect?: string[]; rtol: number; atol: number; maxInput: number }) => {
      const style = styleOf(o, io);
      const r = runBackward({ cell: o.cell, sources, backend: o.backend, loss: o.loss, expect: o.expect, rtol: o.rtol, atol: o.atol, maxBytes: bytesOf(o.maxInput) });
      const show = o.show ?? [];
      const unknownShow = show.filter((n) => !(n in r.gradients));
      if (unknownShow.length) throw new InputError(`--show ${unknownShow.join(', ')}: no such gradient (have: ${Object.keys(r.gradients).join(', ')})`);
      warnUnknown(io, r.unknown);
      emit(io, o, r.gradients, () => renderBackward(style, r, show));
      reportComparisons(io, o, r.comparisons, style);
    });

  addInputLimit(program
    .command('gradcheck'))
    .description('check gradients (ours, or yours with --grads) against centred finite differences; exit 1 on a FAIL')
    .addOption(cellOption())
    .argument('[fixtures...]', 'parameters and x (and da / labels); none: a built-in course-size net (rnn init --seed 1)')
    .addOption(new Option('--loss <kind>', 'all: every loss the fixture allows; sum: L = Σ da⊙a; xent: softmax cross-entropy on labels').choices(GRADCHECK_LOSSES).default('all'))
    .addOption(new Option('--mode <mode>', 'auto: full when affordable, else fast; full: every entry; sample: --samples entries per array; fast: --directions random directions per array').choices(MODES).default('auto'))
    .option('--samples <k>', 'entries per array in sample mode', positiveInt('--samples'), DEFAULT_SAMPLES)
    .option('--directions <k>', 'random directions per array in fast mode', positiveInt('--directions'), DEFAULT_DIRECTIONS)
    .option('--eps <x>', 'finite-difference step', positiveNumber('--eps'), DEFAULT_EPS)
    .option('--tol <x>', 'largest relative error ‖num − ana‖ / (‖num‖ + ‖ana‖) that passes', nonNegativeNumber('--tol'), DEFAULT_TOL)
    .option('--seed <S>', 'seeds sampled entries, directions, and da when the fixture has none', nonNegativeInt('--seed', 0xffffffff), 0)
    .option('--only <names...>', 'check only these gradients (e.g. dWf dx)')
    .option('--threads <n>', 'worker threads for big checks (default: the machine\'s cores)', positiveInt('--threads'), availableParallelism())
    .option('--grads <files...>', 'check YOUR gradients from these files (named dx, da0, dWax, ... as rnn backward names them); needs --loss sum|xent')
    .option('--json', 'print the result as JSON')
    .option('--precision <digits>', 'significant digits', positiveInt('--precision'), DEFAULT_PRECISION)
    .option('--no-color', 'no colour')
    .addHelpText('after', `
Defaults: eps ${DEFAULT_EPS}, tol ${DEFAULT_TOL} (float64: correct gradients land near 1e-9, broken ones above 1e-2).

Examples:
  $ rnn gradcheck --cell lstm
  $ rnn gradcheck --cell gru fixtures/cases/gru_course.npz --mode full --only dWr dx
  $ rnn gradcheck --cell rnn my_net.npz --loss sum --grads my_grads.npz
`)
    .action(async (sources: string[], o: { cell: CellName; loss: GradcheckLoss; mode: Mode; samples: number; directions: number; eps: number; tol: number; seed: number; only?: string[]; grads?: string[]; threads: number; json?: boolean; color: boolean; precision: number; maxInput: number }) => {
      // Text: the header, then each loss as it finishes, then the summary. --json: one document at the end.
      const style = styleOf(o, io);
      const report = gradcheckReport(io, style, !!o.json);
      const stop = io.interrupts?.();
      try {
        const r = await runGradcheck({ ...o, sources, maxBytes: bytesOf(o.maxInput), events: report.events, signal: stop?.signal });
        report.close();
        io.stdout(o.json ? JSON.stringify(r, jsonNumbers, 2) + '\n' : gradcheckSummary(style, r.checks));
        if (!r.pass) {
          const failed = r.checks.flatMap((ch) => ch.arrays.filter((a) => !a.pass).map(describeFailure));
          throw new CheckFailed(`gradcheck FAILED: ${failed.join('; ')}`);
        }
      } catch (e) {
        report.close();
        // Interrupted: the text shows what was finished; --json prints nothing (a partial document could pass for a whole one).
        if (e instanceof GradcheckInterrupted && !o.json) io.stdout(gradcheckInterrupted(style, e.partial));
        throw e;
      } finally {
        stop?.dispose();
      }
    });

  program
    .command('init')
    .description('write a complete random fixture (parameters, x, a0, da, labels), reproducible in numpy with --seed')
    .addOption(cellOption())
    .requiredOption('--n-x <n>', 'input features n_x', positiveInt('--n-x'))
    .requiredOption('--n-a <n>', 'hidden units n_a', positiveInt('--n-a'))
    .requiredOption('--n-y <n>', 'output classes n_y', positiveInt('--n-y'))
    .requiredOption('--m <n>', 'examples in the batch m', positiveInt('--m'))
    .requiredOption('--t-x <n>', 'time steps T_x', positiveInt('--t-x'))
    .option('--seed <S>', 'np.random.seed(S) before the draws (default: a random seed, printed on stderr)', nonNegativeInt('--seed', 0xffffffff))
    .option('--scale <x>', 'multiply every parameter by this (1 = the course\'s randn)', nonNegativeNumber('--scale'), 1)
    .option('-o, --out <path>', 'write here: FILE.json, FILE.npz, or a directory of .npy files (default: JSON to stdout)')
    .addHelpText('after', `
Draws, in this order, exactly as numpy does after np.random.seed(S):
  x = randn(n_x, m, T_x); a0 = randn(n_a, m); each parameter = randn(*shape) * scale in the order
  rnn: Waa, Wax, Wya, ba, by | lstm: Wf, bf, Wi, bi, Wo, bo, Wc, bc, Wy, by | gru: Wu, bu, Wr, br, Wc, bc, Wy, by
  then da = randn(n_a, m, T_x); labels = randint(0, n_y, size=(m, T_x)). LSTM also gets c0 = zeros(n_a, m).

Example:
  $ rnn init --cell rnn --n-x 3 --n-a 5 --n-y 2 --m 10 --t-x 4 --seed 1 --out rnn.json
`)
    .action((o: { cell: CellName; nX: number; nA: number; nY: number; m: number; tX: number; seed?: number; scale: number; out?: string }) => {
      let seed = o.seed;
      if (seed === undefined) {
        seed = Math.floor(Math.random() * 2 ** 32);
        io.stderr(`rnn: seed ${seed} (pass --seed ${seed} to draw the same fixture again)\n`);
      }
      const arrays = initFixture({ cell: o.cell, dims: { n_x: o.nX, n_a: o.nA, n_y: o.nY, m: o.m, T_x: o.tX }, seed, scale: o.scale });
      if (o.out) {
        writeArrays(o.out, arrays);
        io.stderr(`rnn: wrote ${Object.keys(arrays).join(', ')} to ${o.out}\n`);
      } else io.stdout(encodeJsonArrays(arrays));
    });

  addInputLimit(program
    .command('inspect'))
    .description('list every array of a fixture (shape, file, dtype, min/max/mean, NaN/Inf) and which cells it fits')
    .argument('<fixtures...>', 'files, directories, or - for JSON on stdin')
    .option('--json', 'print the result as JSON')
    .option('--precision <digits>', 'significant digits', positiveInt('--precision'), DEFAULT_PRECISION)
    .option('--no-color', 'no colour')
    .addHelpText('after', '\nExample:\n  $ rnn inspect fixtures/cases/gru_course.npz\n')
    .action((sources: string[], o: CommonOpts & { maxInput: number }) => {
      const r = runInspect(sources, bytesOf(o.maxInput));
      io.stdout(o.json ? JSON.stringify(r, jsonNumbers, 2) + '\n' : renderInspect(styleOf(o, io), r));
    });

  return program;
}

/** NaN and ±Infinity are not JSON: write them as null. */
function jsonNumbers(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

function warnUnknown(io: IO, unknown: string[]): void {
  if (unknown.length) io.stderr(`rnn: warning: not used by this cell: ${unknown.join(', ')}\n`);
}

/** The one place where failures become exit codes. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CheckFailed) return EXIT_CHECK_FAILED;
  if (err instanceof InputError) return EXIT_BAD_INPUT;
  if (err instanceof Interrupted) return err.signal === 'SIGTERM' ? EXIT_SIGTERM : EXIT_SIGINT;
  if (err instanceof CommanderError) {
    // --help and --version end with exit code 0; every other commander error is bad usage.
    return err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  }
  return EXIT_INTERNAL;
}

/** Runs the CLI; resolves to the exit code. */
export async function run(argv: string[], io: IO = defaultIO()): Promise<number> {
  const program = buildProgram(io);
  try {
    if (argv.length <= 2) {
      io.stdout(program.helpInformation() + EXAMPLES);
      return EXIT_OK;
    }
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    const code = exitCodeFor(err);
    if (err instanceof CommanderError) return code; // commander already printed its message
    const debug = io.env.RNN_DEBUG === '1';
    if (code === EXIT_INTERNAL) {
      io.stderr(`rnn: internal error: ${(err as Error)?.message ?? String(err)}${debug ? '' : ' (RNN_DEBUG=1 shows the stack)'}\n`);
    } else {
      io.stderr(`rnn: ${(err as Error).message}\n`);
    }
    if (debug && err instanceof Error && err.stack) io.stderr(err.stack + '\n');
    return code;
  }
}

/** Entry point of bin/rnn. */
export function main(argv: string[]): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // `rnn forward --json | head`: the reader left; that is not our failure.
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  void run(argv).then((code) => {
    process.exitCode = code;
  });
}
