/**
 * A fixture is a bag of named arrays, gathered from any number of sources in order:
 *
 *   file.json   an object of name → nested array of numbers
 *   file.npy    one array, named by the file's stem (`Wax.npy` → `Wax`)
 *   file.npz    what np.savez / np.savez_compressed write (`Wax.npy` member → `Wax`)
 *   file.safetensors  what safetensors' save_file writes (safetensors.ts), any numeric dtype
 *   a directory every .npy, .npz, .safetensors and .json directly in it, in sorted (code-point) order
 *
 * Pickles (.pt, .pth, .bin, …: what torch.save writes) are refused unopened (pickle.ts).
 *   -           JSON on standard input
 *
 * A name defined by two sources is an error naming both. Extensions are matched without
 * regard to case. All failures are InputErrors whose message names the file.
 *
 * Limits: one budget of `maxBytes` (default 1 GiB, common.ts) covers the decoded float64
 * data of all sources together; a file bigger than the remaining budget plus 64 MiB of
 * slack (headers, zip structure, JSON punctuation) is refused before it is read, an .npy or
 * .npz member whose header declares more is refused before its data is read, and JSON, from a
 * file or standard input, is counted as its blocks are read (json-read.ts) and refused at the
 * number that passes the budget, before the rest is read and before any array is allocated.
 */
import fs = require('fs');
import path = require('path');
import { InputError } from '../errors';
import { shown } from '../escape';
import type { Arrays, Tensor } from '../tensor';
import { errnoText, formatBytes, isErrno, printable, resolveMaxBytes, stemOf, type ReadLimits } from './common';
import { parseCountedJson, parseJsonArrays } from './json';
import { readJson, readJsonFile, type Counted } from './json-read';
import { readNpy } from './npy';
import { readNpz } from './npz';
import { pickleRefusal, PICKLE_EXTENSIONS } from './pickle';
import { readSafetensors } from './safetensors';
import { fileSource, type ByteSource } from './source';

export interface ArrayOrigin {
  /** The file the array came from (as the user spelled it, `dir/Wax.npy` for a directory entry), or `-`. */
  source: string;
  /** dtype as stored: `<f8`, `>i4`, `|b1`, ... for NPY/NPZ; `json` for JSON numbers. */
  dtype: string;
}

export interface Fixture {
  /** Null-prototype object: any name (even `__proto__`) is a plain key. */
  arrays: Arrays;
  origin: Record<string, ArrayOrigin>;
}

export interface LoadOptions extends ReadLimits {
  /** Reads standard input for `-` (default: fd 0, counted as it is read). For tests and embedding. */
  readStdin?: () => Uint8Array | string;
}

/** One array as a source yields it. */
export interface SourceArray {
  name: string;
  tensor: Tensor;
  dtype: string;
  /** The file it came from. */
  source: string;
}

export const FIXTURE_EXTENSIONS = ['.json', '.npy', '.npz', '.safetensors'] as const;
const SUPPORTED = "a .json, .npy, .npz or .safetensors file, a directory of them, or '-' for JSON on standard input";
const SIZE_SLACK = 64 * 1024 * 1024;

/** Load and merge the sources, in order. */
export function loadFixture(sources: readonly string[], opts: LoadOptions = {}): Fixture {
  const arrays = Object.create(null) as Arrays;
  const origin = Object.create(null) as Record<string, ArrayOrigin>;
  const budget = { left: resolveMaxBytes(opts.maxBytes) };
  let stdinUsed = false;
  for (const src of sources) {
    if (src === '-') {
      if (stdinUsed) throw new InputError("standard input ('-') is given twice", '-');
      stdinUsed = true;
    }
    for (const a of readSource(src, opts, budget)) {
      const prev = origin[a.name];
      if (prev !== undefined) {
        throw new InputError(`array '${printable(a.name)}' is already defined by ${shown(prev.source)}`, a.source);
      }
      arrays[a.name] = a.tensor;
      origin[a.name] = { source: a.source, dtype: a.dtype };
    }
  }
  return { arrays, origin };
}

/**
 * The arrays of one source (file, directory or `-`), in order. `budget.left` is the
 * remaining float64 byte budget and is decreased by what is read.
 */
