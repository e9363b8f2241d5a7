/**
 * The float64 engine against reference cases computed by numpy with the seed's own code
 * (fixtures/generate.py; see fixtures/README.md): forward, both losses and every gradient
 * of every cell, to ATOL_REFERENCE absolute.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { CellName, Loss } from '../src/backends/types';
import { float64Backend } from '../src/backends/float64';
import { fromNested, type Arrays } from '../src/tensor';
import { ATOL_REFERENCE, expectClose } from './helpers';

const CASES = path.join(__dirname, '..', 'fixtures', 'cases');

export interface ReferenceCase {
  name: string;
  cell: CellName;
  inputs: Arrays;
  forward: Arrays;
  loss_sum: number;
  loss_xent: number;
  backward_sum: Arrays;
  backward_xent: Arrays;
}

function arrays(obj: Record<string, unknown>): Arrays {
  const out: Arrays = {};
  for (const [k, v] of Object.entries(obj)) out[k] = fromNested(v, k);
  return out;
}

export function referenceCases(): ReferenceCase[] {
  const index = JSON.parse(fs.readFileSync(path.join(CASES, 'index.json'), 'utf8')) as { cases: { name: string; json: string }[] };
  return index.cases.map((c) => {
    const raw = JSON.parse(fs.readFileSync(path.join(CASES, c.json), 'utf8'));
    return {
      name: c.name,
      cell: raw.cell,
      inputs: arrays(raw.inputs),
      forward: arrays(raw.forward),
      loss_sum: raw.loss_sum,
      loss_xent: raw.loss_xent,
      backward_sum: arrays(raw.backward_sum),
      backward_xent: arrays(raw.backward_xent),
    };
  });
}

export function lossesOf(rc: ReferenceCase): { kind: 'sum' | 'xent'; loss: Loss; value: number; grads: Arrays }[] {
  return [
    { kind: 'sum', loss: { kind: 'sum', da: rc.inputs.da }, value: rc.loss_sum, grads: rc.backward_sum },
    // (the medium_mask cases' xent loss has its mask: CS231n's temporal_softmax_loss)
    { kind: 'xent', loss: { kind: 'xent', labels: rc.inputs.labels, ...(rc.inputs.mask ? { mask: rc.inputs.mask } : {}) }, value: rc.loss_xent, grads: rc.backward_xent },
  ];
}

describe('float64 engine vs numpy reference cases', () => {
  const cases = referenceCases();
  it('has the reference cases (every cell, edge sizes)', () => {
    assert.ok(cases.length >= 24, `only ${cases.length} cases`);
    for (const cell of ['rnn', 'lstm', 'gru']) assert.ok(cases.filter((c) => c.cell === cell).length >= 8, cell);
  });
  for (const rc of cases) {
    it(rc.name, () => {
      const out = float64Backend.forward(rc.cell, rc.inputs);
      assert.deepEqual(Object.keys(out).sort(), Object.keys(rc.forward).sort());
      for (const name of Object.keys(rc.forward)) expectClose(out[name], rc.forward[name], { atol: ATOL_REFERENCE }, `${rc.name} ${name}`);
      for (const l of lossesOf(rc)) {
        const value = float64Backend.loss(rc.cell, rc.inputs, l.loss);
        assert.ok(Math.abs(value - l.value) <= ATOL_REFERENCE * Math.max(1, Math.abs(l.value)), `${rc.name} loss_${l.kind}: ${value} vs ${l.value}`);
        const grads = float64Backend.backward(rc.cell, rc.inputs, l.loss);
        assert.deepEqual(Object.keys(grads).sort(), Object.keys(l.grads).sort(), `${rc.name} ${l.kind} gradient names`);
        for (const name of Object.keys(l.grads)) expectClose(grads[name], l.grads[name], { atol: ATOL_REFERENCE }, `${rc.name} ${l.kind} ${name}`);
      }
    });
  }
});
