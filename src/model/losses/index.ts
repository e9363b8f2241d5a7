/**
 * The losses `rnn` knows, as data: adding one is a file (its LossSpec) and a line here.
 * Their order is the order commands check them in.
 */
import { sumLoss } from './sum';
import type { LossSpec } from './types';
import { xentLoss } from './xent';

export const LOSSES = {
  sum: sumLoss,
  xent: xentLoss,
} as const satisfies Record<string, LossSpec>;

export type LossName = keyof typeof LOSSES;
export const LOSS_NAMES = Object.keys(LOSSES) as LossName[];
/** The name of the array each loss reads: sum → da, xent → labels. */
export type LossInputName<K extends LossName = LossName> = (typeof LOSSES)[K]['input']['name'];
export type { LossSpec, TermSums } from './types';
