/**
 * The mathjs reference backend (src/backends/mathjs/index.ts) checked on its own terms: backward
 * against centred finite differences of its own loss(), the seed's forward shapes at course
 * size, stability for huge pre-activations, T_x = 1 against one cell step, and a few values
 * worked out by hand with Math.* for one-unit cells. Nothing here uses the fast engine.
 */
import { strict as assert } from 'assert';
import type { Matrix } from 'mathjs';
import type { CellName, Loss } from '../src/backends/types';
import {
  fromMatrix, fromSequence, gru_backward, gru_cell_backward, gru_cell_forward, gru_forward, log_softmax,
  lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward, mathjsBackend, rnn_backward,
  rnn_cell_backward, rnn_cell_forward, rnn_forward, sigmoid, softmax, toMatrix, toSequence, zeros,
  gru_reset_after_cell_backward, gru_reset_after_cell_forward, rnn_relu_cell_backward, rnn_relu_cell_forward,
  type GruParameters, type GruResetAfterParameters, type LstmParameters, type RnnParameters,
} from '../src/backends/mathjs';
import type { Arrays, Tensor } from '../src/tensor';
import { rng } from './helpers';

/** Seeded standard normals (test/helpers.ts's mulberry32 + Box–Muller). */
const prng = (seed: number): (() => number) => rng(seed).gauss;

interface Dims { n_x: number; n_a: number; n_y: number; m: number; T_x: number }

const SHAPES: Record<CellName, (d: Dims) => Record<string, number[]>> = {
  rnn: (d) => ({ Wax: [d.n_a, d.n_x], Waa: [d.n_a, d.n_a], Wya: [d.n_y, d.n_a], ba: [d.n_a, 1], by: [d.n_y, 1] }),
  lstm: (d) => {
    const W = [d.n_a, d.n_a + d.n_x], b = [d.n_a, 1];
    return { Wf: W, bf: b, Wi: W, bi: b, Wc: W, bc: b, Wo: W, bo: b, Wy: [d.n_y, d.n_a], by: [d.n_y, 1] };
  },
  gru: (d) => {
    const W = [d.n_a, d.n_a + d.n_x], b = [d.n_a, 1];
    return { Wu: W, bu: b, Wr: W, br: b, Wc: W, bc: b, Wy: [d.n_y, d.n_a], by: [d.n_y, 1] };
  },
  rnn_relu: (d) => ({ Wax: [d.n_a, d.n_x], Waa: [d.n_a, d.n_a], Wya: [d.n_y, d.n_a], ba: [d.n_a, 1], by: [d.n_y, 1] }),
  gru_reset_after: (d) => {
    const W = [d.n_a, d.n_a + d.n_x], b = [d.n_a, 1];
    return { Wr: W, br: b, Wz: W, bz: b, Wn: [d.n_a, d.n_x], bn: b, Whn: [d.n_a, d.n_a], bhn: b, Wy: [d.n_y, d.n_a], by: [d.n_y, 1] };
  },
};
const HEAD: Record<CellName, string[]> = { rnn: ['Wya', 'by'], lstm: ['Wy', 'by'], gru: ['Wy', 'by'], gru_reset_after: ['Wy', 'by'], rnn_relu: ['Wya', 'by'] };
const CELL_NAMES: CellName[] = ['rnn', 'lstm', 'gru', 'gru_reset_after', 'rnn_relu'];

function randn(shape: number[], next: () => number, scale = 1): Tensor {
  const n = shape.reduce((p, q) => p * q, 1);
  const data = new Float64Array(n);
  for (let k = 0; k < n; k++) data[k] = scale * next();
  return { shape, data };
}

/** Parameters (× weightScale), x, a0, c0 (LSTM), and a `sum` upstream da and `xent` labels. */
function problem(cell: CellName, d: Dims, seed: number, weightScale = 1): { inputs: Arrays; sum: Loss; xent: Loss } {
  const next = prng(seed);
  const inputs: Arrays = {};
  for (const [name, shape] of Object.entries(SHAPES[cell](d))) inputs[name] = randn(shape, next, weightScale);
  inputs.x = randn([d.n_x, d.m, d.T_x], next);
  inputs.a0 = randn([d.n_a, d.m], next);
  if (cell === 'lstm') inputs.c0 = randn([d.n_a, d.m], next);
  const da = randn([d.n_a, d.m, d.T_x], next);
  const labels = randn([d.m, d.T_x], next);
  for (let k = 0; k < labels.data.length; k++) labels.data[k] = k % d.n_y;
  return { inputs, sum: { kind: 'sum', da }, xent: { kind: 'xent', labels } };
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}

