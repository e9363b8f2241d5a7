/**
 * Round trips against numpy itself, both directions, bit-exact. The only io test that runs
 * python3; it is skipped (with a note) when python3 + numpy are missing. CI has them.
 *
 *   ours → numpy: np.load reads our .npy / .npz / directory and json.load our .json
 *   numpy → ours: fresh random files of every dtype, byte order, memory order and version
 *   byte-identity: encodeNpy gives exactly np.save's bytes
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadFixture } from '../src/io/fixture';
import { encodeNpy } from '../src/io/npy';
import { writeArrays } from '../src/io/write';
import type { Arrays, Tensor } from '../src/tensor';
import { rng } from './helpers';

const hex = (d: Float64Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
function python(script: string, args: string[] = []): string {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Deterministic arrays with the awkward values in them. */
function sampleArrays(seed: number): Arrays {
  const rnd = rng(seed).uniform;
  const specials = [0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1, 1 / 3, 1e21, 1.2345678901234568e20, 2 ** 53 + 2];
  const fill = (shape: number[]): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(n);
    for (let k = 0; k < n; k++) data[k] = k < specials.length ? specials[k] : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
    return { shape, data };
  };
  const a = Object.create(null) as Arrays;
  a.Wax = fill([5, 3]);
  a.Waa = fill([5, 5]);
  a.x = fill([3, 10, 4]);
  a.s = fill([]);
  a.v = fill([17]);
  a.e = fill([4, 0]);
  a.r5 = fill([2, 1, 3, 1, 2]);
  a['__proto__'] = fill([2]);
  a['Wäx ü'] = fill([1, 1]);
  return a;
}

