/**
 * The contract every cell registered in CELLS must meet, run for each of them: adding a
 * cell to the table adds it here.
 */
import { strict as assert } from 'assert';
import type { Dims, Loss } from '../src/backends/types';
import { CELL_NAMES, CELLS, gradientNames, paramShapes } from '../src/model/cells';
import { float64Backend as engine, forwardOutputs, gradients, paramsOf, trace } from '../src/backends/float64';
import { Mat, plainOps } from '../src/exec/ops';
import { paramViews, release } from '../src/exec/unroll';
import { tensor, type Arrays, type Tensor } from '../src/tensor';
import { expectClose, hex, randomInputs } from './helpers';

const D: Dims = { n_x: 3, n_a: 5, n_y: 4, m: 6, T_x: 5 };

/** x[:, :, t0:t1] (or any (n, m, T) array). */
function timeSlice(t3: Tensor, t0: number, t1: number): Tensor {
  const [n, m, T] = t3.shape;
  const out = tensor([n, m, t1 - t0]);
  for (let r = 0; r < n * m; r++) for (let t = t0; t < t1; t++) out.data[r * (t1 - t0) + t - t0] = t3.data[r * T + t];
  return out;
}

/** Column j of an (n, m, ...) array repeated into every column. */
function repeatColumn(t: Tensor, j: number): Tensor {
  const [n, m] = t.shape;
  const rest = t.data.length / (n * m);
  const out = tensor(t.shape);
  for (let i = 0; i < n; i++) for (let jj = 0; jj < m; jj++) for (let r = 0; r < rest; r++) {
    out.data[(i * m + jj) * rest + r] = t.data[(i * m + j) * rest + r];
  }
  return out;
}

const EXACT = { atol: 0 };

