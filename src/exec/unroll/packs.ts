/**
 * Weight blocks packed for the kernels' products (src/exec/kernels.ts `Packing`): made once per
 * trace, refilled from its parameters by every job that multiplies by them.
 */
import type { Dims } from '../../backends/types';
import type { CellSpec, Params } from '../../model/cells/types';
import { kernelArena, type Packing } from '../kernels';
import { take } from '../pool';
import { packPanels, panelsLength } from '../wasm/kernels';
import type { GroupJob } from './group';
import type { Trace } from './trace';

/**
 * A weight block packed for the kernels' products (src/exec/kernels.ts `Packing`), named by its
 * parameter: a job carries them, and each thread matches them against its own parameter views.
 */
export interface Pack {
  readonly name: string;
  readonly k0: number;
  readonly kn: number;
  readonly rows: number;
  readonly trans: boolean;
  /** The panels: an arena block. */
  readonly P: Float64Array;
}

/**
 * The weight blocks a job's products multiply by, as the products read them: forward (mulAdd,
 * mulBias) each projection's recurrent block W_h[:, :n_a] and input block W[:, k0:k0+n_x], and
 * the head's W; backward (mulTAdd) the same blocks transposed — the head's for a loss through it.
 */
function packSpecs(cell: CellSpec, d: Dims, job: GroupJob): Omit<Pack, 'P'>[] {
  const { n_x, n_a, n_y } = d;
  const trans = job.kind === 'backward';
  const specs: Omit<Pack, 'P'>[] = [];
  for (const g of cell.projections) {
    const rows = g.rows(d);
    if (g.recurrent) specs.push({ name: g.recurrent.W, k0: 0, kn: n_a, rows, trans });
    if (g.W !== undefined && (trans || job.inputs)) specs.push({ name: g.W, k0: g.k0(d), kn: n_x, rows, trans });
  }
  if (job.kind === 'backward' ? job.loss?.dz !== undefined : job.head) specs.push({ name: cell.head.W, k0: 0, kn: n_a, rows: n_y, trans });
  return specs;
}

/** Each trace's packed blocks, by name, first column and orientation: made once, refilled by every job. */
export const tracePacks = new WeakMap<Trace, Map<string, Pack>>();

/**
 * `job`'s weight blocks packed from the trace's parameters as they are now (they may have
 * changed since the last pass): for traces on the arena (`shared`), whose products run there
 * in place, else none. (Its cost: bench/README.md, "Thresholds in the code".)
 */
export function packsFor(tr: Trace, job: GroupJob): Pack[] | undefined {
  if (!tr.shared || !kernelArena()) return undefined;
  let packs = tracePacks.get(tr);
  if (!packs) tracePacks.set(tr, (packs = new Map()));
  return packSpecs(tr.cell, tr.d, job).map((spec) => {
    const key = `${spec.name} ${spec.k0} ${spec.kn} ${spec.rows} ${spec.trans}`; // a block of W: two may share a first column
    const W = tr.p[spec.name], ldw = W.length / spec.rows;
    // A as the product reads it: W's block (rows, kn), or its transpose (kn, rows)
    const [outRows, inner, sr, sk] = spec.trans ? [spec.kn, spec.rows, 1, ldw] : [spec.rows, spec.kn, ldw, 1];
    let pack = packs!.get(key);
    if (!pack) packs!.set(key, (pack = { ...spec, P: take(panelsLength(outRows, inner), true, false) }));
    packPanels(pack.P, W, spec.k0, sr, sk, outRows, inner);
    return pack;
  });
}

/** A job's packs as kernel packings on this thread's parameters `p`. */
export const packingsOf = (p: Params, packs: readonly Pack[] = []): Packing[] => packs.map((pk) => ({ ...pk, W: p[pk.name] }));