describe('io: round trips with numpy (python3 + numpy)', function () {
  this.timeout(60000);
  let dir: string;

  before(function () {
    const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log('      (skipped: python3 with numpy is not available here; CI runs these round trips)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-io-numpy-'));
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('encodeNpy writes exactly the bytes np.save writes', () => {
    const cases: Tensor[] = [
      { shape: [], data: Float64Array.of(-0) },
      { shape: [7], data: Float64Array.from([1, 2, 3, 4, 5, 6, 7]) },
      { shape: [2, 3], data: Float64Array.from([0.1, 0.2, 0.3, -1, Infinity, -Infinity]) },
      { shape: [0], data: new Float64Array(0) },
      { shape: [0, 123456789012], data: new Float64Array(0) },
      { shape: [1, 2, 1, 2, 1], data: Float64Array.from([1, 2, 3, 4]) },
      { shape: new Array(32).fill(1), data: Float64Array.of(3) },
    ];
    const spec = JSON.stringify(cases.map((c) => ({ shape: c.shape, hex: hex(c.data) })));
    const out = python(`
import io, json, sys
import numpy as np
res = []
for c in json.loads(sys.argv[1]):
    a = np.frombuffer(bytes.fromhex(c["hex"]), dtype="<f8").reshape(c["shape"])
    b = io.BytesIO(); np.save(b, a); res.append(b.getvalue().hex())
print(json.dumps(res))`, [spec]);
    const theirs: string[] = JSON.parse(out);
    cases.forEach((c, i) => assert.equal(Buffer.from(encodeNpy(c)).toString('hex'), theirs[i], `case ${i}, shape ${JSON.stringify(c.shape)}`));
  });

  it('numpy reads our .npz, directory, .npy and .json bit-exactly', () => {
    const arrays = sampleArrays(7);
    writeArrays(path.join(dir, 'ours.npz'), arrays);
    writeArrays(path.join(dir, 'ours-dir'), arrays);
    writeArrays(path.join(dir, 'one.npy'), { x: arrays.x });
    const finite = Object.create(null) as Arrays;
    for (const k of Object.keys(arrays)) if (k !== 'e') finite[k] = arrays[k]; // JSON cannot show shape (4, 0)
    writeArrays(path.join(dir, 'ours.json'), finite);
    const out = python(`
import json, os, sys, zipfile
import numpy as np
d = sys.argv[1]
def desc(a):
    return {"shape": list(a.shape), "dtype": a.dtype.str, "hex": np.asarray(a, dtype="<f8").tobytes().hex()}
res = {}
with zipfile.ZipFile(os.path.join(d, "ours.npz")) as z:
    assert z.testzip() is None, "CRC error"
    assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}
with np.load(os.path.join(d, "ours.npz")) as z:
    res["npz"] = {k: desc(z[k]) for k in z.keys()}
res["dir"] = {f[:-4]: desc(np.load(os.path.join(d, "ours-dir", f))) for f in sorted(os.listdir(os.path.join(d, "ours-dir")))}
res["npy"] = {"x": desc(np.load(os.path.join(d, "one.npy")))}
with open(os.path.join(d, "ours.json"), encoding="utf-8") as f:
    res["json"] = {k: desc(np.asarray(v, dtype=np.float64)) for k, v in json.load(f).items()}
print(json.dumps(res))`, [dir]);
    const res: Record<string, Record<string, { shape: number[]; dtype: string; hex: string }>> = JSON.parse(out);
    const check = (what: string, names: string[]): void => {
      const got = res[what];
      assert.deepEqual(Object.keys(got).sort(), [...names].sort(), what);
      for (const k of names) {
        assert.deepEqual(got[k].shape, arrays[k].shape, `${what} ${k}`);
        assert.equal(got[k].dtype, '<f8', `${what} ${k}`);
        assert.equal(got[k].hex, hex(arrays[k].data), `${what} ${k}`);
      }
    };
    check('npz', Object.keys(arrays));
    assert.deepEqual(Object.keys(res.npz), Object.keys(arrays), 'npz member order');
    check('dir', Object.keys(arrays));
    check('npy', ['x']);
    check('json', Object.keys(finite));
  });

  it('we read fresh numpy files of every dtype, byte order, memory order and version bit-exactly', () => {
    const out = python(`
import io, json, os, sys
import numpy as np
d = os.path.join(sys.argv[1], "from-numpy"); os.makedirs(d)
rng = np.random.default_rng(int(sys.argv[2]))
expected = {}
def put(name, a):
    expected[name] = {"shape": list(a.shape), "dtype": a.dtype.str, "hex": a.astype("<f8").tobytes(order="C").hex()}
types = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]
members = {}
for t in types:
    for bo in ("<", ">"):
        if t[1] == "1" and bo == ">": continue
        dt = np.dtype(t).newbyteorder(bo) if t[1] != "1" else np.dtype(t)
        shape = tuple(int(x) for x in rng.integers(1, 5, size=int(rng.integers(0, 5))))
        if t[0] == "f":
            a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-5, 5, size=shape)).astype(dt)
        elif t[0] == "b":
            a = rng.random(shape) < 0.5
        else:
            info = np.iinfo(dt)
            a = rng.integers(info.min, info.max, size=shape, dtype=dt.newbyteorder("="), endpoint=True).astype(dt)
        for order in ("C", "F"):
            for v in ((1, 0), (2, 0), (3, 0)):
                name = f"{t}{'be' if bo == '>' else 'le'}{order}v{v[0]}"
                arr = np.array(a, order=order)
                with open(os.path.join(d, name + ".npy"), "wb") as f:
                    np.lib.format.write_array(f, arr, version=v)
                put(name, arr)
        members["m_" + t + ("be" if bo == ">" else "le")] = np.asfortranarray(a)
np.savez(os.path.join(sys.argv[1], "plain.npz"), **members)
np.savez_compressed(os.path.join(sys.argv[1], "packed.npz"), **members)
for k, a in members.items():
    put(k, a)
print(json.dumps(expected))`, [dir, '20261125']);
    const expected: Record<string, { shape: number[]; dtype: string; hex: string }> = JSON.parse(out);
    const dirFix = loadFixture([path.join(dir, 'from-numpy')]);
    const npyNames = Object.keys(expected).filter((k) => !k.startsWith('m_'));
    assert.equal(npyNames.length, 21 * 2 * 3);
    for (const k of npyNames) {
      assert.deepEqual(dirFix.arrays[k].shape, expected[k].shape, k);
      assert.equal(dirFix.origin[k].dtype, expected[k].dtype, k);
      assert.equal(hex(dirFix.arrays[k].data), expected[k].hex, k);
    }
    for (const file of ['plain.npz', 'packed.npz']) {
      const f = loadFixture([path.join(dir, file)]);
      const members = Object.keys(expected).filter((k) => k.startsWith('m_'));
      assert.deepEqual(Object.keys(f.arrays), members, file);
      for (const k of members) {
        assert.equal(f.origin[k].dtype, expected[k].dtype, `${file} ${k}`);
        assert.deepEqual(f.arrays[k].shape, expected[k].shape, `${file} ${k}`);
        assert.equal(hex(f.arrays[k].data), expected[k].hex, `${file} ${k}`);
      }
    }
  });
});
