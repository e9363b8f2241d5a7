/**
 * Where a command's arrays go (src/cli/main.ts wires it): `--out FILE|DIR` written atomically and
 * stoppable by SIGINT/SIGTERM (src/io/write.ts), `--out -` or `--json` one JSON document on
 * stdout, else the tables. Results that are not finite are bad input (exit 2) in every mode:
 * the tables are still printed (they show the nan and inf), nothing is written and no JSON is
 * printed — a NaN is never a reference output, and JSON could not hold it anyway.
 */
import { oneLine, shown } from '../escape';
import type { IO } from './main';
import { InputError } from '../errors';
import { encodeJsonArrays } from '../io/json';
import { outputFormat, writeArraysInterruptible } from '../io/write';
import { keptText } from '../io/write-dir';
import type { TimeAxis, TimeOrder } from '../mismatch';
import { findNonFinite, nonFiniteText } from '../nonfinite';
import { formatShape, type Arrays } from '../tensor';

export interface OutputOptions {
  out?: string;
  json?: boolean;
  verbose?: boolean;
}

/**
 * The output options as they act: `--out -` is `--json` (stdout), and a --out target whose
 * name and what exists disagree is refused now, before anything is computed.
 */
export function outputPlan<O extends OutputOptions>(o: O): O {
  if (o.out === '-') return { ...o, out: undefined, json: true };
  if (o.out !== undefined) outputFormat(o.out);
  return o;
}

/** What the arrays are, for the message when they are not finite. */
export interface ResultKind {
  /** `output`, `gradient`, `array`. */
  what: string;
  order: TimeOrder;
  /** Which axis of an array is time (default: the seed's layout). */
  time?: TimeAxis;
  /** Why they can be non-finite. */
  cause: string;
}

/**
 * Emits a result: the arrays to --out, then JSON or tables to stdout. With --out and neither
 * --json nor --verbose, stdout gets one summary line instead of the tables.
 */
export async function emit(io: IO, o: OutputOptions, arrays: Arrays, kind: ResultKind, text: () => string, summary: string): Promise<void> {
  const bad = findNonFinite(arrays, kind.order, kind.time);
  if (bad.length) {
    if (!o.json && (!o.out || o.verbose)) io.stdout(text());
    throw new InputError(nonFiniteText(bad, kind.what, kind.order, kind.cause) + (o.out ? `; ${shown(o.out)} not written` : ''));
  }
  if (o.out) {
    await write(io, o.out, arrays);
    const wrote = wroteText(o.out, arrays);
    if (!o.json && !o.verbose) {
      io.stdout(`${summary}; ${wrote}\n`);
      return;
    }
    io.stderr(`rnn: ${oneLine(wrote)}\n`);
  }
  io.stdout(o.json ? encodeJsonArrays(arrays) : text());
}

/** `rnn init`: the arrays to --out (a line on stderr says so), else JSON on stdout. */
export async function emitArrays(io: IO, o: OutputOptions, arrays: Arrays, kind: ResultKind): Promise<void> {
  const bad = findNonFinite(arrays, kind.order, kind.time);
  if (bad.length) throw new InputError(nonFiniteText(bad, kind.what, kind.order, kind.cause) + (o.out ? `; ${shown(o.out)} not written` : ''));
  if (!o.out) return io.stdout(encodeJsonArrays(arrays));
  await write(io, o.out, arrays);
  io.stderr(`rnn: ${oneLine(`wrote ${Object.keys(arrays).map((n) => shown(n)).join(', ')} to ${shown(o.out)}`)}\n`);
}

/** Writes with SIGINT/SIGTERM caught for as long as the write runs (a signal stops it, its temps removed). */
async function write(io: IO, target: string, arrays: Arrays): Promise<void> {
  const stop = io.interrupts?.();
  try {
    const w = await writeArraysInterruptible(target, arrays, stop?.signal);
    const kept = keptText(target, w);
    if (kept) io.stderr(`rnn: ${oneLine(kept)}\n`);
  } finally {
    stop?.dispose();
  }
}

function wroteText(target: string, arrays: Arrays): string {
  return `wrote ${Object.entries(arrays).map(([n, t]) => `${shown(n)} ${formatShape(t.shape)}`).join(', ')} to ${shown(target)}`;
}
