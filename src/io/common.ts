/**
 * Limits and message helpers shared by the fixture readers and writers (src/io/*).
 *
 * Every reader checks sizes against what the input can actually hold *before* it
 * allocates, and against one budget of decoded float64 bytes (`maxBytes`), so a
 * hostile header or zip entry cannot make us allocate more than the caller allowed.
 */
import { printable } from '../escape';
import { formatNumber } from '../cli/render/format';

/**
 * Default budget of decoded data: 1 GiB of float64 (134 217 728 numbers) per
 * `loadFixture` call (per `parseNpz`/`parseNpy` call when used directly). Fixtures for
 * this tool are weights, inputs and gradients of small nets — megabytes; 1 GiB is far
 * above any real case yet well below what takes a machine down. Raise it with the
 * `maxBytes` option.
 */
export const DEFAULT_MAX_BYTES = 2 ** 30;

/** numpy's own limit on the number of dimensions (NPY_MAXDIMS in numpy 2). */
export const MAX_NDIM = 64;

export interface ReadLimits {
  /** Budget of decoded float64 bytes (and of declared uncompressed zip member bytes). */
  maxBytes?: number;
}

export function resolveMaxBytes(maxBytes: number | undefined): number {
  if (maxBytes === undefined) return DEFAULT_MAX_BYTES;
  if (!(typeof maxBytes === 'number' && maxBytes >= 0 && Number.isFinite(maxBytes))) {
    throw new RangeError(`maxBytes must be a non-negative finite number, got ${String(maxBytes)}`);
  }
  return maxBytes;
}

/** `1073741824 bytes (1 GiB)`-style size for messages. */
export function formatBytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  if (n < 1024) return `${n} bytes`;
  let v = n, u = -1;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  const short = formatNumber(v, 3);
  return `${n} bytes (${short} ${units[u]})`;
}

// Text from files in messages: src/escape.ts (`'${printable(s)}'` between quotes, `shown(name)` for names).
export { printable } from '../escape';

/** Bytes shown as a printable escaped string, e.g. `\x93NUMPY`. */
export function printableBytes(b: Uint8Array, max = 16): string {
  let s = '';
  for (let i = 0; i < Math.min(b.length, max); i++) s += String.fromCharCode(b[i]);
  return printable(s, max) + (b.length > max ? '…' : '');
}

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A Uint8Array view of any Buffer/typed array, honouring byteOffset (Buffers share pools). */
export function asBytes(b: Uint8Array | ArrayBufferView): Uint8Array {
  if (b instanceof Uint8Array && b.constructor === Uint8Array) return b;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** `name` → `name`, `Wax.npy` → `Wax`: the extension (from the last dot) removed. */
export function stemOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

/** Whether `e` is a Node fs error with this code (ENOENT, EACCES …). */
export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

/** `permission denied (EACCES)`-style text for a Node fs error. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'operation not permitted', EISDIR: 'is a directory',
    ENOTDIR: 'a path component is not a directory', ENOENT: 'no such file or directory',
    ENOSPC: 'no space left on device', EROFS: 'read-only file system', EAGAIN: 'resource temporarily unavailable',
    EEXIST: 'already exists', ENOTEMPTY: 'directory not empty', EXDEV: 'cross-device rename',
    ERR_FS_FILE_TOO_LARGE: 'file too large to read into memory',
  };
  if (err && typeof err.code === 'string') return `${known[err.code] ?? err.message.split('\n')[0]} (${err.code})`;
  return err instanceof Error ? err.message.split('\n')[0] : String(e);
}
