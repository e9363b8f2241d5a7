/**
 * NPZ reading and writing: np.savez / np.savez_compressed / piped / zip64 samples read
 * bit-exactly; our archives read back; size limits hold before anything is inflated.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { zipSync } from 'fflate';
import * as zlib from 'zlib';
import { InputError } from '../src/errors';
import { encodeNpy } from '../src/io/npy';
import { crc32, encodeNpz, parseNpz } from '../src/io/npz';
import type { Arrays } from '../src/tensor';
import { throwsInput, hex } from './helpers';

const SAMPLES = path.join(__dirname, '..', 'fixtures', 'npy', 'samples');
interface Expected { dtype: string; shape: number[]; f64: string }
const EXPECTED: Record<string, { compression: number[]; data_descriptors: boolean[]; order: string[]; members: Record<string, Expected> }> =
  JSON.parse(fs.readFileSync(path.join(SAMPLES, '..', 'expected.json'), 'utf8')).files;



describe('io/npz: reading numpy-made archives', () => {
  const names = Object.keys(EXPECTED).filter((n) => n.endsWith('.npz'));

  it('the samples cover stored, deflated, data descriptors (pipe) and zip64', () => {
    assert.ok(names.some((n) => EXPECTED[n].compression.includes(0) && EXPECTED[n].data_descriptors.includes(false)));
    assert.ok(names.some((n) => EXPECTED[n].compression.includes(8) && EXPECTED[n].data_descriptors.includes(false)));
    assert.ok(names.some((n) => EXPECTED[n].compression.includes(8) && EXPECTED[n].data_descriptors.includes(true)));
    assert.ok(names.some((n) => EXPECTED[n].compression.includes(0) && EXPECTED[n].data_descriptors.includes(true)));
    assert.ok(names.includes('zip64.npz'));
  });

  for (const name of names) {
    it(`${name}: every member, in archive order, bit-exactly`, () => {
      const entries = parseNpz(fs.readFileSync(path.join(SAMPLES, name)), name);
      assert.deepEqual(entries.map((e) => e.name), EXPECTED[name].order);
      for (const e of entries) {
        const x = EXPECTED[name].members[e.name];
        assert.equal(e.member, `${e.name}.npy`);
        assert.equal(e.dtype, x.dtype, e.name);
        assert.deepEqual(e.tensor.shape, x.shape, e.name);
        assert.equal(hex(e.tensor.data), x.f64, e.name);
      }
    });
  }

  it('reads an archive with data prepended (as Python zipfile does)', () => {
    const raw = fs.readFileSync(path.join(SAMPLES, 'savez.npz'));
    const prefixed = Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), raw]);
    assert.deepEqual(parseNpz(prefixed, 'p.npz').map((e) => e.name), EXPECTED['savez.npz'].order);
  });

  it('respects byteOffset (an archive inside a larger buffer)', () => {
    const raw = fs.readFileSync(path.join(SAMPLES, 'savez_compressed.npz'));
    const big = Buffer.alloc(raw.length + 13);
    raw.copy(big, 5);
    const entries = parseNpz(big.subarray(5, 5 + raw.length), 'o.npz');
    assert.equal(hex(entries[0].tensor.data), EXPECTED['savez_compressed.npz'].members.Wax.f64);
  });

  it('an empty archive holds no arrays', () => {
    assert.deepEqual(parseNpz(zipSync({}), 'e.npz'), []);
  });
});

describe('io/npz: limits', () => {
  const zeros = (n: number): Arrays => ({ z: { shape: [n], data: new Float64Array(n) } });

  it('refuses a member whose declared size passes maxBytes, before inflating it', () => {
    // 8 MiB of float64 zeros deflate to ~8 KiB
    const npy = encodeNpy(zeros(1 << 20).z);
    const zip = zipSync({ 'z.npy': [npy, { level: 9 }] });
    assert.ok(zip.length < 64 * 1024);
    throwsInput(() => parseNpz(zip, 'bomb.npz', { maxBytes: 1 << 20 }),
      /^bomb\.npz: member z\.npy declares 8388736 bytes \(8 MiB\) uncompressed, which takes the archive over the limit of 1048576 bytes \(1 MiB\) \(raise it with --max-input, or maxBytes in the library\)$/);
    assert.equal(parseNpz(zip, 'bomb.npz', { maxBytes: 9 << 20 })[0].tensor.data.length, 1 << 20);
  });

  it('the limit is on the total of all members', () => {
    const npy = encodeNpy(zeros(1000).z);
    const zip = zipSync({ 'a.npy': [npy, { level: 0 }], 'b.npy': [npy, { level: 0 }] });
    throwsInput(() => parseNpz(zip, 'two.npz', { maxBytes: 12000 }), /^two\.npz: member b\.npy declares 8128 bytes \(7\.94 KiB\) uncompressed, which takes the archive over the limit of 12000 bytes \(11\.7 KiB\)/);
  });

  it('counts the decoded float64 size too (uint8 data grows eightfold)', () => {
    const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (1000,), }";
    const h = Buffer.from(header.padEnd(117, ' ') + '\n', 'latin1');
    const npy = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length, 0]), h, Buffer.alloc(1000, 3)]);
    const zip = zipSync({ 'u.npy': [new Uint8Array(npy), { level: 0 }] });
    assert.equal(parseNpz(zip, 'u.npz', { maxBytes: 8000 })[0].tensor.data[999], 3);
    throwsInput(() => parseNpz(zip, 'u.npz', { maxBytes: 5000 }), /^u\.npz: member u\.npy: shape \(1000,\) is 8000 bytes \(7\.81 KiB\) as float64, over the limit of 5000 bytes \(4\.88 KiB\)/);
  });

  it('stops inflating a lying member as soon as it passes its declared size', () => {
    // A 1 GiB bomb in 1 MB: a deflated MiB of zeros, ended by a sync flush (so it is
    // byte-aligned and not final), repeated 1024 times, then an empty final block.
    const mib = zlib.deflateRawSync(new Uint8Array(1 << 20), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const deflated = Buffer.concat([...new Array<Buffer>(1024).fill(mib), Buffer.from([0x03, 0x00])]);
    assert.equal(zlib.inflateRawSync(Buffer.concat([mib, mib, Buffer.from([3, 0])])).length, 2 << 20);
    const honest = zipSync({ 'z.npy': [encodeNpy(zeros(2).z), { level: 9 }] });
    // Rebuild the archive around the bomb, keeping the declared size of the honest member.
    const zip = spliceDeflated(honest, deflated);
    // CPU time, not wall time: a loaded machine must not fail this (inflating the whole GiB takes seconds of CPU)
    const t0 = process.cpuUsage();
    throwsInput(() => parseNpz(zip, 'bomb.npz'), /^bomb\.npz: member z\.npy: inflates to more than its declared 144 bytes \(corrupt file or zip bomb\)$/);
    const cpu = process.cpuUsage(t0);
    assert.ok(cpu.user + cpu.system < 1e6, `took ${(cpu.user + cpu.system) / 1e3} ms of CPU`);
  });

  it('crc32 is the zip CRC', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
  });
});

describe('io/npz: writing', () => {
  const arrays: Arrays = {
    Wax: { shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, -0]) },
    b: { shape: [], data: Float64Array.of(NaN) },
    'Wäx ü': { shape: [0], data: new Float64Array(0) },
  };

  it('round-trips names (unicode too), order, shapes and bits', () => {
    const back = parseNpz(encodeNpz(arrays), 'rt.npz');
    assert.deepEqual(back.map((e) => e.name), Object.keys(arrays));
    for (const e of back) {
      assert.deepEqual(e.tensor.shape, arrays[e.name].shape);
      assert.equal(hex(e.tensor.data), hex(arrays[e.name].data));
      assert.equal(e.dtype, '<f8');
    }
  });

  it('stores members uncompressed as <name>.npy, like np.savez, and deterministically', () => {
    const a = encodeNpz(arrays);
    const b = encodeNpz(arrays);
    assert.deepEqual(a, b);
    const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
    assert.equal(dv.getUint32(0, true), 0x04034b50);
    assert.equal(dv.getUint16(8, true), 0, 'method: stored');
    const nameLen = dv.getUint16(26, true);
    assert.equal(Buffer.from(a.subarray(30, 30 + nameLen)).toString(), 'Wax.npy');
    // the member bytes are exactly encodeNpy's
    const npy = encodeNpy(arrays.Wax);
    const start = 30 + nameLen + dv.getUint16(28, true);
    assert.deepEqual(a.subarray(start, start + npy.length), npy);
  });

  it('a name like __proto__ is just a member', () => {
    const weird = Object.create(null) as Arrays;
    weird.__proto__ = { shape: [1], data: Float64Array.of(1) };
    const ctor: string = 'constructor';
    weird[ctor] = { shape: [1], data: Float64Array.of(2) };
    const back = parseNpz(encodeNpz(weird), 'w.npz');
    assert.deepEqual(back.map((e) => [e.name, e.tensor.data[0]]), [['__proto__', 1], ['constructor', 2]]);
  });
});

/** Replace the (only) member's deflated data in a zip made by fflate, keeping its declared sizes. */
function spliceDeflated(zip: Uint8Array, deflated: Uint8Array): Uint8Array {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const nameLen = dv.getUint16(26, true), extraLen = dv.getUint16(28, true);
  const oldSize = dv.getUint32(18, true);
  const dataStart = 30 + nameLen + extraLen;
  const rest = zip.subarray(dataStart + oldSize);
  const out = new Uint8Array(dataStart + deflated.length + rest.length);
  out.set(zip.subarray(0, dataStart));
  out.set(deflated, dataStart);
  out.set(rest, dataStart + deflated.length);
  const o = new DataView(out.buffer);
  o.setUint32(18, deflated.length, true);
  const cd = dataStart + deflated.length;
  o.setUint32(cd + 20, deflated.length, true);
  const eocd = out.length - 22;
  o.setUint32(eocd + 16, cd, true);
  return out;
}