function allFinite(arrays: Arrays): void {
  for (const [name, t] of Object.entries(arrays)) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    assert.equal(bad, -1, `${name}[${bad}] = ${t.data[bad]}`);
  }
}

function assertSame(actual: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  for (let k = 0; k < expected.data.length; k++) {
    assert.equal(actual.data[k], expected.data[k], `${what}[${k}]`);
  }
}

const EPS = 1e-6;
const RTOL = 1e-7;
/**
 * What a centred difference with EPS misses by on these O(1) losses: their rounding, ~1e-16,
 * over EPS — measured 0.6–6e-10 per array. A gradient as small as 1e-4 (one-unit nets)
 * cannot meet RTOL against that; a wrong gradient misses by its own size, far above it.
 */
const FD_NOISE = 2e-9;

// --- backward against finite differences -----------------------------------------------------

describe('mathjs reference backend: backward vs centred finite differences of loss()', () => {
  const SIZES: Dims[] = [
    { n_x: 3, n_a: 4, n_y: 3, m: 2, T_x: 4 },
    { n_x: 1, n_a: 1, n_y: 2, m: 1, T_x: 3 }, // every matrix one row or one column wide
  ];
  for (const cell of CELL_NAMES) {
    for (const kind of ['sum', 'xent'] as const) {
      SIZES.forEach((d, si) => {
        it(`${cell}, ${kind} loss, size ${si}: every parameter, x, a0${cell === 'lstm' ? ', c0' : ''}`, () => {
          const p = problem(cell, d, 1234 + 10 * si + cell.length * 7 + (kind === 'xent' ? 1 : 0));
          const loss = p[kind];
          const grads = mathjsBackend.backward(cell, p.inputs, loss);

          const params = Object.keys(SHAPES[cell](d)).filter((n) => kind === 'xent' || !HEAD[cell].includes(n));
          const wrt = [...params, 'x', 'a0', ...(cell === 'lstm' ? ['c0'] : [])];
          assert.deepEqual(Object.keys(grads).sort(), wrt.map((n) => 'd' + n).sort(), 'gradient names');

          const errors: string[] = [];
          for (const name of wrt) {
            const t = p.inputs[name];
            const g = grads['d' + name];
            assert.deepEqual(g.shape, t.shape, `d${name}: shape`);
            assert.ok(norm(g.data) > 0, `d${name} is all zeros`);
            const num = new Float64Array(t.data.length);
            for (let k = 0; k < t.data.length; k++) {
              const v = t.data[k];
              t.data[k] = v + EPS;
              const Lp = mathjsBackend.loss(cell, p.inputs, loss);
              t.data[k] = v - EPS;
              const Lm = mathjsBackend.loss(cell, p.inputs, loss);
              t.data[k] = v;
              num[k] = (Lp - Lm) / (2 * EPS);
            }
            const diff = num.map((n, k) => n - g.data[k]);
            const rel = norm(diff) / (norm(num) + norm(g.data));
            if (process.env.FD_REPORT) console.log(`      ${cell} ${kind} size ${si} d${name}: ${rel.toExponential(2)} (|g| ${norm(g.data).toExponential(2)}, |diff| ${norm(diff).toExponential(2)})`);
            if (!(rel < RTOL || norm(diff) < FD_NOISE)) errors.push(`d${name}: relative error ${rel.toExponential(2)}`);
          }
          assert.deepEqual(errors, []);
        });
      });
    }
  }
});

// --- shapes at the course's sizes ------------------------------------------------------------

