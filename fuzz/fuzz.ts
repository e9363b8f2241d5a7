/**
 * A seeded mutation fuzzer for the fixture readers (`npm run fuzz`, fuzz/run.ts; a short run is
 * part of `npm test`, test/fuzz.test.ts). FUZZING.md has how to run it and the last run's figures.
 *
 * Each mutant is a file from fixtures/ (plus JSON written from the NPY/NPZ ones) changed by one
 * to eight byte-level operations — bit flips, interesting integers written over zip and NPY
 * header fields, ranges deleted, duplicated or spliced from another file, JSON and Python
 * tokens inserted, truncation — and fed to its reader in memory. Every outcome is one of:
 *   parsed      the reader returned arrays that hold together (shape × data, finite JSON values,
 *               JSON.parse agrees, the same arrays a second time);
 *   InputError  a one-line message that starts with the file's name;
 *   bug         anything else: another exception, a message of several lines or without the
 *               name, arrays that do not hold together, or more than `slowMs` of CPU on one mutant.
 * A bug's mutant is written to `outDir` with a note of what happened and how to replay it.
 * Mutant i of seed s is the same bytes on every machine: `--seed s --replay i` runs it alone.
 *
 * The readers are a table: a new format (safetensors) is one more line in READERS.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../src/errors';
import { encodeJsonArrays, parseJsonArrays } from '../src/io/json';
import { parseNpy } from '../src/io/npy';
import { parseNpz } from '../src/io/npz';
import type { Arrays, Tensor } from '../src/tensor';

/** One array as a reader returned it. */
export interface Parsed {
  name: string;
  tensor: Tensor;
}

export interface Reader {
  name: string;
  /** Files under fixtures/ with these extensions are its seeds. */
  extensions: string[];
  /** Reads a whole file; throws InputError for bad input. */
  read(bytes: Uint8Array, source: string, maxBytes: number): Parsed[];
  /** Checks what was read against an independent reading of the same bytes; throws when they disagree. */
  oracle?(bytes: Uint8Array, parsed: Parsed[]): void;
}

const list = (arrays: Arrays): Parsed[] => Object.keys(arrays).map((name) => ({ name, tensor: arrays[name] }));

export const READERS: Reader[] = [
  { name: 'npy', extensions: ['.npy'], read: (b, s, maxBytes) => [{ name: '', tensor: parseNpy(b, s, { maxBytes }).tensor }] },
  { name: 'npz', extensions: ['.npz'], read: (b, s, maxBytes) => parseNpz(b, s, { maxBytes }).map((e) => ({ name: e.name, tensor: e.tensor })) },
  { name: 'json', extensions: ['.json'], read: (b, s, maxBytes) => list(parseJsonArrays(b, s, { maxBytes })), oracle: jsonOracle },
];

/** What JSON.parse makes of text we accepted: the same names and the same numbers, bit for bit. */
function jsonOracle(bytes: Uint8Array, parsed: Parsed[]): void {
  const theirs = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  if (Object.keys(theirs).length !== parsed.length) throw new Error(`JSON.parse finds ${Object.keys(theirs).length} names, we read ${parsed.length}`);
  for (const { name, tensor } of parsed) {
    const flat = Float64Array.from([theirs[name]].flat(Infinity) as number[]);
    if (digest(flat) !== digest(tensor.data)) throw new Error(`'${name}': JSON.parse reads other numbers`);
  }
}

export interface Seed {
  reader: Reader;
  file: string;
  bytes: Uint8Array;
}

/** The seed corpus: fixtures/ files by extension, and each NPY/NPZ fixture written as JSON. */
export function loadSeeds(root: string, readers: Reader[] = READERS, maxSeedBytes = 64 * 1024): Seed[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (fs.statSync(p).size <= maxSeedBytes) files.push(p);
    }
  };
  walk(path.join(root, 'fixtures'));
  const ext = (f: string): string => path.extname(f).toLowerCase();
  const bytesOf = (f: string): Uint8Array => new Uint8Array(fs.readFileSync(f));
  // JSON as rnn writes it: every NPY/NPZ fixture that JSON can hold
  const asJson: Array<{ file: string; bytes: Uint8Array }> = [];
  for (const file of files) {
    const other = READERS.find((r) => r.name !== 'json' && r.extensions.includes(ext(file)));
    if (!other) continue;
    try {
      const arrays = Object.create(null) as Arrays;
      for (const p of other.read(bytesOf(file), file, 1 << 26)) arrays[p.name || 'a'] = p.tensor;
      asJson.push({ file: `${path.relative(root, file)} as JSON`, bytes: new TextEncoder().encode(encodeJsonArrays(arrays)) });
    } catch {
      // a file JSON cannot hold (NaN, an empty axis, a broken file): no JSON seed from it
    }
  }
  const seeds: Seed[] = [];
  for (const reader of readers) {
    for (const file of files) if (reader.extensions.includes(ext(file))) seeds.push({ reader, file: path.relative(root, file), bytes: bytesOf(file) });
    if (reader.extensions.includes('.json')) for (const j of asJson) seeds.push({ reader, ...j });
  }
  return seeds;
}

