/**
 * `npm run same-outputs -- [--base REF] [--quick]`: are this tree's outputs byte-identical to
 * those of commit REF (default: HEAD, i.e. the last commit against the working tree)?
 *
 * A refactor of the engine proves itself here. The base commit is checked out once into
 * .same-outputs/<sha> (git-ignored) and built there, and its outputs are kept next to
 * it, so a second run against the same base only runs this tree. Compared: stdout and exit
 * code (gradcheck's `seconds` left out) of `forward`, `backward --loss sum`, `backward --loss xent` and `gradcheck` (all with
 * `--json`) on every .npz fixture of fixtures/cases and on `rnn init --seed 1` nets of the course,
 * medium and big sizes for every cell — each with the default threads, on one thread
 * (`--threads 1`, RNN_KERNEL_THREADS=1) and without SIMD (RNN_NO_SIMD=1); and the mathjs
 * reference's forward and backward on the course-size cases. `--quick` leaves out
 * the big nets' gradient checks (~1 minute each). Exit 1 when anything differs.
 */
import { execFileSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
// Not under node_modules/: TypeScript emits no declarations for sources there (the base's build makes them).
const CACHE = path.join(ROOT, '.same-outputs');

interface Run {
  /** Unique, readable: what is printed when it differs. */
  key: string;
  args: string[];
  env: Record<string, string>;
}

const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

/** The base commit's tree, built (once per commit). */
function baseTree(sha: string): string {
  const dir = path.join(CACHE, sha);
  if (fs.existsSync(path.join(dir, '.built'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    git('worktree', 'prune');
  } catch {
    // nothing to prune
  }
  git('worktree', 'add', '--detach', '--force', dir, sha);
  const sameLock = fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8') === fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8');
  if (sameLock) fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  else execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'inherit' });
  fs.writeFileSync(path.join(dir, '.built'), '');
  return dir;
}

const SIZES = {
  course: { n_x: 3, n_a: 5, n_y: 2, m: 10, T_x: 7 },
  medium: { n_x: 16, n_a: 32, n_y: 16, m: 8, T_x: 20 },
  big: { n_x: 64, n_a: 128, n_y: 64, m: 32, T_x: 100 },
} as const;
const CELLS = ['rnn', 'lstm', 'gru'];
const VARIANTS: { name: string; env: Record<string, string>; args: string[] }[] = [
  { name: 'default', env: {}, args: [] },
  { name: 'one thread', env: { RNN_KERNEL_THREADS: '1' }, args: ['--threads', '1'] },
  { name: 'no SIMD', env: { RNN_NO_SIMD: '1' }, args: [] },
];

/** The nets `rnn init --seed 1` draws, written by the base build (same draws for both trees). */
function initNets(base: string, dir: string): { file: string; cell: string; size: string }[] {
  const nets: { file: string; cell: string; size: string }[] = [];
  for (const cell of CELLS) {
    for (const [size, d] of Object.entries(SIZES)) {
      const file = path.join(dir, `${cell}_${size}.npz`);
      if (!fs.existsSync(file)) {
        execFileSync(process.execPath, [path.join(base, 'bin', 'rnn'), 'init', '--cell', cell, '--n-x', `${d.n_x}`, '--n-a', `${d.n_a}`, '--n-y', `${d.n_y}`, '--m', `${d.m}`, '--t-x', `${d.T_x}`, '--seed', '1', '--out', file], { stdio: 'ignore' });
      }
      nets.push({ file, cell, size });
    }
  }
  return nets;
}

function runsFor(nets: { file: string; cell: string; size?: string }[], quick: boolean): Run[] {
  const runs: Run[] = [];
  for (const net of nets) {
    const name = path.basename(net.file);
    for (const v of VARIANTS) {
      const common = ['--cell', net.cell, '--json', net.file];
      runs.push({ key: `forward ${name} (${v.name})`, args: ['forward', ...common], env: v.env });
      for (const loss of ['sum', 'xent']) runs.push({ key: `backward --loss ${loss} ${name} (${v.name})`, args: ['backward', '--loss', loss, ...common], env: v.env });
      if (!(quick && net.size === 'big')) runs.push({ key: `gradcheck ${name} (${v.name})`, args: ['gradcheck', ...v.args, ...common], env: v.env });
    }
    // The mathjs reference (slow: course-size cases only).
    if (net.size === undefined && !name.includes('medium')) {
      const common = ['--backend', 'mathjs', '--cell', net.cell, '--json', net.file];
      runs.push({ key: `forward --backend mathjs ${name}`, args: ['forward', ...common], env: {} });
      for (const loss of ['sum', 'xent']) runs.push({ key: `backward --backend mathjs --loss ${loss} ${name}`, args: ['backward', '--loss', loss, ...common], env: {} });
    }
  }
  return runs;
}