/** n_x = 3, n_a = 5, n_y = 2, m = 10: the notebook's test sizes (T_x = 4 for the RNN, 7 for LSTM/GRU). */
describe('mathjs reference backend: the seed\'s course-size shapes', () => {
  const next = prng(1);
  const mat = (r: number, c: number): Matrix => toMatrix(randn([r, c], next));
  const seq = (r: number, c: number, T: number): Matrix[] => toSequence(randn([r, c, T], next));
  const size = (M: Matrix): number[] => M.size();
  const seqSize = (S: Matrix[]): number[] => fromSequence(S).shape as number[];

  it('rnn_cell_forward, rnn_forward, rnn_cell_backward, rnn_backward', () => {
    const parameters: RnnParameters = { Waa: mat(5, 5), Wax: mat(5, 3), Wya: mat(2, 5), ba: mat(5, 1), by: mat(2, 1) };
    const [a_next, yt_pred, cache] = rnn_cell_forward(mat(3, 10), mat(5, 10), parameters);
    assert.deepEqual([size(a_next), size(yt_pred), cache.length], [[5, 10], [2, 10], 4]);
    const g = rnn_cell_backward(mat(5, 10), cache);
    assert.deepEqual([g.dxt, g.da_prev, g.dWax, g.dWaa, g.dba].map(size), [[3, 10], [5, 10], [5, 3], [5, 5], [5, 1]]);

    const [a, y_pred, caches] = rnn_forward(seq(3, 10, 4), mat(5, 10), parameters);
    assert.deepEqual([seqSize(a), seqSize(y_pred), caches[0].length, seqSize(caches[1])], [[5, 10, 4], [2, 10, 4], 4, [3, 10, 4]]);
    const G = rnn_backward(seq(5, 10, 4), caches);
    assert.deepEqual([seqSize(G.dx), size(G.da0), size(G.dWax), size(G.dWaa), size(G.dba)], [[3, 10, 4], [5, 10], [5, 3], [5, 5], [5, 1]]);
  });

  it('lstm_cell_forward, lstm_forward, lstm_cell_backward, lstm_backward', () => {
    const parameters: LstmParameters = {
      Wf: mat(5, 8), bf: mat(5, 1), Wi: mat(5, 8), bi: mat(5, 1), Wc: mat(5, 8), bc: mat(5, 1),
      Wo: mat(5, 8), bo: mat(5, 1), Wy: mat(2, 5), by: mat(2, 1),
    };
    const [a_next, c_next, yt, cache] = lstm_cell_forward(mat(3, 10), mat(5, 10), mat(5, 10), parameters);
    assert.deepEqual([size(a_next), size(c_next), size(yt), cache.length], [[5, 10], [5, 10], [2, 10], 10]);
    const g = lstm_cell_backward(mat(5, 10), mat(5, 10), cache);
    assert.deepEqual(
      [g.dxt, g.da_prev, g.dc_prev, g.dWf, g.dbf, g.dWi, g.dbi, g.dWc, g.dbc, g.dWo, g.dbo].map(size),
      [[3, 10], [5, 10], [5, 10], [5, 8], [5, 1], [5, 8], [5, 1], [5, 8], [5, 1], [5, 8], [5, 1]],
    );

    const [a, y, c, caches] = lstm_forward(seq(3, 10, 7), mat(5, 10), parameters);
    assert.deepEqual([seqSize(a), seqSize(y), seqSize(c), caches[0].length], [[5, 10, 7], [2, 10, 7], [5, 10, 7], 7]);
    // (the notebook's own backward test passes da of T_x = 4 for a T_x = 7 forward; here they agree)
    const G = lstm_backward(seq(5, 10, 7), caches);
    assert.deepEqual(
      [seqSize(G.dx), size(G.da0), size(G.dc0), size(G.dWf), size(G.dbf), size(G.dWo), size(G.dbo)],
      [[3, 10, 7], [5, 10], [5, 10], [5, 8], [5, 1], [5, 8], [5, 1]],
    );
  });

  it('gru_cell_forward, gru_forward, gru_cell_backward, gru_backward', () => {
    const parameters: GruParameters = {
      Wu: mat(5, 8), bu: mat(5, 1), Wr: mat(5, 8), br: mat(5, 1), Wc: mat(5, 8), bc: mat(5, 1), Wy: mat(2, 5), by: mat(2, 1),
    };
    const [a_next, yt, cache] = gru_cell_forward(mat(3, 10), mat(5, 10), parameters);
    assert.deepEqual([size(a_next), size(yt), cache.length], [[5, 10], [2, 10], 7]);
    const g = gru_cell_backward(mat(5, 10), cache);
    assert.deepEqual(
      [g.dxt, g.da_prev, g.dWu, g.dbu, g.dWr, g.dbr, g.dWc, g.dbc].map(size),
      [[3, 10], [5, 10], [5, 8], [5, 1], [5, 8], [5, 1], [5, 8], [5, 1]],
    );
    const [a, y, caches] = gru_forward(seq(3, 10, 7), mat(5, 10), parameters);
    assert.deepEqual([seqSize(a), seqSize(y), caches[0].length], [[5, 10, 7], [2, 10, 7], 7]);
    const G = gru_backward(seq(5, 10, 7), caches);
    assert.deepEqual([seqSize(G.dx), size(G.da0), size(G.dWu), size(G.dbc)], [[3, 10, 7], [5, 10], [5, 8], [5, 1]]);
  });

  it('the Backend returns C-order Tensors with the shapes of src/backends/types.ts', () => {
    for (const cell of CELL_NAMES) {
      const d: Dims = { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: cell === 'rnn' ? 4 : 7 };
      const p = problem(cell, d, 2);
      const out = mathjsBackend.forward(cell, p.inputs);
      const expected: Record<string, number[]> = { a: [5, 10, d.T_x], y: [2, 10, d.T_x] };
      if (cell === 'lstm') expected.c = [5, 10, d.T_x];
      assert.deepEqual(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.shape])), expected, cell);
      // each column of ŷ⟨t⟩ is a distribution
      const y = out.y;
      for (let j = 0; j < d.m; j++) {
        for (let t = 0; t < d.T_x; t++) {
          let s = 0;
          for (let i = 0; i < d.n_y; i++) s += y.data[(i * d.m + j) * d.T_x + t];
          assert.ok(Math.abs(s - 1) < 1e-14, `${cell}: Σ y[:, ${j}, ${t}] = ${s}`);
        }
      }
    }
  });
});

