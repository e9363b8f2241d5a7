/**
 * Writing arrays, atomically.
 *
 * `writeArrays(target, arrays)` picks the format from the target:
 *   *.json  an object of name → nested array (no NaN/Infinity: JSON cannot hold them)
 *   *.npz   a stored zip of <name>.npy members, as np.savez writes
 *   *.npy   exactly one array
 *   an existing directory, a path ending in '/', or a path without extension:
 *           a directory with one <name>.npy per array
 * Any other extension is refused (a typo such as `out.npzz` must not become a directory).
 *
 * Atomicity. A file is written to a temporary file in the same directory
 * (`.<name>.<pid>.<random>.tmp`), flushed with fsync, then renamed over the target:
 * a failure or a kill leaves the old file or the new one, never part of one (at worst a
 * stray `.tmp` file after a kill). If the target is a symlink, the link itself is replaced
 * by the new file. For a directory target:
 *   - if it does not exist, all files are written into a temporary sibling directory,
 *     which is then renamed into place: the directory appears complete or not at all;
 *   - if it exists, each <name>.npy is replaced atomically, one by one. So that an old
 *     array can never be mixed with new ones, the write is refused up front when the
 *     directory holds other .npy/.npz/.json files that it would not replace.
 */
import type * as cryptoTypes from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../errors';
import { shown } from '../escape';
import type { Arrays } from '../tensor';
import { printable } from './common';
import { errnoText, FIXTURE_EXTENSIONS } from './fixture';
import { encodeJsonArrays } from './json';

/** A random suffix for temporary names; crypto loads only when something is written (start-up). */
const randomHex = (): string => (require('crypto') as typeof cryptoTypes).randomBytes(6).toString('hex');
import { encodeNpy } from './npy';
import { encodeNpz } from './npz';

export type OutputFormat = 'json' | 'npy' | 'npz' | 'dir';

/** The format `writeArrays` would use for `target`; throws InputError for an unknown extension. */
export function outputFormat(target: string): OutputFormat {
  if (target.endsWith('/') || target.endsWith(path.sep)) return 'dir';
  try {
    if (fs.statSync(target).isDirectory()) return 'dir';
  } catch {
    // does not exist yet: decide by name
  }
  const ext = path.extname(target).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.npy') return 'npy';
  if (ext === '.npz') return 'npz';
  if (ext === '') return 'dir';
  throw new InputError(
    `unknown output extension '${printable(ext)}'; write to a .json, .npy or .npz file, or a directory (end the path with '/')`,
    target,
  );
}

/** Write `arrays` to `target` in the format its name asks for (see the module comment). */
export function writeArrays(target: string, arrays: Arrays): void {
  const names = Object.keys(arrays);
  const format = outputFormat(target);
  if (format === 'dir') {
    writeDirectory(target, arrays);
    return;
  }
  let bytes: Uint8Array | string;
  try {
    if (format === 'json') bytes = encodeJsonArrays(arrays);
    else if (format === 'npz') bytes = encodeNpz(arrays);
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
  writeFileAtomic(target, bytes);
}

/**
 * Write `data` to `file` atomically: temp file in the same directory, fsync, rename.
 * An existing file's permission bits are kept. Throws InputError naming `file`.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomHex()}.tmp`);
  let mode = 0o666;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new InputError('is a directory; cannot replace it with a file', file);
    mode = st.mode & 0o7777;
  } catch (e) {
    if (e instanceof InputError) throw e;
    // no existing file: default mode (minus umask)
  }
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', mode);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    try { fs.unlinkSync(tmp); } catch { /* never created, or already renamed */ }
    if (isErrno(e, 'ENOENT') && !fs.existsSync(dir)) throw new InputError(`cannot write: directory ${shown(dir)} does not exist`, file);
    throw new InputError(`cannot write: ${errnoText(e)}`, file);
  }
  syncDirectory(dir);
}

function writeDirectory(target: string, arrays: Arrays): void {
  const names = Object.keys(arrays);
  const files = new Map<string, string>(); // file name → array name
  const folded = new Map<string, string>();
  for (const name of names) {
    const problem = fileNameProblem(name);
    if (problem) throw new InputError(`array name '${printable(name)}' cannot be a file name: ${problem}; write a .npz or .json instead`, target);
    const f = `${name}.npy`;
    // Names that differ only in case collide on macOS and Windows file systems.
    const key = f.toLowerCase();
    const other = folded.get(key);
    if (other !== undefined) {
      throw new InputError(`arrays '${printable(other)}' and '${printable(name)}' would be the same file on a case-insensitive file system; write a .npz or .json instead`, target);
    }
    folded.set(key, name);
    files.set(f, name);
  }
  const dirPath = target.replace(/[\\/]+$/, '') || target;
  let exists = false;
  try {
    const st = fs.statSync(dirPath);
    if (!st.isDirectory()) throw new InputError('exists and is not a directory', target);
    exists = true;
  } catch (e) {
    if (e instanceof InputError) throw e;
  }

  if (exists) {
    let present: string[];
    try {
      present = fs.readdirSync(dirPath);
    } catch (e) {
      throw new InputError(`cannot list directory: ${errnoText(e)}`, target);
    }
    const stale = present.filter((f) => (FIXTURE_EXTENSIONS as readonly string[]).includes(path.extname(f).toLowerCase()) && !files.has(f));
    if (stale.length > 0) {
      const shown = stale.sort().slice(0, 5).map((s) => printable(s)).join(', ') + (stale.length > 5 ? `, … (${stale.length} in all)` : '');
      throw new InputError(
        `directory already holds ${shown}, which this write would not replace; loading the directory would then mix old and new arrays — remove them or write to a new directory`,
        target,
      );
    }
    for (const [f, name] of files) writeFileAtomic(path.join(dirPath, f), encodeNpy(arrays[name]));
    return;
  }

  const parent = path.dirname(path.resolve(dirPath));
  const tmpDir = path.join(parent, `.${path.basename(dirPath)}.${process.pid}.${randomHex()}.tmp`);
  try {
    fs.mkdirSync(tmpDir);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) throw new InputError(`cannot write: directory ${shown(path.dirname(dirPath))} does not exist`, target);
    throw new InputError(`cannot write: ${errnoText(e)}`, target);
  }
  let current = '';
  try {
    for (const [f, name] of files) {
      current = f;
      writeFileAtomic(path.join(tmpDir, f), encodeNpy(arrays[name]));
    }
    current = '';
    fs.renameSync(tmpDir, dirPath);
  } catch (e) {
    try { fs.rmSync(tmpDir, { recursive: true, force: true }); } catch { /* best effort */ }
    const reason = e instanceof InputError ? bareMessage(e) : `cannot write: ${errnoText(e)}`;
    throw new InputError(current ? `${shown(current)}: ${reason}` : reason, target);
  }
  syncDirectory(parent);
}

/** Why `name` cannot be `<name>.npy` inside a directory, or undefined if it can. */
function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (/[/\\]/.test(name)) return 'it contains a path separator';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (Buffer.byteLength(name, 'utf8') > 250) return 'it is longer than 250 bytes';
  return undefined;
}

/** fsync a directory so a rename in it survives a crash; not every platform allows it. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort (e.g. Windows cannot open directories)
  } finally {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* ignore */ }
  }
}

/** An InputError's message without its `source: ` prefix. */
function bareMessage(e: InputError): string {
  return e.detail;
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}
