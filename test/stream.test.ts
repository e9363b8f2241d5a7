/**
 * gradcheck as it goes, in-process: the steps' drivers pause for the event loop and stop at an
 * aborted signal, runGradcheck reports each array and loss as it is final and keeps what it
 * finished when interrupted, the streamed text is the complete text, and the progress line's
 * durations and ETA. (The real process under SIGINT / SIGTERM: test/cli-stream.test.ts.)
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { IO } from '../src/cli/main';
import { CELLS, gradientNames } from '../src/model/cells';
import { exitCodeFor } from '../src/cli/main';
import { DEFAULT_NET, GradcheckInterrupted, runGradcheck, type GradcheckCommandOptions, type GradcheckCommandResult } from '../src/cli/commands/gradcheck';
import { initFixture } from '../src/cli/commands/init';
import { float64Backend } from '../src/backends/float64';
import { EXIT_SIGINT, EXIT_SIGTERM, Interrupted } from '../src/errors';
import { drain, drive, SLICE_MS } from '../src/gradcheck/steps';
import { gradcheckReport, rowsOf, terminalLive, type LiveRegion } from '../src/cli/live';
import { etaSeconds, formatDuration, progressLine } from '../src/cli/render/progress';
import { encodeJsonArrays } from '../src/io/json';
import { gradcheckInterrupted, gradcheckSummary, renderGradcheck } from '../src/cli/render/gradcheck';
import type { Style } from '../src/cli/render/text';
import { checkInputs } from '../src/validate';

const STYLE: Style = { color: false, precision: 8 };
const RNN_CHECK: GradcheckCommandOptions = { cell: 'rnn', sources: [], loss: 'all', mode: 'full', seed: 0, threads: 1 };
const RNN_SUM = gradientNames(CELLS.rnn, 'sum');
const RNN_XENT = gradientNames(CELLS.rnn, 'xent');

/** Steps that busy-wait `ms` each. */
function* busy(n: number, ms: number): Generator<void, number, void> {
  for (let i = 0; i < n; i++) {
    const end = performance.now() + ms;
    while (performance.now() < end);
    yield;
  }
  return n;
}

function fakeIO(live?: LiveRegion): IO & { out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  return { out, err, stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), stdoutIsTTY: false, env: {}, live };
}