/** mulberry32: a small, fast, seedable generator — mutants are the same on every machine. */
export function rng(seed: number): { next(): number; int(n: number): number; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), chance: (p) => next() < p };
}

/** The generator of mutant `i` of run `seed`. */
const mutantRng = (seed: number, i: number): ReturnType<typeof rng> => rng(Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));

const TOKENS = ['[', ']', '{', '}', ',', ':', '"', '\\', '-', '0', '1', '.', 'e', 'E+', ' ', '\n', '\t', 'null', 'true', 'NaN', '-Infinity',
  '1e400', '-1e-400', '[]', '[[', ']]', '"x": ', '"a": [1, 2]', '99999999999999999999', '0.30000000000000004', '1.7976931348623157e308',
  '5e-324', '\\u0000', '\\ud800', '\u00e9', '\ud83d\ude00', '\ufeff', "'descr'", "'<f8'", "'|u1'", "'>i4'", "'fortran_order'", 'True', 'False',
  "'shape'", '(', ')', '(0,)', '()', '(1, 2, 3)', '(4294967296,)', '(2**62,)', '-1', 'L', '\x00', '\xff', '\x93NUMPY', 'PK\x03\x04', 'PK\x01\x02', 'PK\x05\x06'];
const INTS = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
const SIGNATURES = [[0x50, 0x4b, 0x03, 0x04], [0x50, 0x4b, 0x01, 0x02], [0x50, 0x4b, 0x05, 0x06], [0x50, 0x4b, 0x06, 0x06], [0x50, 0x4b, 0x06, 0x07], [0x93, 0x4e, 0x55, 0x4d]];
const utf8 = (s: string): number[] => Array.from(new TextEncoder().encode(s));
const NUMBER_CHARS = utf8('0123456789.eE+-');

/** Positions of zip record signatures and the NPY magic: where the fields worth lying in are. */
function landmarks(b: number[]): number[] {
  const out: number[] = [];
  for (let p = 0; p + 4 <= b.length; p++) {
    if (b[p] !== 0x50 && b[p] !== 0x93) continue;
    for (const s of SIGNATURES) if (b[p] === s[0] && b[p + 1] === s[1] && b[p + 2] === s[2] && b[p + 3] === s[3]) out.push(p);
  }
  return out;
}

