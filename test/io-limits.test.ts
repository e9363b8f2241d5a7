/**
 * Limits that hold before the work: an NPY's header, an NPZ member's NPY header (in its first
 * bytes, read or inflated), decides against the budget of decoded float64 bytes and against
 * the size the file or zip entry declares — counted here in bytes read from the file. The same
 * inputs through bin/rnn, with peak memory: test/cli-input-limits.test.ts.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../src/errors';
import { loadFixture } from '../src/io/fixture';
import { readNpy } from '../src/io/npy';
import { readNpz } from '../src/io/npz';
import { fileSource, type ByteSource } from '../src/io/source';
import { crcOfZeros, deflatedZeros, npyHeader, writeSparse, zipOf, zipRecords } from './big-inputs';

const MIB = 1 << 20;
const LIMIT = /over the limit of 1073741824 bytes \(1 GiB\) \(raise it with --max-input, or maxBytes in the library\)$/;

/** Runs `read` on `file` through a source that counts the bytes read; returns the error and the count. */
function refusedReading(file: string, read: (src: ByteSource) => unknown): { message: string; bytesRead: number } {
  const fd = fs.openSync(file, 'r');
  const inner = fileSource(fd, fs.fstatSync(fd).size, file);
  let bytesRead = 0;
  const counting: ByteSource = {
    size: inner.size, owned: inner.owned,
    read: (o, n) => { bytesRead += n; return inner.read(o, n); },
    readInto: (o, dst) => { bytesRead += dst.length; inner.readInto(o, dst); },
  };
  try {
    read(counting);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { message: e.message, bytesRead };
  } finally {
    fs.closeSync(fd);
  }
  return assert.fail(`${file} was read without an error`);
}

describe('io/limits: the header decides before the data is read', () => {
  let dir: string;
  const p = (name: string): string => path.join(dir, name);
  const N = 400 * MIB; // uint8: 400 MiB on disk, 3.125 GiB as float64
  const header = npyHeader('|u1', N);
  let crcMemo: number | undefined;
  const crc400 = (): number => (crcMemo ??= crcOfZeros(header, 400));

  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-limits-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('NPY: uint8 declaring 3.1 GiB as float64 is refused from its header; its 400 MiB are not read', () => {
    writeSparse(p('u1.npy'), header, N);
    const r = refusedReading(p('u1.npy'), (src) => readNpy(src, 'u1.npy'));
    assert.match(r.message, /^u1\.npy: shape \(419430400,\) is 3355443200 bytes \(3\.12 GiB\) as float64, /);
    assert.match(r.message, LIMIT);
    assert.ok(r.bytesRead <= 4096, `read ${r.bytesRead} bytes`);
    // the limit counts float64 bytes: the same header passes a budget of 3.12 GiB, and then the
    // file's size decides, still from the header alone
    writeSparse(p('short.npy'), header, N - 1);
    const s = refusedReading(p('short.npy'), (src) => readNpy(src, 'short.npy', { maxBytes: 8 * N }));
    assert.equal(s.message, 'short.npy: data holds 419430399 bytes but shape (419430400,) of |u1 needs 419430400');
    assert.ok(s.bytesRead <= 4096, `read ${s.bytesRead} bytes`);
  });

  it('NPZ, stored: a 400 MiB uint8 member is refused from its first bytes', () => {
    const crc = crc400();
    const { local, end } = zipRecords({ name: 'u.npy', method: 0, crc, csize: header.length + N, usize: header.length + N });
    writeSparse(p('stored.npz'), Buffer.concat([local, header]), N, end);
    const r = refusedReading(p('stored.npz'), (src) => readNpz(src, 'stored.npz'));
    assert.match(r.message, /^stored\.npz: member u\.npy: shape \(419430400,\) is 3355443200 bytes \(3\.12 GiB\) as float64, /);
    assert.ok(r.bytesRead < 256 * 1024, `read ${r.bytesRead} bytes`);
  });

  it('NPZ, deflated: refused from the header in the first compressed KiBs, not inflated', () => {
    const packed = deflatedZeros(header, 400);
    const crc = crc400();
    const honest = { name: 'u.npy', method: 8 as const, crc, csize: packed.length, usize: header.length + N };
    fs.writeFileSync(p('deflated.npz'), zipOf(honest, packed));
    const r = refusedReading(p('deflated.npz'), (src) => readNpz(src, 'deflated.npz'));
    assert.match(r.message, /^deflated\.npz: member u\.npy: shape \(419430400,\) is 3355443200 bytes \(3\.12 GiB\) as float64, /);
    assert.match(r.message, LIMIT);
    // 64 KiB of compressed data could hold ~66 MB: the member is ~400 KiB, holding 400 MiB
    assert.ok(packed.length > 300 * 1024 && r.bytesRead < 200 * 1024, `read ${r.bytesRead} of ${packed.length} bytes`);

    // A member declaring 1 GiB - 1 (within the limit) whose header describes 400 MiB of data.
    fs.writeFileSync(p('declares.npz'), zipOf({ ...honest, usize: 2 ** 30 - 1 }, packed));
    const d = refusedReading(p('declares.npz'), (src) => readNpz(src, 'declares.npz'));
    assert.equal(d.message, 'declares.npz: member u.npy: zip entry declares 1073741695 bytes of data but shape (419430400,) of |u1 needs 419430400');
    assert.ok(d.bytesRead < 200 * 1024, `read ${d.bytesRead} bytes`);
  });

  it('a member the header admits is read whole, and the budget goes on to the next source', () => {
    // 1 MiB of uint8 = 8 MiB as float64: fits 10 MiB, then a 3 MiB float64 NPY does not
    const small = npyHeader('|u1', MIB);
    const packed = deflatedZeros(small, 1);
    fs.writeFileSync(p('ok.npz'), zipOf({ name: 'z.npy', method: 8, crc: crcOfZeros(small, 1), csize: packed.length, usize: small.length + MIB }, packed));
    writeSparse(p('f8.npy'), npyHeader('<f8', 3 * MIB / 8), 3 * MIB);
    assert.equal(loadFixture([p('ok.npz')], { maxBytes: 10 * MIB }).arrays.z.data.length, MIB);
    assert.throws(() => loadFixture([p('ok.npz'), p('f8.npy')], { maxBytes: 10 * MIB }),
      (e: Error) => e instanceof InputError && /f8\.npy: shape \(393216,\) is 3145728 bytes \(3 MiB\) as float64, over the limit of 2097152 bytes \(2 MiB\)/.test(e.message));
  });
});
