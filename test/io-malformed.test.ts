/**
 * Broken input: every case gives one clean, specific, one-line InputError — never a crash,
 * a hang or a silently wrong array.
 *
 *   - the committed corpus (fixtures/malformed, made by generate_malformed.py): each file
 *     with the message it must produce;
 *   - every truncation of small valid files (npy, stored and deflated npz, json);
 *   - every single-bit flip in NPY headers and anywhere in a stored NPZ;
 *   - property tests: random bytes and random mutations of valid files.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../src/errors';
import { loadFixture } from '../src/io/fixture';
import { parseJsonArrays } from '../src/io/json';
import { parseNpy } from '../src/io/npy';
import { parseNpz, type NpzEntry } from '../src/io/npz';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const CORPUS = path.join(FIXTURES, 'malformed');
const SAMPLES = path.join(FIXTURES, 'npy', 'samples');
const sample = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(SAMPLES, name)));
const hex = (d: Float64Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');

/** Runs `fn`; it may succeed, or throw a one-line InputError naming `source`. Anything else fails the test. */
function cleanly<T>(fn: () => T, source: string, what: string): { ok: true; value: T } | { ok: false; message: string } {
  // CPU time, not wall time: a loaded machine must not fail a file that is refused cheaply
  const t0 = process.cpuUsage();
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (!(e instanceof InputError)) throw new Error(`${what}: threw ${e instanceof Error ? e.stack : String(e)}`);
    assert.ok(!e.message.includes('\n'), `${what}: message is not one line: ${JSON.stringify(e.message)}`);
    assert.ok(e.message.startsWith(`${source}: `), `${what}: message does not start with the source: ${e.message}`);
    return { ok: false, message: e.message.slice(source.length + 2) };
  } finally {
    const cpu = process.cpuUsage(t0);
    assert.ok(cpu.user + cpu.system < 2e6, `${what}: took ${(cpu.user + cpu.system) / 1e3} ms of CPU`);
  }
}

describe('io/malformed: the committed corpus', () => {
  const cases: Record<string, { expect: string; why: string }> = JSON.parse(fs.readFileSync(path.join(CORPUS, 'cases.json'), 'utf8'));

  it('lists every file in fixtures/malformed/files, and only those', () => {
    assert.deepEqual(Object.keys(cases).sort(), fs.readdirSync(path.join(CORPUS, 'files')).sort());
    const kinds = new Set(Object.keys(cases).map((f) => path.extname(f)));
    assert.deepEqual([...kinds].sort(), ['.json', '.npy', '.npz', '.pt', '.safetensors']);
  });

  for (const [file, c] of Object.entries(cases)) {
    it(`${file} (${c.why})`, () => {
      const src = path.join(CORPUS, 'files', file);
      const r = cleanly(() => loadFixture([src]), src, file);
      assert.ok(!r.ok, `${file}: loaded without an error`);
      assert.match(r.message, new RegExp(c.expect));
    });
  }
});

describe('io/malformed: truncation at every length', () => {
  const NPY_TRUNCATED = /^(empty file \(not an NPY file\)|truncated: \d+ bytes, too short for the (NPY magic string|NPY format version|header length of NPY \d\.0)|truncated: header claims \d+ bytes but only \d+ follow|data holds \d+ bytes but shape \(.*\) of \S+ needs \d+)$/;
  const NPZ_TRUNCATED = /^(empty file \(not an \.npz\)|truncated zip archive \(no end-of-central-directory record\))$/;

  for (const name of ['f8-le-C.npy', 'i4-be-F.npy', 'f4-be-F-v3.npy', 'rank0.npy']) {
    it(`${name}: every proper prefix is refused as truncated`, () => {
      const bytes = sample(name);
      for (let n = 0; n < bytes.length; n++) {
        const r = cleanly(() => parseNpy(bytes.subarray(0, n), 'cut.npy'), 'cut.npy', `${name}[:${n}]`);
        assert.ok(!r.ok, `${name}[:${n}] parsed`);
        assert.match(r.message, NPY_TRUNCATED, `${name}[:${n}]`);
      }
    });
  }

  for (const name of ['savez.npz', 'savez_compressed.npz', 'savez_compressed-pipe.npz', 'zip64.npz']) {
    it(`${name}: every proper prefix is refused as truncated`, () => {
      const bytes = sample(name);
      for (let n = 0; n < bytes.length; n++) {
        const r = cleanly(() => parseNpz(bytes.subarray(0, n), 'cut.npz'), 'cut.npz', `${name}[:${n}]`);
        assert.ok(!r.ok, `${name}[:${n}] parsed`);
        assert.match(r.message, NPZ_TRUNCATED, `${name}[:${n}]`);
      }
    });
  }

  it('json: every proper prefix of a fixture is a located syntax error', () => {
    const text = '{\n  "Wax": [[0.5, -1e-3], [2, 3.25e10]],\n  "b": -0.0,\n  "e": []\n}';
    for (let n = 0; n < text.length; n++) {
      const r = cleanly(() => parseJsonArrays(text.slice(0, n), 'cut.json'), 'cut.json', `json[:${n}]`);
      if (r.ok) assert.fail(`json[:${n}] parsed`);
      assert.match(r.message, /^line \d+, column \d+: /, `json[:${n}]`);
    }
  });
});