/** Mutant `i` of `seed`: which seed file, the operations applied, the bytes. */
export function mutant(seeds: Seed[], seed: number, i: number): { from: Seed; ops: string[]; bytes: Uint8Array } {
  const r = mutantRng(seed, i);
  const from = seeds[r.int(seeds.length)];
  let b = Array.from(from.bytes);
  const ops: string[] = [];
  const n = r.chance(0.5) ? 1 : 1 + r.int(r.chance(0.4) ? 8 : 3);
  const at = (): number => r.int(b.length + 1);
  for (let k = 0; k < n; k++) {
    const op = r.int(11);
    if (op === 0 && b.length > 0) { const p = r.int(b.length); b[p] ^= 1 << r.int(8); ops.push(`flip ${p}`); }
    else if (op === 1 && b.length > 0) { const p = r.int(b.length); b[p] = r.chance(0.5) ? INTS[r.int(6)] & 0xff : r.int(256); ops.push(`byte ${p}`); }
    else if (op === 2 && b.length > 0) {
      // an integer written over a field, often one of a zip record or the NPY preamble
      const marks = landmarks(b);
      const p = marks.length > 0 && r.chance(0.7) ? Math.min(b.length - 1, marks[r.int(marks.length)] + 4 + 2 * r.int(22)) : r.int(b.length);
      const width = [2, 4, 8][r.int(3)];
      let v = BigInt(r.chance(0.8) ? INTS[r.int(INTS.length)] : r.int(2 ** 31));
      if (r.chance(0.2)) v = BigInt(b.length + r.int(3) - 1);
      if (width === 8 && r.chance(0.3)) v = [2n ** 53n, 2n ** 63n, 2n ** 64n - 1n][r.int(3)];
      for (let j = 0; j < width && p + j < b.length; j++) b[p + j] = Number((v >> BigInt(8 * j)) & 0xffn);
      ops.push(`int${8 * width} ${p}=${v}`);
    } else if (op === 3 && b.length > 0) { const p = r.int(b.length); const len = 1 + r.int(Math.min(64, b.length - p)); b.splice(p, len); ops.push(`delete ${p}+${len}`); }
    else if (op === 4 && b.length > 0) {
      const s = r.int(b.length), len = 1 + r.int(Math.min(256, b.length - s)), p = at();
      b.splice(p, 0, ...b.slice(s, s + len));
      ops.push(`copy ${s}+${len} to ${p}`);
    } else if (op === 5) { const p = at(); const len = 1 + r.int(8); b.splice(p, 0, ...Array.from({ length: len }, () => r.int(256))); ops.push(`insert ${len} at ${p}`); }
    else if (op === 6 || op === 7) {
      const p = at(), t = utf8(TOKENS[r.int(TOKENS.length)]);
      b.splice(p, op === 7 ? Math.min(t.length, b.length - p) : 0, ...t);
      ops.push(`${op === 7 ? 'over' : 'token'} ${p}`);
    } else if (op === 8 && b.length > 0) { const p = r.int(b.length); b = b.slice(0, p); ops.push(`truncate ${p}`); }
    else if (op === 9) {
      const same = seeds.filter((s) => s.reader === from.reader);
      const other = same[r.int(same.length)].bytes;
      const p = at(), q = r.int(other.length + 1);
      b = b.slice(0, p).concat(Array.from(other.subarray(q)));
      ops.push(`splice ${p} ${q}`);
    } else if (op === 10) {
      // a number (JSON value, NPY shape or version digit) replaced by another
      let p = at();
      while (p < b.length && !(b[p] >= 0x30 && b[p] <= 0x39)) p++;
      if (p >= b.length) continue;
      let s = p, e = p;
      while (s > 0 && NUMBER_CHARS.includes(b[s - 1])) s--;
      while (e < b.length && NUMBER_CHARS.includes(b[e])) e++;
      const digits = (k: number): string => Array.from({ length: k }, () => String(r.int(10))).join('');
      const forms = [() => String(r.int(10)), () => digits(1 + r.int(20)), () => `${r.int(10)}.${digits(1 + r.int(20))}`,
        () => `${1 + r.int(9)}e${r.chance(0.5) ? '-' : ''}${r.int(400)}`, () => `-${digits(1 + r.int(3))}.${digits(1 + r.int(17))}e${r.int(40) - 20}`, () => '0'];
      const t = forms[r.int(forms.length)]();
      b.splice(s, e - s, ...utf8(t));
      ops.push(`number ${s}+${e - s}=${t}`);
    }
  }
  return { from, ops, bytes: Uint8Array.from(b) };
}

export type Outcome = 'parsed' | 'InputError' | 'bug';

export interface Bug {
  reader: string;
  index: number;
  what: string;
  file?: string;
}

export interface Tally {
  mutants: number;
  parsed: number;
  InputError: number;
  bug: number;
  /** Distinct error messages, numbers taken out: how many of the reader's checks the run reached. */
  messages: Set<string>;
  slowestMs: number;
  /** The mutant that took slowestMs. */
  slowest: number;
}

export interface RunOptions {
  seed: number;
  count: number;
  root: string;
  /** Where bugs' mutants are written (none when undefined). */
  outDir?: string;
  readers?: Reader[];
  /** Budget given to each reader: mutants can declare sizes up to it. */
  maxBytes?: number;
  /** A mutant that takes more CPU time is a bug (a hang, or work out of proportion to its size). */
  slowMs?: number;
  /** Called every 1000 mutants. */
  progress?(done: number): void;
}

/** The readers' budget in a run: 16 MiB of float64, far above any mutant's real content. */
export const MAX_BYTES = 1 << 24;

export interface RunResult {
  seed: number;
  count: number;
  seconds: number;
  tally: Map<string, Tally>;
  bugs: Bug[];
}

