/**
 * The reference's cells: each a literal file written as the seed writes its cells, listed here
 * by the engine's cell names — a cell the engine has (CELLS) and this table lacks does not
 * type-check.
 */
import type { CellName } from '../types';
import { gruReference } from './gru';
import { gruResetAfterReference } from './gru_reset_after';
import { lstmReference } from './lstm';
import type { ReferenceCell } from './math';
import { rnnReference } from './rnn';
import { rnnReluReference } from './rnn_relu';

export const REFERENCE_CELLS: Readonly<Record<CellName, ReferenceCell>> = {
  rnn: rnnReference,
  lstm: lstmReference,
  gru: gruReference,
  gru_reset_after: gruResetAfterReference,
  rnn_relu: rnnReluReference,
};