describe('io/malformed: bit flips', () => {
  it('NPY: every single-bit flip in the header is refused or still consistent', () => {
    for (const name of ['f8-le-C.npy', 'u2-be-F.npy', 'b1-F-v2.npy']) {
      const good = sample(name);
      const dv = new DataView(good.buffer, good.byteOffset, good.byteLength);
      const headerEnd = good[6] === 1 ? 10 + dv.getUint16(8, true) : 12 + dv.getUint32(8, true);
      let refused = 0;
      for (let byte = 0; byte < headerEnd; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = good.slice();
          bad[byte] ^= 1 << bit;
          const r = cleanly(() => parseNpy(bad, 'flip.npy'), 'flip.npy', `${name} byte ${byte} bit ${bit}`);
          if (!r.ok) { refused++; continue; }
          // Accepted: then it must describe exactly the data that is there.
          const itemsize = r.value.dtype === '?' ? 1 : Number(/\d+$/.exec(r.value.dtype)![0]);
          assert.equal(r.value.tensor.data.length * itemsize, good.length - headerEnd, `${name} byte ${byte} bit ${bit}`);
        }
      }
      // the magic, the version and most of the dict are load-bearing
      assert.ok(refused > headerEnd * 2, `${name}: only ${refused} of ${headerEnd * 8} flips refused`);
    }
  });

  it('NPZ (stored): every single-bit flip anywhere is refused or changes nothing', () => {
    const good = sample('savez.npz');
    const arraysOf = (entries: NpzEntry[]): string => JSON.stringify(entries.map((e) => [e.name, e.dtype, e.tensor.shape, hex(e.tensor.data)]));
    const expected = arraysOf(parseNpz(good, 'good.npz'));
    let refused = 0, harmless = 0;
    for (let byte = 0; byte < good.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = good.slice();
        bad[byte] ^= 1 << bit;
        const r = cleanly(() => parseNpz(bad, 'flip.npz'), 'flip.npz', `byte ${byte} bit ${bit}`);
        if (!r.ok) { refused++; continue; }
        harmless++;
        // CRC-32 and the cross-checks between local and central headers catch every flip
        // that matters; what is left (timestamps, attributes, unused fields) changes nothing.
        assert.equal(arraysOf(r.value), expected, `byte ${byte} bit ${bit} silently changed the arrays`);
      }
    }
    assert.ok(refused > harmless, `${refused} refused, ${harmless} harmless`);
  });
});

describe('io/malformed: property tests (random input never crashes or hangs)', () => {
  const bytes = fc.uint8Array({ maxLength: 600 });

  it('random bytes', () => {
    fc.assert(fc.property(bytes, (b) => {
      cleanly(() => parseNpy(b, 'r.npy'), 'r.npy', 'npy');
      cleanly(() => parseNpz(b, 'r.npz'), 'r.npz', 'npz');
      cleanly(() => parseJsonArrays(Buffer.from(b).toString('latin1'), 'r.json'), 'r.json', 'json');
    }), { numRuns: 2000 });
  });

  it('random bytes behind a valid NPY preamble, and random header text', () => {
    const preamble = (v: number, len: number): Uint8Array => {
      const p = new Uint8Array(v === 1 ? 10 : 12);
      p.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, v, 0]);
      const dv = new DataView(p.buffer);
      if (v === 1) dv.setUint16(8, len, true); else dv.setUint32(8, len, true);
      return p;
    };
    const headerish = fc.array(fc.constantFrom("'descr'", "'<f8'", "'|b1'", "'>i2'", "'fortran_order'", "'shape'", 'True', 'False',
      '(', ')', '[', ']', '{', '}', ',', ':', ' ', '2', '3', '0', '-1', '1L', '1.5', "'", '"', '\\', '\n', 'None'), { maxLength: 40 }).map((a) => a.join(''));
    fc.assert(fc.property(fc.constantFrom(1, 2, 3), headerish, fc.uint8Array({ maxLength: 64 }), (v, h, tail) => {
      const hb = Buffer.from(h, 'latin1');
      const file = Buffer.concat([preamble(v, hb.length), hb, tail]);
      cleanly(() => parseNpy(file, 'h.npy'), 'h.npy', JSON.stringify(h));
    }), { numRuns: 3000 });
  });

  it('random mutations of valid NPY and NPZ files', () => {
    const files = ['f8-le-C.npy', 'i8-be-F.npy', 'f2-le-F.npy', 'savez.npz', 'savez_compressed.npz', 'savez_compressed-pipe.npz', 'zip64.npz'].map((n) => [n, sample(n)] as const);
    const mutation = fc.record({
      file: fc.integer({ min: 0, max: files.length - 1 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(fc.property(mutation, ({ file, edits, cut }) => {
      const [name, good] = files[file];
      let bad = good.slice();
      for (const [pos, val] of edits) bad[pos % bad.length] = val;
      if (cut !== undefined) bad = bad.subarray(0, cut % (bad.length + 1));
      if (name.endsWith('.npy')) cleanly(() => parseNpy(bad, 'm.npy'), 'm.npy', name);
      else cleanly(() => parseNpz(bad, 'm.npz'), 'm.npz', name);
    }), { numRuns: 3000 });
  });

  it('random deflate streams inside a valid zip structure', () => {
    // A zip whose single member is deflated with random bytes for data: exercises the inflater.
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 1 << 20 }), (data, declared) => {
      const zip = singleDeflatedMember(data, declared);
      cleanly(() => parseNpz(zip, 'd.npz'), 'd.npz', 'deflate');
    }), { numRuns: 2000 });
  });
});

/** A one-member zip (method 8) with the given raw deflate data and declared uncompressed size. */
function singleDeflatedMember(data: Uint8Array, declared: number): Uint8Array {
  const name = Buffer.from('a.npy');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = local.length + name.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length + name.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  return new Uint8Array(Buffer.concat([local, name, Buffer.from(data), central, name, eocd]));
}
