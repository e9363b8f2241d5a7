/**
 * The packed package, as a user depends on it: what `npm pack` puts in the tarball, an offline
 * install of it into a fresh project (test/package-helpers.ts), a TypeScript consumer made with
 * `tsc --init` compiled with and without @types/node, plain JavaScript consumers (require and
 * import), and the installed `rnn` running every example of `rnn --help`, of each
 * `rnn COMMAND --help` and of the README in a fresh directory. Everything runs on the node
 * running this test (test/node-versions.test.ts runs it on Node 22 and 24 too).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bundleOptions, ENTRIES, ESM_LIBRARY } from '../tools/bundle';
import { ROOT } from './cli-helpers';
import { installConsumer, OTHER_NODE_RUN as otherNodeRun, packTarball, run, type Packed } from './package-helpers';

const MAX_UNPACKED = 1.5e6;
/**
 * Under test/node-versions.test.ts (which hands over its tarball), what does not depend on the
 * node running it ran already in the process that packed: tsc's verdicts, and the README
 * through npx (test/cli.test.ts runs the README lines there, against that node's copy of the repository).
 */
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** `$ …` lines of a help text or console block, in order. */
function commandLines(text: string, prompt: RegExp): string[] {
  return text.split('\n').flatMap((l) => {
    const m = prompt.exec(l);
    return m ? [m[1]] : [];
  });
}