// --- hand-worked one-unit values ----------------------------------------------------------------

/** n_x = n_a = 1, n_y = 2, m = 1, T_x = 2, worked out with Math.* (concat order [a_prev; x] matters: w_a ≠ w_x). */
describe('mathjs reference backend: one-unit cells against values worked out by hand', () => {
  const σ = (z: number): number => 1 / (1 + Math.exp(-z));
  const x1 = 0.7, x2 = -1.3, a0 = 0.4, c0 = -0.2;
  const Wy = [[0.9], [-0.5]], by = [[0.1], [0.3]];
  const yOf = (a: number): number[] => {
    const z = [Wy[0][0] * a + by[0][0], Wy[1][0] * a + by[1][0]];
    const e = z.map(Math.exp);
    return e.map((v) => v / (e[0] + e[1]));
  };
  const T = (rows: number[][]): Tensor => ({ shape: [rows.length, rows[0].length], data: Float64Array.from(rows.flat()) });
  const x: Tensor = { shape: [1, 1, 2], data: Float64Array.from([x1, x2]) };
  const check = (out: Arrays, a: number[], c?: number[]): void => {
    const y = [yOf(a[0]), yOf(a[1])];
    const close = (got: number, want: number, what: string): void =>
      assert.ok(Math.abs(got - want) <= 1e-15 * Math.max(1, Math.abs(want)) * 4, `${what}: ${got} vs ${want}`);
    for (let t = 0; t < 2; t++) {
      close(out.a.data[t], a[t], `a[${t}]`);
      if (c) close(out.c.data[t], c[t], `c[${t}]`);
      for (let i = 0; i < 2; i++) close(out.y.data[i * 2 + t], y[t][i], `y[${i}, ${t}]`);
    }
  };

  it('rnn', () => {
    const Wax = 0.8, Waa = -0.6, ba = 0.05;
    const a1 = Math.tanh(Waa * a0 + Wax * x1 + ba), a2 = Math.tanh(Waa * a1 + Wax * x2 + ba);
    const inputs: Arrays = { Wax: T([[Wax]]), Waa: T([[Waa]]), ba: T([[ba]]), Wya: T(Wy), by: T(by), x, a0: T([[a0]]) };
    check(mathjsBackend.forward('rnn', inputs), [a1, a2]);
  });

  it('lstm', () => {
    const W = { f: [0.5, -0.4], i: [-0.3, 0.9], c: [1.1, 0.2], o: [0.6, -0.7] }, b = { f: 0.1, i: -0.2, c: 0.3, o: 0.05 };
    const step = (x: number, a: number, c: number): [number, number] => {
      const f = σ(W.f[0] * a + W.f[1] * x + b.f), i = σ(W.i[0] * a + W.i[1] * x + b.i);
      const cc = Math.tanh(W.c[0] * a + W.c[1] * x + b.c), o = σ(W.o[0] * a + W.o[1] * x + b.o);
      const cn = f * c + i * cc;
      return [o * Math.tanh(cn), cn];
    };
    const [a1, c1] = step(x1, a0, c0), [a2, c2] = step(x2, a1, c1);
    const inputs: Arrays = {
      Wf: T([W.f]), bf: T([[b.f]]), Wi: T([W.i]), bi: T([[b.i]]), Wc: T([W.c]), bc: T([[b.c]]), Wo: T([W.o]), bo: T([[b.o]]),
      Wy: T(Wy), by: T(by), x, a0: T([[a0]]), c0: T([[c0]]),
    };
    check(mathjsBackend.forward('lstm', inputs), [a1, a2], [c1, c2]);
  });

  it('gru', () => {
    const W = { u: [0.5, -0.4], r: [-0.3, 0.9], c: [1.1, 0.2] }, b = { u: 0.1, r: -0.2, c: 0.3 };
    const step = (x: number, a: number): number => {
      const u = σ(W.u[0] * a + W.u[1] * x + b.u), r = σ(W.r[0] * a + W.r[1] * x + b.r);
      const cc = Math.tanh(W.c[0] * (r * a) + W.c[1] * x + b.c);
      return u * cc + (1 - u) * a;
    };
    const a1 = step(x1, a0), a2 = step(x2, a1);
    const inputs: Arrays = {
      Wu: T([W.u]), bu: T([[b.u]]), Wr: T([W.r]), br: T([[b.r]]), Wc: T([W.c]), bc: T([[b.c]]), Wy: T(Wy), by: T(by), x, a0: T([[a0]]),
    };
    check(mathjsBackend.forward('gru', inputs), [a1, a2]);
  });

  it('absent a0 (and c0) mean zeros', () => {
    for (const cell of CELL_NAMES) {
      const p = problem(cell, { n_x: 2, n_a: 3, n_y: 2, m: 2, T_x: 3 }, 5);
      p.inputs.a0.data.fill(0);
      if (p.inputs.c0) p.inputs.c0.data.fill(0);
      const { a0: _a0, c0: _c0, ...without } = p.inputs;
      for (const [k, t] of Object.entries(mathjsBackend.forward(cell, without))) {
        assertSame(t, mathjsBackend.forward(cell, p.inputs)[k], `${cell} ${k}`);
      }
    }
  });
});

