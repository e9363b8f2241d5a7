/**
 * One .npz member, from its zip data to float64, header first. The first bytes (read, or
 * inflated from the first compressed bytes) hold the NPY header, and the header alone
 * decides — against the zip entry's declared size and the budget of decoded float64 bytes —
 * before the rest is read or inflated. The data then goes into a buffer of exactly the size
 * the header gives; the first byte beyond it stops the member. The CRC-32 is computed on the way.
 */
import type * as fflateTypes from 'fflate';
import { crc32 } from './crc32';
import { InputError } from '../errors';
import { readNpyHeader, type NpyLayout } from './npy-header';
import type { ByteSource } from './source';

/** fflate loads on first use: only deflated .npz members pay for it. */
let fflate: typeof fflateTypes | undefined;
const zip = (): typeof fflateTypes => (fflate ??= require('fflate') as typeof fflateTypes);

/** A member as the central directory and its local header describe it. */
export interface MemberRef {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  csize: number;
  usize: number;
  /** Offset of its data in the source. */
  dataStart: number;
}

/** Bytes read from the source at a time, and of a stored member before its header is known. */
const READ_CHUNK = 1 << 20;
const HEADER_READ = 64 * 1024;
/**
 * Compressed bytes per inflate step. Deflate expands at most 1032:1 (MAX_RATIO), and fflate
 * inflates all of a step at once: so 256-byte steps until the header is known (at most
 * ~260 KiB inflated past it), then steps that aim at STEP_OUTPUT bytes out at the ratio seen so far
 * (fflate costs ~200 KiB of copies per step: small steps are slow on incompressible data,
 * big ones on very compressible data; bench/README.md), but never able to inflate more than
 * OVERSHOOT past the size the header allows.
 */
const HEADER_STEP = 256;
const MAX_STEP = 64 * 1024;
const STEP_OUTPUT = 1 << 20;
const MAX_RATIO = 1032;
const OVERSHOOT = 8 << 20;

/** The member's NPY layout and its data bytes (exactly `count * itemsize`, a buffer of its own). */
export function readMember(src: ByteSource, m: MemberRef, maxBytes: number, fail: (msg: string) => never): { layout: NpyLayout; body: Uint8Array } {
  const sink = new NpySink(m.usize, maxBytes, fail, m.method !== 0);
  if (m.method === 0) {
    for (let off = 0; off < m.csize;) {
      const n = Math.min(m.csize - off, sink.layout ? READ_CHUNK : HEADER_READ);
      if (sink.layout) sink.readFrom(src, m.dataStart + off, n);
      else sink.push(src.read(m.dataStart + off, n));
      off += n;
    }
  } else {
    inflate(src, m, sink, fail);
  }
  return sink.finish(m.crc);
}

function inflate(src: ByteSource, m: MemberRef, sink: NpySink, fail: (msg: string) => never): void {
  const inf = new (zip().Inflate)((chunk) => sink.push(chunk));
  try {
    if (m.csize === 0) inf.push(new Uint8Array(0), true);
    let block: Uint8Array = new Uint8Array(0), blockAt = 0;
    let step = HEADER_STEP;
    for (let off = 0; off < m.csize;) {
      if (off >= blockAt + block.length) {
        blockAt = off;
        block = src.read(m.dataStart + off, Math.min(sink.layout ? READ_CHUNK : HEADER_READ, m.csize - off));
      }
      const n = Math.min(blockAt + block.length - off, step);
      const before = sink.received;
      inf.push(block.subarray(off - blockAt, off - blockAt + n), off + n === m.csize);
      off += n;
      if (sink.layout) {
        const ratio = Math.max(1, (sink.received - before) / n);
        step = Math.min(Math.floor(STEP_OUTPUT / ratio), MAX_STEP, Math.floor((sink.room + OVERSHOOT) / MAX_RATIO));
        step = Math.max(step, HEADER_STEP);
      }
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    fail(`corrupt deflate data (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Receives a member's bytes in order: gathers them until the NPY header can be read, lets
 * the header decide, then copies the data into a buffer of exactly the size it describes.
 */
class NpySink {
  layout: NpyLayout | undefined;
  private parts: Uint8Array[] = [];
  private got = 0;
  private need = 12;
  private body: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private crc = 0;
  /** Bytes received so far. */
  received = 0;

  /** `size`: the zip entry's uncompressed size; `declared`: not yet known to be the bytes present (deflated). */
  constructor(private readonly size: number, private readonly maxBytes: number, private readonly fail: (msg: string) => never, private readonly declared: boolean) {}

  /** Bytes the data buffer still has room for (once the header is known). */
  get room(): number {
    return this.body.length - this.pos;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.received += chunk.length;
    this.crc = crc32(chunk, this.crc);
    if (this.layout) return this.append(chunk);
    this.got += chunk.length;
    if (this.got > this.size) this.over();
    this.parts.push(chunk);
    while (!this.layout && this.got >= Math.min(this.need, this.size)) {
      const head = this.joined();
      const r = readNpyHeader(head, this.size, this.maxBytes, this.fail, this.declared);
      if (typeof r === 'number') {
        this.need = r;
        continue;
      }
      this.layout = r;
      this.body = new Uint8Array(r.count * r.dtype.itemsize);
      this.parts = [];
      this.append(head.subarray(r.dataStart));
    }
  }

  /** Once the header is known: the `n` bytes at `at` of `src`, read straight into the data buffer. */
  readFrom(src: ByteSource, at: number, n: number): void {
    if (n === 0) return;
    if (this.pos + n > this.body.length) this.over();
    const dst = this.body.subarray(this.pos, this.pos + n);
    src.readInto(at, dst);
    this.received += n;
    this.crc = crc32(dst, this.crc);
    this.pos += n;
  }

  finish(crc: number): { layout: NpyLayout; body: Uint8Array } {
    const total = this.layout ? this.layout.dataStart + this.pos : this.got;
    if (total !== this.size) this.fail(`inflates to ${total} bytes but declares ${this.size}`);
    if (this.crc !== crc) this.fail(`CRC-32 mismatch (0x${hex8(this.crc)}, archive says 0x${hex8(crc)}): corrupt file`);
    // Only a member too short for its header gets here without a layout: readNpyHeader says what is wrong.
    const layout = this.layout ?? readNpyHeader(this.joined(), this.size, this.maxBytes, this.fail, this.declared);
    if (typeof layout === 'number') throw new Error('NpySink: a complete member without a header'); // cannot happen
    return { layout, body: this.body };
  }

  private append(c: Uint8Array): void {
    if (this.pos + c.length > this.body.length) this.over();
    this.body.set(c, this.pos);
    this.pos += c.length;
  }

  private joined(): Uint8Array {
    if (this.parts.length !== 1) {
      const all = new Uint8Array(this.got);
      let at = 0;
      for (const p of this.parts) { all.set(p, at); at += p.length; }
      this.parts = [all];
    }
    return this.parts[0] ?? new Uint8Array(0);
  }

  private over(): never {
    return this.fail(`inflates to more than its declared ${this.size} bytes (corrupt file or zip bomb)`);
  }
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
