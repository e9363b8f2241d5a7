/**
 * `npm run bench -- --only breakdown`: where the start-up time of `rnn forward --cell lstm` goes,
 * as whole processes that each stop at a later point (alternating, median wall times; a part
 * is the difference of two medians), and, inside the process that only loads the bundle, its
 * steps as src/cli/launch.ts times them (medians over the same runs).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fmtMs, heading, median, printTable, RNN, ROOT, run, runOrWarn } from './common';

const ROUNDS = Number(process.env.RNN_BENCH_ROUNDS) || 15;
const FIXTURE = 'fixtures/cases/lstm_t7.npz';
const FORWARD = ['forward', '--cell', 'lstm', FIXTURE];
const LAUNCH = path.join(ROOT, 'dist', 'launch.js');

/**
 * A process that stops at a point of bin/rnn's start: after requiring dist/launch.js, after
 * loading the bundle with its code cache (launch.ts loadCli, whose own timings it prints), or
 * after also building the commander program. It exits as bin/rnn does.
 */
const loader = (stop: 'empty' | 'launch' | 'load' | 'build'): string => stop === 'empty' ? '' : `
process.once('beforeExit', () => process.exit());
const launch = require(${JSON.stringify(LAUNCH)});
if (${JSON.stringify(stop)} !== 'launch') {
  const l = launch.loadCli(${JSON.stringify(['node', 'rnn', ...FORWARD])});
  if (l.cache !== 'used') throw new Error('no usable code cache: ' + l.cache);
  if (${JSON.stringify(stop)} === 'build') l.cli.buildProgram({ stdout() {}, stderr() {}, stdoutIsTTY: false, env: {} });
  require('fs').writeSync(2, '@@' + JSON.stringify(l.timings) + '\\n');
}`;

interface Variant {
  key: string;
  label: string;
  args: string[];
  env?: Record<string, string | undefined>;
}

export function breakdown(): void {
  heading('1b. Where the start-up time goes (`rnn forward --cell lstm`, this Node)');
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-bench-cache-'));
  const env = { RNN_CACHE_DIR: cacheDir, RNN_NO_CACHE: undefined };
  // The steps as script files, run like bin/rnn (a file, not -e).
  const script = (stop: Parameters<typeof loader>[0]): string => {
    const file = path.join(cacheDir, `${stop}.js`);
    fs.writeFileSync(file, loader(stop));
    return file;
  };
  const variants: Variant[] = [
    { key: 'node', label: 'node -e 0', args: ['-e', '0'] },
    { key: 'empty', label: 'node empty.js', args: [script('empty')] },
    { key: 'launch', label: '+ require dist/launch.js', args: [script('launch')] },
    { key: 'load', label: '+ load dist/cli.js with its cache, run its top level', args: [script('load')], env },
    { key: 'build', label: '+ build the commander program', args: [script('build')], env },
    { key: 'help', label: 'rnn --help', args: [RNN, '--help'], env },
    { key: 'json', label: 'rnn forward --cell lstm --json', args: [RNN, ...FORWARD, '--json'], env },
    { key: 'forward', label: 'rnn forward --cell lstm', args: [RNN, ...FORWARD], env },
    { key: 'nocache', label: 'rnn forward --cell lstm, RNN_NO_CACHE=1', args: [RNN, ...FORWARD], env: { RNN_NO_CACHE: '1' } },
  ];
  const times = new Map<string, number[]>(variants.map((v) => [v.key, []]));
  const steps = new Map<string, number[]>();
  try {
    runOrWarn(process.execPath, [RNN, ...FORWARD], env); // writes the cache the loaders use
    for (let round = 0; round <= ROUNDS; round++) {
      for (const v of variants) {
        const r = run(process.execPath, v.args, v.env);
        if (!r.ok) throw new Error(`${v.label} failed: ${r.stderr.trim().split('\n').pop()}`);
        if (round === 0) continue;
        times.get(v.key)!.push(r.seconds);
        const line = r.stderr.split('\n').find((l) => l.startsWith('@@'));
        if (line && v.key === 'load') {
          for (const [k, x] of Object.entries(JSON.parse(line.slice(2)) as Record<string, number>)) {
            if (typeof x === 'number') (steps.get(k) ?? steps.set(k, []).get(k)!).push(x / 1e3);
          }
        }
      }
    }
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
  const m = (k: string): number => median(times.get(k)!);
  console.log(`Median of ${ROUNDS} rounds, all variants alternating; a part is the difference of two medians (noisy when the machine is).\n`);
  printTable(['process', 'median ms'], variants.map((v) => [v.label, fmtMs(m(v.key))]));
  const s = (k: string): string => fmtMs(median(steps.get(k) ?? [NaN]));
  printTable(['part of `rnn forward --cell lstm`', 'ms'], [
    ['node itself (`node -e 0`)', fmtMs(m('node'))],
    ['a script file instead of -e (bin/rnn is one)', fmtMs(m('empty') - m('node'))],
    ['dist/launch.js (required)', fmtMs(m('launch') - m('empty'))],
    ['loading dist/cli.js, all steps (difference of processes)', fmtMs(m('load') - m('launch'))],
    [' · read the bundle (in-process)', s('read')],
    [' · read the code cache, check its crc32 (in-process)', s('cache')],
    [' · compile: V8 deserialises the cache (in-process)', s('compile')],
    [' · run the top level of every module (in-process)', s('run')],
    ['building the commander program', fmtMs(m('build') - m('load'))],
    ['the rest of `rnn --help` (parse, help text, write, exit)', fmtMs(m('help') - m('build'))],
    ['`forward --json`: parse, read the fixture, forward pass, JSON out, exit', fmtMs(m('json') - m('build'))],
    ['the four tables instead of JSON (cli-table3)', fmtMs(m('forward') - m('json'))],
    ['what the code cache saves', fmtMs(m('nocache') - m('forward'))],
  ]);
}
