// A plain CommonJS consumer of the installed package (test/package.test.ts):
// node require.cjs <numpy case .json>. Exits non-zero on any mismatch.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Matrix } = require('mathjs');
const rnn = require('rnn');

const numpy = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { da, labels, ...inputs } = numpy.inputs;
const close = (m, want, what) => {
  assert.ok(m instanceof Matrix, `${what} is a Matrix of the consumer's mathjs`);
  const a = m.toArray().flat(3), b = want.flat(3);
  assert.equal(a.length, b.length, what);
  a.forEach((v, k) => assert.ok(Math.abs(v - b[k]) <= 1e-12, `${what}[${k}] = ${v}, numpy ${b[k]}`));
};
const out = rnn.forward(numpy.cell, inputs);
assert.deepEqual(Object.keys(out).sort(), Object.keys(numpy.forward).sort());
for (const n of Object.keys(numpy.forward)) close(out[n], numpy.forward[n], `forward ${n}`);
const gs = rnn.backward(numpy.cell, inputs, { da });
assert.deepEqual(Object.keys(gs).sort(), Object.keys(numpy.backward_sum).sort());
for (const n of Object.keys(numpy.backward_sum)) close(gs[n], numpy.backward_sum[n], `sum ${n}`);
const gx = rnn.backward(numpy.cell, inputs, { labels }, { backend: 'mathjs' });
for (const n of Object.keys(numpy.backward_xent)) close(gx[n], numpy.backward_xent[n], `mathjs backend xent ${n}`);
assert.throws(() => rnn.forward(numpy.cell, { ...inputs, x: [[1]] }), rnn.InputError);
console.log('require consumer: ok');
