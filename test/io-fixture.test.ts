/**
 * loadFixture: sources of every kind merged in order, duplicate names, directories,
 * standard input, dtypes per array, and the file-level errors.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../src/errors';
import { loadFixture } from '../src/io/fixture';
import { encodeNpy } from '../src/io/npy';
import { encodeNpz } from '../src/io/npz';
import type { Tensor } from '../src/tensor';

const ROOT = path.join(__dirname, '..');
const SAMPLES = path.join(ROOT, 'fixtures', 'npy', 'samples');
const t = (shape: number[], values: number[]): Tensor => ({ shape, data: Float64Array.from(values) });

function throwsInput(fn: () => unknown, re: RegExp): InputError {
  let caught: InputError | undefined;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `message must be one line: ${JSON.stringify(e.message)}`);
    caught = e;
    return true;
  });
  return caught!;
}

describe('io/fixture: loadFixture', () => {
  let dir: string;
  const p = (...parts: string[]): string => path.join(dir, ...parts);
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-io-fixture-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('merges .json, .npy, .npz and a directory, in order, recording source and dtype', () => {
    fs.writeFileSync(p('x.json'), '{"x": [[1, 2], [3, 4]], "b": 0.5}');
    fs.copyFileSync(path.join(SAMPLES, 'i2-be-F.npy'), p('Wax.npy'));
    fs.writeFileSync(p('params.npz'), encodeNpz({ Waa: t([2, 2], [1, 0, 0, 1]), by: t([1], [7]) }));
    fs.mkdirSync(p('more'));
    fs.writeFileSync(p('more', 'z.npy'), encodeNpy(t([3], [1, 2, 3])));
    fs.writeFileSync(p('more', 'a.json'), '{"a0": 1}');
    fs.writeFileSync(p('more', 'm.npz'), encodeNpz({ m2: t([1], [2]), m1: t([1], [1]) }));
    fs.writeFileSync(p('more', 'README.md'), 'not a fixture');
    fs.mkdirSync(p('more', 'sub.npy')); // a directory is never a fixture file inside a directory
    const f = loadFixture([p('x.json'), p('Wax.npy'), p('params.npz'), p('more')]);
    // Directory entries come in sorted file order (a.json, m.npz, z.npy), members in archive order.
    assert.deepEqual(Object.keys(f.arrays), ['x', 'b', 'Wax', 'Waa', 'by', 'a0', 'm2', 'm1', 'z']);
    assert.deepEqual(f.origin.x, { source: p('x.json'), dtype: 'json' });
    assert.deepEqual(f.origin.Wax, { source: p('Wax.npy'), dtype: '>i2' });
    assert.deepEqual(f.origin.by, { source: p('params.npz'), dtype: '<f8' });
    assert.deepEqual(f.origin.z, { source: p('more', 'z.npy'), dtype: '<f8' });
    assert.deepEqual([...f.arrays.x.data], [1, 2, 3, 4]);
    assert.deepEqual(f.arrays.Wax.shape, [2, 3, 4]);
  });

  it('a directory holding a name that clashes reports both files', () => {
    fs.writeFileSync(p('Wax.json'), '{"Wax": [1]}');
    fs.writeFileSync(p('Wax.npy'), encodeNpy(t([1], [2])));
    const e = throwsInput(() => loadFixture([dir]), /array 'Wax' is already defined by/);
    assert.equal(e.message, `${p('Wax.npy')}: array 'Wax' is already defined by ${p('Wax.json')}`);
    assert.equal(e.source, p('Wax.npy'));
  });

  it('a name defined by two sources is an error naming both', () => {
    fs.writeFileSync(p('a.json'), '{"Wax": [1], "b": [2]}');
    fs.writeFileSync(p('p.npz'), encodeNpz({ q: t([1], [0]), b: t([1], [3]) }));
    const e = throwsInput(() => loadFixture([p('a.json'), p('p.npz')]), /./);
    assert.equal(e.message, `${p('p.npz')}: array 'b' is already defined by ${p('a.json')}`);
    // the same file twice is the same mistake
    throwsInput(() => loadFixture([p('a.json'), p('a.json')]), /array 'Wax' is already defined by .*a\.json$/);
  });

  it("'-' reads JSON from standard input, once", () => {
    const f = loadFixture(['-'], { readStdin: () => Buffer.from('{"h0": [[0.5], [0.25]]}') });
    assert.deepEqual(f.arrays.h0.shape, [2, 1]);
    assert.deepEqual(f.origin.h0, { source: '-', dtype: 'json' });
    throwsInput(() => loadFixture(['-'], { readStdin: () => '{"a": [1, 2' }), /^-: line 1, column 12: expected ',' or '\]' after an array element, found end of input$/);
    throwsInput(() => loadFixture(['-', '-'], { readStdin: () => '{}' }), /^-: standard input \('-'\) is given twice$/);
    throwsInput(() => loadFixture(['-'], { readStdin: () => { throw Object.assign(new Error('x'), { code: 'EAGAIN' }); } }),
      /^-: cannot read standard input: resource temporarily unavailable \(EAGAIN\)$/);
  });

  it("'-' reads the real standard input of the process", function () {
    this.timeout(20000);
    const script = `const { loadFixture } = require(${JSON.stringify(path.join(ROOT, 'src', 'io', 'fixture'))});
      const f = loadFixture(['-']); process.stdout.write(JSON.stringify([...f.arrays.x.data]));`;
    const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: ROOT, input: '{"x": [1.5, -2]}', encoding: 'utf8',
    });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '[1.5,-2]');
  });

  it('file-level errors: missing, unknown extension, empty directory, not UTF-8, wrong content', () => {
    throwsInput(() => loadFixture([p('nope.npz')]), new RegExp(`^${esc(p('nope.npz'))}: no such file$`));
    throwsInput(() => loadFixture([p('nodir', 'x.json')]), /: no such file$/);
    fs.writeFileSync(p('x.csv'), '1,2');
    throwsInput(() => loadFixture([p('x.csv')]),
      /x\.csv: unknown extension '\.csv'; a fixture source is a \.json, \.npy, \.npz or \.safetensors file, a directory of them, or '-' for JSON on standard input$/);
    fs.writeFileSync(p('noext'), '{}');
    throwsInput(() => loadFixture([p('noext')]), /noext: no extension; a fixture source is /);
    fs.mkdirSync(p('empty'));
    fs.writeFileSync(p('empty', 'notes.txt'), '');
    throwsInput(() => loadFixture([p('empty')]), /empty: directory holds no \.npy, \.npz, \.safetensors or \.json files$/);
    fs.writeFileSync(p('latin.json'), Buffer.from('{"caf\xe9": [1]}', 'latin1'));
    throwsInput(() => loadFixture([p('latin.json')]), /latin\.json: line 1, column 6: not valid UTF-8 text \(a \.json fixture is UTF-8 JSON\)$/);
    fs.copyFileSync(path.join(SAMPLES, 'savez.npz'), p('wrong.npy'));
    throwsInput(() => loadFixture([p('wrong.npy')]), /wrong\.npy: not an NPY file \(bad magic: expected \\x93NUMPY, found 'PK\\x03\\x04-\\x00'\)$/);
  });

  it('extensions match regardless of case', () => {
    fs.copyFileSync(path.join(SAMPLES, 'rank1.npy'), p('R.NPY'));
    fs.writeFileSync(p('j.Json'), '{"j": 1}');
    assert.deepEqual(Object.keys(loadFixture([p('R.NPY'), p('j.Json')]).arrays), ['R', 'j']);
    assert.deepEqual(Object.keys(loadFixture([dir]).arrays), ['R', 'j']);
  });

  it('an unreadable file is a clean error', function () {
    if (process.getuid && process.getuid() === 0) this.skip(); // root reads everything
    fs.writeFileSync(p('secret.json'), '{}');
    fs.chmodSync(p('secret.json'), 0);
    throwsInput(() => loadFixture([p('secret.json')]), /secret\.json: cannot read: permission denied \(EACCES\)$/);
  });

  it('maxBytes is one budget for all sources, checked before reading a too-big file', () => {
    fs.writeFileSync(p('a.npy'), encodeNpy(t([100], new Array(100).fill(1))));
    fs.writeFileSync(p('b.json'), `{"b": [${new Array(100).fill(2).join(',')}]}`);
    assert.equal(Object.keys(loadFixture([p('a.npy'), p('b.json')], { maxBytes: 1600 }).arrays).length, 2);
    throwsInput(() => loadFixture([p('a.npy'), p('b.json')], { maxBytes: 1599 }),
      /b\.json: 'b' takes the arrays over the limit of 799 bytes as float64: more than 99 numbers \(raise it with --max-input, or maxBytes in the library\)$/);
    // a file far larger than the budget (plus 64 MiB of slack) is not even read
    const big = p('big.npy');
    const fd = fs.openSync(big, 'w');
    fs.ftruncateSync(fd, 70 * 1024 * 1024);
    fs.closeSync(fd);
    throwsInput(() => loadFixture([big], { maxBytes: 1024 }),
      /big\.npy: file is 73400320 bytes \(70 MiB\), over the limit of 1024 bytes \(1 KiB\) of array data \(raise it with --max-input, or maxBytes in the library\)$/);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
