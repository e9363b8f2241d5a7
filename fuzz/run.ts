/**
 * `npm run fuzz -- [--seed S] [--count N] [--only npy,json] [--out DIR] [--replay I]`
 *
 * Runs N mutants (default 100 000) of seed S (default 1) through the readers and prints the
 * outcomes per reader; exits 1 if any mutant is a bug, whose file and note are written to DIR
 * (default fuzz/found/). `--replay I` runs mutant I of seed S alone and prints what it gives,
 * with the stack of a bug. See fuzz/fuzz.ts and FUZZING.md.
 */
import * as path from 'path';
import { classify, loadSeeds, MAX_BYTES, mutant, READERS, run, type RunResult } from './fuzz';

const ROOT = path.join(__dirname, '..');

function option(name: string, fallback: string): string {
  const k = process.argv.indexOf(name);
  if (k < 0) return fallback;
  const v = process.argv[k + 1];
  if (v === undefined || v.startsWith('--')) usage(`${name} needs a value`);
  return v;
}

function usage(msg: string): never {
  process.stderr.write(`fuzz: ${msg}\nusage: npm run fuzz -- [--seed S] [--count N] [--only ${READERS.map((r) => r.name).join(',')}] [--out DIR] [--replay I]\n`);
  process.exit(2);
}

function integer(name: string, fallback: number): number {
  const v = Number(option(name, String(fallback)));
  if (!Number.isSafeInteger(v) || v < 0) usage(`${name} must be a non-negative integer`);
  return v;
}

const known = new Set(['--seed', '--count', '--only', '--out', '--replay']);
for (let k = 2; k < process.argv.length; k += 2) if (!known.has(process.argv[k])) usage(`unknown argument '${process.argv[k]}'`);
const seed = integer('--seed', 1);
const only = option('--only', READERS.map((r) => r.name).join(',')).split(',');
const readers = READERS.filter((r) => only.includes(r.name));
if (readers.length !== only.length) usage(`--only: the readers are ${READERS.map((r) => r.name).join(', ')}`);

if (process.argv.includes('--replay')) {
  const i = integer('--replay', 0);
  const k = i % readers.length;
  const seeds = loadSeeds(ROOT, readers).filter((s) => s.reader === readers[k]);
  const m = mutant(seeds, seed, i);
  const c = classify(readers[k], m.bytes, { maxBytes: MAX_BYTES, slowMs: 5000 });
  process.stdout.write(`mutant ${i} of seed ${seed}: ${readers[k].name}, ${m.bytes.length} bytes from ${m.from.file}\noperations: ${m.ops.join('; ')}\n${c.outcome} in ${c.ms.toFixed(1)} ms: ${c.what}\n`);
  process.exit(c.outcome === 'bug' ? 1 : 0);
}

const count = integer('--count', 100_000);
const outDir = path.resolve(option('--out', path.join(ROOT, 'fuzz', 'found')));
const result = run({
  seed, count, root: ROOT, outDir, readers,
  progress: (done) => { if (process.stderr.isTTY) process.stderr.write(`\r${done} / ${count}`); },
});
if (process.stderr.isTTY) process.stderr.write('\r');
process.stdout.write(report(result));
process.exit(result.bugs.length > 0 ? 1 : 0);

function report(r: RunResult): string {
  const lines = [`seed ${r.seed}: ${r.count} mutants in ${r.seconds.toFixed(1)} s (${Math.round(r.count / r.seconds)} per second), node ${process.version}`, ''];
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  lines.push(row(['reader', 'mutants', 'parsed', 'InputError', 'bug', 'distinct messages', 'most CPU (ms, mutant)']));
  lines.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const [name, t] of r.tally) {
    lines.push(row([name, String(t.mutants), String(t.parsed), String(t.InputError), String(t.bug), String(t.messages.size), `${t.slowestMs.toFixed(0)} (${t.slowest})`]));
  }
  lines.push('');
  for (const b of r.bugs.slice(0, 20)) lines.push(`bug: ${b.reader} mutant ${b.index}${b.file ? ` (${b.file})` : ''}: ${b.what.split('\n')[0]}`);
  if (r.bugs.length > 20) lines.push(`… and ${r.bugs.length - 20} more`);
  return `${lines.join('\n')}\n`;
}
