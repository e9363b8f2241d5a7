/**
 * One layer of a network in one direction, for src/backends/network.ts, run by the reference
 * cells as they are: the reverse direction is the forward one over x flipped in time, its
 * states flipped back — PyTorch's `_reverse` layers walk t = T−1 … 0 from the same h_0, so
 * they compute exactly that. A network layer has no output head: the cell's is given zeros
 * (one row) and its ŷ is not read.
 */
import type { CellName } from '../types';
import { oneByOne, type DirectionPass, type LayerEngine } from '../network';
import { lstmProjReference } from './lstm_proj';
import type { Direction } from '../../model/layer';
import { tensor, type Arrays, type Tensor } from '../../tensor';
import { REFERENCE_CELLS } from './cells';
import { fromMatrix, fromSequence, toMatrix, toSequence, type Sequence } from './math';

/** t ↦ T−1−t along the last axis of an (n, m, T) array. */
function flipped(t: Tensor): Tensor {
  const T = t.shape[t.shape.length - 1], rows = t.data.length / T, out = new Float64Array(t.data.length);
  for (let r = 0; r < rows; r++) for (let s = 0; s < T; s++) out[r * T + s] = t.data[r * T + T - 1 - s];
  return tensor(t.shape, out);
}

/** One direction of an engine cell's layer ('lstm_proj' has its own, below). */
function mathjsDirection(cell: CellName, inputs: Arrays, direction: Direction): DirectionPass {
  const reverse = direction === 'reverse', n_a = inputs.a0.shape[0];
  const inTime = (t: Tensor): Tensor => (reverse ? flipped(t) : t);
  const [W, b] = REFERENCE_CELLS[cell].head;
  const r = REFERENCE_CELLS[cell].run({ ...inputs, x: inTime(inputs.x), [W]: tensor([1, n_a]), [b]: tensor([1, 1]) });
  const seq = (s: Sequence): Tensor => inTime(fromSequence(s));
  return {
    a: seq(r.a),
    ...(r.c ? { c: seq(r.c) } : {}),
    backward(da, dcN) {
      const g = r.backward(toSequence(inTime(da)), dcN && toMatrix(dcN));
      const out: Arrays = {};
      for (const [name, v] of Object.entries(g)) out[name] = Array.isArray(v) ? seq(v) : fromMatrix(v);
      return out;
    },
    release() {},
  };
}

const projLayer = oneByOne((_cell, inputs, direction) => lstmProjReference(inputs, direction));
const cellLayer = oneByOne((cell, inputs, direction) => mathjsDirection(cell as CellName, inputs, direction));

/** The reference layer: its directions one after the other. */
export const mathjsLayer: LayerEngine = (cell, inputs, directions) => (cell === 'lstm_proj' ? projLayer : cellLayer)(cell, inputs, directions);
