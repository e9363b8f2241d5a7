/**
 * `rnn forward`: run a cell over the sequence.
 */
import type { CellName, Dims } from '../../backends/types';
import { getBackend, type BackendName } from '../../backends';
import { CELLS, stateInputs } from '../../model/cells';
import type { ExpectReport } from '../../compare';
import { outputContract } from '../../names';
import type { Arrays } from '../../tensor';
import { compareYours, loadYours, resolveYours } from './expect';
import { loadInputs } from './inputs';
import type { Fixture } from '../../io/fixture';

export interface ForwardOptions {
  cell: CellName;
  sources: string[];
  /** The sources, already read. */
  fixture?: Fixture;
  backend: BackendName;
  /** Files with your own outputs to compare against ours. */
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
  /** What --expect compared. */
  expected?: ExpectReport;
}

export function runForward(o: ForwardOptions): ForwardResult {
  const loaded = loadInputs(o.cell, o.sources, {}, { maxBytes: o.maxBytes }, o.fixture);
  // Your names are checked before anything runs: a misnamed array is exit 2, never skipped.
  const yours = o.expect ? loadYours(o.expect, { maxBytes: o.maxBytes }) : undefined;
  const resolved = yours && resolveYours(yours, outputContract(o.cell));
  const outputs = getBackend(o.backend).forward(o.cell, loaded.inputs);
  return {
    cell: o.cell,
    backend: o.backend,
    dims: loaded.dims,
    arrays: [...inputRows(loaded.inputs, loaded.origin, forwardInputs(o.cell)), ...outputRows(outputs)],
    outputs,
    unknown: loaded.unknown,
    expected: yours && resolved && compareYours(outputs, yours, resolved, o.rtol, o.atol, 'forward'),
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
