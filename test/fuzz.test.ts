/**
 * A short seeded run of the fuzzer (fuzz/fuzz.ts; the long runs are `npm run fuzz`, figures in
 * FUZZING.md), and the fuzzer itself: what is not a parse or a one-line InputError is a bug,
 * written out and replayable.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../src/errors';
import { classify, loadSeeds, mutant, READERS, run, type Reader } from '../fuzz/fuzz';

const ROOT = path.join(__dirname, '..');

describe('fuzz: mutants of the fixtures through the readers', function () {
  this.timeout(300_000);

  it('3000 mutants (seed 1): each parsed or a one-line InputError naming the file, none a bug', () => {
    const r = run({ seed: 1, count: 3000, root: ROOT });
    assert.deepEqual(r.bugs.map((b) => `${b.reader} mutant ${b.index}: ${b.what.split('\n')[0]}`), []);
    assert.deepEqual([...r.tally.keys()], READERS.map((x) => x.name));
    for (const [name, t] of r.tally) {
      assert.equal(t.mutants, 1000, name);
      // the mutants reach both outcomes and many different checks of each reader
      assert.ok(t.parsed >= 10 && t.InputError >= 500 && t.messages.size >= 40, `${name}: ${t.parsed} parsed, ${t.InputError} refused, ${t.messages.size} distinct messages`);
    }
  });

  it('mutant i of a seed is the same bytes every time, and differs from mutant i of another seed', () => {
    const seeds = loadSeeds(ROOT).filter((s) => s.reader.name === 'npz');
    const a = mutant(seeds, 5, 17), b = mutant(seeds, 5, 17), c = mutant(seeds, 6, 17);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.bytes, c.bytes);
  });

  it('calls anything else a bug — a TypeError, a message of two lines, arrays that disagree — and writes it out', () => {
    const json = READERS.find((x) => x.name === 'json')!;
    const planted = (name: string, read: Reader['read']): Reader => ({ ...json, name, read });
    const readers = [
      planted('throws', (b, s, m) => {
        if (b.includes(0x4e)) throw new TypeError('planted: an N'); // NaN, null, …
        return json.read(b, s, m);
      }),
      planted('two-lines', (b, s, m) => {
        try { return json.read(b, s, m); } catch (e) { throw new InputError(`${(e as Error).message}\nsecond line`, s); }
      }),
      planted('misreads', (b, s, m) => {
        const out = json.read(b, s, m);
        for (const p of out) if (p.tensor.data.length > 3) p.tensor.data[3] = 0.5; // JSON.parse reads another number
        return out;
      }),
      planted('bad-shape', (b, s, m) => json.read(b, s, m).map((p) => ({ ...p, tensor: { shape: [...p.tensor.shape, 2], data: p.tensor.data } }))),
    ];
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-fuzz-'));
    try {
      const r = run({ seed: 3, count: 400, root: ROOT, readers, outDir: out });
      const what = (name: string): string[] => r.bugs.filter((b) => b.reader === name).map((b) => b.what);
      assert.ok(what('throws').length > 0 && what('throws').every((w) => w.startsWith('TypeError: planted: an N')));
      assert.ok(what('two-lines').length > 0 && what('two-lines').every((w) => w.includes('not one line')));
      assert.ok(what('misreads').length > 0 && what('misreads').every((w) => /JSON\.parse reads other numbers/.test(w)));
      assert.ok(what('bad-shape').length > 0 && what('bad-shape').every((w) => /holds \d+ numbers, data has \d+/.test(w)));
      // each bug's mutant is on disk with a note, and replays to the same outcome
      const bug = r.bugs.find((b) => b.reader === 'throws')!;
      const bytes = new Uint8Array(fs.readFileSync(bug.file!));
      assert.match(fs.readFileSync(`${bug.file}.txt`, 'utf8'), new RegExp(`replay: npm run fuzz -- --seed 3 --replay ${bug.index}\n`));
      const seeds = loadSeeds(ROOT, readers).filter((s) => s.reader === readers[0]);
      assert.deepEqual(mutant(seeds, 3, bug.index).bytes, bytes);
      assert.equal(classify(readers[0], bytes, { maxBytes: 1 << 20, slowMs: 5000 }).outcome, 'bug');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
