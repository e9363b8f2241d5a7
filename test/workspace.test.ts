/**
 * The workspace (src/exec/workspace.ts) and the traces kept with it (src/exec/unroll/trace.ts):
 * buffers come in the state asked for, a small problem's next pass runs on the same buffers
 * and step views, and no two live traces ever share one.
 */
import { strict as assert } from 'assert';
import type { Dims } from '../src/backends/types';
import { CELLS, paramBuffers } from '../src/model/cells';
import { Workspace } from '../src/exec/workspace';
import { allocate, release } from '../src/exec/unroll';

describe('workspace', () => {
  it('a kept workspace hands out the same buffer per name: zeroed when asked, else as left', () => {
    const ws = new Workspace(false, true);
    const A = ws.alloc('a', 6, 'zero');
    assert.deepEqual([...A], [0, 0, 0, 0, 0, 0]);
    A.fill(7);
    const again = ws.alloc('a', 6, 'any');
    assert.equal(again, A);
    assert.deepEqual([...again], [7, 7, 7, 7, 7, 7], "'any' keeps what the last pass left");
    assert.deepEqual([...ws.alloc('a', 6, 'zero')], [0, 0, 0, 0, 0, 0]);
    assert.notEqual(ws.alloc('b', 6, 'any'), A, 'another name, another buffer');
    const bigger = ws.alloc('a', 9, 'any');
    assert.equal(bigger.length, 9);
    assert.notEqual(bigger, A);
  });

  it('a workspace that does not keep hands out a new buffer every time', () => {
    const ws = new Workspace(false, false);
    const A = ws.alloc('a', 6, 'zero');
    A.fill(1);
    const B = ws.alloc('a', 6, 'zero');
    assert.notEqual(B, A);
    assert.deepEqual([...B], [0, 0, 0, 0, 0, 0]);
  });

  const d: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 };
  for (const name of ['rnn', 'lstm', 'gru'] as const) {
    const cell = CELLS[name];
    const inputsOf = (): [Float64Array, Float64Array, Float64Array] => [
      new Float64Array(d.n_x * d.m * d.T_x), new Float64Array(d.n_a * d.m), new Float64Array(d.n_a * d.m),
    ];

    it(`${name}: a released small trace is the next pass's, with its step views; the caller's a0, c0 and p are used`, () => {
      const p = paramBuffers(cell, d), [x, a0, c0] = inputsOf();
      const first = allocate(cell, p, d, x, a0, c0);
      assert.equal(first.ws.keep, true, 'a course net keeps its buffers');
      release(first);
      const p2 = paramBuffers(cell, d), [x2, a02, c02] = inputsOf();
      const second = allocate(cell, p2, d, x2, a02, c02);
      assert.equal(second.all.zx, first.all.zx);
      assert.equal(second.steps[3], first.steps[3], 'the same step views');
      assert.equal(second.steps[0].aPrev.buf, a02, "step 0 starts from this caller's a0");
      if (cell.hasCellState) assert.equal(second.steps[0].cPrev.buf, c02);
      assert.equal(second.all.x, x2);
      assert.equal(second.p, p2);
      const other = allocate(cell, p2, { ...d, T_x: 6 }, new Float64Array(d.n_x * d.m * 6), a02, c02);
      assert.notEqual(other.all.zx, first.all.zx, 'another problem does not get it');
      // two live traces of one problem never share a buffer
      const third = allocate(cell, p2, d, x2, a02, c02);
      for (const k of ['zx', 'a', 'cache', 'logits', 'y'] as const) {
        if (second.all[k].length > 0) assert.notEqual(third.all[k], second.all[k], k);
      }
      release(second);
      release(third);
      release(other);
    });
  }
});
