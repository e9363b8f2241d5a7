/**
 * The two kinds of failure a user can cause, and the exit codes they map to.
 * Only src/cli/main.ts turns them into exit codes (see `exitCodeFor`); library code
 * throws them with a message that already names the file and the problem.
 *
 *   0  success
 *   1  a check failed (`--expect` mismatch, `gradcheck` FAIL)
 *   2  bad usage or bad input (a missing key, a wrong shape, a broken file, ...), or output
 *      that cannot be written (a full disk: src/cli/stdio.ts)
 * 130  interrupted by SIGINT (Ctrl-C), 143 by SIGTERM (a CI timeout): 128 + the signal's
 *      number, as a shell reports a process the signal killed
 */
import { shownList } from './escape';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_SIGINT = 130;
export const EXIT_SIGTERM = 143;

/**
 * Bad usage or bad input. `source` is the file (or `-` for stdin, or an option name), or the
 * files; the message starts with them as `shown` (src/escape.ts) prints names.
 */
export class InputError extends Error {
  /** The files, joined by `, ` as given. */
  readonly source?: string;
  /** The message without the files. */
  readonly detail: string;
  constructor(message: string, source?: string | readonly string[]) {
    const files = typeof source === 'string' ? (source ? [source] : undefined) : source?.length ? source : undefined;
    super(files ? `${shownList(files)}: ${message}` : message);
    this.name = 'InputError';
    this.source = files?.join(', ');
    this.detail = message;
  }
}

/** A check ran and found a mismatch; the result was already reported. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

/** The signals a long run stops for, and reports what it finished. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** A run stopped by a signal; what was finished has been reported. */
export class Interrupted extends Error {
  constructor(readonly signal: StopSignal, message = `interrupted by ${signal}`) {
    super(message);
    this.name = 'Interrupted';
  }
}

/**
 * The Interrupted error for an aborted AbortSignal (its reason names the signal; SIGINT otherwise).
 * Typed by the one property it reads: this file's declarations ship (dist/types/), and
 * AbortSignal is a DOM / @types/node global that a consumer need not have.
 */
export function interruption(signal: { readonly reason?: unknown }): Interrupted {
  return new Interrupted(signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
}
