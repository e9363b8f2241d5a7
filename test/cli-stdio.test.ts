/**
 * bin/rnn's stdout and stderr (src/cli/stdio.ts): written synchronously to files and pipes without
 * Node's streams, the output arrives whole and in order wherever it goes — a file, a pipe, a
 * pipe that another Node process made non-blocking and whose reader lags, a reader that leaves
 * early, a closed descriptor.
 */
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBundle, RNN } from './cli-helpers';

describe('bin/rnn stdout and stderr', function () {
  this.timeout(120_000);
  let dir: string;
  let big: string;
  /** `rnn forward --json` on a net whose outputs are ~2 MB of JSON: far more than a pipe holds. */
  let args: string[];
  let expected: string;

  before(() => {
    buildBundle();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-stdio-'));
    big = path.join(dir, 'big.npz');
    const init = spawnSync(process.execPath, [RNN, 'init', '--cell', 'gru', '--n-x', '8', '--n-a', '64', '--n-y', '8', '--m', '32', '--t-x', '40', '--seed', '3', '--out', big], { encoding: 'utf8' });
    assert.equal(init.status, 0, init.stderr);
    args = [RNN, 'forward', '--cell', 'gru', big, '--json'];
    const file = path.join(dir, 'out.json');
    const fd = fs.openSync(file, 'w');
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    fs.closeSync(fd);
    assert.equal(r.status, 0, r.stderr);
    expected = fs.readFileSync(file, 'utf8');
    assert.ok(expected.length > 1 << 20, `${expected.length} bytes`);
    JSON.parse(expected);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the same bytes to a pipe as to a file', () => {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, expected);
  });

  it('writes everything through a non-blocking pipe whose reader lags (EAGAIN)', async () => {
    // A Node parent that has used its stdout (a pipe) made that pipe non-blocking; the rnn it
    // starts with stdio 'inherit' shares it, and its writes find the pipe full while we wait.
    const parent = `process.stdout.write('');
      const r = require('child_process').spawnSync(process.execPath, ${JSON.stringify(args)}, { stdio: 'inherit' });
      process.exitCode = r.status ?? 99;`;
    const child = spawn(process.execPath, ['-e', parent], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 1500));
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stdout.resume();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(stderr, '');
    assert.equal(code, 0);
    assert.equal(Buffer.concat(chunks).toString('utf8'), expected);
  });

  it('a reader that leaves early ends the run quietly, exit 0', () => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" ${args.map((a) => `"${a}"`).join(' ')} | head -c 100`], { encoding: 'utf8' });
    assert.equal(r.stdout, expected.slice(0, 100));
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
  });

  it('a closed stdout is no error: the run goes on to its exit code', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" ${args.map((a) => `"${a}"`).join(' ')} >&-; echo "exit $?"`], { encoding: 'utf8' });
    assert.equal(r.stdout, 'exit 0\n');
    assert.equal(r.stderr, '');
  });

  it('a full disk (/dev/full) on stdout or stderr is one line and exit 2, never a stack trace', function () {
    if (!fs.existsSync('/dev/full')) this.skip();
    const run = (redirect: string, rest: string[]): { code: number | null; stderr: string } => {
      const r = spawnSync('bash', ['-c', `"${process.execPath}" ${[RNN, ...rest].map((a) => `"${a}"`).join(' ')} ${redirect}`], { encoding: 'utf8' });
      return { code: r.status, stderr: r.stderr };
    };
    for (const rest of [['inspect', big], ['forward', '--cell', 'gru', big, '--json'], ['--help']]) {
      const r = run('> /dev/full', rest);
      assert.equal(r.stderr, 'rnn: standard output: cannot write: no space left on device (ENOSPC)\n', rest.join(' '));
      assert.equal(r.code, 2);
    }
    // stderr full: the warning cannot be written, which is the run's failure; nothing else is said
    const unused = path.join(dir, 'unused.json');
    fs.writeFileSync(unused, '{"extra": [1]}');
    const r = run('2> /dev/full > /dev/null', ['forward', '--cell', 'gru', big, unused]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 2);
  });
});