// --- stability -----------------------------------------------------------------------------------

describe('mathjs reference backend: stability', () => {
  it('sigmoid, softmax and log_softmax are finite (never NaN) for |z| ≥ 1000', () => {
    const z = toMatrix({ shape: [3, 3], data: Float64Array.from([1000, -1000, 0, -1000, 1000, -745, 5000, -5000, -1e300]) });
    for (const f of [sigmoid, softmax, log_softmax]) {
      const bad = fromMatrix(f(z)).data.findIndex((v) => !Number.isFinite(v));
      assert.equal(bad, -1, `${f.name}: entry ${bad}`);
    }
    assert.deepEqual(Array.from(fromMatrix(sigmoid(z)).data.slice(0, 2)), [1, 0]);
    // the stable form e^z / (1 + e^z) for z < 0: 1 / (1 + e^720) would overflow to exactly 0
    const s720 = fromMatrix(sigmoid(toMatrix({ shape: [1, 1], data: Float64Array.from([-720]) }))).data[0];
    assert.ok(s720 > 0 && Math.abs(s720 / Math.exp(-720) - 1) < 1e-6, `σ(−720) = ${s720}`);
    assert.deepEqual(Array.from(fromMatrix(softmax(z)).data.slice(0, 3)), [0, 0, 1]); // column 0: [1000, -1000, 5000]
    assert.equal(fromMatrix(log_softmax(z)).data[0], -4000);
  });

  it('weights ×1000: forward, both losses and backward stay finite', () => {
    for (const cell of CELL_NAMES) {
      const p = problem(cell, { n_x: 3, n_a: 4, n_y: 3, m: 3, T_x: 4 }, 77, 1000);
      allFinite(mathjsBackend.forward(cell, p.inputs));
      for (const loss of [p.sum, p.xent]) {
        const L = mathjsBackend.loss(cell, p.inputs, loss);
        assert.ok(Number.isFinite(L), `${cell} ${loss.kind}: loss ${L}`);
        allFinite(mathjsBackend.backward(cell, p.inputs, loss));
      }
      // a confidently wrong prediction costs a large but finite loss
      assert.ok(mathjsBackend.loss(cell, p.inputs, p.xent) > 100, `${cell}: xent with saturated softmax`);
    }
  });
});

