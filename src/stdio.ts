/**
 * bin/rnn's stdout and stderr, without Node's stream objects where they are not needed: making
 * process.stdout for a pipe or a file loads Node's net and stream modules, a few ms of every
 * start (bench/README.md, section 1). Files and pipes are written with fs.writeSync — what Node's
 * streams do for them on Linux too; terminals, and other platforms, get Node's stream.
 */
import fs = require('fs');

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

/**
 * A writer for fd: synchronous writes to files and pipes; Node's stream for terminals, on
 * Windows, and for everything after the first time a pipe is full (EAGAIN: a non-blocking pipe
 * whose reader lags), so that the order of writes is kept.
 */
export function writerFor(fd: Fd): (s: string) => void {
  let stream: NodeJS.WriteStream | undefined;
  let gone = false;
  const toStream = (s: string | Uint8Array): void => {
    if (!stream) {
      stream = streamOf(fd);
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') throw e;
        gone = true;
        readerLeft(fd);
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
      if (code !== 'EPIPE' && code !== 'EBADF') throw e;
      // The reader left, or there is no such descriptor (`rnn … >&-`, which Node's streams
      // ignore too): nothing more to write.
      gone = true;
      if (code === 'EPIPE') readerLeft(fd);
    }
  };
}
