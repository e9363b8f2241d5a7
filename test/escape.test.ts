/**
 * src/escape.ts: names and paths print as themselves when they are ordinary, else quoted with
 * Python's escapes, and read back to exactly what they were; the nets under every write leave
 * no unprintable character but the newline (and colours), and keep JSON the same JSON.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { oneLine, printable, shown, SHOWN_MAX, terminalSafe } from '../src/escape';

/** What is not printable (Python's str.isprintable), the newline included. */
const UNPRINTABLE = /[^\P{C}]|[^\P{Z} ]/u;

/** Reads `shown`'s output back as Python reads a repr. */
function unshown(s: string): string {
  if (!s.startsWith("'")) return s;
  assert.ok(s.length >= 2 && s.endsWith("'"), s);
  const body = s.slice(1, -1);
  return body.replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|[nrt\\'])/g, (_, e: string) => {
    if (e.length === 1) return ({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'" } as Record<string, string>)[e];
    return String.fromCodePoint(parseInt(e.slice(1), 16));
  });
}

// Any code point, lone surrogates, and the characters that matter most, often.
const text = fc.array(fc.oneof(
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.constantFrom('\n', '\r', '\t', '\x1b[31m', '\x9b', '\x7f', '\u202e', '\u2028', '\ud800', '\udc00', "'", '"', '\\', ' ', 'rnn: ', 'Wax', '\u00a0'),
), { maxLength: 12 }).map((parts) => parts.join(''));

describe('escape: names and paths as rnn prints them', () => {
  it('leaves ordinary names and paths unchanged and unquoted', () => {
    for (const s of ['Wax', 'dWaa', 'y_pred', 'fixtures/cases/x.npz', 'my fixtures/a b.json', 'C:\\data\\x.npy', 'Größe', 'ŷ', '名前', 'it\'s', '-']) {
      assert.equal(shown(s), s);
    }
  });

  it('quotes and escapes what could forge a line, drive the terminal or be misread', () => {
    const cases: [string, string][] = [
      ['extra\nrnn: fake second message.npy', "'extra\\nrnn: fake second message.npy'"],
      ['x\x1b[31mred', "'x\\x1b[31mred'"],
      ['\x9b2J', "'\\x9b2J'"],
      ['del\x7f', "'del\\x7f'"],
      ['a\tb\r', "'a\\tb\\r'"],
      ['\u202eevil', "'\\u202eevil'"],
      ['line\u2028sep', "'line\\u2028sep'"],
      ['nb\u00a0sp', "'nb\\xa0sp'"],
      ['tag\u{e0001}', "'tag\\U000e0001'"],
      ['lone\ud800', "'lone\\ud800'"],
      ['', "''"],
      [' padded', "' padded'"],
      ["'quoted'", "'\\'quoted\\''"],
      ['back\\slash\n', "'back\\\\slash\\n'"],
    ];
    for (const [s, want] of cases) assert.equal(shown(s), want, JSON.stringify(s));
    assert.equal(shown('a'.repeat(SHOWN_MAX + 1)), `'${'a'.repeat(SHOWN_MAX)}…'`);
  });

  it('prints only printable characters, and reads back to the very name (fast-check)', () => {
    fc.assert(fc.property(text, (s) => {
      const out = shown(s);
      assert.doesNotMatch(out, UNPRINTABLE);
      assert.equal(unshown(out), s);
    }), { numRuns: 3000 });
  });

  it('printable (fragments of a file) and oneLine (the net under messages) leave no unprintable character', () => {
    fc.assert(fc.property(text, (s) => {
      assert.doesNotMatch(printable(s, 1000), UNPRINTABLE);
      assert.doesNotMatch(oneLine(s), UNPRINTABLE);
    }), { numRuns: 2000 });
    assert.equal(oneLine('a: x\nrnn: forged'), 'a: x\\nrnn: forged');
  });

  it('terminalSafe keeps newlines and colours, escapes the rest, and keeps JSON the same JSON', () => {
    assert.equal(terminalSafe('│ Wax │ ‖a‖ Σ —\n\x1b[31mFAIL\x1b[39m\n'), '│ Wax │ ‖a‖ Σ —\n\x1b[31mFAIL\x1b[39m\n');
    assert.equal(terminalSafe('x\x1b]0;title\x07\x1b[2J'), 'x\\x1b]0;title\\x07\\x1b[2J');
    fc.assert(fc.property(text, (s) => {
      const out = terminalSafe(s);
      assert.doesNotMatch(out.replace(/\x1b\[[0-9;]*m/g, '').replace(/\n/g, ''), UNPRINTABLE);
      const json = JSON.stringify({ [s]: [s] }, null, 2);
      assert.deepEqual(JSON.parse(terminalSafe(json)), { [s]: [s] });
    }), { numRuns: 2000 });
  });
});

describe('escape: every way out to the terminal passes a net', () => {
  /**
   * The places in src/ that write to the process's stdout or stderr themselves, each with
   * why what it writes is safe. Everything else writes through the IO that src/cli/main.ts run()
   * wraps in terminalSafe (messages: `say`, oneLine). A new raw write fails this test until
   * it is listed here with its reason.
   */
  const RAW_WRITES: Record<string, string> = {
    'src/cli/stdio.ts: fs.writeSync(2, `rnn: ${oneLine(e.message)}\\n`);': 'a write error that came late (from a stream): oneLine',
    'src/cli/stdio.ts: while (at < bytes.length) at += fs.writeSync(fd, bytes, at);': 'the writers run() wraps: what reaches them passed terminalSafe',
    'src/cli/stdio.ts: stream.write(s);': 'the same writers, through Node\'s stream',
    'src/cli/live.ts: stream.write(`\\r${last}\\x1b[K`); // only the last line changed (the bar)': 'the live region: `last` is of terminalSafe(drawn)',
    'src/cli/live.ts: stream.write(erase() + upper + last);': 'the live region: terminalSafe(drawn)',
    'src/cli/live.ts: if (shown) stream.write(erase());': 'the region\'s own cursor movements',
    'src/cli/launch.ts: process.stderr.write(`rnn: ${bundle} is missing; run \\`npm install\\` (or \\`npm run build\\`) in ${path.dirname(__dirname)}\\n`);': 'the install\'s own paths',
  };

  it('src/ writes to stdout and stderr only through the nets, or at the places listed with their reasons', () => {
    const src = path.join(__dirname, '..', 'src');
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !/src\/(bundle|wasm\/build)\.ts$/.test(p)) {
          for (const line of fs.readFileSync(p, 'utf8').split('\n')) {
            // (src/io/ writes files: fs.writeSync there is not to the terminal)
            const fdWrite = !p.includes(`${path.sep}io${path.sep}`) && /writeSync\(/.test(line);
            if (fdWrite || /process\.std(out|err)\.write|console\.(log|error|warn|info)|stream\.write\(/.test(line)) {
              found.push(`${path.relative(path.join(src, '..'), p)}: ${line.trim()}`);
            }
          }
        }
      }
    };
    walk(src);
    assert.deepEqual(found.filter((l) => !(l in RAW_WRITES)), []);
    assert.deepEqual(Object.keys(RAW_WRITES).filter((l) => !found.includes(l)), [], 'listed writes that are gone');
  });
});
