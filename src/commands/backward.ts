/**
 * `rnn backward`: gradients of the sum loss (upstream `da`) or the xent loss (`labels`).
 */
import type { CellName, Dims, Loss } from '../backend';
import { getBackend, type BackendName } from '../backends';
import type { Comparison } from '../compare';
import type { Arrays } from '../tensor';
import { expectOutputs, forwardInputs, inputRows, outputRows, type ArrayRow } from './forward';
import { loadInputs } from './inputs';

export type LossKind = Loss['kind'];
export const LOSS_KINDS: readonly LossKind[] = ['sum', 'xent'];

export interface BackwardOptions {
  cell: CellName;
  sources: string[];
  backend: BackendName;
  loss: LossKind;
  expect?: string[];
  rtol: number;
  atol: number;
  maxBytes?: number;
}

export interface BackwardResult {
  cell: CellName;
  backend: BackendName;
  loss: LossKind;
  lossValue: number;
  dims: Dims;
  arrays: ArrayRow[];
  gradients: Arrays;
  unknown: string[];
  comparisons?: Comparison[];
}

export function runBackward(o: BackwardOptions): BackwardResult {
  const loaded = loadInputs(o.cell, o.sources, o.loss === 'sum' ? { da: true } : { labels: true }, { maxBytes: o.maxBytes });
  const { inputs } = loaded;
  const loss: Loss = o.loss === 'sum' ? { kind: 'sum', da: inputs.da } : { kind: 'xent', labels: inputs.labels };
  const { loss: lossValue, gradients } = getBackend(o.backend).lossAndGradients(o.cell, inputs, loss);
  return {
    cell: o.cell,
    backend: o.backend,
    loss: o.loss,
    lossValue,
    dims: loaded.dims,
    arrays: [...inputRows(inputs, loaded.origin, [...forwardInputs(o.cell), o.loss === 'sum' ? 'da' : 'labels']), ...outputRows(gradients)],
    gradients,
    unknown: loaded.unknown,
    comparisons: o.expect ? expectOutputs(gradients, o.expect, o.rtol, o.atol, o.maxBytes) : undefined,
  };
}
