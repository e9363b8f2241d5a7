/**
 * The `rnn` command line. This file only wires commander to the command modules in
 * src/cli/commands/ (plain functions returning results) and to the renderers in src/cli/render/
 * (pure functions returning text), and maps errors to exit codes in one place
 * (`exitCodeFor`). Data goes to stdout, messages to stderr.
 */
import { pickLayout } from './layout';
import { initHelp } from './render/init-help';
import { cs231nBackward, cs231nForward, cs231nInit } from './cs231n';
import { Command, CommanderError, Option, type OutputConfiguration } from 'commander';
import { availableParallelism } from 'os';
import { LOSS_INPUT, type CellName, type Dims } from '../backends/types';
import type { BackendName } from '../backends';
import { CELLS, gradientNames } from '../model/cells';
import { BACKWARD_DEFAULT_LOSS, runBackward, LOSS_KINDS, type LossKind } from './commands/backward';
import { runForward } from './commands/forward';
import { GRADCHECK_LOSSES, GradcheckInterrupted, runGradcheck, type GradcheckLoss } from './commands/gradcheck';
import { checkFixtureSize, initFixture } from './commands/init';
import { runInspect } from './commands/inspect';
import { addColorOptions, addInputLimit, addOutputOptions, addRunOptions, bytesOf, cellOption, layoutCellOption, MAX_LIMIT_MIB, nonNegativeInt, nonNegativeNumber, numberOption, positiveInt, positiveNumber, precisionOption, requireCell, requireOptions, LAYOUTS, type CommonOpts, type LayoutName } from './options';
import { CheckFailed, EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, InputError, Interrupted } from '../errors';
import { DEFAULT_DIRECTIONS, DEFAULT_EPS, DEFAULT_SAMPLES, DEFAULT_TOL, MODES, type Mode } from '../gradcheck';
import { DEFAULT_MAX_BYTES } from '../io/common';
import { gradcheckReport, processInterrupts, terminalLive, type Interrupts, type LiveRegion } from './live';
import { emit, emitArrays, outputPlan } from './output';
import { formatNumber, formatSetting } from './render/format';
import { gradcheckInterrupted, gradcheckSummary } from './render/gradcheck';
import { renderBackward, renderForward, renderInspect } from './render/text';
import { describeFailure } from './render/verdicts';
import { oneLine, shownList, terminalSafe } from '../escape';
import { torchBackward, torchForward, torchGradcheckAction, torchInit, torchInitOnly, torchOnly, type TorchInitOpts } from './torch';
import { BACKWARD_RESULT, checkStrict, FORWARD_RESULT, jsonNumbers, reportComparisons, say, seedOrDrawn, styleOf, warnUnknown, wantColor } from './report';

export { wantColor };
import { isTerminal, onLateWriteError, writerFor } from './stdio';
import { LOSSES } from '../model/losses';
import { version } from '../../package.json';

/** The layout options of forward and backward (src/cli/torch.ts). */
interface LayoutOpts {
  layout: LayoutName;
  prefix?: string;
  batchFirst?: boolean;
  nonlinearity?: 'tanh' | 'relu';
}

/** An unexpected exception: a bug in rnn, not in the user's input. */
export const EXIT_INTERNAL = 70;

/** Where output goes; tests pass their own. */
export interface IO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdoutIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Progress and finished rows on a terminal (src/cli/live.ts). Absent when stderr is not a TTY. */
  live?: LiveRegion;
  /** Turns SIGINT / SIGTERM into an AbortSignal while a long command runs. Absent in-process. */
  interrupts?: () => Interrupts;
}

// Not process.stdout/stderr: making those for a pipe or a file costs every start (src/cli/stdio.ts).
const defaultIO = (): IO => ({
  stdout: writerFor(1),
  stderr: writerFor(2),
  stdoutIsTTY: isTerminal(1),
  env: process.env,
  live: isTerminal(2) ? terminalLive(process.stderr) : undefined,
  interrupts: processInterrupts,
});