// --- T_x = 1 -------------------------------------------------------------------------------------

describe('mathjs reference backend: T_x = 1 is one cell step', () => {
  const d: Dims = { n_x: 3, n_a: 4, n_y: 2, m: 5, T_x: 1 };
  const slice = (t: Tensor): Matrix => toSequence(t)[0];

  for (const cell of CELL_NAMES) {
    it(cell, () => {
      const p = problem(cell, d, 99);
      const { inputs } = p;
      const parameters: Record<string, Matrix> = {};
      for (const name of Object.keys(SHAPES[cell](d))) parameters[name] = toMatrix(inputs[name]);
      const xt = slice(inputs.x), a_prev = toMatrix(inputs.a0), da_next = slice((p.sum as { da: Tensor }).da);
      const out = mathjsBackend.forward(cell, inputs);
      const grads = mathjsBackend.backward(cell, inputs, p.sum);
      const step = (t: Tensor): Tensor => fromMatrix(slice(t));

      let a_next: Matrix, yt_pred: Matrix, g: Record<string, Matrix>;
      if (cell === 'rnn') {
        let cache;
        [a_next, yt_pred, cache] = rnn_cell_forward(xt, a_prev, parameters as unknown as RnnParameters);
        g = { ...rnn_cell_backward(da_next, cache) };
      } else if (cell === 'lstm') {
        let c_next, cache;
        [a_next, c_next, yt_pred, cache] = lstm_cell_forward(xt, a_prev, toMatrix(inputs.c0), parameters as unknown as LstmParameters);
        assertSame(step(out.c), fromMatrix(c_next), 'c');
        const [n_a, m] = a_prev.size();
        g = { ...lstm_cell_backward(da_next, zeros(n_a, m), cache) };
        assertSame(grads.dc0, fromMatrix(g.dc_prev), 'dc0');
      } else if (cell === 'rnn_relu') {
        let cache;
        [a_next, yt_pred, cache] = rnn_relu_cell_forward(xt, a_prev, parameters as unknown as RnnParameters);
        g = { ...rnn_relu_cell_backward(da_next, cache) };
      } else if (cell === 'gru') {
        let cache;
        [a_next, yt_pred, cache] = gru_cell_forward(xt, a_prev, parameters as unknown as GruParameters);
        g = { ...gru_cell_backward(da_next, cache) };
      } else {
        let cache;
        [a_next, yt_pred, cache] = gru_reset_after_cell_forward(xt, a_prev, parameters as unknown as GruResetAfterParameters);
        g = { ...gru_reset_after_cell_backward(da_next, cache) };
      }
      assertSame(step(out.a), fromMatrix(a_next), 'a');
      assertSame(step(out.y), fromMatrix(yt_pred), 'y');
      assertSame(step(grads.dx), fromMatrix(g.dxt), 'dx');
      assertSame(grads.da0, fromMatrix(g.da_prev), 'da0');
      for (const name of Object.keys(grads).filter((n) => !['dx', 'da0', 'dc0'].includes(n))) {
        assertSame(grads[name], fromMatrix(g[name]), name);
      }
    });
  }
});
