/**
 * Big hostile inputs built at run time in a temp dir, cheaply: NPY and stored NPZ files whose
 * data is a hole (sparse files: no disk, no memory), and deflated members made of one deflated
 * MiB of zeros repeated (~1 KiB per MiB). Shared by test/io-limits.test.ts and the CLI's
 * test/cli-input-limits.test.ts.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { crc32 } from '../src/io/crc32';

const MIB = 1 << 20;

/** An NPY 1.0 header (preamble included) for `descr` and a 1-d `length`, padded to 64 like numpy's. */
export function npyHeader(descr: string, length: number): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${length},), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const h = Buffer.alloc(total, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(h);
  h.writeUInt16LE(total - 10, 8);
  h.write(dict, 10, 'latin1');
  h[total - 1] = 0x0a;
  return h;
}

/** Writes `head` and then `holeBytes` zero bytes (a hole), then `tail`: a file of that size on no disk. */
export function writeSparse(file: string, head: Uint8Array, holeBytes: number, tail: Uint8Array = new Uint8Array(0)): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, head, 0, head.length, 0);
    fs.ftruncateSync(fd, head.length + holeBytes);
    if (tail.length > 0) fs.writeSync(fd, tail, 0, tail.length, head.length + holeBytes);
  } finally {
    fs.closeSync(fd);
  }
}

/** CRC-32 of `head` followed by `mib` MiB of zeros. */
export function crcOfZeros(head: Uint8Array, mib: number): number {
  const zeros = new Uint8Array(MIB);
  let crc = crc32(head);
  for (let k = 0; k < mib; k++) crc = crc32(zeros, crc);
  return crc;
}

/** Raw deflate of `head` followed by `mib` MiB of zeros, ~1 KiB per MiB. */
export function deflatedZeros(head: Uint8Array, mib: number): Buffer {
  const sync = { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const block = zlib.deflateRawSync(new Uint8Array(MIB), sync);
  // byte-aligned, non-final blocks one after the other, then an empty final block
  return Buffer.concat([zlib.deflateRawSync(head, sync), ...new Array<Buffer>(mib).fill(block), Buffer.from([0x03, 0x00])]);
}

export interface ZipMember { name: string; method: 0 | 8; crc: number; csize: number; usize: number }

/** The local header of a one-member zip, and what follows the member's data (central directory, end record). */
export function zipRecords(m: ZipMember): { local: Buffer; end: Buffer } {
  const name = Buffer.from(m.name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(m.method, 8);
  local.writeUInt16LE(0x21, 12); // 1980-01-01
  local.writeUInt32LE(m.crc, 14);
  local.writeUInt32LE(m.csize, 18);
  local.writeUInt32LE(m.usize, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(m.method, 10);
  central.writeUInt16LE(0x21, 14);
  central.writeUInt32LE(m.crc, 16);
  central.writeUInt32LE(m.csize, 20);
  central.writeUInt32LE(m.usize, 24);
  central.writeUInt16LE(name.length, 28);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(46 + name.length, 12);
  eocd.writeUInt32LE(30 + name.length + m.csize, 16);
  return { local: Buffer.concat([local, name]), end: Buffer.concat([central, name, eocd]) };
}

/** A one-member zip whose member data is `packed` (in memory). */
export function zipOf(m: ZipMember, packed: Uint8Array): Buffer {
  const { local, end } = zipRecords(m);
  return Buffer.concat([local, packed, end]);
}
