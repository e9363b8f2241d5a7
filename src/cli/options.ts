/**
 * The options the commands share, and their parsers: a bad value is a usage error (exit 2)
 * naming the option. Defaults are shown in help as the README writes them.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { CELL_NAMES, CELLS } from '../model/cells';
import { DEFAULT_ATOL, DEFAULT_RTOL } from '../compare';
import { BACKEND_NAMES } from '../backends';
import { DEFAULT_MAX_BYTES } from '../io/common';
import { printable } from '../escape';
import { ALIASES } from '../names';
import { DEFAULT_PRECISION, formatSetting } from './render/format';

/** An option's value as its messages quote it. */
const given = (v: string): string => `'${printable(v, 60)}'`;

/** Whole numbers up to `max` (default: the largest that a double holds exactly). */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) {
      throw new InvalidArgumentError(`${name} must be a whole number ${max === Number.MAX_SAFE_INTEGER && Number(v) <= max ? '≥ 1' : `from 1 to ${max}`}, got ${given(v)}`);
    }
    return Number(v);
  };
}

export function nonNegativeInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) > max) throw new InvalidArgumentError(`${name} must be a whole number from 0 to ${max}, got ${given(v)}`);
    return Number(v);
  };
}

export function positiveNumber(name: string, max = Number.MAX_VALUE) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x <= 0 || x > max) {
      throw new InvalidArgumentError(`${name} must be a ${max === Number.MAX_VALUE ? 'finite number > 0' : `number > 0 and at most ${max}`}, got ${given(v)}`);
    }
    return x;
  };
}

export function nonNegativeNumber(name: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x) || x < 0) throw new InvalidArgumentError(`${name} must be a finite number ≥ 0, got ${given(v)}`);
    return x;
  };
}

/** An option with a number default, shown in help as the README writes it (`1e-6`, not `0.000001`). */
export function numberOption(flags: string, description: string, parse: (v: string) => number, value: number, shown = formatSetting(value)): Option {
  return new Option(flags, description).argParser(parse).default(value, shown);
}

export function cellOption(): Option {
  return new Option('-c, --cell <cell>', `the cell: ${CELL_NAMES.map((n) => `${n} (${CELLS[n].title})`).join('; ')}`)
    .choices(CELL_NAMES)
    .makeOptionMandatory();
}

/** The layouts `--layout` takes: the notebook's names (the default) and PyTorch's (src/cli/torch.ts). */
export const LAYOUTS = ['coursera', 'torch', 'cs231n'] as const;
export type LayoutName = (typeof LAYOUTS)[number];

/** --cell where a layout may read the cell from the shapes: required in the coursera layout (`requireCell`). */
export function layoutCellOption(): Option {
  return new Option('-c, --cell <cell>', `the cell: ${CELL_NAMES.map((n) => `${n} (${CELLS[n].title})`).join('; ')}; with --layout torch read from the shapes (and checked against them when given)`)
    .choices(CELL_NAMES);
}

/** As commander says of the first mandatory option (`[key, flags]`, in order) it did not get. */
export function requireOptions(cmd: Command, o: object, options: readonly (readonly [string, string])[]): void {
  const missing = options.find(([key]) => (o as Record<string, unknown>)[key] === undefined);
  if (missing) cmd.error(`error: required option '${missing[1]}' not specified`, { exitCode: 2, code: 'commander.missingMandatoryOptionValue' });
}

/** As commander says of a mandatory option it did not get, for the layouts that need --cell. */
export function requireCell(cmd: Command, o: { cell?: string }): void {
  if (o.cell === undefined) cmd.error("error: required option '-c, --cell <cell>' not specified", { exitCode: 2, code: 'commander.missingMandatoryOptionValue' });
}

/**
 * --precision: up to 100 digits, the most that JavaScript's own number formatting takes; 17
 * already prints every float64 in full (the shortest text that reads back to it).
 */
export const MAX_PRECISION = 100;

