/**
 * Reading a JSON fixture (a file, or standard input) in blocks, counted as they arrive
 * (json-count.ts): input whose numbers pass the float64 budget is refused at the number that
 * passes it, before the rest is read — a refused input costs what was read up to there, not its
 * size. Input longer than the budget plus `slack` bytes is refused too (a file before it is read).
 */
import * as fs from 'fs';
import { InputError } from '../errors';
import { errnoText, formatBytes, isErrno } from './common';
import { JsonCounter } from './json-count';

/** The bytes of a JSON input and the counter that has seen all of them. */
export interface Counted {
  bytes: Uint8Array;
  counter: JsonCounter;
}

const BLOCK = 4 * 1024 * 1024;

/** A .json file (already checked to be a regular file). */
export function readJsonFile(file: string, left: number, slack: number): Counted {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new InputError(`cannot read: ${errnoText(e)}`, file);
  }
  try {
    return readJson(fd, file, left, slack);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * All of `fd` (a file, or a pipe: standard input is fd 0, source `-`). A regular file is read
 * into one buffer of its size (memory the kernel gives as it is filled), anything else into
 * blocks joined at the end.
 */
export function readJson(fd: number, source: string, left: number, slack: number): Counted {
  const counter = new JsonCounter(left, source);
  const cap = left + slack;
  const what = source === '-' ? 'standard input' : 'file';
  const tooBig = (size: string): InputError =>
    new InputError(`${what} is ${size}, over the limit of ${formatBytes(left)} of array data (raise it with --max-input, or maxBytes in the library)`, source);
  const cannot = (e: unknown): InputError =>
    new InputError(source === '-' ? `cannot read standard input: ${errnoText(e)}` : `cannot read: ${errnoText(e)}`, source);
  let size = -1;
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile()) size = st.size;
  } catch {
    // not a file we can stat: read it as a stream
  }
  if (size > cap) throw tooBig(formatBytes(size));
  const blocks: Uint8Array[] = [];
  let block = new Uint8Array(size >= 0 ? size + 1 : BLOCK); // +1: a file that grew goes on in blocks
  let filled = 0, total = 0;
  for (;;) {
    let got: number;
    try {
      got = fs.readSync(fd, block, filled, Math.min(BLOCK, block.length - filled), null);
    } catch (e) {
      if (isErrno(e, 'EOF')) break;
      throw cannot(e);
    }
    if (got === 0) break;
    counter.feed(block.subarray(filled, filled + got));
    filled += got;
    total += got;
    if (total > cap) throw tooBig(`more than ${formatBytes(cap)}`);
    if (filled === block.length) {
      blocks.push(block);
      block = new Uint8Array(BLOCK);
      filled = 0;
    }
  }
  blocks.push(block.subarray(0, filled));
  if (blocks.length === 1) return { bytes: blocks[0], counter };
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const b of blocks) {
    bytes.set(b, at);
    at += b.length;
  }
  return { bytes, counter };
}
