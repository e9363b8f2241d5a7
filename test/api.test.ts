/**
 * The library API (src/index.ts): mathjs matrices or nested arrays in, mathjs matrices out.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { isMatrix, matrix } from 'mathjs';
import * as path from 'path';
import { backward, forward, InputError, loss } from '../src/index';
import { fromNested } from '../src/tensor';
import { ATOL_REFERENCE, expectClose } from './helpers';

const CASE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures/cases/lstm_course_c0.json'), 'utf8'));
const { da, labels, ...inputs } = CASE.inputs as Record<string, number[][]>;

describe('library API', () => {
  it('forward takes nested arrays and returns mathjs matrices equal to numpy', () => {
    const out = forward('lstm', inputs);
    assert.deepEqual(Object.keys(out).sort(), ['a', 'c', 'y']);
    for (const name of ['a', 'y', 'c']) {
      assert.ok(isMatrix(out[name]), `${name} is a mathjs matrix`);
      expectClose(fromNested(out[name].toArray()), fromNested(CASE.forward[name]), { atol: ATOL_REFERENCE }, name);
    }
  });

  it('takes mathjs matrices too, and both losses and backends agree with numpy', () => {
    const asMatrices = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, matrix(v)]));
    for (const backend of ['float64', 'mathjs'] as const) {
      const gs = backward('lstm', asMatrices, { da: matrix(da) }, { backend });
      for (const [name, want] of Object.entries(CASE.backward_sum)) expectClose(fromNested(gs[name].toArray()), fromNested(want), { atol: ATOL_REFERENCE }, `${backend} sum ${name}`);
      const gx = backward('lstm', asMatrices, { labels }, { backend });
      for (const [name, want] of Object.entries(CASE.backward_xent)) expectClose(fromNested(gx[name].toArray()), fromNested(want), { atol: ATOL_REFERENCE }, `${backend} xent ${name}`);
      assert.ok(Math.abs(loss('lstm', asMatrices, { labels }, { backend }) - CASE.loss_xent) < 1e-12);
    }
  });

  it('checks its inputs: unknown cell, missing array, wrong shape, bad labels', () => {
    assert.throws(() => forward('tcn' as 'rnn', inputs), (e: unknown) => e instanceof InputError && /unknown cell 'tcn'/.test(e.message));
    const { Wf: _drop, ...noWf } = inputs;
    assert.throws(() => forward('lstm', noWf), /missing Wf/);
    assert.throws(() => forward('lstm', { ...inputs, bf: [[1, 2]] }), /bf has shape \(1, 2\) but n_a = 5 needs \(5, 1\)/);
    const bad = labels.map((row) => row.map(() => 2));
    assert.throws(() => backward('lstm', inputs, { labels: bad }), /labels\[0, 0\] = 2 is not a class id/);
  });
});
