/**
 * What a big `--threads` or `--directions` costs, through the real `bin/rnn`: threads are
 * capped at the cores (one note on stderr, the same output as the cores' count), and fast
 * mode's directions are drawn as they are evaluated — the very vectors that drawing them all
 * up front in plan order gave (checked here against that drawing), on one thread or many —
 * so a count far beyond memory starts at once in little memory. (Before: --threads 1000 started
 * ~1000 workers, 5.8 GB; --directions 100000 drew ~1 GB of directions before the first one.)
 */
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import { availableParallelism, tmpdir } from 'os';
import * as path from 'path';
import { NumpyRandom } from '../src/random';
import { buildBundle, RNN, type Run } from './cli-helpers';

let work: string;
const ENV = { ...process.env, NO_COLOR: undefined, RNN_DEBUG: undefined, FORCE_COLOR: undefined };

function rnn(args: string[]): Run {
  const r = spawnSync(process.execPath, [RNN, ...args], { cwd: work, env: ENV, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

type Nested = number | Nested[];
const flat = (a: Nested): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a]);
const withoutSeconds = (json: string): string => json.replace(/"seconds": [\d.e+-]+/g, '"seconds": 0');

describe('gradcheck --threads and --directions: bounded (bin/rnn)', function () {
  this.timeout(120_000);

  before(() => {
    buildBundle();
    work = fs.mkdtempSync(path.join(tmpdir(), 'rnn-threads-'));
    assert.equal(rnn(['init', '--cell', 'lstm', '--n-x', '3', '--n-a', '5', '--n-y', '2', '--m', '10', '--t-x', '7', '--seed', '1', '--out', 'net.json']).code, 0);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('--threads 1000 is capped at the cores with one note; the directions are those drawn up front, on 1 thread and on all', () => {
    // 11 arrays × 400 directions: over PARALLEL_MIN_WORK, so more than one core means worker threads.
    const args = ['gradcheck', '--cell', 'lstm', 'net.json', '--loss', 'sum', '--mode', 'fast', '--directions', '400', '--seed', '7', '--json'];
    const one = rnn([...args, '--threads', '1']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stderr, '');
    const many = rnn([...args, '--threads', '1000']);
    assert.equal(many.code, 0, many.stderr);
    const cores = availableParallelism();
    assert.equal(many.stderr, `rnn: --threads 1000: capped at ${cores}, the number of cores here\n`);
    assert.equal(withoutSeconds(many.stdout), withoutSeconds(one.stdout));

    // Drawn up front, as before the directions were streamed: randn(n), normalised, array after array.
    const grads = JSON.parse(rnn(['backward', '--cell', 'lstm', 'net.json', '--loss', 'sum', '--json']).stdout);
    const arrays: { name: string; checked: number; worst: { index: string; analytic: number } }[] = JSON.parse(one.stdout).checks[0].arrays;
    assert.equal(arrays.length, 11);
    const rng = new NumpyRandom(7);
    for (const a of arrays) {
      const g = flat(grads[a.name]);
      const dots = Array.from({ length: a.checked }, () => {
        const v = rng.randn(g.length).data;
        let s = 0;
        for (const x of v) s += x * x;
        const inv = 1 / Math.sqrt(s);
        let dot = 0;
        for (let k = 0; k < v.length; k++) dot += v[k] * inv * g[k];
        return dot;
      });
      const i = Number(/^v(\d+)$/.exec(a.worst.index)![1]);
      assert.equal(a.worst.analytic, dots[i], `${a.name} ${a.worst.index}`);
    }
  });

  it('--directions 100000000: the check starts at once, in little memory, and stops at SIGINT', async () => {
    const child = spawn(process.execPath, [RNN, 'gradcheck', '--cell', 'lstm', 'net.json', '--loss', 'sum', '--mode', 'fast', '--directions', '100000000', '--only', 'dx', 'dWf'], { cwd: work, env: ENV });
    let stderr = '', stdout = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // The header is printed once the check is prepared: before, drawing 1e8 directions of dx
    // (210 entries) up front came first, ~170 GB.
    let status = '';
    try {
      const t0 = performance.now();
      while (!/^dims: /m.test(stdout) && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
      assert.match(stdout, /^dims: /m, `no header after 30 s; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 1500)); // directions under way
      status = fs.existsSync(`/proc/${child.pid}/status`) ? fs.readFileSync(`/proc/${child.pid}/status`, 'utf8') : '';
      child.kill('SIGINT');
      assert.equal(await exited, 130, stderr);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    assert.match(stderr, /^rnn: gradcheck interrupted by SIGINT: sum: 0 of 2 arrays checked; no FAIL so far, but not a PASS\n$/);
    // Peak memory, where /proc tells it: measured ~70 MB on one thread, ~130 MB on two (bench/README.md).
    const peak = /VmHWM:\s+(\d+) kB/.exec(status);
    if (peak) assert.ok(Number(peak[1]) < 400 * 1024, `peak RSS ${peak[1]} kB`);
  });
});
