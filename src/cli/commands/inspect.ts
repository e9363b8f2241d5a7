/**
 * `rnn inspect`: what a fixture holds, and which cells it fits.
 */
import type { CellName, Dims } from '../../backends/types';
import { CELL_NAMES } from '../../model/cells';
import { InputError } from '../../errors';
import { loadFixture } from '../../io/fixture';
import { stats, type Stats } from '../render/format';
import { checkInputs } from '../../validate';
import { recognise, type Recognised } from './recognise';
import { isParamName, recogniseTorch, type TorchNet } from '../../layouts/torch/names';
import type { Arrays } from '../../tensor';
import { cs231nProblem, type Cs231nProblem } from '../../layouts/cs231n';

export interface InspectRow extends Stats {
  name: string;
  shape: readonly number[];
  source: string;
  dtype: string;
}

export interface CellFit {
  cell: CellName;
  /** The dims the arrays imply when they fit the cell. */
  dims?: Dims;
  /** Why they do not (missing names, a wrong shape, ...). */
  problem?: string;
  /** Names the cell does not use. */
  unused?: string[];
}

/** What the arrays are as a PyTorch module (`--layout torch`), when they carry its parameter names. */
export interface TorchFit {
  /** The module its parameters' names and shapes make. */
  module?: TorchNet;
  /** The shape of `input`, when it is there. */
  input?: readonly number[];
  /** Why the names do not make a module (a missing parameter, a wrong shape, ...). */
  problem?: string;
}

/** What the arrays are as CS231n's rnn_layers.py arrays (`--layout cs231n`), when they carry Wx, Wh and b. */
export interface Cs231nFit {
  problem?: Pick<Cs231nProblem, 'cell' | 'N' | 'T' | 'D' | 'H' | 'V'>;
  /** Which losses its arrays allow: sum (dh), xent (y, with W_vocab); and whether there is a mask. */
  losses?: string[];
  mask?: boolean;
  /** Why they are not (a missing array, a wrong shape, ...). */
  wrong?: string;
}

export interface InspectResult {
  arrays: InspectRow[];
  fits: CellFit[];
  /** Present when the names are CS231n's (Wx, Wh, b). */
  cs231n?: Cs231nFit;
  /** Present when some name is one of PyTorch's recurrent parameters (weight_ih_l0, ...). */
  torch?: TorchFit;
  /** When the arrays are no cell's inputs: the outputs or gradients they look like. */
  recognised?: Recognised;
}

export function runInspect(sources: string[], maxBytes?: number): InspectResult {
  const fixture = loadFixture(sources, { maxBytes });
  const arrays = Object.entries(fixture.arrays).map(([name, t]) => ({
    name,
    shape: t.shape,
    source: fixture.origin[name].source,
    dtype: fixture.origin[name].dtype,
    ...stats(t),
  }));
  const fits = CELL_NAMES.map((cell): CellFit => {
    try {
      const c = checkInputs(cell, fixture.arrays, {}, (n) => fixture.origin[n]?.source);
      return { cell, dims: c.dims, unused: c.unknown };
    } catch (e) {
      if (e instanceof InputError) return { cell, problem: e.message };
      throw e;
    }
  });
  const torch = Object.keys(fixture.arrays).some(isParamName) ? torchFit(fixture.arrays) : undefined;
  const cs231n = !torch && ['Wx', 'Wh', 'b'].every((n) => n in fixture.arrays) ? cs231nFit(fixture.arrays) : undefined;
  const recognised = fits.some((f) => f.dims) || torch || cs231n ? undefined : recognise(fixture.arrays);
  return { arrays, fits, ...(recognised ? { recognised } : {}), ...(torch ? { torch } : {}), ...(cs231n ? { cs231n } : {}) };
}

function cs231nFit(arrays: Arrays): Cs231nFit {
  try {
    const { cell, N, T, D, H, V } = cs231nProblem(arrays);
    const losses = [...(arrays.dh ? ['sum'] : []), ...(arrays.y && V !== undefined ? ['xent'] : [])];
    return { problem: { cell, N, T, D, H, V }, losses, mask: 'mask' in arrays };
  } catch (e) {
    if (e instanceof InputError) return { wrong: e.message };
    throw e;
  }
}

function torchFit(arrays: Arrays): TorchFit {
  try {
    const module = recogniseTorch(Object.fromEntries(Object.entries(arrays).map(([n, t]) => [n, t.shape])));
    return arrays.input ? { module, input: arrays.input.shape } : { module };
  } catch (e) {
    if (e instanceof InputError) return { problem: e.message };
    throw e;
  }
}
