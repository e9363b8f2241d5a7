import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import { join } from 'path';
import { NumpyRandom, glibcLog } from '../src/random';
import { Tensor } from '../src/tensor';

interface Call {
  fn: 'randn' | 'random_sample' | 'randint';
  args: unknown[];
  shape: number[];
  values: number[];
  name?: string;
}
interface Fixture {
  numpy: string;
  cases: { seed: number; calls: Call[] }[];
  course: { seed: number; calls: Call[] };
  log: { x: number[]; log: number[]; misrounded: number };
}

const fixture: Fixture = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'random', 'numpy_random.json'), 'utf8'),
);

function call(r: NumpyRandom, c: Call): Tensor {
  switch (c.fn) {
    case 'randn':
      return r.randn(...(c.args as number[]));
    case 'random_sample':
      return r.random_sample(...(c.args as number[]));
    case 'randint': {
      const [low, high, shape] = c.args as [number, number, number[]];
      return r.randint(low, high, shape);
    }
  }
}

function label(c: Call): string {
  return `${c.name ? c.name + ' = ' : ''}${c.fn}(${JSON.stringify(c.args).slice(1, -1)})`;
}

/** Bit-for-bit (===) comparison, reporting the first mismatching flat index. */
function assertSame(got: Tensor, c: Call, where: string): void {
  assert.deepEqual(got.shape, c.shape, `${where}: shape`);
  assert.equal(got.data.length, c.values.length, `${where}: length`);
  for (let i = 0; i < c.values.length; i++) {
    if (got.data[i] !== c.values[i]) {
      assert.fail(`${where}: first mismatch at flat index ${i}: got ${got.data[i]}, numpy ${c.values[i]}`);
    }
  }
}

describe('random: NumpyRandom reproduces numpy legacy np.random bit for bit', () => {
  for (const { seed, calls } of fixture.cases) {
    it(`seed ${seed}: ${calls.length} calls in sequence`, () => {
      const r = new NumpyRandom(seed);
      calls.forEach((c, k) => assertSame(call(r, c), c, `seed ${seed}, call #${k} ${label(c)}`));
    });
  }

  it('the course set-up: seed(1); x, a0, Waa, Wax, Wya, ba, by', () => {
    const r = new NumpyRandom(fixture.course.seed);
    for (const c of fixture.course.calls) assertSame(call(r, c), c, label(c));
    assert.equal(fixture.course.calls[0].values[0], 1.6243453636632417);
  });

  it("glibcLog matches the C library's log, including where it is not correctly rounded", () => {
    const { x, log, misrounded } = fixture.log;
    assert.ok(misrounded > 0 && x.length === log.length);
    for (let i = 0; i < x.length; i++) {
      if (glibcLog(x[i]) !== log[i]) assert.fail(`log(${x[i]}): got ${glibcLog(x[i])}, libc ${log[i]} (index ${i})`);
    }
    assert.equal(glibcLog(1), 0);
    assert.equal(glibcLog(0), -Infinity);
    assert.ok(Number.isNaN(glibcLog(-1)));
  });

  it('seed must be an integer in [0, 2**32 - 1]', () => {
    for (const bad of [-1, 2 ** 32, 1.5, NaN, Infinity]) {
      assert.throws(() => new NumpyRandom(bad), RangeError, `seed ${bad}`);
    }
    assert.doesNotThrow(() => new NumpyRandom(0));
    assert.doesNotThrow(() => new NumpyRandom(2 ** 32 - 1));
  });

  it('two instances with the same seed agree; reseeding restarts the stream and drops the cached gaussian', () => {
    const a = new NumpyRandom(7);
    const b = new NumpyRandom(7);
    assert.deepEqual(a.randn(5, 3), b.randn(5, 3));
    assert.deepEqual(a.randint(0, 7, [9]), b.randint(0, 7, [9]));
    assert.deepEqual(a.random_sample(4), b.random_sample(4));
    const first = new NumpyRandom(7).randn(3); // leaves a cached gaussian
    a.seed(7);
    assert.deepEqual(a.randn(3), first);
  });

  it('randint: rejects empty ranges; range 1 returns low without drawing', () => {
    const r = new NumpyRandom(3);
    assert.throws(() => r.randint(2, 2, [1]), RangeError);
    const ref = new NumpyRandom(3);
    assert.deepEqual(Array.from(r.randint(4, 5, [3]).data), [4, 4, 4]);
    assert.deepEqual(r.random_sample(2), ref.random_sample(2));
  });
});
