/**
 * What the repository's files cite stays inside it: no path of a machine (the team's shared
 * directories), and the specification they cite is the committed, unedited notebook.
 */
import { strict as assert } from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
// Built or generated, git-ignored (.same-outputs: tools/same-outputs.ts's base trees and their code caches).
const SKIP = new Set(['node_modules', 'dist', 'dist-tsc', '.git', '.same-outputs']);

function* files(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

describe('documents and sources', () => {
  it('name no path outside the repository', () => {
    // Spelled in pieces so that this file does not match itself.
    const outside = new RegExp(['/wo', 'rk/', '|\\.\\./sha', 'red/'].join(''));
    const hits = [...files(ROOT)].filter((f) => !/\.(npz|npy|wasm|tgz)$/.test(f)).flatMap((f) => {
      const lines = fs.readFileSync(f, 'utf8').split('\n');
      return lines.flatMap((l, i) => (outside.test(l) ? [`${path.relative(ROOT, f)}:${i + 1}: ${l.trim()}`] : []));
    });
    assert.deepEqual(hits, []);
  });

  it('cite spec/rnn_step_by_step.txt, the notebook byte for byte (sha256 in spec/README.md)', () => {
    const sha = createHash('sha256').update(fs.readFileSync(path.join(ROOT, 'spec', 'rnn_step_by_step.txt'))).digest('hex');
    assert.match(fs.readFileSync(path.join(ROOT, 'spec', 'README.md'), 'utf8'), new RegExp(`sha256 \`${sha}\``));
  });
});
