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
import { LOSS_NAMES, LOSSES } from '../src/model/losses';
import { gradientContract } from '../src/names';
import { tensor } from '../src/tensor';
import { checkInputs, fixtureNames } from '../src/validate';
import { randomInputs } from './helpers';

const D: Dims = { n_x: 3, n_a: 5, n_y: 4, m: 6, T_x: 5 };

for (const name of LOSS_NAMES) {
  const loss = LOSSES[name];
  describe(`loss contract: ${name}`, () => {
    it('is registered under its own name, with its input in every fixture name list and --loss choice', () => {
      assert.equal(loss.name, name);
      assert.equal(LOSS_INPUT[name], loss.input.name);
      assert.ok(GRADCHECK_LOSSES.includes(name));
      for (const c of CELL_NAMES) assert.ok(fixtureNames(c).includes(loss.input.name), `${c}: ${loss.input.name}`);
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
