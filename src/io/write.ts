/**
 * Writing arrays, atomically.
 *
 * `writeArrays(target, arrays)` picks the format from the target (`outputFormat`):
 *   *.json  an object of name → nested array (no NaN/Infinity: JSON cannot hold them)
 *   *.npz   a stored zip of <name>.npy members, as np.savez writes
 *   *.npy   exactly one array
 *   *.safetensors  float64 tensors, as safetensors' save_file writes them (safetensors.ts)
 *   a path ending in '/', a path without extension, or an existing directory with any other
 *           extension: a directory with one <name>.npy per array (src/io/write-dir.ts)
 * The name and what exists must agree: a .json/.npy/.npz name that is an existing directory,
 * a '/'-ended or extensionless name that is an existing file, are refused (exit 2), as is any
 * other extension (a typo such as `out.npzz` must not become a directory). `-` is standard
 * output: the caller writes JSON there (src/cli/output.ts), never a file named `-`.
 *
 * Atomicity. A file is written to a temporary file beside it (src/io/temps.ts), flushed with
 * fsync, then renamed over the target: a failure or a kill leaves the old file or the new one,
 * never part of one. If the target is a symlink, the link itself is replaced by the new file.
 * A directory is written whole beside the old one and swapped in (write-dir.ts).
 *
 * Interruption. A write is a generator of steps, one per 8 MiB written: `writeArrays` runs
 * them through; `writeArraysInterruptible` gives the event loop a turn between steps, so a
 * SIGINT/SIGTERM (src/cli/live.ts) stops it there, removes its temps and throws Interrupted, the
 * target untouched. The last step ends just before the rename: once committed, a write is whole.
 */
import { encodeSafetensors } from './safetensors';
import fs = require('fs');
import path = require('path');
import { InputError, Interrupted, interruption } from '../errors';
import { shown } from '../escape';
import type { Arrays } from '../tensor';
import { errnoText, isErrno, printable } from './common';
import { encodeJsonArrays } from './json';
import { encodeNpy } from './npy';
import { encodeNpz } from './npz';
import { syncDirectory, tempPath, track, untrack, writeAll, type WriteSteps } from './temps';
import { directorySteps, type DirectoryWrite } from './write-dir';

export type OutputFormat = 'json' | 'npy' | 'npz' | 'safetensors' | 'dir' | 'stdout';

/** What a write did besides writing: a directory's previous set it could not remove (write-dir.ts). */
export type WriteResult = DirectoryWrite;

/**
 * The format `writeArrays` would use for `target`; throws InputError when the name and what
 * exists at it disagree, or for an unknown extension. Callers check it before computing.
 */
export function outputFormat(target: string): OutputFormat {
  if (target === '-') return 'stdout';
  if (target === '') throw new InputError('--out: the path is empty');
  // does not exist yet (or a dangling symlink, replaced like any file): decide by name
  let st = statOrUndefined(target);
  const isDir = !!st?.isDirectory();
  if (target.endsWith('/') || target.endsWith(path.sep)) {
    if (!st) st = statOrUndefined(target.replace(/[\\/]+$/, '')); // `file.json/` fails with ENOTDIR
    if (st && !st.isDirectory()) throw new InputError(`is a ${kindOf(st)}, but the trailing '/' asks for a directory`, target);
    return 'dir';
  }
  const ext = path.extname(target).toLowerCase();
  const file = ext === '.json' ? 'json' : ext === '.npy' ? 'npy' : ext === '.npz' ? 'npz' : ext === '.safetensors' ? 'safetensors' : undefined;
  if (file) {
    if (isDir) throw new InputError(`is a directory, but the name asks for a ${ext} file; to write one .npy per array into this directory, end the path with '/'`, target);
    if (st && !st.isFile()) throw new InputError(`is a ${kindOf(st)}, not a regular file; rnn writes a new file and renames it over the target`, target);
    return file;
  }
  if (isDir) return 'dir';
  if (ext === '') {
    if (st) throw new InputError(`is a ${kindOf(st)}, but a path without extension is a directory target; write to a .json, .npy, .npz or .safetensors file, or a new directory`, target);
    return 'dir';
  }
  throw new InputError(
    `unknown output extension '${printable(ext)}'; write to a .json, .npy, .npz or .safetensors file, or a directory (end the path with '/')`,
    target,
  );
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'named pipe';
  if (st.isSocket()) return 'socket';
  return 'device';
}

