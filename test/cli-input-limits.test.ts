/**
 * Through the real bin/rnn: an .npz whose end-of-central-directory record disagrees with its
 * central directory is exit 2 naming the file (never read short: numpy reads every member),
 * and an NPY or NPZ refused for --max-input is refused from its header — measured as the
 * child's peak memory and the bytes it read (bench/README.md, "Refused inputs").
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeNpz, parseNpz } from '../src/io/npz';
import { buildBundle, expectBadInput, ROOT, RNN, type Run } from './cli-helpers';
import { crcOfZeros, deflatedZeros, npyHeader, writeSparse, zipOf, zipRecords } from './big-inputs';

const CORPUS = path.join(ROOT, 'fixtures', 'malformed');
const MIB = 1 << 20;
/** The target for a refused NPY/NPZ, whatever its size (Node itself is ~45–55 MB). */
const REFUSED_PEAK_KB = 100 * 1024;

interface Usage { maxRSS: number; rchar: number }

let work: string;

/** Runs bin/rnn; with `measure`, also the child's peak RSS (KiB) and bytes read (Linux; else -1), from a preloaded exit hook. */
function rnn(args: string[], measure = false): Run & { usage?: Usage } {
  const out = path.join(work, 'usage.json');
  fs.rmSync(out, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined, FORCE_COLOR: undefined };
  if (measure) {
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(work, 'usage.js')}`;
    env.RNN_TEST_USAGE = out;
  }
  const r = spawnSync(process.execPath, [RNN, ...args], { cwd: work, env, encoding: 'utf8' });
  const run: Run & { usage?: Usage } = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (measure) run.usage = JSON.parse(fs.readFileSync(out, 'utf8')) as Usage;
  return run;
}

const USAGE_HOOK = `
const fs = require('fs');
process.on('exit', () => {
  let rchar = -1;
  try { rchar = Number(/rchar: (\\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))[1]); } catch {}
  // VmHWM, the peak of this process's own memory: getrusage's maxRSS keeps, across exec, the
  // RSS of the forked copy of the parent (a mocha process of 140 MB after other test files).
  let maxRSS = process.resourceUsage().maxRSS;
  try { maxRSS = Number(/VmHWM:\\s*(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); } catch {}
  fs.writeFileSync(process.env.RNN_TEST_USAGE, JSON.stringify({ maxRSS, rchar }));
});
`;

describe('NPZ directories and input limits (bin/rnn)', function () {
  const cases: Record<string, { expect: string }> = JSON.parse(fs.readFileSync(path.join(CORPUS, 'cases.json'), 'utf8'));

  before(() => {
    buildBundle();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-input-limits-'));
    fs.writeFileSync(path.join(work, 'usage.js'), USAGE_HOOK);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  describe('an end record that disagrees with the central directory', () => {
    it('a count one short: forward refuses the fixture instead of running with a0 = zeros', () => {
      const file = path.join(CORPUS, 'files', 'npz-count-drops-a0.npz');
      fs.copyFileSync(file, path.join(work, 'net.npz'));
      expectBadInput(rnn(['forward', '--cell', 'rnn', 'net.npz']),
        /^rnn: net\.npz: the end-of-central-directory record has an entry count of 6 but the central directory holds 7 entries \(corrupt zip; reading it would lose arrays\)$/);
      // The same bytes with the true count (7) run, and differ from a0 = zeros: the refusal is the count's alone.
      const bytes = fs.readFileSync(file);
      const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
      bytes.writeUInt16LE(7, eocd + 8);
      bytes.writeUInt16LE(7, eocd + 10);
      fs.writeFileSync(path.join(work, 'fixed.npz'), bytes);
      const ok = rnn(['forward', '--cell', 'rnn', 'fixed.npz', '--json']);
      assert.equal(ok.code, 0, ok.stderr);
      // what reading it short gave: the same arrays without a0, which then defaults to zeros
      const arrays = Object.fromEntries(parseNpz(bytes, 'fixed.npz').filter((e) => e.name !== 'a0').map((e) => [e.name, e.tensor]));
      fs.writeFileSync(path.join(work, 'short.npz'), encodeNpz(arrays));
      const short = rnn(['forward', '--cell', 'rnn', 'short.npz', '--json']);
      assert.equal(short.code, 0, short.stderr);
      assert.notDeepEqual(JSON.parse(short.stdout).a, JSON.parse(ok.stdout).a);
    });

    for (const name of ['npz-count-zero.npz', 'npz-zip64-count-short.npz', 'npz-entry-dropped.npz', 'npz-directory-emptied.npz']) {
      it(`${name}: exit 2 naming the file`, () => {
        const r = rnn(['inspect', path.join(CORPUS, 'files', name)]);
        const line = expectBadInput(r, new RegExp(cases[name].expect.replace(/^\^/, '')));
        assert.ok(line.startsWith(`rnn: ${path.join(CORPUS, 'files', name)}: `), line);
      });
    }
  });

  // (every case of the corpus is refused in-process by test/io-malformed.test.ts; here one of each kind, through bin/rnn)
  it('a broken .safetensors (its length, its JSON, a dtype, its offsets, the input limit) and a pickle: exit 2, one line naming the file', () => {
    const names = ['st-header-huge.safetensors', 'st-duplicate.safetensors', 'st-complex.safetensors', 'st-gap.safetensors', 'st-over-limit.safetensors', 'model.pt', 'torch-zip.npz'];
    for (const name of names) {
      assert.ok(cases[name], name);
      const file = path.join(CORPUS, 'files', name);
      const line = expectBadInput(rnn(['forward', '--layout', 'torch', file]), new RegExp(cases[name].expect.replace(/^\^/, '')));
      assert.ok(line.startsWith(`rnn: ${file}: `), line);
    }
  });

  describe('a refused NPY or NPZ costs at most 100 MB and is not read (--max-input, default 1024 MiB)', () => {
    const N = 400 * MIB; // uint8: 400 MiB, 3.125 GiB as float64
    const header = npyHeader('|u1', N);
    const TOO_BIG = /: shape \(419430400,\) is 3355443200 bytes \(3\.12 GiB\) as float64, over the limit of 1073741824 bytes \(1 GiB\) \(raise it with --max-input, or maxBytes in the library\)$/;
    let crcMemo: number | undefined;
    const crc = (): number => (crcMemo ??= crcOfZeros(header, 400));

    /** Exit 2 with `pattern`, under the peak; and where Linux tells, under 16 MB read in all (a 400 MiB file). */
    function refusedCheaply(args: string[], pattern: RegExp): void {
      const r = rnn(args, true);
      expectBadInput(r, pattern);
      const u = r.usage!;
      assert.ok(u.maxRSS > 10 * 1024 && u.maxRSS < REFUSED_PEAK_KB, `peak RSS ${u.maxRSS} KiB`);
      if (u.rchar >= 0) assert.ok(u.rchar < 16 * MIB, `read ${u.rchar} bytes`);
    }

    it('an NPY of uint8 declaring 3.1 GiB as float64: its header decides', () => {
      writeSparse(path.join(work, 'u1.npy'), header, N);
      refusedCheaply(['inspect', 'u1.npy'], new RegExp(`^rnn: u1\\.npy${TOO_BIG.source}`));
    });

    it('a stored NPZ with a 400 MiB uint8 member: decided from its first bytes', () => {
      const { local, end } = zipRecords({ name: 'u.npy', method: 0, crc: crc(), csize: header.length + N, usize: header.length + N });
      writeSparse(path.join(work, 'stored.npz'), Buffer.concat([local, header]), N, end);
      refusedCheaply(['forward', '--cell', 'rnn', 'stored.npz'], new RegExp(`^rnn: stored\\.npz: member u\\.npy${TOO_BIG.source}`));
    });

    it('a deflated NPZ with an honest 400 MiB uint8 member, and one declaring 1 GiB - 1: not inflated', () => {
      const packed = deflatedZeros(header, 400);
      const honest = { name: 'u.npy', method: 8 as const, crc: crc(), csize: packed.length, usize: header.length + N };
      fs.writeFileSync(path.join(work, 'deflated.npz'), zipOf(honest, packed));
      refusedCheaply(['inspect', 'deflated.npz'], new RegExp(`^rnn: deflated\\.npz: member u\\.npy${TOO_BIG.source}`));
      fs.writeFileSync(path.join(work, 'declares.npz'), zipOf({ ...honest, usize: 2 ** 30 - 1 }, packed));
      refusedCheaply(['inspect', 'declares.npz'],
        /^rnn: declares\.npz: member u\.npy: zip entry declares 1073741695 bytes of data but shape \(419430400,\) of \|u1 needs 419430400$/);
    });
  });
});
