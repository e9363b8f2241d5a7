/**
 * The real `bin/rnn gradcheck` as it goes: each loss's table on stdout as soon as it is
 * finished, a line per finished array on stderr (not a terminal) once a check has run 5 s, and
 * SIGINT / SIGTERM in the middle of a check keep what was finished and exit 130 / 143 — on one
 * thread (the check pauses for the event loop) and on worker threads. `--json` stays one
 * document, and nothing at all when interrupted.
 */
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CELLS, gradientNames } from '../src/model/cells';
import { buildBundle, RNN } from './cli-helpers';
import { OTHER_NODE_RUN } from './package-helpers';

let work: string;

interface Streamed {
  code: number | null;
  /** The signal that ended the process, if it did not exit by itself. */
  killedBy: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Seconds from the signal to the exit (undefined: no signal was sent). */
  exitAfterSignal?: number;
  /** What stdout held when the signal was sent. */
  stdoutAtSignal?: string;
}

/**
 * Spawns rnn and reads its output as it streams; sends `signal` once `when(stdout, stderr)`
 * holds (checked on every chunk, and every 50 ms for timed conditions).
 */
/**
 * Whether process `pid` has a handler for SIGINT installed (Linux: SigCgt in /proc/PID/status;
 * elsewhere assumed): a signal sent before that kills a process that is still starting.
 */
function catchesSigint(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return !m || (BigInt(`0x${m[1]}`) & 2n) !== 0n; // bit 1: signal 2
  } catch {
    return process.platform !== 'linux';
  }
}

function streamRnn(args: string[], signal: NodeJS.Signals, when: (stdout: string, stderr: string, pid: number | undefined) => boolean): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RNN, ...args], { cwd: work, env: { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined } });
    let stdout = '', stderr = '', sentAt: number | undefined, stdoutAtSignal: string | undefined;
    const check = (): void => {
      if (sentAt !== undefined || !when(stdout, stderr, child.pid)) return;
      sentAt = performance.now();
      stdoutAtSignal = stdout;
      child.kill(signal);
    };
    const timer = setInterval(check, 50);
    child.stdout.setEncoding('utf8').on('data', (s: string) => ((stdout += s), check()));
    child.stderr.setEncoding('utf8').on('data', (s: string) => ((stderr += s), check()));
    child.on('error', reject);
    child.on('close', (code, killedBy) => {
      clearInterval(timer);
      const exitAfterSignal = sentAt === undefined ? undefined : (performance.now() - sentAt) / 1000;
      resolve({ code, killedBy, stdout, stderr, exitAfterSignal, stdoutAtSignal });
    });
  });
}

const SUM = gradientNames(CELLS.lstm, 'sum');
const XENT = gradientNames(CELLS.lstm, 'xent');
/** stdout holds the first loss's whole block (its last line counts the evaluations). */
const firstLossDone = (stdout: string): boolean => /\n\d+ loss evaluations in [\d.]+ s\n/.test(stdout);

/** The checks of an interrupted two-loss run: the first loss whole, the second marked, never a PASS. */
function assertKeptFirstLoss(r: Streamed, signal: 'SIGINT' | 'SIGTERM', code: number): void {
  assert.equal(r.exitAfterSignal !== undefined, true, `the check ended before the signal was sent:\n${r.stdout}`);
  assert.equal(r.killedBy, null, `killed by ${r.killedBy}: the signal was not handled`);
  assert.equal(r.code, code, r.stderr);
  // What was on stdout when the signal went is all still there, first.
  assert.ok(r.stdout.startsWith(r.stdoutAtSignal!));
  const [first, rest] = r.stdout.split(/(?<=\n\d+ loss evaluations in [\d.]+ s\n)/);
  assert.match(first, /^rnn gradcheck — cell lstm: net\.npz\ndims: n_x=8 n_a=24 n_y=8 m=8 T_x=16\nloss sum: .*\n┌/);
  for (const name of SUM) assert.match(first, new RegExp(`\\n│ ${name} +│ \\([\\d, ]+\\) +│ \\d+\\*? +│ [^\\n]*│ PASS +│\\n`), name);
  assert.match(rest, /^loss xent: /);
  const m = /\ninterrupted: (\d+) of 13 arrays checked(; not checked: ([\w, ]+))?\n/.exec(rest);
  assert.ok(m, rest);
  const k = Number(m[1]);
  assert.ok(k < XENT.length);
  assert.equal(m[3], XENT.slice(k).join(', '));
  assert.equal(rest.match(/\n│ d\w+ +│/g)?.length ?? 0, k, 'one row per finished array');
  assert.match(rest, new RegExp(`\\nINTERRUPTED by ${signal} after [\\d.hms]+: no FAIL among the ${SUM.length + k} arrays checked, but the check is incomplete — not a PASS\\n$`));
  assert.doesNotMatch(r.stdout, /PASS: every gradient/);
  assert.match(r.stderr, new RegExp(`rnn: gradcheck interrupted by ${signal}: sum finished \\(PASS\\); xent: ${k} of 13 arrays checked; no FAIL so far, but not a PASS\\n$`));
  assert.doesNotMatch(r.stderr, /\bat .*\.(js|ts):\d+/);
  // Honoured within a fraction of a second (generous: the machine may be busy), not at the end of the loss.
  assert.ok(r.exitAfterSignal! < 1.5, `exited ${r.exitAfterSignal!.toFixed(2)} s after the signal`);
}

