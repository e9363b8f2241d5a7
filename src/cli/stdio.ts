/**
 * bin/rnn's stdout and stderr, without Node's stream objects where they are not needed: making
 * process.stdout for a pipe or a file loads Node's net and stream modules, a few ms of every
 * start (bench/README.md, section 1). Files and pipes are written with fs.writeSync — what Node's
 * streams do for them on Linux too; terminals, and other platforms, get Node's stream.
 */
import fs = require('fs');
import { InputError } from '../errors';
import { oneLine } from '../escape';
import { errnoText } from '../io/common';

type Fd = 1 | 2;

const streamOf = (fd: Fd): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

/**
 * Is fd a terminal? fstat tells files and pipes (never terminals) apart without loading Node's
 * tty module; for a character device (a terminal, or /dev/null) Node's stream decides.
 */
export function isTerminal(fd: Fd): boolean {
  try {
    if (!fs.fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return !!streamOf(fd).isTTY;
}

/** What a reader that left (EPIPE: `rnn forward --json | head`) means for fd: stdout ends the run, as it is not our failure. */
function readerLeft(fd: Fd): void {
  if (fd === 1) process.exit(process.exitCode ?? 0);
}

const STREAM_NAMES = { 1: 'standard output', 2: 'standard error' } as const;

/** A failed write (a full disk: ENOSPC; an I/O error: EIO) as the one-line error it is. */
function writeError(fd: Fd, e: unknown): InputError {
  return new InputError(`cannot write: ${errnoText(e)}`, STREAM_NAMES[fd]);
}

/** Told of the error of a write that failed after its call returned (see onLateWriteError). */
let lateListener: ((e: InputError) => void) | undefined;

/**
 * A write that failed after its call returned (a stream's 'error' event: nothing is there to
 * catch it) is reported here, on stderr as best we can, and `f` hears of it (main() ends with
 * its exit code).
 */
export function onLateWriteError(f: (e: InputError) => void): void {
  lateListener = f;
}

function lateError(e: InputError): void {
  try {
    fs.writeSync(2, `rnn: ${oneLine(e.message)}\n`);
  } catch {
    // stderr is what failed
  }
  lateListener?.(e);
}

/**
 * A writer for fd: synchronous writes to files and pipes; Node's stream for terminals, on
 * Windows, and for everything after the first time a pipe is full (EAGAIN: a non-blocking pipe
 * whose reader lags), so that the order of writes is kept. A write that fails (other than for
 * a reader that left or a closed descriptor) throws an InputError naming the stream, or, from
 * the stream, goes to `onLateWriteError`; nothing more is written to that fd.
 */
export function writerFor(fd: Fd): (s: string) => void {
  let stream: NodeJS.WriteStream | undefined;
  let gone = false;
  const toStream = (s: string | Uint8Array): void => {
    if (!stream) {
      stream = streamOf(fd);
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (gone) return;
        gone = true;
        if (e.code === 'EPIPE') readerLeft(fd);
        else lateError(writeError(fd, e));
      });
    }
    stream.write(s);
  };
  let direct: boolean | undefined;
  return (s) => {
    if (gone || s.length === 0) return;
    direct ??= process.platform !== 'win32' && !isTerminal(fd);
    if (!direct || stream) return toStream(s);
    const bytes = Buffer.from(s, 'utf8');
    let at = 0;
    try {
      while (at < bytes.length) at += fs.writeSync(fd, bytes, at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') return toStream(bytes.subarray(at));
      gone = true;
      if (code !== 'EPIPE' && code !== 'EBADF') throw writeError(fd, e);
      // The reader left, or there is no such descriptor (`rnn … >&-`, which Node's streams
      // ignore too): nothing more to write.
      if (code === 'EPIPE') readerLeft(fd);
    }
  };
}