interface Outcome {
  code: number | null;
  /** sha256 of stdout without `seconds` lines; the first line of stderr when the exit code is not 0. */
  stdout: string;
  stderr: string;
}

function runOne(tree: string, r: Run, cacheDir: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(tree, 'bin', 'rnn'), ...r.args], {
      cwd: ROOT,
      env: { ...process.env, RNN_CACHE_DIR: cacheDir, ...r.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      // A check's wall-clock time is the one thing that may differ.
      const text = Buffer.concat(chunks).toString('utf8').replace(/^\s*"seconds": [-+.\de]+,?\n/gm, '');
      resolve({ code, stdout: crypto.createHash('sha256').update(text).digest('hex'), stderr: code === 0 ? '' : err.split('\n')[0] });
    });
  });
}

async function runAll(tree: string, runs: Run[], cacheDir: string, label: string): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  let next = 0, done = 0;
  const lanes = Math.max(1, Math.min(2, os.availableParallelism?.() ?? os.cpus().length));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < runs.length) {
        const r = runs[next++];
        out.set(r.key, await runOne(tree, r, cacheDir));
        if (++done % 20 === 0 || done === runs.length) process.stderr.write(`${label}: ${done}/${runs.length}\n`);
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--base');
  const ref = at >= 0 ? argv[at + 1] : 'HEAD';
  const quick = argv.includes('--quick');
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const base = baseTree(sha);
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const work = path.join(CACHE, 'nets');
  fs.mkdirSync(work, { recursive: true });
  const fixtures = fs
    .readdirSync(path.join(ROOT, 'fixtures', 'cases'))
    .filter((f) => /^(rnn|lstm|gru)_.*\.npz$/.test(f))
    .sort()
    .map((f) => ({ file: path.join(ROOT, 'fixtures', 'cases', f), cell: f.split('_')[0] }));
  const runs = runsFor([...fixtures, ...initNets(base, work)], quick);

  // The base's outcomes are kept per commit (fixtures/cases of this tree: keyed by their content).
  const fixturesHash = crypto.createHash('sha256');
  for (const f of fixtures) fixturesHash.update(f.file).update(fs.readFileSync(f.file));
  const stored = path.join(base, `.outcomes-${fixturesHash.digest('hex').slice(0, 16)}.json`);
  const known: Record<string, Outcome> = fs.existsSync(stored) ? JSON.parse(fs.readFileSync(stored, 'utf8')) : {};
  const missing = runs.filter((r) => !(r.key in known));
  if (missing.length) {
    for (const [k, o] of await runAll(base, missing, path.join(CACHE, 'code-cache-base'), `base ${sha.slice(0, 8)}`)) known[k] = o;
    fs.writeFileSync(stored, JSON.stringify(known));
  }
  const ours = await runAll(ROOT, runs, path.join(CACHE, 'code-cache-tree'), 'this tree');

  const differ = runs.filter((r) => {
    const a = known[r.key], b = ours.get(r.key)!;
    return a.code !== b.code || a.stdout !== b.stdout || a.stderr !== b.stderr;
  });
  for (const r of differ) {
    const a = known[r.key], b = ours.get(r.key)!;
    process.stdout.write(`DIFFERS  ${r.key}: exit ${a.code} → ${b.code}${a.stdout !== b.stdout ? ', stdout' : ''}${a.stderr !== b.stderr ? `, stderr '${a.stderr}' → '${b.stderr}'` : ''}\n`);
  }
  process.stdout.write(`${runs.length - differ.length} of ${runs.length} runs byte-identical to ${sha.slice(0, 12)}${quick ? ' (--quick: no big gradient checks)' : ''}\n`);
  process.exitCode = differ.length ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`same-outputs: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
