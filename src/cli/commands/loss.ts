/**
 * Which loss `backward` and `gradcheck --grads` use when `--loss` is not given: the only one
 * possible, inferred from your gradients (a gradient only one loss has, e.g. the xent loss's
 * dWy, dby) and then from the fixture (da → sum, labels → xent). Only a real ambiguity asks.
 */
import { LOSS_INPUT, LOSS_KINDS, type CellName, type LossKind } from '../../backends/types';
import { CELLS, gradientNames } from '../../model/cells';
import { InputError } from '../../errors';
import { shownList } from '../../escape';
import { ALIASES } from '../../names';

export interface LossChoice {
  loss: LossKind;
  /** Why, when it was inferred (one line for stderr); absent when given or the default. */
  inferred?: string;
}

export interface LossClues {
  cell: CellName;
  /** --loss, when given. */
  given?: LossKind;
  /** Names in the fixture, and its files (for messages). */
  fixture: string[];
  source?: readonly string[];
  /** Names in your files (--expect, --grads), and the option they came with. */
  yours?: { names: string[]; option: string };
  /** With both da and labels and no other clue: this loss (backward's documented default), or ask (undefined). */
  fallback?: LossKind;
  /** What the loss is needed for, for messages: 'your gradients', 'rnn backward'. */
  purpose: string;
}

export function chooseLoss(c: LossClues): LossChoice {
  if (c.given) return { loss: c.given };
  const cell = CELLS[c.cell];
  const has = (k: LossKind): boolean => c.fixture.includes(LOSS_INPUT[k]);
  const data = (ks: readonly LossKind[]): string => ks.map((k) => LOSS_INPUT[k]).join(' nor ');

  // Gradients that only one loss has name that loss.
  if (c.yours) {
    const names = c.yours.names.map((n) => ALIASES[n] ?? n);
    const hinted = LOSS_KINDS.map((k) => {
      const others = LOSS_KINDS.filter((o) => o !== k).flatMap((o) => gradientNames(cell, o));
      return { k, only: gradientNames(cell, k).filter((g) => !others.includes(g) && names.includes(g)) };
    }).filter((h) => h.only.length);
    if (hinted.length === 1) {
      const { k, only } = hinted[0];
      const why = `your ${c.yours.option} files hold ${only.join(', ')}, which only the ${k} loss has`;
      if (!has(k)) throw new InputError(`${why}, and the ${k} loss needs ${LOSS_INPUT[k]}: the fixture has none (found: ${shownList(c.fixture) || 'nothing'})`, c.source);
      return { loss: k, inferred: `loss ${k} (inferred: ${why})` };
    }
  }
  const possible = LOSS_KINDS.filter(has);
  const absent = LOSS_KINDS.filter((k) => !has(k));
  if (possible.length === 1) {
    const k = possible[0];
    return { loss: k, inferred: `loss ${k} (inferred: the fixture has ${LOSS_INPUT[k]} and no ${absent.map((a) => LOSS_INPUT[a]).join(', ')})` };
  }
  if (possible.length === 0) {
    throw new InputError(
      `${c.purpose} needs a loss, and the fixture has neither ${data(LOSS_KINDS)}: ` +
        `${LOSS_KINDS.map((k) => `${LOSS_INPUT[k]} for the ${k} loss`).join(', ')} (found: ${shownList(c.fixture) || 'nothing'})`,
      c.source,
    );
  }
  if (c.fallback) return { loss: c.fallback };
  throw new InputError(
    `the fixture has ${possible.map((k) => LOSS_INPUT[k]).join(' and ')}: say which loss ${c.purpose} are of with ${LOSS_KINDS.map((k) => `--loss ${k}`).join(' or ')}`,
    c.source,
  );
}
