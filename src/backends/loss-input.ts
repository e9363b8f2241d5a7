import type { Tensor } from '../tensor';
import type { Loss } from './types';

/**
 * The array a loss reads (da, labels): a Loss holds its kind and that one array. Found by its
 * key, and in a module of its own: types.ts computes from LOSSES at load, which would pull the
 * engine into the mathjs reference's bundle.
 */
export const lossInput = (loss: Loss): Tensor => Object.entries(loss).find(([k]) => k !== 'kind')![1] as Tensor;