describe('gradcheck as it goes', () => {
  describe('the drivers of a check\'s steps', () => {
    it('drain runs every step without handing the event loop back; drive pauses every SLICE_MS', async () => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        assert.equal(drain(busy(20, 5)), 20);
        assert.equal(ticks, 0, 'drain must not pause');
        assert.equal(await drive(busy(40, 5)), 40);
        // 200 ms of steps: the 1 ms timer ran at least at every pause (≥ 200 / SLICE_MS − 1 of them)
        assert.ok(ticks >= 3, `timer ran ${ticks} times during drive (pauses every ${SLICE_MS} ms)`);
      } finally {
        clearInterval(timer);
      }
    });

    it('drive stops within a slice of an abort that arrives from outside, with the signal\'s name', async () => {
      const ac = new AbortController();
      const t0 = performance.now();
      setTimeout(() => ac.abort('SIGTERM'), 30);
      await assert.rejects(drive(busy(1000, 2), ac.signal), (e: unknown) => e instanceof Interrupted && e.signal === 'SIGTERM');
      const waited = performance.now() - t0;
      assert.ok(waited < 30 + 3 * SLICE_MS + 50, `stopped after ${waited.toFixed(0)} ms`);
      // an already aborted signal: not one step runs
      let ran = 0;
      const steps = (function* (): Generator<void, void, void> {
        ran++;
        yield;
      })();
      await assert.rejects(drive(steps, ac.signal), Interrupted);
      assert.equal(ran, 0);
    });
  });

  describe('runGradcheck', () => {
    it('reports the header first, then every array and every loss as soon as it is final, in table order', async () => {
      const seen: string[] = [];
      const r = await runGradcheck({
        ...RNN_CHECK,
        events: {
          onStart: (h) => seen.push(`start ${h.losses.map((l) => `${l.loss}:${l.names.join(',')}`).join(' ')}`),
          onArray: (loss, a, i) => seen.push(`${loss} ${i} ${a.name}`),
          onLoss: (ch) => seen.push(`done ${ch.loss} ${ch.arrays.length}`),
        },
      });
      assert.equal(r.pass, true);
      const xent = RNN_XENT;
      assert.deepEqual(seen, [
        `start sum:${RNN_SUM.join(',')} xent:${xent.join(',')}`,
        ...RNN_SUM.map((n, i) => `sum ${i} ${n}`), `done sum ${RNN_SUM.length}`,
        ...xent.map((n, i) => `xent ${i} ${n}`), `done xent ${xent.length}`,
      ]);
    });

    it('an abort before any check began is a plain Interrupted: nothing was finished, nothing is reported', async () => {
      const ac = new AbortController();
      ac.abort('SIGINT');
      let started = false;
      const e = await runGradcheck({ ...RNN_CHECK, signal: ac.signal, events: { onStart: () => (started = true) } }).catch((err: unknown) => err);
      assert.ok(e instanceof Interrupted && !(e instanceof GradcheckInterrupted), String(e));
      assert.equal(e.message, 'gradcheck interrupted by SIGINT before any check began');
      assert.equal(exitCodeFor(e), EXIT_SIGINT);
      assert.equal(started, false);
    });

    it('an abort after the first loss keeps that loss and names the one that had not finished', async () => {
      const ac = new AbortController();
      const e = await runGradcheck({ ...RNN_CHECK, signal: ac.signal, events: { onLoss: () => ac.abort('SIGINT') } }).then(
        () => assert.fail('not interrupted'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof GradcheckInterrupted);
      assert.equal(exitCodeFor(e), EXIT_SIGINT);
      const p = e.partial;
      assert.deepEqual(p.checks.map((ch) => [ch.loss, ch.arrays.length, ch.pass]), [['sum', 5, true]]);
      assert.equal(p.running?.plan.loss, 'xent');
      assert.equal(p.running?.arrays.length, 0);
      assert.equal(e.message, 'gradcheck interrupted by SIGINT: sum finished (PASS); xent: 0 of 7 arrays checked; no FAIL so far, but not a PASS');
    });

    it('an abort in the middle of a loss keeps its finished arrays, and the text says it is not a PASS', async () => {
      const ac = new AbortController();
      const e = await runGradcheck({ ...RNN_CHECK, signal: ac.signal, events: { onArray: (_l, _a, i) => i === 2 && ac.abort('SIGTERM') } }).then(
        () => assert.fail('not interrupted'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof GradcheckInterrupted);
      assert.equal(exitCodeFor(e), EXIT_SIGTERM);
      const p = e.partial;
      assert.equal(p.checks.length, 0);
      assert.deepEqual(p.running?.arrays.map((a) => a.name), RNN_SUM.slice(0, 3));
      const text = gradcheckInterrupted(STYLE, p);
      assert.match(text, /^loss sum: .*\n┌/);
      assert.match(text, new RegExp(`│ ${RNN_SUM[2]} +│ \\(\\d, \\d\\) +│ \\d+ +│`));
      assert.match(text, new RegExp(`\\ninterrupted: 3 of 5 arrays checked; not checked: ${RNN_SUM.slice(3).join(', ')}\\nnot run: loss xent\\n`));
      assert.match(text, /\nINTERRUPTED by SIGTERM after \d+(\.\d)?s: no FAIL among the 3 arrays checked, but the check is incomplete — not a PASS\n$/);
      assert.doesNotMatch(text, /PASS:/);
    });

    it('an interrupted run with a FAIL among its finished arrays says FAIL', async () => {
      // your gradients: dx wrong, da0 right; interrupted after dx
      const { inputs } = checkInputs('rnn', initFixture({ cell: 'rnn', dims: DEFAULT_NET.dims, seed: DEFAULT_NET.seed, scale: 1 }));
      const ours = float64Backend.backward('rnn', inputs, { kind: 'sum', da: inputs.da });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-stream-'));
      const file = path.join(dir, 'grads.json');
      try {
        fs.writeFileSync(file, encodeJsonArrays({ dx: { shape: ours.dx.shape, data: ours.dx.data.map((v) => v + 1e-3) }, da0: ours.da0 }));
        const ac = new AbortController();
        const e = await runGradcheck({ ...RNN_CHECK, loss: 'sum', grads: [file], signal: ac.signal, events: { onArray: () => ac.abort('SIGINT') } }).catch((err: unknown) => err);
        assert.ok(e instanceof GradcheckInterrupted);
        assert.deepEqual(e.partial.running?.arrays.map((a) => [a.name, a.pass]), [['dx', false]]);
        assert.match(gradcheckInterrupted(STYLE, e.partial), /\ninterrupted: 1 of 2 arrays checked; not checked: da0\nINTERRUPTED by SIGINT after [^\n]* — FAIL: dx \(sum\)\n$/);
        assert.match(e.message, /: sum: 1 of 2 arrays checked; FAIL: dx \(sum\)$/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

  });

  describe('the report', () => {
    const clockAt = (times: number[]): (() => number) => {
      let i = 0;
      return () => times[Math.min(i++, times.length - 1)];
    };

    it('the streamed text of a short check is exactly the complete text, and stderr stays empty', async () => {
      const io = fakeIO();
      const report = gradcheckReport(io, STYLE, false, clockAt([0]));
      const r: GradcheckCommandResult = await runGradcheck({ ...RNN_CHECK, events: report.events });
      report.close();
      assert.equal(io.out.length, 3, 'header, then one piece per loss');
      assert.equal(io.out.join('') + gradcheckSummary(STYLE, r.checks), renderGradcheck(STYLE, r));
      assert.deepEqual(io.err, []);
    });

    it('stderr that is not a terminal gets one line per finished array once the check has run 5 s', async () => {
      const io = fakeIO();
      // the clock: 0 at the start, 6 s from then on
      const report = gradcheckReport(io, STYLE, false, clockAt([0, 6]));
      await runGradcheck({ ...RNN_CHECK, events: report.events });
      assert.equal(io.err.length, RNN_SUM.length + RNN_XENT.length);
      assert.match(io.err[0], /^rnn: gradcheck rnn sum 1\/5: dx \(3, 10, 7\) PASS \(entries 210, rel\. error [\d.]+e-\d+, max abs err [\d.]+e-\d+, worst \[\d, \d, \d\]: numeric -?[\d.e-]+, analytic -?[\d.e-]+\)\n$/);
      assert.match(io.err[io.err.length - 1], /^rnn: gradcheck rnn xent 7\/7: dby \(2, 1\) PASS \(/);
      // --json: stdout is one document at the end, stderr stays quiet
      const quiet = fakeIO();
      const json = gradcheckReport(quiet, STYLE, true, clockAt([0, 6]));
      await runGradcheck({ ...RNN_CHECK, events: json.events });
      assert.deepEqual([quiet.out, quiet.err], [[], []]);
    });

    it('a terminal gets the bar after 1 s, the finished rows above it after 5 s, and the region is erased before a loss is printed', async () => {
      const log: string[] = [];
      const live: LiveRegion = { draw: (t) => void log.push(`draw ${t}`), clear: () => void log.push('clear'), columns: 200, rows: 50 };
      const io = fakeIO(live);
      const stdout = io.stdout;
      io.stdout = (s) => (log.push(`stdout ${s.split('\n')[0]}`), stdout(s));
      let now = 0;
      const report = gradcheckReport(io, STYLE, false, () => now);
      await runGradcheck({
        ...RNN_CHECK, loss: 'sum',
        events: { ...report.events, onArray: (l, a, i) => ((now = [0.5, 2, 6, 6, 6][i]), report.events.onArray!(l, a, i)) },
      });
      report.close();
      const draws = log.filter((l) => l.startsWith('draw'));
      assert.equal(draws.length, 4, 'no draw before 1 s');
      assert.match(draws[0], /^draw gradcheck rnn sum \[#* *\] \d+%  2\.0s elapsed, ETA \S+$/);
      const rows = (names: string[]): string => names.map((n) => `│ ${n} [^\\n]*\\n`).join('');
      assert.match(draws[1], new RegExp(`^draw loss sum: [^\\n]*\\n┌[^\\n]*\\n│ gradient [^\\n]*\\n${rows(RNN_SUM.slice(0, 3))}└[^\\n]*\\ngradcheck rnn sum \\[`));
      assert.equal(draws[3].match(/\n│ d/g)?.length, 5);
      const firstLoss = log.findIndex((l) => l.startsWith('stdout loss sum'));
      assert.equal(log[firstLoss - 1], 'clear');
    });

    it('rows that do not fit the terminal are dropped from the top of the live view', async () => {
      const draws: string[] = [];
      const live: LiveRegion = { draw: (t) => void draws.push(t), clear: () => {}, columns: 60, rows: 12 };
      const report = gradcheckReport(fakeIO(live), STYLE, false, clockAt([0, 10]));
      await runGradcheck({ ...RNN_CHECK, loss: 'sum', events: report.events });
      const last = draws[draws.length - 1];
      assert.ok(rowsOf(last, 60) < 12, `${rowsOf(last, 60)} rows:\n${last}`);
      assert.match(last, /│ dba /);
      assert.doesNotMatch(last, /│ dx /);
    });
  });

  describe('the terminal\'s live region', () => {
    it('redraws in place: up over the rows it took (wrapped lines count twice), erase, write', () => {
      const writes: string[] = [];
      const stream = { columns: 10, rows: 24, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
      const live = terminalLive(stream);
      live.draw('ab\n0123456789xyz\nbar');
      live.draw('ab\n0123456789xyz\nbar 2');
      live.draw('bar 3 is too long to fit');
      live.clear();
      live.clear();
      assert.deepEqual(writes, [
        'ab\n0123456789xyz\nbar',
        '\rbar 2\x1b[K', // the rows above are unchanged: only the bar
        '\r\x1b[3A\x1b[Jbar 3 is ', // 'ab' takes 1 row, the 13 characters 2; the bar never wraps
        '\r\x1b[J',
      ]);
    });

    it('rowsOf counts wrapped lines and ignores colour codes', () => {
      assert.equal(rowsOf('', 80), 0);
      assert.equal(rowsOf('abc\n', 80), 1);
      assert.equal(rowsOf(`${'x'.repeat(80)}\n${'y'.repeat(81)}\n`, 80), 3);
      assert.equal(rowsOf(`\x1b[32m${'x'.repeat(80)}\x1b[39m`, 80), 1);
    });
  });

  describe('progress line', () => {
    it('durations: tenths under 10 s, then seconds, minutes, hours — rounding carries', () => {
      const cases: [number, string][] = [
        [0, '0.0s'], [4.24, '4.2s'], [9.94, '9.9s'], [9.96, '10s'], [42.4, '42s'], [59.4, '59s'], [59.6, '1m00s'],
        [185, '3m05s'], [3599.4, '59m59s'], [3599.6, '1h00m'], [3720, '1h02m'], [90000, '25h00m'],
        [NaN, '?'], [-1, '?'], [Infinity, '?'],
      ];
      for (const [s, text] of cases) assert.equal(formatDuration(s), text, `${s}`);
    });

    it('the ETA is the time still to go at the pace so far, unknown before any work', () => {
      assert.equal(etaSeconds(10, 0.25), 30);
      assert.equal(etaSeconds(10, 1), 0);
      assert.equal(etaSeconds(10, 0), undefined);
      assert.equal(etaSeconds(10, NaN), undefined);
    });

    it('shows the bar, the percentage, elapsed time and ETA, and fits the terminal', () => {
      assert.equal(progressLine('gradcheck lstm sum', 0.25, 10, 200), 'gradcheck lstm sum [#######                       ] 25%  10s elapsed, ETA 30s');
      assert.equal(progressLine('gradcheck lstm xent (2/2)', 0, 0.5, 200), 'gradcheck lstm xent (2/2) [                              ] 0%  0.5s elapsed');
      assert.equal(progressLine('gradcheck lstm sum', 1, 125, 200), 'gradcheck lstm sum [##############################] 100%  2m05s elapsed, ETA 0.0s');
      assert.equal(progressLine('gradcheck lstm sum', 0.5, 10, 40).length, 39);
    });
  });
});
