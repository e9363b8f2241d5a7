/**
 * NPY reading and writing: numpy's own files (fixtures/npy, made by generate_samples.py)
 * must read back bit-exactly; our files must have numpy's exact layout.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../src/errors';
import { encodeNpy, halfToNumber, parseNpy, pyShapeRepr } from '../src/io/npy';
import type { Tensor } from '../src/tensor';
import { throwsInput, hex } from './helpers';

const SAMPLES = path.join(__dirname, '..', 'fixtures', 'npy', 'samples');
interface Expected { dtype: string; shape: number[]; fortran_order: boolean; version: string; f64: string }
const EXPECTED: Record<string, Expected & { members?: Record<string, Expected> }> =
  JSON.parse(fs.readFileSync(path.join(SAMPLES, '..', 'expected.json'), 'utf8')).files;

const bitsOf = (x: number): string => hex(Float64Array.of(x));


describe('io/npy: reading numpy-made samples', () => {
  const npyNames = Object.keys(EXPECTED).filter((n) => n.endsWith('.npy'));

  it('covers every dtype, byte order, memory order and format version', () => {
    const dtypes = new Set(npyNames.map((n) => EXPECTED[n].dtype));
    for (const d of ['<f8', '>f8', '<f4', '>f4', '<f2', '>f2', '|i1', '<i2', '>i2', '<i4', '>i4', '<i8', '>i8',
      '|u1', '<u2', '>u2', '<u4', '>u4', '<u8', '>u8', '|b1']) {
      assert.ok(dtypes.has(d), `no sample of ${d}`);
      assert.ok(npyNames.some((n) => EXPECTED[n].dtype === d && EXPECTED[n].fortran_order), `no Fortran-order sample of ${d}`);
      assert.ok(npyNames.some((n) => EXPECTED[n].dtype === d && !EXPECTED[n].fortran_order), `no C-order sample of ${d}`);
    }
    const versions = new Set(npyNames.map((n) => EXPECTED[n].version));
    assert.deepEqual([...versions].sort(), ['1.0', '2.0', '3.0']);
    const ranks = new Set(npyNames.map((n) => EXPECTED[n].shape.length));
    for (const r of [0, 1, 2, 3, 4, 5]) assert.ok(ranks.has(r), `no sample of rank ${r}`);
  });

  for (const name of npyNames) {
    it(`${name} reads bit-exactly`, () => {
      const e = EXPECTED[name];
      const r = parseNpy(fs.readFileSync(path.join(SAMPLES, name)), name);
      assert.deepEqual(r.tensor.shape, e.shape);
      assert.equal(r.dtype, e.dtype);
      assert.equal(r.version, e.version);
      assert.equal(r.fortranOrder, e.fortran_order);
      assert.ok(r.tensor.data instanceof Float64Array);
      assert.equal(hex(r.tensor.data), e.f64);
    });
  }

  it('reads special values exactly (f8: -0, ±inf, nan, max, subnormal; u8 beyond 2^53 rounded like numpy)', () => {
    const f8 = parseNpy(fs.readFileSync(path.join(SAMPLES, 'f8-be-F.npy')), 'f8-be-F.npy').tensor;
    // values() in the generator puts the specials first, in C order; the file is big-endian Fortran.
    const d = f8.data;
    assert.equal(bitsOf(d[1]), bitsOf(-0));
    assert.equal(d[4], Infinity);
    assert.equal(d[5], -Infinity);
    assert.ok(Number.isNaN(d[6]));
    assert.equal(d[7], Number.MAX_VALUE);
    assert.equal(d[10], 5e-324);
    const u8 = parseNpy(fs.readFileSync(path.join(SAMPLES, 'u8-le-C.npy')), 'u8-le-C.npy').tensor.data;
    assert.equal(u8[2], 18446744073709551615); // 2^64 - 1 rounds to 2^64
    assert.equal(u8[5], 2 ** 53); // 2^53 + 1 rounds to even
    const f2 = parseNpy(fs.readFileSync(path.join(SAMPLES, 'f2-le-C.npy')), 'f2-le-C.npy').tensor.data;
    assert.equal(f2[7], 65504); // float16 max
    assert.equal(f2[10], 2 ** -24); // smallest float16 subnormal
  });

  it('respects byteOffset and copes with misaligned data (a Buffer slice at an odd offset)', () => {
    const bytes = fs.readFileSync(path.join(SAMPLES, 'f8-le-C.npy'));
    for (const offset of [1, 3, 5, 8]) {
      const big = Buffer.alloc(bytes.length + offset + 7, 0xee);
      bytes.copy(big, offset);
      const view = big.subarray(offset, offset + bytes.length);
      const r = parseNpy(view, 'x.npy');
      assert.equal(hex(r.tensor.data), EXPECTED['f8-le-C.npy'].f64);
      // the result owns its memory: scribbling on the input does not change it
      big.fill(0);
      assert.equal(hex(r.tensor.data), EXPECTED['f8-le-C.npy'].f64);
    }
    const pooled = Buffer.from(new Uint8Array(bytes)); // small Buffers come from a shared pool
    assert.equal(hex(parseNpy(pooled, 'x.npy').tensor.data), EXPECTED['f8-le-C.npy'].f64);
  });

  it('halfToNumber decodes every float16 exactly like a float32 widening would', () => {
    // Cross-check against Math.fround-free arithmetic: every finite half is m·2^e exactly.
    let checked = 0;
    for (let h = 0; h < 0x10000; h++) {
      const v = halfToNumber(h);
      const exp = (h >> 10) & 0x1f;
      if (exp === 0x1f) {
        assert.ok((h & 0x3ff) === 0 ? Math.abs(v) === Infinity : Number.isNaN(v));
        continue;
      }
      assert.equal(Object.is(v, -0) || v < 0, (h & 0x8000) !== 0 && (v !== 0 || Object.is(v, -0)));
      assert.equal(Math.fround(v), v); // representable in float32, hence exact
      checked++;
    }
    assert.equal(checked, 0x10000 - 2 * 1024);
  });
});

describe('io/npy: header parsing', () => {
  const npy = (header: string, data: Uint8Array, version = 1): Uint8Array => {
    const h = Buffer.from(header, version === 3 ? 'utf8' : 'latin1');
    const pre = version === 1 ? 10 : 12;
    const out = new Uint8Array(pre + h.length + data.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
    const dv = new DataView(out.buffer);
    if (version === 1) dv.setUint16(8, h.length, true);
    else dv.setUint32(8, h.length, true);
    out.set(h, pre);
    out.set(data, pre + h.length);
    return out;
  };
  const six = new Uint8Array(new Float64Array([1, 2, 3, 4, 5, 6]).buffer);

  it('accepts any key order, double quotes, no trailing comma, odd whitespace, no padding', () => {
    for (const h of [
      "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f8'}",
      '{"descr": "<f8", "fortran_order": False, "shape": (2, 3)}\n',
      "{ 'descr' : '<f8' ,\n 'fortran_order':False,'shape':( 2 , 3 , ) , }        \n",
      "{'descr': '<f8', 'fortran_order': False, 'shape': ((2, 3)), }",
    ]) {
      const r = parseNpy(npy(h, six), 'h.npy');
      assert.deepEqual(r.tensor.shape, [2, 3], h);
      assert.deepEqual([...r.tensor.data], [1, 2, 3, 4, 5, 6]);
    }
  });

  it("accepts Python 2's long ints (3L) in 1.0 and 2.0 headers only, as numpy does", () => {
    const h = "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }";
    assert.deepEqual(parseNpy(npy(h, six, 1), 'a.npy').tensor.shape, [2, 3]);
    assert.deepEqual(parseNpy(npy(h, six, 2), 'a.npy').tensor.shape, [2, 3]);
    throwsInput(() => parseNpy(npy(h, six, 3), 'a.npy'), /^a\.npy: broken header: expected ',' or '\)' at offset \d+, found 'L, 3L\), }'$/);
  });

  it('reads a 3.0 header with UTF-8 text in it (e.g. an escaped string is fine too)', () => {
    const h = "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }  # é";
    throwsInput(() => parseNpy(npy(h, six, 3), 'u.npy'), /^u\.npy: broken header: expected only padding after the dict at offset \d+, found '# é'$/);
    const ok = "{'descr': '\\x3cf8', 'fortran_order': False, 'shape': (6,), }  ";
    assert.deepEqual([...parseNpy(npy(ok, six, 3), 'u.npy').tensor.data], [1, 2, 3, 4, 5, 6]);
  });

  it("treats '=' and '|' as native order and '?' as bool, like numpy", () => {
    for (const d of ['=f8', '|f8']) {
      const r = parseNpy(npy(`{'descr': '${d}', 'fortran_order': False, 'shape': (6,), }`, six), 'n.npy');
      assert.deepEqual([...r.tensor.data], [1, 2, 3, 4, 5, 6]);
    }
    const r = parseNpy(npy("{'descr': '?', 'fortran_order': False, 'shape': (3,), }", Uint8Array.of(0, 1, 7)), 'b.npy');
    assert.deepEqual([...r.tensor.data], [0, 1, 1]);
  });

  it('names the member of an .npz in messages', () => {
    throwsInput(() => parseNpy(npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), 'params.npz', { member: 'Waa.npy' }),
      /^params\.npz: member Waa\.npy: unsupported dtype '\|O' \(object arrays \/ pickles are refused\)$/);
  });

  it('refuses an array over maxBytes of float64 before decoding it', () => {
    const u1 = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (100,), }", new Uint8Array(100));
    assert.equal(parseNpy(u1, 'u.npy', { maxBytes: 800 }).tensor.data.length, 100);
    throwsInput(() => parseNpy(u1, 'u.npy', { maxBytes: 799 }),
      /^u\.npy: shape \(100,\) is 800 bytes as float64, over the limit of 799 bytes \(raise it with --max-input, or maxBytes in the library\)$/);
  });
});

describe('io/npy: writing', () => {
  const t = (shape: number[], values: number[]): Tensor => ({ shape, data: Float64Array.from(values) });

  it("writes numpy's exact header: <f8, format 1.0, padded with spaces to 64 bytes, ending in a newline", () => {
    const bytes = encodeNpy(t([2, 3], [1, 2, 3, 4, 5, 6]));
    assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = bytes[8] | (bytes[9] << 8);
    assert.equal(hlen, 118); // what np.save writes for this array: data at offset 128
    const header = Buffer.from(bytes.subarray(10, 10 + hlen)).toString('latin1');
    assert.match(header, /^\{'descr': '<f8', 'fortran_order': False, 'shape': \(2, 3\), \} {20,}\n$/);
    assert.equal(bytes.length, 10 + hlen + 48);
  });

  it('round-trips every rank, empty arrays and special values bit-exactly', () => {
    const specials = [0, -0, Infinity, -Infinity, NaN, 5e-324, Number.MAX_VALUE, 0.1, -1 / 3];
    const cases: Tensor[] = [
      t([], [Math.PI]),
      t([9], specials),
      t([3, 3], specials),
      t([0], []),
      t([2, 0, 3], []),
      t([1, 2, 1, 2, 1], [1, 2, 3, 4]),
    ];
    for (const c of cases) {
      const r = parseNpy(encodeNpy(c), 'rt.npy');
      assert.deepEqual(r.tensor.shape, c.shape);
      assert.equal(hex(r.tensor.data), hex(c.data));
      assert.equal(r.dtype, '<f8');
      assert.equal(r.version, '1.0');
    }
  });

  it('encodes a view of a larger Float64Array (byteOffset) correctly', () => {
    const big = Float64Array.from([9, 9, 1, 2, 3, 9]);
    const r = parseNpy(encodeNpy({ shape: [3], data: big.subarray(2, 5) }), 'v.npy');
    assert.deepEqual([...r.tensor.data], [1, 2, 3]);
  });

  it('switches to format 2.0 only when the header would not fit 65535 bytes', () => {
    const shape = new Array(30000).fill(1);
    const bytes = encodeNpy({ shape, data: Float64Array.of(7) });
    assert.deepEqual([bytes[6], bytes[7]], [2, 0]);
    const hlen = new DataView(bytes.buffer).getUint32(8, true);
    assert.equal((12 + hlen) % 64, 0);
    assert.equal(bytes[12 + hlen - 1], 0x0a);
    // numpy allows at most 64 dimensions, and so do we when reading
    throwsInput(() => parseNpy(bytes, 'wide.npy'), /^wide\.npy: shape has 30000 dimensions; numpy allows at most 64$/);
  });

  it('pyShapeRepr matches Python tuple repr', () => {
    assert.equal(pyShapeRepr([]), '()');
    assert.equal(pyShapeRepr([3]), '(3,)');
    assert.equal(pyShapeRepr([2, 3]), '(2, 3)');
  });

  it('rejects a tensor whose data does not match its shape (a programming error, not input)', () => {
    assert.throws(() => encodeNpy({ shape: [2, 2], data: new Float64Array(3) }), RangeError);
  });
});
