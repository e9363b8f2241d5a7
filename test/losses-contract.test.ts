/**
 * The contract every loss registered in LOSSES must meet, run for each of them: adding a loss
 * to the table adds it here. What reads the table — fixture names, gradient names, validation,
 * the name contract of --grads, --loss's choices — must take the new loss from it.
 */
import { strict as assert } from 'assert';
import { LOSS_INPUT, lossWith, type Dims } from '../src/backends/types';
import { CELL_NAMES, CELLS, gradientNames } from '../src/model/cells';
import { GRADCHECK_LOSSES } from '../src/cli/commands/gradcheck';
import { InputError } from '../src/errors';
import { LOSS_NAMES, LOSSES, type LossSpec } from '../src/model/losses';
import { Mat, plainOps } from '../src/exec/ops';
import { softmaxColumns } from '../src/exec/elementwise';
import { NumpyRandom } from '../src/random';
import { gradientContract } from '../src/names';
import { tensor } from '../src/tensor';
import { checkInputs, fixtureNames } from '../src/validate';
import { hex, randomInputs } from './helpers';

const D: Dims = { n_x: 3, n_a: 5, n_y: 4, m: 6, T_x: 5 };

for (const name of LOSS_NAMES) {
  const loss: LossSpec = LOSSES[name];
  describe(`loss contract: ${name}`, () => {
    it('is registered under its own name, with its input in every fixture name list and --loss choice', () => {
      assert.equal(loss.name, name);
      assert.equal(LOSS_INPUT[name], loss.input.name);
      assert.ok(GRADCHECK_LOSSES.includes(name));
      for (const c of CELL_NAMES) assert.ok(fixtureNames(c).includes(loss.input.name), `${c}: ${loss.input.name}`);
    });

    it("its gradient is its value's derivative, and a block of columns gets the whole batch's columns", () => {
      const rows = loss.usesHead ? D.n_y : D.n_a;
      const { da, labels } = randomInputs('lstm', D, 5);
      const data = { da, labels }[loss.input.name as 'da' | 'labels'];
      const rowsIn = data.data.length / (D.m * D.T_x);
      // step 0's block of the input, (rowsIn, m)
      const input = new Mat(Float64Array.from({ length: rowsIn * D.m }, (_, k) => data.data[k * D.T_x]), rowsIn, D.m);
      const out = new Mat(new NumpyRandom(7).randn(rows * D.m).data.slice(), rows, D.m);
      const value = (o: Mat): number => loss.finish(loss.addStep(0, { out: o, input }, D), D);
      // what the gradient reads: ŷ = softmax(z) for a loss through the head, else a itself
      const read = (o: Mat): Mat => {
        if (!loss.usesHead) return o;
        const y = new Mat(new Float64Array(o.buf.length), o.rows, o.cols);
        softmaxColumns(y.buf, o.rows, o.cols, 0, o.buf);
        return y;
      };
      const grad = new Mat(new Float64Array(rows * D.m), rows, D.m);
      loss.gradient(plainOps, { grad, out: read(out), input }, D);
      for (let k = 0; k < out.buf.length; k++) {
        const keep = out.buf[k], h = 1e-6;
        out.buf[k] = keep + h;
        const up = value(out);
        out.buf[k] = keep - h;
        const down = value(out);
        out.buf[k] = keep;
        const numeric = (up - down) / (2 * h);
        assert.ok(Math.abs(numeric - grad.buf[k]) <= 1e-7 * (1 + Math.abs(numeric)), `entry ${k}: numeric ${numeric}, gradient ${grad.buf[k]}`);
      }
      // columns 2 … 4 alone, as a column group computes them: the same values as the whole batch's
      const j0 = 2, w = 3;
      const cut = (M: Mat): Mat => {
        const B = new Mat(new Float64Array(M.rows * w), M.rows, w);
        for (let i = 0; i < M.rows; i++) for (let j = 0; j < w; j++) B.set(i, j, M.at(i, j0 + j));
        return B;
      };
      const part = new Mat(new Float64Array(rows * w), rows, w);
      loss.gradient(plainOps, { grad: part, out: cut(read(out)), input: cut(input) }, D);
      assert.deepEqual(Array.from(part.buf), Array.from(cut(grad).buf));
      // a loss whose upstream the engine reads in place (upstreamIsInput): its gradient is its input, to the bit
      if (loss.upstreamIsInput) {
        assert.ok(!loss.usesHead, 'upstreamIsInput is ∂L/∂a⟨t⟩: a loss through the head has none');
        assert.equal(hex(grad.buf), hex(input.buf));
      }
    });

    it("its terms' differences add up to the change of its value, as gradcheck sums them", () => {
      const rows = loss.usesHead ? D.n_y : D.n_a, tr = loss.terms.rows(D);
      const { da, labels } = randomInputs('gru', D, 9);
      const data = { da, labels }[loss.input.name as 'da' | 'labels'];
      const rowsIn = data.data.length / (D.m * D.T_x);
      assert.equal(rowsIn, tr, 'its input has a row per term row (the checker reads the entry at a term\'s place)');
      const input = new Mat(Float64Array.from({ length: rowsIn * D.m }, (_, k) => data.data[k * D.T_x + 1]), rowsIn, D.m);
      const plus = new Mat(new NumpyRandom(11).randn(rows * D.m).data.slice(), rows, D.m);
      const minus = new Mat(plus.buf.map((v, k) => v - 1e-3 * Math.cos(k)), rows, D.m);
      const values = (o: Mat): { v: Mat; sizes: Mat } => {
        const into = new Mat(new Float64Array(tr * D.m), tr, D.m), sizes = new Mat(new Float64Array(tr * D.m), tr, D.m);
        const got = loss.terms.values({ out: o, input }, into, sizes);
        // (a copy, as the checker keeps one: `o` may be the values themselves)
        return { v: new Mat(got.buf.slice(got.off, got.off + tr * D.m), tr, D.m), sizes };
      };
      const [vp, vm] = [values(plus), values(minus)];
      let s = 0, c2 = 0, m2 = 0;
      for (let k = 0; k < vp.v.buf.length; k++) {
        const dt = loss.terms.difference(vp.v.buf[k], vm.v.buf[k], input.buf[k]);
        s += dt;
        c2 += dt * dt;
        const q = loss.terms.size(vp.v.buf[k], vm.v.buf[k], input.buf[k], vm.sizes.buf[k]);
        m2 += q * q;
      }
      const value = (o: Mat): number => loss.finish(loss.addStep(0, { out: o, input }, D), D);
      const want = value(plus) - value(minus);
      assert.ok(Math.abs(loss.terms.scaled(s, D) - want) <= 1e-12 * Math.max(1, Math.abs(value(plus))), `terms ${loss.terms.scaled(s, D)}, value ${want}`);
      assert.ok(Math.abs(want) > 1e-6, 'the two sides differ');
      // accumulate adds exactly what difference and size give, term by term in order
      const sums = { s: 0, c2: 0, m2: 0 };
      loss.terms.accumulate(sums, vp.v, vm.v, input, vm.sizes);
      assert.equal(hex(Float64Array.of(sums.s, sums.c2, sums.m2)), hex(Float64Array.of(s, c2, m2)));
    });

    for (const c of CELL_NAMES) {
      const cell = CELLS[c];
      it(`${c}: its gradients are the recurrent part's, and the head's exactly when it reaches the head`, () => {
        const names = gradientNames(cell, name);
        for (const p of cell.params) assert.equal(names.includes('d' + p.name), p.role === 'recurrent' || loss.usesHead, p.name);
        assert.deepEqual(gradientContract(c, name, '--grads').compared, names);
      });

      it(`${c}: validation requires its input where needed and checks its shape`, () => {
        const { inputs, da, labels } = randomInputs(c, D, 3);
        const data = { da, labels }[loss.input.name as 'da' | 'labels'];
        assert.deepEqual(data.shape, loss.input.shape(D), 'the test helper draws it in its shape');
        const needs = { [loss.input.name]: true };
        assert.throws(() => checkInputs(c, inputs, needs), (e: unknown) => e instanceof InputError && e.message.includes(`missing ${loss.input.name}`));
        const ok = checkInputs(c, { ...inputs, [loss.input.name]: data }, needs);
        assert.equal(lossWith(name, ok.inputs).kind, name);
        assert.equal((lossWith(name, ok.inputs) as Record<string, unknown>)[loss.input.name], data);
        const [first, ...rest] = loss.input.shape(D);
        const wrong = tensor([first + 1, ...rest]);
        assert.throws(() => checkInputs(c, { ...inputs, [loss.input.name]: wrong }, needs), /has shape/);
      });
    }
  });
}