/** Write `arrays` to `target` in the format its name asks for (see the module comment). */
export function writeArrays(target: string, arrays: Arrays): WriteResult {
  return drain(writeSteps(target, arrays));
}

/**
 * writeArrays, stoppable: while `signal` is given, the event loop gets a turn between steps;
 * once it is aborted the write stops, its temps are removed and Interrupted is thrown with the
 * target as it was. A signal that comes after the commit is reported too (the target is whole).
 */
export async function writeArraysInterruptible(target: string, arrays: Arrays, signal?: AbortSignal): Promise<WriteResult> {
  if (!signal) return writeArrays(target, arrays);
  const steps = writeSteps(target, arrays);
  for (;;) {
    const r = steps.next();
    await turn();
    if (signal.aborted) {
      if (!r.done) steps.return(undefined as never); // runs the steps' finally blocks: temps removed
      const s = interruption(signal).signal;
      throw new Interrupted(s, r.done ? `interrupted by ${s} after ${target} was written in full` : `interrupted by ${s}: ${target} not written, left as it was`);
    }
    if (r.done) return r.value;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function drain<T>(steps: WriteSteps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

function* writeSteps(target: string, arrays: Arrays): WriteSteps<WriteResult> {
  const format = outputFormat(target);
  if (format === 'stdout') throw new Error("writeArrays: '-' is standard output; the caller writes JSON there");
  if (format === 'dir') return yield* directorySteps(target, arrays);
  const names = Object.keys(arrays);
  let bytes: Uint8Array | string;
  try {
    if (format === 'json') bytes = encodeJsonArrays(arrays);
    else if (format === 'npz') bytes = encodeNpz(arrays);
    else if (format === 'safetensors') bytes = encodeSafetensors(arrays);
    else {
      if (names.length !== 1) {
        const list = names.length === 0 ? 'none' : names.map((n) => printable(n)).join(', ');
        throw new InputError(`a .npy file holds exactly one array, got ${names.length} (${list}); write a .npz or a directory instead`);
      }
      bytes = encodeNpy(arrays[names[0]]);
    }
  } catch (e) {
    if (e instanceof InputError && e.source === undefined) throw new InputError(e.message, target);
    throw e;
  }
  yield* fileSteps(target, bytes);
  return {};
}

/**
 * Write `data` to `file` atomically: temp file in the same directory, fsync, rename.
 * An existing file's permission bits are kept. Throws InputError naming `file`.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  drain(fileSteps(file, data));
}

export function* fileSteps(file: string, data: Uint8Array | string): WriteSteps<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = path.dirname(file);
  let mode = 0o666;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new InputError('is a directory; cannot replace it with a file', file);
    mode = st.mode & 0o7777;
  } catch (e) {
    if (e instanceof InputError) throw e;
    // no existing file: default mode (minus umask)
  }
  const tmp = tempPath(file, 'tmp');
  let fd: number | undefined;
  let committed = false;
  try {
    fd = fs.openSync(tmp, 'wx', mode);
    track(tmp);
    yield* writeAll(fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    yield; // the last point a signal stops the write at: from here on it commits
    fs.renameSync(tmp, file);
    committed = true;
    untrack(tmp);
  } catch (e) {
    if (isErrno(e, 'ENOENT') && !fs.existsSync(dir)) throw new InputError(`cannot write: directory ${shown(dir)} does not exist`, file);
    throw new InputError(`cannot write: ${errnoText(e)}`, file);
  } finally {
    if (!committed) {
      if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
      try { fs.unlinkSync(tmp); } catch { /* never created */ }
      untrack(tmp);
    }
  }
  syncDirectory(dir);
}
