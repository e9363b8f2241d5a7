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

export interface InspectResult {
  arrays: InspectRow[];
  fits: CellFit[];
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
  const recognised = fits.some((f) => f.dims) ? undefined : recognise(fixture.arrays);
  return { arrays, fits, ...(recognised ? { recognised } : {}) };
}
