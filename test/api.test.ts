/**
 * The library API (src/index.ts): mathjs matrices or nested arrays in, mathjs matrices out.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { isMatrix, matrix, type Matrix } from 'mathjs';
import * as path from 'path';
import { backward, forward, initFixture, InputError, loss, NumpyRandom, torchBackward, torchForward, type CellInputs } from '../src/index';
import { parseNpz } from '../src/io/npz';
import { fromNested, tensor, toNested, type Tensor } from '../src/tensor';
import { ROOT } from './cli-helpers';
import { ATOL_REFERENCE, expectClose } from './helpers';

const CASE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures/cases/lstm_course_c0.json'), 'utf8'));
const { da, labels, ...inputs } = CASE.inputs as CellInputs<'lstm'> & { da: number[][]; labels: number[][] };

describe('library API', () => {
  it('forward takes nested arrays and returns mathjs matrices equal to numpy', () => {
    const out = forward('lstm', inputs);
    assert.deepEqual(Object.keys(out).sort(), ['a', 'c', 'y']);
    for (const name of ['a', 'y', 'c'] as const) {
      assert.ok(isMatrix(out[name]), `${name} is a mathjs matrix`);
      expectClose(fromNested(out[name].toArray()), fromNested(CASE.forward[name]), { atol: ATOL_REFERENCE }, name);
    }
  });

  it('takes mathjs matrices too, and both losses and backends agree with numpy', () => {
    const asMatrices = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, matrix(v as number[][])])) as unknown as CellInputs<'lstm'>;
    for (const backend of ['float64', 'mathjs'] as const) {
      const gs = backward('lstm', asMatrices, { da: matrix(da) }, { backend });
      for (const [name, want] of Object.entries(CASE.backward_sum)) expectClose(fromNested(gs[name as keyof typeof gs].toArray()), fromNested(want), { atol: ATOL_REFERENCE }, `${backend} sum ${name}`);
      const gx = backward('lstm', asMatrices, { labels }, { backend });
      for (const [name, want] of Object.entries(CASE.backward_xent)) expectClose(fromNested(gx[name as keyof typeof gx].toArray()), fromNested(want), { atol: ATOL_REFERENCE }, `${backend} xent ${name}`);
      assert.ok(Math.abs(loss('lstm', asMatrices, { labels }, { backend }) - CASE.loss_xent) < 1e-12);
    }
  });

  it('checks its inputs: unknown cell, missing array, wrong shape, bad labels', () => {
    // @ts-expect-error an unknown cell is a type error as well
    assert.throws(() => forward('tcn', inputs), (e: unknown) => e instanceof InputError && /unknown cell 'tcn'/.test(e.message));
    const { Wf: _drop, ...noWf } = inputs;
    // @ts-expect-error a missing parameter is a type error as well
    assert.throws(() => forward('lstm', noWf), /missing Wf/);
    assert.throws(() => forward('lstm', { ...inputs, bf: [[1, 2]] }), /bf has shape \(1, 2\) but n_a = 5 needs \(5, 1\)/);
    const bad = labels.map((row) => row.map(() => 2));
    assert.throws(() => backward('lstm', inputs, { labels: bad }), /labels\[0, 0\] = 2 is not a class id/);
    // @ts-expect-error one loss at a time: both da and labels is a type error, and refused at run time
    assert.throws(() => backward('lstm', inputs, { da, labels }), (e: unknown) => e instanceof InputError && /either \{ da \}.*not both/.test(e.message));
  });

  it('takes the Tensors that initFixture and NumpyRandom return, and leaves them untouched', () => {
    const dims = { n_x: 3, n_a: 5, n_y: 2, m: 4, T_x: 3 };
    const fx = initFixture({ cell: 'gru', dims, seed: 1, scale: 1 });
    const before = fx.Wu.data.slice();
    const { da: d, labels: l, ...rest } = fx;
    const out = forward('gru', rest);
    const nested = Object.fromEntries(Object.entries(rest).map(([k, t]) => [k, toNested(t)])) as CellInputs<'gru'>;
    expectClose(fromNested(out.a.toArray()), fromNested(forward('gru', nested).a.toArray()), { atol: 0 }, 'a from Tensors vs nested');
    const g = backward('gru', rest, { da: d });
    assert.ok(isMatrix(g.dWu));
    assert.ok(Number.isFinite(loss('gru', rest, { labels: l })));
    assert.deepEqual(fx.Wu.data, before);
    // NumpyRandom's draws go straight in as well
    const rng = new NumpyRandom(2);
    assert.equal(forward('gru', { ...rest, x: rng.randn(3, 4, 3) }).a.size().join(), '5,4,3');
    // a Tensor whose data does not fill its shape is an input error naming it
    assert.throws(() => forward('gru', { ...rest, x: { shape: [3, 4, 3], data: new Float64Array(35) } }),
      (e: unknown) => e instanceof InputError && /^x: a Tensor of shape \(3, 4, 3\) must hold 36 values, it holds 35$/.test(e.message));
  });

  it('torchForward and torchBackward take a PyTorch module by its state_dict names and give PyTorch\'s numbers', () => {
    const dir = path.join(ROOT, 'fixtures', 'torch');
    const a: Record<string, Tensor> = {};
    for (const e of parseNpz(new Uint8Array(fs.readFileSync(path.join(dir, 'lstm_prefixed.npz'))), 'lstm_prefixed.npz')) a[e.name] = e.tensor;
    const close = (m: Matrix, t: Tensor, what: string): void => {
      const got = (m.toArray() as unknown[]).flat(3) as number[];
      const scale = Math.max(...t.data.map(Math.abs));
      assert.equal(got.length, t.data.length, what);
      got.forEach((v, k) => assert.ok(Math.abs(v - t.data[k]) <= 1e-12 * scale, `${what}[${k}]`));
    };
    const out = torchForward(a);
    assert.deepEqual(Object.keys(out), ['output', 'h_n', 'c_n']);
    for (const k of ['output', 'h_n', 'c_n'] as const) close(out[k]!, a[k], k);
    for (const backend of ['float64', 'mathjs'] as const) {
      const b = torchBackward(a, { backend });
      assert.ok(Math.abs(b.loss - [['output', 'grad_output'], ['h_n', 'grad_h_n'], ['c_n', 'grad_c_n']].reduce((L, [o, g]) => L + a[g].data.reduce((s, v, i) => s + v * a[o].data[i], 0), 0)) < 1e-12);
      for (const k of Object.keys(b.gradients)) close(b.gradients[k as `grad_${string}`], a[k], `${backend} ${k}`);
      assert.equal(Object.keys(b.gradients).length, 11); // grad_input, grad_h_0, grad_c_0 and 8 parameters' (prefix kept)
    }
    assert.throws(() => torchForward({ ...a, input: [[1, 2]] }), (e: unknown) => e instanceof InputError && /input is \(1, 2\), expected \(T, N, 3\)/.test(e.message));
    assert.throws(() => torchForward({ ...a, h_0: tensor(a.h_0.shape, a.h_0.data.map((v, k) => (k === 3 ? NaN : v))) }), (e: unknown) => e instanceof InputError && /h_0\[0, 0, 3\] is nan/.test(e.message));
  });
});
