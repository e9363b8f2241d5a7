/**
 * `rnn forward`: run a cell over the sequence.
 */
import type { CellName, Dims } from '../backend';
import { getBackend, type BackendName } from '../backends';
import { CELLS, stateInputs } from '../cells';
import { compareArrays, type Comparison } from '../compare';
import { InputError } from '../errors';
import type { Arrays } from '../tensor';
import { loadExpected, loadInputs } from './inputs';

export interface ForwardOptions {
  cell: CellName;
  sources: string[];
  backend: BackendName;
  /** Files with the user's own outputs to compare against ours. */
  expect?: string[];
  rtol: number;
  atol: number;
  /** Largest decoded input, in bytes (io/common.ts DEFAULT_MAX_BYTES when absent). */
  maxBytes?: number;
}

export interface ArrayRow {
  name: string;
  role: 'input' | 'output' | 'default';
  shape: readonly number[];
  source?: string;
}

export interface ForwardResult {
  cell: CellName;
  backend: BackendName;
  dims: Dims;
  arrays: ArrayRow[];
  outputs: Arrays;
  /** Names in the fixture that the cell does not use. */
  unknown: string[];
  comparisons?: Comparison[];
}

export function runForward(o: ForwardOptions): ForwardResult {
  const loaded = loadInputs(o.cell, o.sources, {}, { maxBytes: o.maxBytes });
  const outputs = getBackend(o.backend).forward(o.cell, loaded.inputs);
  return {
    cell: o.cell,
    backend: o.backend,
    dims: loaded.dims,
    arrays: [...inputRows(loaded.inputs, loaded.origin, forwardInputs(o.cell)), ...outputRows(outputs)],
    outputs,
    unknown: loaded.unknown,
    comparisons: o.expect ? expectOutputs(outputs, o.expect, o.rtol, o.atol, o.maxBytes) : undefined,
  };
}

/** The input arrays a command read, in fixture order; zeros it filled in are `default`. */
export function inputRows(inputs: Arrays, origin: (n: string) => string | undefined, read: string[]): ArrayRow[] {
  return Object.keys(inputs)
    .filter((n) => read.includes(n))
    .map((name) => {
      const source = origin(name);
      return { name, role: source === undefined ? 'default' : 'input', shape: inputs[name].shape, source };
    });
}

export function outputRows(outputs: Arrays): ArrayRow[] {
  return Object.keys(outputs).map((name) => ({ name, role: 'output', shape: outputs[name].shape }));
}

/** What a forward pass reads: the cell's parameters, x, a0 (and c0). */
export function forwardInputs(cell: CellName): string[] {
  return [...CELLS[cell].params.map((p) => p.name), 'x', ...stateInputs(CELLS[cell])];
}

/** Compares our outputs with the user's; an error when no name matches at all. */
export function expectOutputs(outputs: Arrays, files: string[], rtol: number, atol: number, maxBytes?: number): Comparison[] {
  const theirs = loadExpected(files, { maxBytes });
  const comparisons = compareArrays(outputs, theirs.arrays, rtol, atol, theirs.origin);
  if (comparisons.length === 0) {
    throw new InputError(
      `none of ${Object.keys(outputs).join(', ')} found to compare (found: ${Object.keys(theirs.arrays).join(', ') || 'nothing'})`,
      files.join(', '),
    );
  }
  return comparisons;
}
