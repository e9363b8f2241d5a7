/**
 * A/B of gradcheck's speed against another checkout: child processes of each version,
 * alternated round by round (a shared VM's speed drifts by tens of percent within minutes; both
 * sides see the same drift), each timing `checks` LSTM checks (sum loss, every entry) after a
 * warm-up. Per version: the median over rounds of the CPU and wall time per check, for the
 * synchronous gradcheck() and the path the CLI runs (gradcheckThreads with one thread, which
 * since issue 15 pauses for the event loop).
 *
 *   node -r ts-node/register/transpile-only bench/ab-gradcheck.ts OTHER_CHECKOUT [course|medium] [rounds]
 *
 * OTHER_CHECKOUT needs its node_modules (a symlink to ours will do). Against this checkout
 * itself it shows the method's own noise.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const SIZES = {
  course: { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 },
  medium: { n_x: 16, n_a: 32, n_y: 16, m: 8, T_x: 20 },
} as const;
type Size = keyof typeof SIZES;
/** Checks per child and warm-up checks: about a second of work at course size, one check at medium size. */
const PLAN: Record<Size, { checks: number; warm: number }> = { course: { checks: 100, warm: 30 }, medium: { checks: 1, warm: 1 } };

async function child(root: string, size: Size, how: 'sync' | 'async'): Promise<void> {
  const { gradcheck } = require(path.join(root, 'src/gradcheck'));
  const { gradcheckThreads } = require(path.join(root, 'src/gradcheck/parallel'));
  // (src/cli/commands/init since the source tree was laid out in folders; before, src/commands/init)
  const { initFixture } = require(['src/cli/commands/init', 'src/commands/init'].map((f) => path.join(root, f)).find((f) => fs.existsSync(`${f}.ts`))!);
  const inputs = initFixture({ cell: 'lstm', dims: SIZES[size], seed: 1, scale: 1 });
  const o = { cell: 'lstm', inputs, loss: { kind: 'sum', da: inputs.da }, mode: 'full' };
  const run = async (): Promise<unknown> => (how === 'sync' ? gradcheck(o) : gradcheckThreads(o, 1));
  for (let i = 0; i < PLAN[size].warm; i++) await run();
  const c0 = process.cpuUsage(), w0 = performance.now();
  for (let i = 0; i < PLAN[size].checks; i++) await run();
  const c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ cpu: (c.user + c.system) / 1000 / PLAN[size].checks, wall: (performance.now() - w0) / PLAN[size].checks }));
}

function main(): void {
  const [other, sizeArg = 'course', roundsArg] = process.argv.slice(2);
  if (!other || !(sizeArg in SIZES)) {
    console.error('usage: bench/ab-gradcheck.ts OTHER_CHECKOUT [course|medium] [rounds]');
    process.exit(2);
  }
  const size = sizeArg as Size;
  const rounds = Number(roundsArg ?? (size === 'course' ? 9 : 5));
  const roots = { other: path.resolve(other), this: path.join(__dirname, '..') };
  const got: Record<string, { cpu: number[]; wall: number[] }> = {};
  for (let r = 0; r < rounds; r++) {
    for (const how of ['sync', 'async'] as const) {
      for (const v of (r % 2 ? ['other', 'this'] : ['this', 'other']) as (keyof typeof roots)[]) {
        const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, '--child', roots[v], size, how], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
        const t = JSON.parse(out) as { cpu: number; wall: number };
        const k = `${how} ${v}`;
        (got[k] ??= { cpu: [], wall: [] }).cpu.push(t.cpu);
        got[k].wall.push(t.wall);
      }
    }
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];
  console.log(`LSTM ${size} (${Object.values(SIZES[size]).join(', ')}), sum loss, every entry; ${rounds} rounds of ${PLAN[size].checks} check(s) per version`);
  for (const how of ['sync', 'async']) {
    for (const m of ['cpu', 'wall'] as const) {
      const a = median(got[`${how} other`][m]), b = median(got[`${how} this`][m]);
      console.log(`${how.padEnd(5)} ${m.padEnd(4)}  other ${a.toFixed(2)} ms  this ${b.toFixed(2)} ms  this/other ${(b / a).toFixed(3)}`);
    }
  }
}

if (process.argv[2] === '--child') void child(process.argv[3], process.argv[4] as Size, process.argv[5] as 'sync' | 'async');
else main();