export function readSource(src: string, opts: LoadOptions = {}, budget = { left: resolveMaxBytes(opts.maxBytes) }): SourceArray[] {
  if (src === '-') {
    if (!opts.readStdin) return fromJson(counted(readJson(0, '-', budget.left, SIZE_SLACK), '-'), '-', budget);
    let input: Uint8Array | string;
    try {
      input = opts.readStdin();
    } catch (e) {
      throw new InputError(`cannot read standard input: ${errnoText(e)}`, '-');
    }
    return fromJson(parseJsonArrays(input, '-', { maxBytes: budget.left }), '-', budget);
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(src);
  } catch (e) {
    throw new InputError(isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR') ? 'no such file' : `cannot read: ${errnoText(e)}`, src);
  }
  if (st.isDirectory()) return readDirectory(src, budget);
  const ext = path.extname(src).toLowerCase();
  if ((PICKLE_EXTENSIONS as readonly string[]).includes(ext)) throw new InputError(pickleRefusal(`a ${ext} file is by convention`), src);
  if (!(FIXTURE_EXTENSIONS as readonly string[]).includes(ext)) {
    const what = ext === '' ? 'no extension' : `unknown extension '${printable(ext)}'`;
    throw new InputError(`${what}; a fixture source is ${SUPPORTED}`, src);
  }
  if (!st.isFile()) throw new InputError('not a regular file', src);
  if (st.size > budget.left + SIZE_SLACK) {
    throw new InputError(`file is ${formatBytes(st.size)}, over the limit of ${formatBytes(budget.left)} of array data (raise it with --max-input, or maxBytes in the library)`, src);
  }
  if (ext === '.json') return fromJson(counted(readJsonFile(src, budget.left, SIZE_SLACK), src), src, budget);
  // NPY and NPZ are read piece by piece, headers first: what they refuse is not read.
  return withFile(src, (file) => {
    if (ext === '.safetensors') {
      const arrays = readSafetensors(file, src, { maxBytes: budget.left });
      budget.left -= arrays.reduce((s, a) => s + a.tensor.data.length * 8, 0);
      return arrays.map((a) => ({ ...a, source: src }));
    }
    if (ext === '.npy') {
      const npy = readNpy(file, src, { maxBytes: budget.left });
      budget.left -= npy.tensor.data.length * 8;
      return [{ name: stemOf(path.basename(src)), tensor: npy.tensor, dtype: npy.dtype, source: src }];
    }
    const entries = readNpz(file, src, { maxBytes: budget.left });
    const out: SourceArray[] = [];
    for (const e of entries) {
      budget.left -= e.tensor.data.length * 8;
      out.push({ name: e.name, tensor: e.tensor, dtype: e.dtype, source: src });
    }
    return out;
  });
}

/** Runs `read` on the file `src` opened for random access; an fs error is an InputError naming it. */
function withFile<T>(src: string, read: (file: ByteSource) => T): T {
  let fd: number | undefined;
  try {
    fd = fs.openSync(src, 'r');
    return read(fileSource(fd, fs.fstatSync(fd).size, src));
  } catch (e) {
    if (e instanceof InputError) throw e;
    if (typeof e === 'object' && e !== null && typeof (e as NodeJS.ErrnoException).code === 'string') {
      throw new InputError(`cannot read: ${errnoText(e)}`, src);
    }
    throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function readDirectory(dir: string, budget: { left: number }): SourceArray[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw new InputError(`cannot list directory: ${errnoText(e)}`, dir);
  }
  const files = names
    .filter((n) => (FIXTURE_EXTENSIONS as readonly string[]).includes(path.extname(n).toLowerCase()))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => path.join(dir, n))
    .filter((p) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false; // a dangling symlink is not a fixture file
      }
    });
  if (files.length === 0) throw new InputError('directory holds no .npy, .npz, .safetensors or .json files', dir);
  const out: SourceArray[] = [];
  for (const f of files) out.push(...readSource(f, {}, budget));
  return out;
}

const counted = (c: Counted, src: string): Arrays => parseCountedJson(c.bytes, src, c.counter);

function fromJson(arrays: Arrays, src: string, budget: { left: number }): SourceArray[] {
  const out: SourceArray[] = [];
  for (const name of Object.keys(arrays)) {
    budget.left -= arrays[name].data.length * 8;
    out.push({ name, tensor: arrays[name], dtype: 'json', source: src });
  }
  return out;
}
