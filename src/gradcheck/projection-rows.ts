/**
 * Which row of the stacked input projections (CellSpec.projections) a parameter entry feeds:
 * the one row the evaluator recomputes when that entry is perturbed (evaluator.ts).
 */
import type { Dims } from '../backends/types';
import type { CellSpec } from '../model/cells';
import type { Params } from '../model/cells/types';

/**
 * For each parameter, the map from an entry to the row of the stacked input projections it
 * feeds: bias entries feed their row, weight entries in the x columns [k0, k0 + n_x) theirs,
 * everything else (recurrent columns, the head) none (−1).
 */
export function projectionRowMaps(cell: CellSpec, d: Dims, p: Params): Record<string, (k: number) => number> {
  const maps: Record<string, (k: number) => number> = {};
  for (const spec of cell.params) maps[spec.name] = () => -1;
  let row0 = 0;
  for (const g of cell.projections) {
    const rows = g.rows(d), k0 = g.k0(d);
    const ldw = g.W === undefined ? 0 : p[g.W].length / rows;
    const membersOf = (name: string): readonly string[] => cell.stacks.find((s) => s.name === name)?.members ?? [name];
    const parts: [string, boolean][] = g.W === undefined ? [[g.b, true]] : [[g.W, false], [g.b, true]];
    for (const [stack, isBias] of parts) {
      const width = isBias ? 1 : ldw;
      for (const member of membersOf(stack)) {
        // A member's first row within the stack, from where its view starts.
        const first = row0 + (p[member].byteOffset - p[stack].byteOffset) / 8 / width;
        maps[member] = isBias
          ? (k) => first + k
          : (k) => {
              const col = k % width;
              return col >= k0 && col < k0 + d.n_x ? first + (k - col) / width : -1;
            };
      }
    }
    row0 += rows;
  }
  return maps;
}