describe('rnn gradcheck as it goes', function () {
  before(() => {
    buildBundle();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-cli-stream-'));
    // Each loss of a full check of this net takes 1–3 s: long enough to be interrupted in the
    // middle of the second one, and it runs on worker threads with --threads 2 (over 3e8 multiply-adds).
    const init = (file: string, nA: number, tX: number): void => {
      const r = spawnSync(process.execPath, [RNN, 'init', '--cell', 'lstm', '--n-x', '8', '--n-a', String(nA), '--n-y', '8', '--m', '8', '--t-x', String(tX), '--seed', '3', '--out', file], { cwd: work, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    init('net.npz', 24, 16);
    // A longer one (~15 s per loss here), always stopped early, for what happens past 5 s.
    init('long.npz', 48, 24);
  });

  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const TWO_LOSSES = ['gradcheck', '--cell', 'lstm', 'net.npz', '--mode', 'full'];

  it('SIGINT after the first table, on one thread: the table stays on stdout, the second loss is marked interrupted, exit 130', async () => {
    const r = await streamRnn([...TWO_LOSSES, '--threads', '1'], 'SIGINT', firstLossDone);
    assertKeptFirstLoss(r, 'SIGINT', 130);
  });

  it('SIGINT after the first table, on 2 worker threads: the same, exit 130', async () => {
    const r = await streamRnn([...TWO_LOSSES, '--threads', '2'], 'SIGINT', firstLossDone);
    assertKeptFirstLoss(r, 'SIGINT', 130);
  });

  it('SIGTERM (a CI timeout) after the first table: the same, exit 143', async () => {
    const r = await streamRnn([...TWO_LOSSES, '--threads', '1'], 'SIGTERM', firstLossDone);
    assertKeptFirstLoss(r, 'SIGTERM', 143);
  });

  // Not under Node 22 and 24 (test/node-versions.test.ts): when lines start is rnn's own clock
  // (src/cli/live.ts), and the writes it makes are the ones the other tests here check on every
  // node; the check it needs runs 5 s of CPU on each.
  (OTHER_NODE_RUN ? it.skip : it)('non-TTY stderr gets one line per finished array once the check has run 5 s, in table order', async () => {
    const t0 = performance.now();
    let firstLineAt: number | undefined;
    const lines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('rnn: gradcheck lstm '));
    // Stopped once three lines have come: whichever loss is under way at 5 s, its finished arrays come first, at once.
    const r = await streamRnn(['gradcheck', '--cell', 'lstm', 'long.npz', '--mode', 'full', '--threads', '1'], 'SIGINT', (_out, err) => {
      if (firstLineAt === undefined && lines(err).length) firstLineAt = (performance.now() - t0) / 1000;
      return lines(err).length >= 3;
    });
    assert.equal(r.code, 130, r.stderr);
    assert.ok(firstLineAt! >= 5, `first line after ${firstLineAt} s`);
    const got = lines(r.stderr);
    assert.ok(got.length >= 3);
    for (const l of got) assert.match(l, /^rnn: gradcheck lstm (sum|xent) \d+\/1[13]: d\w+ \([\d, ]+\) PASS \(entries \d+, rel\. error [\d.]+e-\d+, max abs err [\d.e-]+, worst \[[\d, ]+\]: numeric -?[\d.e-]+, analytic -?[\d.e-]+\)$/);
    // per loss: 1/N, 2/N, … in the order of its table
    for (const [loss, names] of [['sum', SUM], ['xent', XENT]] as const) {
      const mine = got.map((l) => new RegExp(`^rnn: gradcheck lstm ${loss} (\\d+)/${names.length}: (\\w+) `).exec(l)).filter((m) => m !== null);
      assert.deepEqual(mine.map((m) => `${m[1]} ${m[2]}`), names.slice(0, mine.length).map((n, i) => `${i + 1} ${n}`));
    }
    // and the table on stdout has the same rows
    for (const l of got) {
      const [, name, shape, rel] = /: (\w+) (\([\d, ]+\)) PASS \(entries \d+, rel\. error ([^,]+),/.exec(l)!;
      assert.match(r.stdout, new RegExp(`\\n│ ${name} +│ ${shape.replace(/[()]/g, '\\$&')} +│ \\d+ +│ ${rel} +│`));
    }
  });

  it('a short check writes nothing to stderr, and its text is unchanged: header, each loss, the verdict', () => {
    const r = spawnSync(process.execPath, [RNN, 'gradcheck', '--cell', 'gru'], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^rnn gradcheck — cell gru: built-in gru net[^\n]*\ndims: [^\n]*\nloss sum: [^\n]*\n┌[\s\S]*\n\d+ loss evaluations in [\d.]+ s\nloss xent: [^\n]*\n┌[\s\S]*\n\d+ loss evaluations in [\d.]+ s\nPASS: every gradient checked agrees with finite differences\n$/);
  });

  it('--json: one document at the end; interrupted, nothing on stdout (never a partial result) and exit 130', async () => {
    const whole = spawnSync(process.execPath, [RNN, 'gradcheck', '--cell', 'rnn', '--json'], { cwd: work, encoding: 'utf8' });
    assert.equal(whole.status, 0, whole.stderr);
    assert.equal(whole.stderr, '');
    assert.deepEqual(JSON.parse(whole.stdout).checks.map((c: { loss: string }) => c.loss), ['sum', 'xent']);

    const t0 = performance.now();
    const r = await streamRnn(['gradcheck', '--cell', 'lstm', 'long.npz', '--mode', 'full', '--threads', '1', '--json'], 'SIGINT', (_out, _err, pid) => performance.now() - t0 > 1500 && catchesSigint(pid));
    assert.equal(r.code, 130, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^rnn: gradcheck interrupted by SIGINT: sum: \d+ of 11 arrays checked; not started: xent; no FAIL so far, but not a PASS\n$/);
  });
});
