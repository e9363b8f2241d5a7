/**
 * Buffers reused across passes (src/exec/pool.ts): what comes back is what was given, zeroed
 * when asked; the budget holds; and no pass reads a reused buffer before writing it — every
 * buffer handed out unzeroed is first filled with NaN, and the results must not change.
 */
import { strict as assert } from 'assert';
import type { CellName, Dims, Loss } from '../src/backends/types';
import { float64Backend } from '../src/backends/float64';
import { give, POOL_MAX_BYTES, POOL_MIN_VALUES, poolBytes, resetPool, take } from '../src/exec/pool';
import { columnGroups, spareTraces } from '../src/exec/unroll';
import { kernelArena } from '../src/exec/kernels';
import { CELLS } from '../src/model/cells';
import { hex, randomInputs } from './helpers';

describe('buffer pool', () => {
  afterEach(() => resetPool());

  it('hands a given buffer back for the same size and kind, zeroed unless told not to', () => {
    resetPool();
    const X = take(POOL_MIN_VALUES, false);
    X.fill(7);
    give(X);
    assert.equal(poolBytes(), X.byteLength);
    assert.notEqual(take(POOL_MIN_VALUES, true), X, 'a shared buffer is another kind');
    assert.notEqual(take(POOL_MIN_VALUES + 1, false), X, 'another size');
    const Y = take(POOL_MIN_VALUES, false, false);
    assert.equal(Y, X);
    assert.equal(Y[5], 7, 'not zeroed when not asked');
    give(Y);
    const Z = take(POOL_MIN_VALUES, false);
    assert.equal(Z, X);
    assert.ok(Z.every((v) => v === 0), 'zeroed');
    assert.equal(poolBytes(), 0);
  });

  it('keeps neither small buffers nor views, and at most POOL_MAX_BYTES', () => {
    resetPool();
    give(new Float64Array(POOL_MIN_VALUES - 1), new Float64Array(2 * POOL_MIN_VALUES).subarray(0, POOL_MIN_VALUES));
    assert.equal(poolBytes(), 0);
    const n = 1 << 20; // 8 MiB each
    const bufs = Array.from({ length: POOL_MAX_BYTES / (8 * n) + 3 }, () => new Float64Array(n));
    give(...bufs);
    assert.equal(poolBytes(), POOL_MAX_BYTES);
    assert.notEqual(take(n, false), bufs[0], 'the oldest went first');
  });

  it("takes shared buffers from the kernels' arena where there is one; small ones go straight back to it", function () {
    const arena = kernelArena();
    if (!arena) this.skip(); // RNN_NO_SIMD=1 or RNN_KERNEL_THREADS=1: SharedArrayBuffers
    resetPool();
    const X = take(POOL_MIN_VALUES, true);
    assert.ok(arena.isArena(X) && X.every((v) => v === 0));
    X.fill(3);
    give(X);
    assert.equal(poolBytes(), X.byteLength, 'big blocks are kept for the next pass');
    assert.equal(take(POOL_MIN_VALUES, false).buffer instanceof SharedArrayBuffer, false, 'a private buffer is another kind');
    const Y = take(POOL_MIN_VALUES, true);
    assert.equal(Y, X);
    assert.ok(Y.every((v) => v === 0), 'zeroed');
    const s = take(100, true);
    assert.ok(arena.isArena(s));
    give(s);
    assert.throws(() => arena.free(s), /not an arena block/, 'a small block went back to the arena at once');
    give(Y);
    resetPool();
    assert.throws(() => arena.free(Y), /not an arena block/, 'emptying the pool gives its blocks back to the arena');
  });

  const cases: [CellName, Dims][] = [
    ['lstm', { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 }], // course: a kept workspace (src/exec/workspace.ts)
    ['gru', { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 }],
    ['rnn', { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 }],
    ['lstm', { n_x: 16, n_a: 32, n_y: 16, m: 8, T_x: 20 }], // medium: buffers of 2^10–2^16 values
    ['gru', { n_x: 16, n_a: 32, n_y: 16, m: 8, T_x: 20 }],
    ['rnn', { n_x: 4, n_a: 32, n_y: 4, m: 32, T_x: 64 }],
    ['lstm', { n_x: 4, n_a: 32, n_y: 4, m: 32, T_x: 64 }],
    ['gru', { n_x: 4, n_a: 32, n_y: 4, m: 32, T_x: 64 }],
    ['lstm', { n_x: 4, n_a: 128, n_y: 4, m: 24, T_x: 24 }], // column groups: shared buffers
    ['gru', { n_x: 4, n_a: 128, n_y: 4, m: 24, T_x: 24 }],
  ];
  for (const [cellName, d] of cases) {
    it(`${cellName} ${columnGroups(CELLS[cellName], d).length > 1 ? 'with column groups' : ''}: passes on reused buffers full of NaN give the bits of fresh ones`, function () {
      this.timeout(30_000);
      const { inputs, da, labels } = randomInputs(cellName, d, 3);
      for (const loss of [{ kind: 'sum', da }, { kind: 'xent', labels }] as Loss[]) {
        resetPool(true);
        const fresh = { ...float64Backend.forward(cellName, inputs), ...float64Backend.backward(cellName, inputs, loss) };
        const L = float64Backend.loss(cellName, inputs, loss);
        // (bits now: a result that shared a buffer with the workspace would change under later passes)
        const bits = Object.fromEntries(Object.entries(fresh).map(([name, t]) => [name, hex(t.data)]));
        // (the fresh passes' unzeroed buffers are NaN-filled too: one read before it is written would show here)
        for (const name of Object.keys(fresh)) assert.ok(fresh[name].data.every(Number.isFinite), `${loss.kind} ${name}: not finite`);
        assert.ok(poolBytes() > 0 || spareTraces() > 0, 'the passes gave their buffers back (to the pool, or kept their trace)');
        for (let pass = 0; pass < 2; pass++) {
          const again = { ...float64Backend.forward(cellName, inputs), ...float64Backend.backward(cellName, inputs, loss) };
          for (const name of Object.keys(fresh)) {
            assert.equal(hex(again[name].data), bits[name], `${loss.kind} ${name}`);
            assert.equal(hex(fresh[name].data), bits[name], `${loss.kind} ${name}: the first pass's result changed`);
          }
          assert.equal(float64Backend.loss(cellName, inputs, loss), L);
        }
      }
    });
  }
});