const EXAMPLES = `
Examples:
  $ rnn init --cell lstm --n-x 3 --n-a 5 --n-y 2 --m 10 --t-x 7 --seed 1 --out lstm.json
  $ rnn forward --cell lstm lstm.json
  $ rnn forward --cell lstm lstm.json --json > out.json
  $ rnn forward --cell lstm lstm.json --expect out.json
  $ rnn backward --cell lstm lstm.json --loss xent --show dWy
  $ rnn backward --cell lstm lstm.json --out my_grads.npz
  $ rnn gradcheck --cell lstm
  $ rnn gradcheck --cell lstm lstm.json --loss sum --grads my_grads.npz
  $ rnn inspect lstm.json
  $ rnn forward --cell lstm lstm.json --json | rnn inspect -
  $ rnn init --layout torch --cell gru --input-size 3 --hidden-size 4 --num-layers 2 --bidirectional --batch 2 --seq-len 5 --seed 1 --out gru_torch.npz
  $ rnn gradcheck --layout torch gru_torch.npz

Exit codes:
  0  success
  1  a check failed (--expect mismatch, gradcheck FAIL)
  2  bad usage, bad input, or output that cannot be written (one line on stderr names the file and the problem)
 70  internal error (a bug in rnn; RNN_DEBUG=1 shows the stack)
130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM. gradcheck first prints what it finished
`;