for (const cellName of CELL_NAMES) {
  const cell = CELLS[cellName];
  describe(`cell contract: ${cellName}`, () => {
    it('with its input projections where it copies them (CellSpec.zxInto, one-shot passes), the same bits', () => {
      // Two column groups make the trace one-shot-able (a small one-group trace is kept for reuse).
      const { inputs, da, labels } = randomInputs(cellName, D, 17);
      const widths = [D.m / 2, D.m / 2];
      for (const loss of [{ kind: 'sum', da }, { kind: 'xent', labels }] as Loss[]) {
        const kept = trace(cellName, inputs, { widths }), shot = trace(cellName, inputs, { widths, oneShot: true });
        try {
          assert.equal(shot.zxIn, CELLS[cellName].zxInto ?? 'own', 'a one-shot trace of a cell that allows it');
          assert.equal(kept.zxIn, 'own');
          const out = [forwardOutputs(kept), forwardOutputs(shot)], grads = [gradients(kept, loss), gradients(shot, loss)];
          for (const name of Object.keys(out[0])) assert.equal(hex(out[1][name].data), hex(out[0][name].data), name);
          for (const name of Object.keys(grads[0])) assert.equal(hex(grads[1][name].data), hex(grads[0][name].data), `${loss.kind} ${name}`);
        } finally {
          release(kept);
          release(shot);
        }
      }
    });

    const { inputs, da, labels } = randomInputs(cellName, D, 7);

    it('is registered under its own name (group workers look cells up by it)', () => {
      assert.equal(cell.name, cellName);
    });

    it('has outputs and gradients of the documented shapes', () => {
      const out = engine.forward(cellName, inputs);
      const expected = cell.hasCellState ? ['a', 'c', 'y'] : ['a', 'y'];
      assert.deepEqual(Object.keys(out).sort(), expected);
      assert.deepEqual(out.a.shape, [D.n_a, D.m, D.T_x]);
      assert.deepEqual(out.y.shape, [D.n_y, D.m, D.T_x]);
      if (cell.hasCellState) assert.deepEqual(out.c.shape, [D.n_a, D.m, D.T_x]);
      const shapes = paramShapes(cell, D);
      for (const kind of ['sum', 'xent'] as const) {
        const g = engine.backward(cellName, inputs, kind === 'sum' ? { kind, da } : { kind, labels });
        assert.deepEqual(Object.keys(g).sort(), gradientNames(cell, kind).sort());
        assert.deepEqual(g.dx.shape, [D.n_x, D.m, D.T_x]);
        assert.deepEqual(g.da0.shape, [D.n_a, D.m]);
        for (const [p, s] of Object.entries(shapes)) if (g['d' + p]) assert.deepEqual(g['d' + p].shape, s, `d${p}`);
      }
    });

    it('predictions are probabilities: every column of ŷ⟨t⟩ sums to 1', () => {
      const { y } = engine.forward(cellName, inputs);
      const [n_y, m, T] = y.shape;
      for (let j = 0; j < m; j++) for (let t = 0; t < T; t++) {
        let s = 0;
        for (let k = 0; k < n_y; k++) s += y.data[(k * m + j) * T + t];
        assert.ok(Math.abs(s - 1) < 1e-14, `column ${j}, t ${t}: sums to ${s}`);
      }
    });

    it('identical batch columns give identical outputs and gradients', () => {
      const same: Arrays = { ...inputs, x: repeatColumn(inputs.x, 2), a0: repeatColumn(inputs.a0, 2) };
      if (cell.hasCellState) same.c0 = repeatColumn(inputs.c0, 2);
      const out = engine.forward(cellName, same);
      for (const name of Object.keys(out)) expectClose(out[name], repeatColumn(out[name], 0), EXACT, name);
      const g = engine.backward(cellName, same, { kind: 'sum', da: repeatColumn(da, 2) });
      expectClose(g.dx, repeatColumn(g.dx, 0), EXACT, 'dx');
      expectClose(g.da0, repeatColumn(g.da0, 0), EXACT, 'da0');
    });

    it('is causal: the first k steps of a run equal a run over the first k inputs', () => {
      const full = engine.forward(cellName, inputs);
      for (const k of [1, 3]) {
        const short = engine.forward(cellName, { ...inputs, x: timeSlice(inputs.x, 0, k) });
        for (const name of Object.keys(full)) expectClose(short[name], timeSlice(full[name], 0, k), EXACT, `${name}, k=${k}`);
      }
    });

    it('T_x = 1 is one cell step from (a0, c0)', () => {
      const x1 = timeSlice(inputs.x, 0, 1);
      const out = engine.forward(cellName, { ...inputs, x: x1 });
      const d = { ...D, T_x: 1 };
      const p = paramsOf(cell, inputs);
      const a = new Float64Array(D.n_a * D.m), c = new Float64Array(cell.hasCellState ? D.n_a * D.m : 0);
      // The step's input projections, W[:, k0:k0+n_x]·x + b, written out here with plain loops.
      const zx: number[] = [];
      for (const g of cell.projections) {
        const b = p[g.b], rows = g.rows(d);
        for (let i = 0; i < rows; i++) for (let j = 0; j < D.m; j++) {
          let s = 0;
          if (g.W !== undefined) {
            const W = p[g.W], ldw = W.length / rows;
            for (let k = 0; k < D.n_x; k++) s += W[i * ldw + g.k0(d) + k] * x1.data[k * D.m + j];
          }
          zx.push(g.W === undefined ? b[i] : b[i] + s);
        }
      }
      const block = (buf: Float64Array, rows = D.n_a): Mat => new Mat(buf, rows, D.m);
      cell.forward(plainOps, paramViews(cell, d, p), d, {
        zx: block(Float64Array.from(zx), zx.length / D.m), aPrev: block(inputs.a0.data), a: block(a),
        cPrev: cell.hasCellState ? block(inputs.c0.data) : block(new Float64Array(0), 0),
        c: block(c, cell.hasCellState ? D.n_a : 0), cache: block(new Float64Array(cell.cacheRows(d) * D.m), cell.cacheRows(d)),
      });
      expectClose(out.a, tensor([D.n_a, D.m, 1], a), EXACT, 'a');
      if (cell.hasCellState) expectClose(out.c, tensor([D.n_a, D.m, 1], c), EXACT, 'c');
    });

    it('zero da gives zero gradients, and gradients are linear in da', () => {
      const zero = engine.backward(cellName, inputs, { kind: 'sum', da: tensor(da.shape) });
      for (const [name, g] of Object.entries(zero)) assert.ok(g.data.every((v) => v === 0), `${name} is not zero`);
      const g1 = engine.backward(cellName, inputs, { kind: 'sum', da });
      const twice = tensor(da.shape, da.data.map((v) => 2 * v));
      const g2 = engine.backward(cellName, inputs, { kind: 'sum', da: twice });
      for (const name of Object.keys(g1)) {
        expectClose(g2[name], tensor(g1[name].shape, g1[name].data.map((v) => 2 * v)), { atol: 1e-12, rtol: 1e-12 }, name);
      }
    });

    it('stays finite with saturating weights (|pre-activations| ≥ 1000)', () => {
      const big = randomInputs(cellName, D, 8, 1000);
      const out = engine.forward(cellName, big.inputs);
      for (const [name, t] of Object.entries(out)) assert.ok(t.data.every(Number.isFinite), `${name} has NaN/Inf`);
      for (const kind of ['sum', 'xent'] as const) {
        const loss = kind === 'sum' ? { kind, da: big.da } : { kind, labels: big.labels };
        assert.ok(Number.isFinite(engine.loss(cellName, big.inputs, loss)), `${kind} loss`);
        const g = engine.backward(cellName, big.inputs, loss);
        for (const [name, t] of Object.entries(g)) assert.ok(t.data.every(Number.isFinite), `${kind} ${name} has NaN/Inf`);
      }
    });
  });
}