/** Runs one mutant through its reader and says what came of it. */
export function classify(reader: Reader, bytes: Uint8Array, opts: { maxBytes: number; slowMs: number }): { outcome: Outcome; what: string; ms: number } {
  const source = `mutant.${reader.extensions[0].slice(1)}`;
  const t0 = process.cpuUsage(); // CPU time, not wall time: other processes do not make a mutant slow
  let outcome: Outcome, what: string;
  try {
    const parsed = reader.read(bytes, source, opts.maxBytes);
    holdsTogether(parsed);
    reader.oracle?.(bytes, parsed);
    const again = reader.read(bytes, source, opts.maxBytes);
    if (summary(again) !== summary(parsed)) throw new Error('a second reading of the same bytes gave other arrays');
    outcome = 'parsed';
    what = `${parsed.length} arrays`;
  } catch (e) {
    if (e instanceof InputError && !e.message.includes('\n') && e.message.startsWith(`${source}: `)) {
      outcome = 'InputError';
      what = e.message.slice(source.length + 2);
    } else {
      outcome = 'bug';
      what = e instanceof Error ? (e.stack ?? e.message) : `threw ${String(e)}`;
      if (e instanceof InputError) what = `InputError not one line naming ${source}: ${JSON.stringify(e.message)}`;
    }
  }
  const cpu = process.cpuUsage(t0);
  const ms = (cpu.user + cpu.system) / 1e3;
  if (ms > opts.slowMs && outcome !== 'bug') return { outcome: 'bug', what: `took ${ms.toFixed(0)} ms of CPU (${outcome}: ${what})`, ms };
  return { outcome, what, ms };
}

/** The run: `count` mutants, shared round-robin among the readers. */
export function run(opts: RunOptions): RunResult {
  const readers = opts.readers ?? READERS;
  const seeds = loadSeeds(opts.root, readers);
  const limits = { maxBytes: opts.maxBytes ?? MAX_BYTES, slowMs: opts.slowMs ?? 5000 };
  const tally = new Map<string, Tally>(readers.map((r) => [r.name, { mutants: 0, parsed: 0, InputError: 0, bug: 0, messages: new Set<string>(), slowestMs: 0, slowest: -1 }]));
  const bySeedReader = readers.map((r) => seeds.filter((s) => s.reader === r));
  for (const [k, r] of readers.entries()) if (bySeedReader[k].length === 0) throw new Error(`no seed files for the ${r.name} reader under fixtures/`);
  const bugs: Bug[] = [];
  const t0 = performance.now();
  for (let i = 0; i < opts.count; i++) {
    const k = i % readers.length;
    const reader = readers[k];
    const m = mutant(bySeedReader[k], opts.seed, i);
    const c = classify(reader, m.bytes, limits);
    const t = tally.get(reader.name)!;
    t.mutants++;
    t[c.outcome]++;
    if (c.ms > t.slowestMs) { t.slowestMs = c.ms; t.slowest = i; }
    if (c.outcome === 'InputError') t.messages.add(c.what.replace(/\d+/g, '#').replace(/'[^']*'|"[^"]*"/g, '…').slice(0, 120));
    if (c.outcome === 'bug') {
      const bug: Bug = { reader: reader.name, index: i, what: c.what };
      if (opts.outDir && t.bug <= 20) bug.file = writeBug(opts.outDir, opts.seed, i, reader, m, c.what);
      bugs.push(bug);
    }
    if ((i + 1) % 1000 === 0) opts.progress?.(i + 1);
  }
  return { seed: opts.seed, count: opts.count, seconds: (performance.now() - t0) / 1e3, tally, bugs };
}

function writeBug(outDir: string, seed: number, i: number, reader: Reader, m: ReturnType<typeof mutant>, what: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${reader.name}-seed${seed}-${i}${reader.extensions[0]}`);
  fs.writeFileSync(file, m.bytes);
  fs.writeFileSync(`${file}.txt`, [
    `reader: ${reader.name}; mutant ${i} of seed ${seed}, from ${m.from.file}`,
    `operations: ${m.ops.join('; ')}`,
    `replay: npm run fuzz -- --seed ${seed} --replay ${i}`,
    `or: npx rnn inspect ${file}`,
    '',
    what,
    '',
  ].join('\n'));
  return file;
}

/** The arrays are what they say: integer non-negative dims whose product is the data's length. */
function holdsTogether(parsed: Parsed[]): void {
  for (const { name, tensor } of parsed) {
    if (!(tensor.data instanceof Float64Array)) throw new Error(`'${name}': data is not a Float64Array`);
    let count = 1;
    for (const d of tensor.shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new Error(`'${name}': dimension ${d}`);
      count *= d;
    }
    if (count !== tensor.data.length) throw new Error(`'${name}': shape (${tensor.shape.join(', ')}) holds ${count} numbers, data has ${tensor.data.length}`);
  }
}

const digest = (d: Float64Array): string => {
  // FNV-1a over the bytes: enough to tell two readings apart
  const u = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  let h = 0x811c9dc5;
  for (let k = 0; k < u.length; k++) h = Math.imul(h ^ u[k], 0x01000193);
  return `${d.length}:${(h >>> 0).toString(16)}`;
};
const summary = (parsed: Parsed[]): string => parsed.map((p) => `${p.name}(${p.tensor.shape.join(',')})${digest(p.tensor.data)}`).join(' ');