export function precisionOption(description: string): Option {
  return new Option('--precision <digits>', `${description} (1 to ${MAX_PRECISION}; 17 or more: every digit)`).argParser(positiveInt('--precision', MAX_PRECISION)).default(DEFAULT_PRECISION);
}

export interface CommonOpts {
  json?: boolean;
  /** --color: true, --no-color: false, neither: undefined (the environment decides). */
  color?: boolean;
  precision: number;
  out?: string;
  verbose?: boolean;
}

export function addOutputOptions(cmd: Command): Command {
  return addColorOptions(cmd)
    .option('--json', 'print the result as one JSON object of named arrays (a valid fixture) instead of tables')
    .option('-o, --out <path>', 'also write the result: FILE.json, FILE.npz, FILE.npy (one array), a directory of .npy files (DIR/), or - for JSON on stdout (as --json)')
    .option('--verbose', 'with --out, print the tables too (without it --out prints a one-line summary)')
    .addOption(precisionOption('significant digits in tables'));
}

/** --color / --no-color, for every command that prints tables. */
export function addColorOptions(cmd: Command): Command {
  return cmd
    .option('--color', 'colour even when stdout is not a terminal (also FORCE_COLOR=1)')
    .option('--no-color', 'no colour (also NO_COLOR=1 or FORCE_COLOR=0; off anyway when stdout is not a terminal)');
}

/** --layout and the options of its torch layout (forward, backward, gradcheck). */
export function addLayoutOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--layout <name>', "whose names and shapes the arrays have: coursera (the notebook's: Wax, x (n_x, m, T_x), ...) or torch (a PyTorch nn.RNN/LSTM/GRU: its state_dict names, input (T, N, H_in), h_0, c_0; stacked and bidirectional) or cs231n (CS231n's rnn_layers.py: x (N, T, D), h0, Wx, Wh, b, W_vocab, b_vocab, y, mask, dh)").choices(LAYOUTS).default('coursera', "as the arrays' names say: torch or cs231n when they are only those, else coursera"))
    .option('--batch-first', '--layout torch: input and output are (N, T, ...), as with batch_first=True')
    .option('--prefix <P>', "--layout torch: whose parameters, when the names carry several modules' (e.g. encoder.lstm)")
    .addOption(new Option('--nonlinearity <f>', "--layout torch: an nn.RNN's nonlinearity").choices(['tanh', 'relu']));
}

export function addRunOptions(cmd: Command): Command {
  return addLayoutOptions(cmd.addOption(layoutCellOption()))
    .addOption(new Option('--backend <name>', 'float64 (fast kernels) or mathjs (literal reference implementation)').choices(BACKEND_NAMES).default('float64'))
    .option('--expect <files...>', `compare our results with yours, named as ours (${aliasText()}); every name must be one we compare or an input, else exit 2; exit 1 on a mismatch`)
    .option('--strict', 'with --expect: an array we produce that your files lack fails the run (exit 1) instead of being listed as not compared')
    .addOption(numberOption('--rtol <x>', 'relative tolerance for --expect', nonNegativeNumber('--rtol'), DEFAULT_RTOL))
    .addOption(numberOption('--atol <x>', 'absolute tolerance for --expect', nonNegativeNumber('--atol'), DEFAULT_ATOL));
}

/** The input size limit (a zip bomb or a lying header must not take the machine down). */
export function addInputLimit(cmd: Command): Command {
  return cmd.option('--max-input <MiB>', 'refuse inputs that decode to more than this many MiB of float64 data', positiveNumber('--max-input', MAX_LIMIT_MIB), DEFAULT_MAX_BYTES / 2 ** 20);
}

/** The largest --max-input (and init --max-output): 8 PiB, so that a limit in bytes is a whole number that a double holds exactly. */
export const MAX_LIMIT_MIB = 2 ** 33;

export const bytesOf = (mib: number): number => Math.floor(mib * 2 ** 20);


/** The notebook aliases we accept, for --help: `y_pred for y`. */
function aliasText(): string {
  return `the notebook's ${Object.entries(ALIASES).map(([a, ours]) => `${a} for ${ours}`).join(', ')} too`;
}