describe('the packed package', function () {
  this.timeout(300_000);
  let pack: Packed;
  let work: string;
  let consumer: string;
  let env: NodeJS.ProcessEnv;

  /** bash -o pipefail -c `line` in `cwd` with the consumer's PATH; the exit code and output. */
  const sh = (line: string, cwd: string): { code: number | null; out: string } => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', line], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const fresh = (name: string): string => fs.mkdtempSync(path.join(consumer, `${name}-`));

  before(() => {
    pack = packTarball();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnn-consumer-'));
    consumer = path.join(work, 'project');
    // `node` is the node running this test, `rnn` the installed bin; npm itself must not reach the network.
    const nodeDir = path.join(work, 'node-bin');
    fs.mkdirSync(nodeDir);
    fs.symlinkSync(process.execPath, path.join(nodeDir, 'node'));
    env = {
      ...process.env, NO_COLOR: '1', RNN_DEBUG: undefined, npm_config_offline: 'true', npm_config_update_notifier: 'false',
      PATH: [nodeDir, path.join(consumer, 'node_modules', '.bin'), process.env.PATH].join(path.delimiter),
    };
    installConsumer(consumer, pack, { mathjs: '^15.1.1' }, env);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  describe('the tarball', () => {
    it(`holds the bundles, their type declarations and bin/rnn — nothing else, under ${MAX_UNPACKED / 1e6} MB`, () => {
      const files = pack.files.map((f) => f.path).sort();
      const bundles = [...ENTRIES.map((e) => `dist/${e.out}.js`), `dist/${ESM_LIBRARY}`];
      for (const b of bundles) assert.ok(files.includes(b), `${b} is not in the tarball`);
      const allowed = (f: string): boolean =>
        bundles.includes(f) || /^dist\/types\/.+\.d\.m?ts$/.test(f) || ['bin/rnn', 'package.json', 'README.md', 'LICENSE'].includes(f);
      assert.deepEqual(files.filter((f) => !allowed(f)), [], 'files that should not ship (source maps, the code cache, sources …)');
      assert.ok(files.includes('dist/types/index.d.ts'));
      assert.ok(pack.unpackedSize < MAX_UNPACKED, `unpacks to ${pack.unpackedSize} bytes`);
    });

    it('installs no package whose code a bundle contains, and only what package.json depends on', () => {
      const inputs = bundleOptions().flatMap((o) => Object.keys(esbuild.buildSync({ ...o, write: false, metafile: true }).metafile!.inputs));
      // The package after the last node_modules/ (cli-table3 is bundled from a patched copy in node_modules/.cache).
      const bundled = new Set(inputs.flatMap((f) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1] ?? []));
      assert.ok(bundled.has('commander') && bundled.has('cli-table3'), 'the CLI bundles its own dependencies');
      const installed = Object.keys((JSON.parse(fs.readFileSync(path.join(consumer, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: object }).packages)
        .map((k) => k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length));
      assert.deepEqual(installed.filter((p) => bundled.has(p)), []);
      const manifest = JSON.parse(fs.readFileSync(path.join(consumer, 'node_modules', 'rnn', 'package.json'), 'utf8'));
      assert.deepEqual(Object.keys(manifest.dependencies), ['mathjs']);
      assert.ok(!fs.existsSync(path.join(consumer, 'node_modules', 'rnn', 'node_modules')), 'one mathjs, shared with the consumer');
    });
  });

  describe('consumers', () => {
    const numpyCase = path.join(ROOT, 'fixtures', 'cases', 'rnn_course.json');

    it('TypeScript (tsc --init, no @types/node installed) compiles with zero errors and runs', () => {
      const dir = path.join(consumer, 'ts');
      fs.mkdirSync(dir);
      run(process.execPath, [TSC, '--init'], dir, env);
      fs.copyFileSync(path.join(ROOT, 'test', 'consumer', 'index.ts'), path.join(dir, 'index.ts'));
      fs.writeFileSync(path.join(dir, 'case.ts'), `export const CASE_JSON = ${JSON.stringify(fs.readFileSync(numpyCase, 'utf8'))};\n`);
      assert.ok(!fs.existsSync(path.join(consumer, 'node_modules', '@types', 'node')));
      const tsc = (...args: string[]): void => {
        const r = spawnSync(process.execPath, [TSC, ...args], { cwd: dir, env, encoding: 'utf8' });
        assert.equal(r.status, 0, `tsc ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
      };
      tsc('-p', '.');
      // Our declarations themselves, checked too (skipLibCheck off), against the ES library only: no DOM, no Node.
      if (!otherNodeRun) tsc('-p', '.', '--noEmit', '--skipLibCheck', 'false', '--lib', 'es2022');
      assert.match(run(process.execPath, ['index.js'], dir, env).stdout, /typescript consumer: ok/);
    });

    it('TypeScript with @types/node compiles with zero errors too', function () {
      if (otherNodeRun) this.skip();
      const dir = path.join(consumer, 'ts');
      for (const p of ['@types/node', 'undici-types']) {
        fs.cpSync(path.join(ROOT, 'node_modules', p), path.join(consumer, 'node_modules', p), { recursive: true });
      }
      fs.writeFileSync(path.join(dir, 'tsconfig.node.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { types: ['node'], noEmit: true } }));
      fs.appendFileSync(path.join(dir, 'index.ts'), "\nimport { env } from 'node:process';\nexport const debug = env.RNN_DEBUG;\n");
      const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.node.json'], { cwd: dir, env, encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });

    it('JavaScript: require() and import both run and match numpy', () => {
      for (const f of ['require.cjs', 'import.mjs']) {
        fs.copyFileSync(path.join(ROOT, 'test', 'consumer', f), path.join(consumer, f));
        assert.match(run(process.execPath, [f, numpyCase], consumer, env).stdout, /consumer: ok/);
      }
    });
  });

  describe('the installed rnn', () => {
    it('runs: --version is the package version', () => {
      const r = sh('rnn --version', consumer);
      assert.equal(r.code, 0, r.out);
      assert.equal(r.out.trim(), JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    });

    it('every example of rnn --help, in order, in a fresh directory', () => {
      const help = sh('rnn --help', consumer);
      assert.equal(help.code, 0, help.out);
      const lines = commandLines(help.out, /^\s+\$ (rnn .*)$/);
      assert.ok(lines.length >= 8, `only ${lines.length} examples in rnn --help`);
      const dir = fresh('help');
      for (const line of lines) {
        const r = sh(line, dir);
        assert.equal(r.code, 0, `\`${line}\` from rnn --help exited ${r.code}:\n${r.out}`);
      }
    });

    // Under Node 22 and 24 the installed rnn runs rnn --help's examples (above), and cli.test.ts
    // the README's lines; each command's own examples are the same commands with other sizes.
    it('every example of each rnn COMMAND --help, each command in a fresh directory', function () {
      if (otherNodeRun) this.skip();
      const help = sh('rnn --help', consumer).out;
      const commands = commandLines(help.slice(help.indexOf('Commands:')), /^ {2}([a-z][\w-]*)\b/).filter((c) => c !== 'help');
      assert.ok(commands.length >= 5, `commands: ${commands.join(' ')}`);
      for (const command of commands) {
        const text = sh(`rnn ${command} --help`, consumer);
        assert.equal(text.code, 0, text.out);
        const lines = commandLines(text.out, /^\s+\$ (rnn .*)$/);
        assert.ok(lines.length >= 1, `rnn ${command} --help has no example`);
        const dir = fresh(command);
        for (const line of lines) {
          const r = sh(line, dir);
          assert.equal(r.code, 0, `\`${line}\` from rnn ${command} --help exited ${r.code}:\n${r.out}`);
        }
      }
    });

    it("every console line of the README, in order, in a fresh directory (npx finds the installed rnn, on the first)", function () {
      if (otherNodeRun) this.skip();
      const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
      const lines = [...readme.matchAll(/```console\n([\s\S]*?)```/g)].flatMap((m) => commandLines(m[1], /^\$ (.*)$/));
      // `npm install` / `npm test` set up a clone (test/cli.test.ts runs the rest against the repository).
      const clone = lines.filter((l) => /^npm (install|test)$/.test(l));
      const user = lines.filter((l) => !clone.includes(l)).map((l) => l.replace(/^npm install && /, ''));
      assert.ok(user.length >= 10, `only ${user.length} README lines`);
      const dir = fresh('readme');
      // npx resolving the installed rnn is shown once, on the first line; the rest call that same bin
      // (PATH has node_modules/.bin) without starting npx each time.
      assert.match(user[0], /\bnpx rnn /);
      for (const [k, line] of user.entries()) {
        const r = sh(k === 0 ? line : line.replace(/\bnpx rnn /g, 'rnn '), dir);
        assert.equal(r.code, 0, `README line \`${line}\` exited ${r.code}:\n${r.out}`);
        assert.ok(r.out.length > 0, `README line printed nothing: ${line}`);
      }
    });
  });
});
