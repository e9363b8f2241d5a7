import { tensor, type Tensor } from '../tensor';
import type { Loss } from './types';

/**
 * The array a loss reads (da, labels), as the engine reads it: a Loss holds its kind, that one
 * array, and for xent an optional `mask` of its shape (LossSpec.weights), which is stacked under
 * it — (2, m, T_x), each step's block the labels' row, then the mask's. Found by its key, and in
 * a module of its own: types.ts computes from LOSSES at load, which would pull the engine into
 * the mathjs reference's bundle.
 */
export function lossInput(loss: Loss): Tensor {
  const { kind: _kind, mask, ...rest } = loss as Loss & { mask?: Tensor };
  const input = Object.values(rest)[0] as Tensor;
  if (!mask) return input;
  const data = new Float64Array(input.data.length * 2);
  data.set(input.data);
  data.set(mask.data, input.data.length);
  return tensor([2, ...input.shape], data);
}