export function buildProgram(io: IO): Command {
  const program = new Command('rnn')
    .description('Run and gradient-check recurrent nets (RNN, LSTM, GRU) in float64.\nFixtures: .json, .npy, .npz, .safetensors files, directories of them, or - for JSON on stdin.')
    .version(version, '-V, --version')
    .exitOverride()
    // commander's own errors (unknown option, bad choice, ...) as one line, like ours
    .configureOutput(usageOutput(io, 'rnn'))
    .addHelpText('after', EXAMPLES);

  addInputLimit(addOutputOptions(addRunOptions(program.command('forward'))))
    .description('run the sequence forward: a, y (and c for LSTM) for every time step')
    .argument('[fixtures...]', 'files with the parameters and x (a0, c0 default to zeros)')
    .option('-t, --t <step>', 'time step whose predictions are shown (default: the last)', nonNegativeInt('--t'))
    .addHelpText('after', '\nExamples:\n  $ rnn init --cell rnn --n-x 3 --n-a 5 --n-y 2 --m 10 --t-x 4 --seed 1 --out rnn.json\n  $ rnn forward --cell rnn rnn.json\n')
    .action(async (sources: string[], o: CommonOpts & LayoutOpts & { cell: CellName; backend: BackendName; expect?: string[]; strict?: boolean; rtol: number; atol: number; t?: number; maxInput: number }, cmd: Command) => {
      const { layout, fixture } = pickLayout(cmd, o, sources, io);
      if (layout === 'cs231n') return cs231nForward(io, sources, outputPlan(o), fixture);
      if (layout === 'torch') {
        if (o.t !== undefined) throw new InputError('--t: a PyTorch module has no predictions to show (--layout torch prints output by step)');
        return torchForward(io, sources, outputPlan(o), fixture);
      }
      requireCell(cmd, o);
      torchOnly(o);
      o = outputPlan(o);
      const style = styleOf(o, io);
      checkStrict(o, o.expect, '--expect');
      const r = runForward({ cell: o.cell, sources, fixture, backend: o.backend, expect: o.expect, rtol: o.rtol, atol: o.atol, maxBytes: bytesOf(o.maxInput) });
      const T_x = r.dims.T_x;
      if (o.t !== undefined && o.t >= T_x) throw new InputError(`--t ${o.t} is past the last time step ${T_x - 1}`);
      warnUnknown(io, r.unknown);
      await emit(io, o, r.outputs, FORWARD_RESULT, () => renderForward(style, r, o.t ?? T_x - 1), `rnn forward: cell ${r.cell}, ${dimsText(r.dims)}`);
      reportComparisons(io, o, r.expected, style, r.dims);
    });

  addInputLimit(addOutputOptions(addRunOptions(program.command('backward'))))
    .description('gradients of a loss: dx, da0 (dc0), and every dW/db')
    .argument('[fixtures...]', `files with the parameters, x, and ${LOSS_KINDS.map((k) => `${LOSS_INPUT[k]} (${k} loss)`).join(' or ')}`)
    .addOption(new Option('--loss <kind>', `${lossHelp}; default: the one the fixture and --expect allow; ${BACKWARD_DEFAULT_LOSS} when the fixture has ${LOSS_KINDS.length > 2 ? 'several' : 'both'} and --expect does not tell`).choices(LOSS_KINDS))
    .option('--show <names...>', 'print these gradients in full (e.g. dWaa dx)')
    .addHelpText('after', '\nExamples:\n  $ rnn init --cell lstm --n-x 3 --n-a 5 --n-y 2 --m 10 --t-x 4 --seed 1 --out lstm.json\n  $ rnn backward --cell lstm lstm.json --loss xent --show dWy\n')
    .action(async (sources: string[], o: CommonOpts & LayoutOpts & { cell: CellName; backend: BackendName; loss?: LossKind; show?: string[]; expect?: string[]; strict?: boolean; rtol: number; atol: number; maxInput: number }, cmd: Command) => {
      const { layout, fixture } = pickLayout(cmd, o, sources, io);
      if (layout === 'cs231n') return cs231nBackward(io, sources, outputPlan(o), fixture);
      if (layout === 'torch') {
        if (o.loss !== undefined) throw new InputError("--loss: --layout torch takes PyTorch's loss, Σ grad_output ⊙ output (+ Σ grad_h_n ⊙ h_n, Σ grad_c_n ⊙ c_n), from the arrays the fixture has");
        return torchBackward(io, sources, outputPlan(o), fixture);
      }
      requireCell(cmd, o);
      torchOnly(o);
      o = outputPlan(o);
      const style = styleOf(o, io);
      checkStrict(o, o.expect, '--expect');
      const r = runBackward({ cell: o.cell, sources, fixture, backend: o.backend, loss: o.loss, expect: o.expect, rtol: o.rtol, atol: o.atol, maxBytes: bytesOf(o.maxInput) });
      const show = o.show ?? [];
      const unknownShow = show.filter((n) => !(n in r.gradients));
      for (const other of LOSS_KINDS.filter((k) => k !== r.loss)) {
        const only = unknownShow.filter((n) => gradientNames(CELLS[o.cell], other).includes(n));
        if (!only.length) continue;
        const why = !LOSSES[r.loss].usesHead && LOSSES[other].usesHead ? ` (the ${r.loss} loss ${LOSSES[r.loss].help} does not reach the output head)` : '';
        throw new InputError(`--show ${only.join(', ')}: a gradient of the ${other} loss only${why}; add --loss ${other}`);
      }
      if (unknownShow.length) throw new InputError(`--show ${shownList(unknownShow)}: no such gradient (have: ${Object.keys(r.gradients).join(', ')})`);
      warnUnknown(io, r.unknown);
      if (r.lossInferred) say(io, r.lossInferred);
      // Gradients asked for by name are printed even with --out.
      await emit(io, show.length ? { ...o, verbose: true } : o, r.gradients, BACKWARD_RESULT, () => renderBackward(style, r, show), `rnn backward: cell ${r.cell}, ${dimsText(r.dims)}, ${r.loss} loss = ${formatNumber(r.lossValue, o.precision)}`);
      reportComparisons(io, o, r.expected, style, r.dims);
    });

  addColorOptions(addInputLimit(program
    .command('gradcheck')))
    .description('check gradients (ours, or yours with --grads) against centred finite differences; exit 1 on a FAIL')
    .addOption(layoutCellOption())
    .argument('[fixtures...]', 'parameters and x (and da / labels); none: a built-in course-size net (rnn init --seed 1)')
    .addOption(new Option('--loss <kind>', `all: every loss the fixture allows; ${lossHelp} (with --grads: the one loss your gradients and the fixture allow)`).choices(GRADCHECK_LOSSES).default('all'))
    .addOption(new Option('--mode <mode>', 'auto: full when affordable, else fast; full: every entry; sample: --samples entries per array; fast: --directions random directions per array').choices(MODES).default('auto'))
    .option('--samples <k>', 'entries per array in sample mode', positiveInt('--samples'), DEFAULT_SAMPLES)
    .option('--directions <k>', 'random directions per array in fast mode', positiveInt('--directions'), DEFAULT_DIRECTIONS)
    .addOption(numberOption('--eps <x>', "finite-difference step: full and sample move each entry by ±x; fast starts each direction's ladder of steps where entries move by 10·x (rms) and halves it down to x/1000", positiveNumber('--eps'), DEFAULT_EPS))
    .addOption(numberOption('--tol <x>', 'largest relative error ‖num − ana‖ / (‖num‖ + ‖ana‖) that passes', nonNegativeNumber('--tol'), DEFAULT_TOL))
    .option('--seed <S>', 'seeds sampled entries, directions, and da when the fixture has none', nonNegativeInt('--seed', 0xffffffff), 0)
    .option('--only <names...>', 'check only these gradients (e.g. dWf dx)')
    .addOption(numberOption('--threads <n>', 'worker threads for big checks (more than the cores are capped, with a note)', positiveInt('--threads'), availableParallelism(), `the machine's cores, ${availableParallelism()} here`))
    .option('--grads <files...>', 'check YOUR gradients from these files, named dx, da0, dWax, ... as rnn backward names them; every name must be a gradient of the loss or an input, else exit 2')
    .option('--strict', 'with --grads: a gradient your files lack fails the run (exit 1) instead of being listed as not compared')
    .addOption(new Option('--layout <name>', "coursera (the notebook's names) or torch (a PyTorch module: state_dict names, input, h_0, grad_output; see rnn forward --help)").choices(LAYOUTS).default('coursera', 'as the names say (see rnn forward --help)'))
    .option('--batch-first', '--layout torch: input and output are (N, T, ...)')
    .option('--prefix <P>', "--layout torch: whose parameters, when the names carry several modules'")
    .addOption(new Option('--nonlinearity <f>', "--layout torch: an nn.RNN's nonlinearity").choices(['tanh', 'relu']))
    .option('--json', 'print the result as JSON')
    .addOption(precisionOption('significant digits'))
    .addHelpText('after', `
With --layout torch: a PyTorch module's gradients (grad_input, grad_h_0, grad_<param>), its loss
Σ grad_output⊙output (+ Σ grad_h_n⊙h_n, Σ grad_c_n⊙c_n); --grads files hold grad_<name> arrays or
p.grad under the parameters' own names. Each evaluation is a whole forward of the module, on this thread.

Defaults: eps ${formatSetting(DEFAULT_EPS)}, tol ${formatSetting(DEFAULT_TOL)} (float64: correct gradients land near 1e-9, broken ones above 1e-2).

Examples:
  $ rnn gradcheck --cell lstm
  $ rnn init --cell gru --n-x 3 --n-a 5 --n-y 2 --m 10 --t-x 4 --seed 1 --out gru.json
  $ rnn gradcheck --cell gru gru.json --mode full --only dWr dx
  $ rnn backward --cell gru gru.json --out my_grads.npz
  $ rnn gradcheck --cell gru gru.json --loss sum --grads my_grads.npz
`)
    .action(async (sources: string[], o: LayoutOpts & { cell: CellName; loss: GradcheckLoss; mode: Mode; samples: number; directions: number; eps: number; tol: number; seed: number; only?: string[]; grads?: string[]; strict?: boolean; threads: number; json?: boolean; color?: boolean; precision: number; maxInput: number }, cmd: Command) => {
      checkStrict(o, o.grads, '--grads');
      const { layout, fixture } = pickLayout(cmd, o, sources, io);
      if (layout === 'cs231n') throw new InputError('gradcheck --layout cs231n: not yet (issue 20); rnn backward --layout cs231n gives the gradients under the assignment\'s names');
      if (layout === 'torch') {
        if (cmd.getOptionValueSource('loss') !== 'default') throw new InputError("--loss: --layout torch takes PyTorch's loss, Σ grad_output ⊙ output (+ Σ grad_h_n ⊙ h_n, Σ grad_c_n ⊙ c_n), from the arrays the fixture has");
        if (cmd.getOptionValueSource('threads') !== 'default') say(io, 'note: --threads: a PyTorch module is checked on this thread');
        return torchGradcheckAction(io, sources, o, fixture);
      }
      requireCell(cmd, o);
      torchOnly(o);
      // --loss not given: inferred from the fixture and --grads (commands/loss.ts)
      const loss = cmd.getOptionValueSource('loss') === 'default' ? undefined : o.loss;
      // Text: the header, then each loss as it finishes, then the summary. --json: one document at the end.
      const style = styleOf(o, io);
      const report = gradcheckReport(io, style, !!o.json);
      const stop = io.interrupts?.();
      try {
        const r = await runGradcheck({
          ...o, loss, sources, fixture, maxBytes: bytesOf(o.maxInput), notify: (line) => say(io, line),
          events: report.events, signal: stop?.signal,
        });
        report.close();
        io.stdout(o.json ? JSON.stringify(r, jsonNumbers, 2) + '\n' : gradcheckSummary(style, r.checks));
        if (!r.pass) {
          const yours = !!o.grads;
          const failed = r.checks.flatMap((ch) => ch.arrays.filter((a) => !a.pass).map((a) => describeFailure(a, yours, r.dims, ch.arrays)));
          throw new CheckFailed(`gradcheck FAILED: ${failed.join('; ')}`);
        }
        const missing = r.checks.flatMap((ch) => ch.notCompared);
        if (o.strict && missing.length) throw new CheckFailed(`gradcheck --strict: ${missing.join(', ')} not in your --grads files`);
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
    .addOption(new Option('--layout <name>', "coursera (the notebook's names and sizes) or torch (a PyTorch module's state_dict, input, h_0, c_0, grad_output, grad_h_n, grad_c_n)").choices(LAYOUTS).default('coursera'))
    .option('--n-x <n>', 'input features n_x (required)', positiveInt('--n-x'))
    .option('--n-a <n>', 'hidden units n_a (required)', positiveInt('--n-a'))
    .option('--n-y <n>', 'output classes n_y (required)', positiveInt('--n-y'))
    .option('--m <n>', 'examples in the batch m (required)', positiveInt('--m'))
    .option('--t-x <n>', 'time steps T_x (required)', positiveInt('--t-x'))
    .option('--input-size <n>', '--layout torch: input_size (required)', positiveInt('--input-size'))
    .option('--hidden-size <n>', '--layout torch: hidden_size (required)', positiveInt('--hidden-size'))
    .option('--proj-size <n>', '--layout torch: proj_size of an LSTM (default: none)', positiveInt('--proj-size'))
    .option('--num-layers <n>', '--layout torch: num_layers (default: 1)', positiveInt('--num-layers', 64))
    .option('--bidirectional', '--layout torch: bidirectional=True')
    .option('--no-bias', '--layout torch: bias=False')
    .option('--batch <n>', '--layout torch: the batch N (or --unbatched)', positiveInt('--batch'))
    .option('--unbatched', '--layout torch: input (T, H_in), as PyTorch takes unbatched input')
    .option('--seq-len <n>', '--layout torch: time steps T (required)', positiveInt('--seq-len'))
    .option('--batch-first', '--layout torch: input and grad_output (N, T, ...)')
    .option('--vocab-size <n>', '--layout cs231n: V, W_vocab\'s columns (required; with --input-size D, --hidden-size H, --batch N, --seq-len T)', positiveInt('--vocab-size'))
    .option('--seed <S>', 'np.random.seed(S) before the draws (default: a random seed, printed on stderr)', nonNegativeInt('--seed', 0xffffffff))
    .option('--scale <x>', 'multiply every parameter by this (1 = the course\'s randn)', nonNegativeNumber('--scale'), 1)
    .option('-o, --out <path>', 'write here: FILE.json, FILE.npz, or a directory of .npy files (DIR/); - or none: JSON to stdout')
    .option('--max-output <MiB>', 'refuse to draw a fixture of more than this many MiB of float64 data (the other commands read up to --max-input, 1024 by default)', positiveNumber('--max-output', MAX_LIMIT_MIB), DEFAULT_MAX_BYTES / 2 ** 20)
    .addHelpText('after', initHelp())
    .action(async (o: TorchInitOpts & { vocabSize?: number; cell: CellName; nX: number; nA: number; nY: number; m: number; tX: number; seed?: number; scale: number; out?: string; maxOutput: number }, cmd: Command) => {
      if (o.layout === 'cs231n') return cs231nInit(io, cmd, outputPlan(o));
      if (o.vocabSize !== undefined) throw new InputError('--vocab-size: for --layout cs231n only');
      if (o.layout === 'torch') return torchInit(io, cmd, outputPlan(o));
      requireOptions(cmd, o, INIT_SIZES);
      torchInitOnly(o);
      o = outputPlan(o);
      const dims = { n_x: o.nX, n_a: o.nA, n_y: o.nY, m: o.m, T_x: o.tX };
      checkFixtureSize(o.cell, dims, bytesOf(o.maxOutput)); // before a random seed is announced
      const seed = seedOrDrawn(io, o.seed);
      const arrays = initFixture({ cell: o.cell, dims, seed, scale: o.scale, maxBytes: bytesOf(o.maxOutput) });
      await emitArrays(io, o, arrays, { what: 'array', order: 'forward', cause: `--scale ${formatSetting(o.scale)} overflows float64` });
    });

  addColorOptions(addInputLimit(program
    .command('inspect')))
    .description('list every array of a fixture (shape, file, dtype, min/max/mean, NaN/Inf) and which cells it fits')
    .argument('<fixtures...>', 'files, directories, or - for JSON on stdin')
    .option('--json', 'print the result as JSON')
    .addOption(precisionOption('significant digits'))
    .addHelpText('after', '\nExamples:\n  $ rnn init --cell gru --n-x 3 --n-a 5 --n-y 2 --m 10 --t-x 4 --seed 1 --out gru.npz\n  $ rnn inspect gru.npz\n')
    .action((sources: string[], o: CommonOpts & { maxInput: number }) => {
      const r = runInspect(sources, bytesOf(o.maxInput));
      io.stdout(o.json ? JSON.stringify(r, jsonNumbers, 2) + '\n' : renderInspect(styleOf(o, io), r));
    });

  // A usage error points at the help of the command it happened in.
  for (const sub of program.commands) sub.configureOutput(usageOutput(io, `rnn ${sub.name()}`));
  return program;
}

/** commander's own errors (unknown option, bad choice, …) as one line, like ours. */
function usageOutput(io: IO, command: string): OutputConfiguration {
  return {
    writeOut: io.stdout,
    writeErr: io.stderr,
    // (commander's one line break is before its suggestion, `\n(Did you mean …?)`; the rest are in values)
    outputError: (s, write) => write(`rnn: ${oneLine(s.replace(/^error: /, '').replace(/\s*\n(?=\(Did you mean)/g, ' ').trim().replace(/\.$/, ''))} (see ${command} --help)\n`),
    // Width and colours of terminals, as commander's defaults (80 columns elsewhere), but
    // without making process.stdout/stderr for pipes and files (src/cli/stdio.ts).
    getOutHelpWidth: () => (io.stdoutIsTTY && process.stdout.columns) || 80,
    getErrHelpWidth: () => (isTerminal(2) && process.stderr.columns) || 80,
    getOutHasColors: () => io.stdoutIsTTY && process.stdout.hasColors(),
    getErrHasColors: () => isTerminal(2) && process.stderr.hasColors(),
  };
}

/** `sum: L = Σ da⊙a; xent: softmax cross-entropy on labels`, from LOSSES. */
const lossHelp = LOSS_KINDS.map((k) => `${k}: ${LOSSES[k].help}`).join('; ');
const dimsText = (d: Dims): string => `n_x=${d.n_x} n_a=${d.n_a} n_y=${d.n_y} m=${d.m} T_x=${d.T_x}`;


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

/**
 * Everything rnn writes goes through the net of src/escape.ts (unprintable characters but the
 * newline escaped, colours kept; JSON stays JSON), and a message is one line (`say`): names and
 * paths are `shown` where messages are made, and what a maker forgot still cannot forge a line
 * or drive the terminal.
 */
function guarded(io: IO): IO {
  return { ...io, stdout: (s) => io.stdout(terminalSafe(s)), stderr: (s) => io.stderr(terminalSafe(s)) };
}

/** Runs the CLI; resolves to the exit code. */
export async function run(argv: string[], io: IO = defaultIO()): Promise<number> {
  io = guarded(io);
  const program = buildProgram(io);
  try {
    if (argv.length <= 2) {
      // No command is bad usage (exit 2): the help goes where messages go.
      io.stderr(program.helpInformation() + EXAMPLES);
      return EXIT_BAD_INPUT;
    }
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    const code = exitCodeFor(err);
    if (err instanceof CommanderError) return code; // commander already printed its message
    const debug = io.env.RNN_DEBUG === '1';
    try {
      if (code === EXIT_INTERNAL) say(io, `internal error: ${(err as Error)?.message ?? String(err)}${debug ? '' : ' (RNN_DEBUG=1 shows the stack)'}`);
      else say(io, (err as Error).message);
      if (debug && err instanceof Error && err.stack) io.stderr(err.stack + '\n');
    } catch {
      // stderr itself cannot be written (src/cli/stdio.ts): the exit code is all there is to say
    }
    return code;
  }
}

/** Entry point of bin/rnn. */
export function main(argv: string[]): void {
  // (A reader that leaves, `rnn forward --json | head`, ends the run: src/cli/stdio.ts.)
  let late: InputError | undefined;
  onLateWriteError((e) => {
    late ??= e;
    process.exitCode = exitCodeFor(e);
  });
  void run(argv).then((code) => {
    process.exitCode = late && code === EXIT_OK ? exitCodeFor(late) : code;
  });
}

/** What the coursera layout's init requires, as commander would say it is missing. */
const INIT_SIZES = [['nX', '--n-x <n>'], ['nA', '--n-a <n>'], ['nY', '--n-y <n>'], ['m', '--m <n>'], ['tX', '--t-x <n>']] as const;
