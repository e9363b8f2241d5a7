/**
 * The stand-ins the bundle aliases in for dependencies (src/bundle.ts): they must behave as
 * the real modules do for everything rnn can pass them.
 */
import { strict as assert } from 'assert';
import * as child from 'child_process';
import realStringWidth from 'string-width';
import lazyChildProcess from '../src/lazy/child_process';
import ourStringWidth from '../src/lazy/string-width';

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

  it('child_process: the real module, loaded on first use', () => {
    assert.equal(lazyChildProcess.spawnSync, child.spawnSync);
    assert.equal(lazyChildProcess.execFile, child.execFile);
  });
});
