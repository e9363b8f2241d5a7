/**
 * Loading a command's inputs: fixture files -> named arrays -> checked against the cell.
 */
import type { CellName } from '../../backends/types';
import { loadFixture, type Fixture, type LoadOptions } from '../../io/fixture';
import { checkInputs, type Checked, type Needs } from '../../validate';

export interface Loaded extends Checked {
  fixture: Fixture;
  /** The file an array came from. */
  origin(name: string): string | undefined;
}

/** `fixture`: the sources already read (src/cli/layout.ts read them to choose the layout). */
export function loadInputs(cell: CellName, sources: string[], needs: Needs = {}, limits: LoadOptions = {}, fixture = loadFixture(sources, limits)): Loaded {
  const origin = (name: string): string | undefined => fixture.origin[name]?.source;
  return { ...checkInputs(cell, fixture.arrays, needs, origin), fixture, origin };
}

/** `--expect FILE…`: the user's arrays, and where each came from. */
export function loadExpected(sources: string[], limits: LoadOptions = {}): { arrays: Fixture['arrays']; origin(name: string): string | undefined } {
  const fixture = loadFixture(sources, limits);
  return { arrays: fixture.arrays, origin: (name) => fixture.origin[name]?.source };
}
