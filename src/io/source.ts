/**
 * Random access to the bytes of an input: a file read piece by piece (the CLI's path), or
 * bytes already in memory (`parseNpy` / `parseNpz`). The NPY and NPZ readers read headers,
 * zip records and data through it, so that a file refused for its header or its size is
 * never read further than that header.
 */
import * as fs from 'fs';
import { InputError } from '../errors';

export interface ByteSource {
  readonly size: number;
  /** The `length` bytes at `offset` (the range lies within `size`). */
  read(offset: number, length: number): Uint8Array;
  /**
   * The dst.length bytes at `offset`, into dst: a member's data goes straight into its own
   * buffer, with no fresh memory in between (a fresh page costs a fault: bench/README.md, "One cold run").
   */
  readInto(offset: number, dst: Uint8Array): void;
  /** Whether `read` returns fresh memory the caller may keep and modify (else a view of shared bytes). */
  readonly owned: boolean;
}

export function bytesSource(b: Uint8Array): ByteSource {
  return {
    size: b.length,
    owned: false,
    read(offset, length) {
      if (!(offset >= 0 && length >= 0 && offset + length <= b.length)) throw new RangeError(`read of ${length} bytes at ${offset} outside ${b.length}`);
      return b.subarray(offset, offset + length);
    },
    readInto(offset, dst) {
      dst.set(this.read(offset, dst.length));
    },
  };
}

/**
 * The open file `fd` of `size` bytes. fs errors propagate as they are (the caller names them);
 * a file that ends early (changed while read) is an InputError naming `source`.
 */
export function fileSource(fd: number, size: number, source: string): ByteSource {
  return {
    size,
    owned: true,
    read(offset, length) {
      // A fresh ArrayBuffer of exactly `length` (Buffer.allocUnsafe may hand out a shared pool).
      const out = new Uint8Array(length);
      this.readInto(offset, out);
      return out;
    },
    readInto(offset, dst) {
      const length = dst.length;
      let got = 0;
      while (got < length) {
        const n = fs.readSync(fd, dst, got, length - got, offset + got);
        if (n === 0) throw new InputError(`file ended at ${offset + got} bytes while ${size} were expected (changed while read?)`, source);
        got += n;
      }
    },
  };
}
