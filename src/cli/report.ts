/**
 * What the commands' wiring shares (src/cli/main.ts, src/cli/torch.ts): style from the
 * options and environment, --expect's report and verdict, one-line messages on stderr, and
 * what a result's arrays are when they are not finite.
 */
import type { Dims } from '../backends/types';
import type { Comparison, ExpectReport } from '../compare';
import { CheckFailed, InputError } from '../errors';
import { oneLine, shownList } from '../escape';
import type { IO } from './main';
import type { CommonOpts } from './options';
import { renderExpect, type Style } from './render/text';
import { describeMismatch, notComparedText } from './render/verdicts';

export function styleOf(o: Pick<CommonOpts, 'color' | 'json' | 'precision'>, io: IO): Style {
  return { color: !o.json && wantColor(o.color, io), precision: o.precision };
}

/**
 * Colour, by precedence: --color / --no-color; FORCE_COLOR (as Node and chalk read it: set
 * and not '0' or 'false' forces colour, '0' or 'false' forbids it; it overrides NO_COLOR, as
 * in Node); NO_COLOR set and not empty; else on when stdout is a terminal.
 */
export function wantColor(flag: boolean | undefined, io: Pick<IO, 'env' | 'stdoutIsTTY'>): boolean {
  if (flag !== undefined) return flag;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false');
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  return io.stdoutIsTTY;
}

/** --strict is about your files: without them it would be a silent no-op. */
export function checkStrict(o: { strict?: boolean }, yours: string[] | undefined, option: string): void {
  if (o.strict && !yours) throw new InputError(`--strict needs ${option}: it makes arrays missing from your files fail the run`);
}

/**
 * After --expect: the table and the verdict line (to stderr in JSON mode: stdout stays a
 * fixture), arrays not compared on stderr; fail on a mismatch, or with --strict on a missing array.
 */
export function reportComparisons(
  io: IO, o: CommonOpts & { rtol: number; atol: number; strict?: boolean }, r: ExpectReport | undefined, style: Style, dims?: Dims,
  detail: (c: Comparison) => string = () => '',
): void {
  if (!r) return;
  const text = renderExpect(style, r, o.rtol, o.atol, dims);
  if (o.json) io.stderr(text);
  else io.stdout(text);
  const missing = r.notCompared.length ? notComparedText('--expect', r.notCompared, r.files) : undefined;
  if (missing) say(io, missing);
  if (r.inputs.length) say(io, `--expect: inputs, not compared: ${r.inputs.join(', ')}`);
  const bad = r.comparisons.filter((k) => !k.ok);
  if (bad.length) throw new CheckFailed(`--expect: ${bad.map((k) => describeMismatch(k, r.order, dims) + detail(k)).join('; ')}`);
  if (missing && o.strict) throw new CheckFailed(`--expect --strict: ${r.notCompared.join(', ')} not in your files`);
}

/** Every input is finite (validate.ts): a result that is not finite overflowed. */
export const FORWARD_RESULT = { what: 'output', order: 'forward', cause: 'every input is finite, so the forward pass overflowed float64 (the inputs are too large)' } as const;
export const BACKWARD_RESULT = { what: 'gradient', order: 'backward', cause: 'every input is finite, so backpropagation overflowed float64 (the inputs are too large)' } as const;

export function warnUnknown(io: IO, unknown: string[]): void {
  if (unknown.length) say(io, `warning: not used by this cell: ${shownList(unknown)}`);
}

/** Arrays of the fixture a layout's command did not read (--layout torch, cs231n). */
export function warnUnused(io: IO, unknown: string[]): void {
  if (unknown.length) say(io, `warning: not read by this command: ${shownList(unknown)}`);
}

/** `rnn init`'s seed: --seed, or one drawn now and said on stderr, so that the fixture can be drawn again. */
export function seedOrDrawn(io: IO, seed: number | undefined): number {
  if (seed !== undefined) return seed;
  const drawn = Math.floor(Math.random() * 2 ** 32);
  say(io, `seed ${drawn} (pass --seed ${drawn} to draw the same fixture again)`);
  return drawn;
}

/** A one-line message on stderr, `rnn: …`. */
export function say(io: IO, text: string): void {
  io.stderr(`rnn: ${oneLine(text)}\n`);
}

/** NaN and ±Infinity are not JSON: write them as null. */
export function jsonNumbers(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}
