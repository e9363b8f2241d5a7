'use strict';
// mocha's dot reporter plus one plain closing line, "N passed, N failed, N skipped", that CI
// logs and humans read the same way.
const Dot = require('mocha/lib/reporters/dot');

class Reporter extends Dot {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const s = runner.stats;
      process.stdout.write(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = Reporter;
