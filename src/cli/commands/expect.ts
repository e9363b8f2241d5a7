/**
 * `--expect FILE…` for forward and backward: your arrays, sorted by the name contract
 * (src/names.ts) before anything runs, then compared with ours.
 */
import { compareArrays, type ExpectReport } from '../../compare';
import type { LoadOptions } from '../../io/fixture';
import type { TimeAxis, TimeOrder } from '../../mismatch';
import { resolveNames, type NameContract, type Resolved } from '../../names';
import type { Arrays } from '../../tensor';
import { loadExpected } from './inputs';

export interface Expected {
  files: string[];
  arrays: Arrays;
  origin(name: string): string | undefined;
}

export function loadYours(files: string[], limits: LoadOptions = {}): Expected {
  return { files, ...loadExpected(files, limits) };
}

/** Your names against the contract: an InputError (exit 2) for any name that is not compared or an input. */
export function resolveYours(yours: Expected, contract: NameContract): Resolved {
  return resolveNames(contract, Object.keys(yours.arrays), yours.origin);
}

/** `time`: which axis of an array is time, where the layout is not the seed's. */
export function compareYours(ours: Arrays, yours: Expected, resolved: Resolved, rtol: number, atol: number, order: TimeOrder, time?: TimeAxis): ExpectReport {
  return {
    comparisons: compareArrays(ours, yours.arrays, resolved, rtol, atol, yours.origin, order, time),
    notCompared: resolved.missing,
    inputs: resolved.inputs,
    files: yours.files,
    order,
  };
}