for (const name of LOSS_NAMES.filter((n) => (LOSSES[n] as LossSpec).weights)) {
  const weights = (LOSSES[name] as LossSpec).weights!;
  describe(`loss contract: ${name}'s weights (${weights.name})`, () => {
    const { inputs, labels, da } = randomInputs('gru', D, 8);
    const input = { da, labels }[LOSS_INPUT[name] as 'da' | 'labels'];
    const arrays = { ...inputs, [LOSS_INPUT[name]]: input };
    const ones = tensor(input.shape, new Float64Array(input.data.length).fill(1));
    const some = tensor(input.shape, Float64Array.from(input.data, (_, k) => (k % 4 === 1 ? 0 : 1)));

    it('is a fixture name of every cell, and is taken by lossWith with its input', () => {
      for (const c of CELL_NAMES) assert.ok(fixtureNames(c).includes(weights.name), c);
      assert.equal(Object.keys(lossWith(name, { ...arrays, [weights.name]: some })).join(' '), `kind ${LOSS_INPUT[name]} ${weights.name}`);
    });

    it('all ones change no bit; zeros leave terms out, on both backends alike (mathjs twin at 1e-12)', async () => {
      const { float64Backend } = await import('../src/backends/float64');
      const { mathjsBackend } = await import('../src/backends/mathjs');
      const plain = float64Backend.lossAndGradients('gru', inputs, lossWith(name, arrays));
      const withOnes = float64Backend.lossAndGradients('gru', inputs, lossWith(name, { ...arrays, [weights.name]: ones }));
      assert.equal(withOnes.loss, plain.loss);
      for (const g of Object.keys(plain.gradients)) assert.equal(hex(withOnes.gradients[g].data), hex(plain.gradients[g].data), g);
      const masked = float64Backend.lossAndGradients('gru', inputs, lossWith(name, { ...arrays, [weights.name]: some }));
      assert.ok(Math.abs(masked.loss - plain.loss) > 1e-3, 'the weights changed nothing');
      const ref = mathjsBackend.lossAndGradients('gru', inputs, lossWith(name, { ...arrays, [weights.name]: some }));
      assert.ok(Math.abs(ref.loss - masked.loss) <= 1e-12 * Math.abs(masked.loss));
      for (const g of Object.keys(masked.gradients)) {
        const scale = Math.max(1, ...masked.gradients[g].data.map(Math.abs));
        masked.gradients[g].data.forEach((v, k) => assert.ok(Math.abs(v - ref.gradients[g].data[k]) <= 1e-12 * scale, `${g}[${k}]`));
      }
      // every weight 0: nothing of the loss is left
      const none = float64Backend.lossAndGradients('gru', inputs, lossWith(name, { ...arrays, [weights.name]: tensor(input.shape) }));
      assert.equal(none.loss, 0);
      for (const g of Object.keys(none.gradients)) assert.ok(none.gradients[g].data.every((v) => v === 0), g);
    });

    it("gradients that leave the weights out (a backward that forgets the mask) FAIL the checker, the arrays named", async () => {
      const { float64Backend } = await import('../src/backends/float64');
      const { gradcheck } = await import('../src/gradcheck');
      const loss = lossWith(name, { ...arrays, [weights.name]: some });
      // the mutant: the loss's value weighted, its gradient not — the unweighted loss's gradient
      const wrong = float64Backend.backward('gru', inputs, lossWith(name, arrays));
      const result = gradcheck({ cell: 'gru', inputs, loss, mode: 'full', grads: wrong });
      assert.equal(result.pass, false);
      const failed = result.arrays.filter((a) => !a.pass).map((a) => a.name);
      for (const g of ['dx', 'dWy', 'dby']) assert.ok(failed.includes(g), `${g} passed; failed: ${failed.join(' ')}`);
      // and the weighted gradient passes: what fails is the mask alone
      assert.equal(gradcheck({ cell: 'gru', inputs, loss, mode: 'full', grads: float64Backend.backward('gru', inputs, loss) }).pass, true);
    });

    it('refuses weights of another shape, or that are not 0 or 1, naming the entry', () => {
      assert.throws(() => checkInputs('gru', { ...arrays, [weights.name]: tensor([D.T_x, D.m]) }, { [LOSS_INPUT[name]]: true }),
        (e: unknown) => e instanceof InputError && new RegExp(`^${weights.name} has shape \\(5, 6\\)`).test(e.message));
      const half = tensor(input.shape, Float64Array.from(some.data, (v, k) => (k === 7 ? 0.5 : v)));
      assert.throws(() => checkInputs('gru', { ...arrays, [weights.name]: half }, { [LOSS_INPUT[name]]: true }),
        (e: unknown) => e instanceof InputError && new RegExp(`^${weights.name}\\[1, 2\\] = 0\\.5 is not 0 or 1`).test(e.message));
    });
  });
}
