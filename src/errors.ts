/**
 * The two kinds of failure a user can cause, and the exit codes they map to.
 * Only src/cli.ts turns them into exit codes (see `exitCodeFor`); library code
 * throws them with a message that already names the file and the problem.
 *
 *   0  success
 *   1  a check failed (`--expect` mismatch, `gradcheck` FAIL)
 *   2  bad usage or bad input (a missing key, a wrong shape, a broken file, ...)
 */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Bad usage or bad input. `source` is the file (or `-` for stdin, or an option name). */
export class InputError extends Error {
  readonly source?: string;
  constructor(message: string, source?: string) {
    super(source ? `${source}: ${message}` : message);
    this.name = 'InputError';
    this.source = source;
  }
}

/** A check ran and found a mismatch; the result was already reported. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}
