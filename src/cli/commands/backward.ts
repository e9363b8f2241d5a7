/**
 * `rnn backward`: gradients of the sum loss (upstream `da`) or the xent loss (`labels`).
 */
import { LOSS_INPUT, lossWith, type CellName, type Dims, type Loss, type LossKind } from '../../backends/types';
import { getBackend, type BackendName } from '../../backends';
import type { ExpectReport } from '../../compare';
import { loadFixture, type Fixture } from '../../io/fixture';
import { gradientContract } from '../../names';
import type { Arrays } from '../../tensor';
import { checkInputs } from '../../validate';
import { compareYours, loadYours, resolveYours } from './expect';
import { forwardInputs, inputRows, outputRows, type ArrayRow } from './forward';
import { chooseLoss } from './loss';

export { LOSS_KINDS, type LossKind } from '../../backends/types';

/**
 * With both da and labels in the fixture and no other clue, backward takes the sum loss
 * (the README's walk-through relies on it); gradcheck --grads asks instead.
 */
export const BACKWARD_DEFAULT_LOSS: LossKind = 'sum';

export interface BackwardOptions {
  cell: CellName;
  sources: string[];
  /** The sources, already read. */
  fixture?: Fixture;
  backend: BackendName;
  /** --loss; absent: inferred (see commands/loss.ts). */
  loss?: LossKind;
  expect?: string[];
  rtol: number;
  atol: number;
  maxBytes?: number;
}

export interface BackwardResult {
  cell: CellName;
  backend: BackendName;
  loss: LossKind;
  /** Why the loss was chosen, when it was inferred rather than given. */
  lossInferred?: string;
  lossValue: number;
  dims: Dims;
  arrays: ArrayRow[];
  gradients: Arrays;
  unknown: string[];
  /** What --expect compared. */
  expected?: ExpectReport;
}

export function runBackward(o: BackwardOptions): BackwardResult {
  const fixture = o.fixture ?? loadFixture(o.sources, { maxBytes: o.maxBytes });
  const origin = (name: string): string | undefined => fixture.origin[name]?.source;
  const yours = o.expect ? loadYours(o.expect, { maxBytes: o.maxBytes }) : undefined;
  const choice = chooseLoss({
    cell: o.cell, given: o.loss, fixture: Object.keys(fixture.arrays), source: o.sources, fallback: BACKWARD_DEFAULT_LOSS, purpose: 'rnn backward',
    yours: yours && { names: Object.keys(yours.arrays), option: '--expect' },
  });
  const kind = choice.loss;
  // Your names are checked before anything runs: a misnamed array is exit 2, never skipped.
  const resolved = yours && resolveYours(yours, gradientContract(o.cell, kind, '--expect'));
  const loaded = checkInputs(o.cell, fixture.arrays, { [LOSS_INPUT[kind]]: true }, origin);
  const { inputs } = loaded;
  const loss: Loss = lossWith(kind, inputs);
  const { loss: lossValue, gradients } = getBackend(o.backend).lossAndGradients(o.cell, inputs, loss);
  return {
    cell: o.cell,
    backend: o.backend,
    loss: kind,
    lossInferred: choice.inferred,
    lossValue,
    dims: loaded.dims,
    arrays: [...inputRows(inputs, origin, [...forwardInputs(o.cell), ...Object.keys(loss).filter((k) => k !== 'kind')]), ...outputRows(gradients)],
    gradients,
    unknown: loaded.unknown,
    expected: yours && resolved && compareYours(gradients, yours, resolved, o.rtol, o.atol, 'backward'),
  };
}
