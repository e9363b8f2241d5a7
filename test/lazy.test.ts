/**
 * The stand-ins the bundle aliases in for dependencies (tools/bundle.ts): they must behave as
 * the real modules do for everything rnn can pass them.
 */
import { strict as assert } from 'assert';
import * as child from 'child_process';
import realStringWidth from 'string-width';
import lazyChildProcess from '../src/cli/lazy/child_process';
import ourStringWidth from '../src/cli/lazy/string-width';

describe('bundle stand-ins', () => {
  it('string-width: the same width as the real one, coloured or not, ASCII or not', () => {
    const red = (s: string): string => `\u001b[31m${s}\u001b[39m`;
    const bold = (s: string): string => `\u001b[1m${s}\u001b[22m`;
    const samples = [
      '', 'x', 'Wf', '(3, 10, 7)', '-0.95583335', '1.e-12', 'fixtures/cases/lstm_t7.npz', ' padded  ',
      '‖a‖', 'ŷ⟨6⟩', '…', 'j=0', 'FAIL (3/40)', '数组', 'e\u0301', '😀', 'tab\there', '\u0007bell', 'a\u200bb',
    ];
    for (const s of samples) {
      for (const t of [s, red(s), bold(red(s)), `${bold(s)} ${s}`]) {
        assert.equal(ourStringWidth(t), realStringWidth(t), JSON.stringify(t));
      }
    }
    assert.equal(ourStringWidth(undefined as unknown as string), realStringWidth(undefined as unknown as string));
  });

  it('string-width: every character it answers itself is one column for the real one too, alone, coloured and in company', () => {
    const red = (s: string): string => `\u001b[31m${s}\u001b[39m`;
    const own: string[] = [];
    for (let c = 0; c < 0x10000; c++) {
      if (!ourStringWidth.oneColumn(c)) continue;
      const s = String.fromCharCode(c);
      own.push(s);
      assert.equal(realStringWidth(s), 1, `U+${c.toString(16)}`);
      assert.equal(ourStringWidth(s), 1, `U+${c.toString(16)}`);
      assert.equal(ourStringWidth(red(`${s}x${s}`)), realStringWidth(red(`${s}x${s}`)), `U+${c.toString(16)}`);
    }
    assert.ok(own.length > 8000, `${own.length} characters answered without the real string-width`);
    // Mixed with what it must hand over (emoji joiners and selectors, wide, combining, astral,
    // controls): random strings, a fixed seed.
    const others = ['\ufe0f', '\u200d', '\u20e3', '\u0301', '数', '\u1100', '⌚', '😀', '\u{1f1e9}\u{1f1ea}', '\u0007', '\u009b', '\t'];
    let seed = 12345;
    const rand = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    for (let k = 0; k < 3000; k++) {
      let s = '';
      for (let len = 1 + rand(8); len > 0; len--) s += rand(6) === 0 ? others[rand(others.length)] : own[rand(own.length)];
      assert.equal(ourStringWidth(s), realStringWidth(s), JSON.stringify(s));
      assert.equal(ourStringWidth(red(s)), realStringWidth(red(s)), JSON.stringify(red(s)));
    }
    // Sequences that start with one of its characters and become an emoji (two columns).
    for (const s of ['©\ufe0f', '‼\ufe0f', '1\ufe0f\u20e3', '#\u20e3', '↔\ufe0f', '™\ufe0f']) {
      assert.equal(ourStringWidth(s), realStringWidth(s), JSON.stringify(s));
    }
  });

  it('child_process: the real module, loaded on first use', () => {
    assert.equal(lazyChildProcess.spawnSync, child.spawnSync);
    assert.equal(lazyChildProcess.execFile, child.execFile);
  });
});
