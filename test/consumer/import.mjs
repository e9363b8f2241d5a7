// A plain ES-module consumer of the installed package (test/package.test.ts): named imports
// from the CommonJS bundle. node import.mjs <numpy case .json>. Exits non-zero on a mismatch.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Matrix } from 'mathjs';
import { backward, forward, loss, initFixture, CELLS } from 'rnn';

const numpy = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { da, labels, ...inputs } = numpy.inputs;
const maxDiff = (m, want) => {
  assert.ok(m instanceof Matrix);
  const a = m.toArray().flat(3), b = want.flat(3);
  assert.equal(a.length, b.length);
  return Math.max(...a.map((v, k) => Math.abs(v - b[k])));
};
const out = forward(numpy.cell, inputs);
for (const n of Object.keys(numpy.forward)) assert.ok(maxDiff(out[n], numpy.forward[n]) <= 1e-12, `forward ${n}`);
const gx = backward(numpy.cell, inputs, { labels });
for (const n of Object.keys(numpy.backward_xent)) assert.ok(maxDiff(gx[n], numpy.backward_xent[n]) <= 1e-12, `xent ${n}`);
assert.ok(Math.abs(loss(numpy.cell, inputs, { da }) - numpy.loss_sum) <= 1e-12, 'sum loss');
assert.deepEqual(Object.keys(initFixture({ cell: 'gru', dims: { n_x: 1, n_a: 2, n_y: 2, m: 1, T_x: 1 }, seed: 0, scale: 1 })).sort(),
  [...CELLS.gru.params.map((p) => p.name), 'x', 'a0', 'da', 'labels'].sort());
console.log('import consumer: ok');
