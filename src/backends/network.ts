/**
 * A network of recurrent layers, composed as PyTorch's nn.RNN / nn.LSTM / nn.GRU compose them
 * (torch/nn/modules/rnn.py): `layers` layers of one cell, each walking the sequence in one
 * direction or in both (src/model/layer.ts). Layer-direction k = l·D + dir (dir 0 forward, 1
 * reverse) is PyTorch's order of h_0 and h_n.
 *
 *   layer 0 reads x; layer l > 0 reads layer l−1's states, its directions' stacked on rows:
 *     x_l⟨t⟩ = [a_{l−1,fwd}⟨t⟩; a_{l−1,rev}⟨t⟩]
 *   output⟨t⟩ = the last layer's states, stacked the same way;
 *   a direction's final state aN (cN) is that of the last step it takes: ⟨T−1⟩ forward, ⟨0⟩ reverse.
 *
 * Backward, of L = Σ da ⊙ output + Σ_k daN_k ⊙ aN_k (+ Σ_k dcN_k ⊙ cN_k): layer l's
 * direction dir receives on every step its rows of what reaches the layer's output — da for the
 * last layer, the sum of the layer above's dx over its directions below it — plus daN_k at
 * its last step, and dcN_k on its last c. The layers run on a LayerEngine (a backend's one
 * layer, one direction); this file is only how they connect.
 */
import { CELLS, type CellName } from '../model/cells';
import type { Direction } from '../model/layer';
import { stepSlice, tensor, type Arrays, type Tensor } from '../tensor';

/**
 * What a layer computes: an engine cell (CELLS), or 'lstm_proj', an LSTM whose h is a projection
 * of o ⊙ tanh(c) (PyTorch's proj_size: h has P rows, c has H) — no engine cell, whose a and c have
 * one size, has its equations, so each backend has a layer of its own for it.
 */
export type LayerCell = CellName | 'lstm_proj';

/** Does the layer carry a cell state c? */
export const layerHasC = (cell: LayerCell): boolean => cell === 'lstm_proj' || CELLS[cell].hasCellState;

/** One layer run forward in each of its directions: their states, then at most one backward pass. */
export interface LayerPass {
  /** Per direction, (n_a, m, T) each. */
  readonly a: readonly Tensor[];
  readonly c?: readonly Tensor[];
  /** Per direction, the gradients of Σ da ⊙ a (+ Σ dcN ⊙ c's last): dx, da0 (dc0), and 'd' + each parameter. */
  backward(da: readonly Tensor[], dcN: readonly (Tensor | undefined)[]): Arrays[];
  /** Its buffers go back (idempotent). */
  release(): void;
}

/**
 * A backend's layer, in `directions`: per direction, `inputs` holds the cell's recurrent
 * parameters, x (n_x, m, T), a0 (and c0) (n_a, m). The directions are independent of each
 * other: an engine may run them side by side.
 */
export type LayerEngine = (cell: LayerCell, inputs: readonly Arrays[], directions: readonly Direction[]) => LayerPass;

/** One layer in one direction (what `oneByOne` makes a LayerEngine of). */
export interface DirectionPass {
  readonly a: Tensor;
  readonly c?: Tensor;
  backward(da: Tensor, dcN?: Tensor): Arrays;
  release(): void;
}
export type DirectionEngine = (cell: LayerCell, inputs: Arrays, direction: Direction) => DirectionPass;

/** A LayerEngine that runs a layer's directions one after the other. */
export function oneByOne(engine: DirectionEngine): LayerEngine {
  return (cell, inputs, directions) => {
    const passes: DirectionPass[] = [];
    try {
      directions.forEach((dir, j) => passes.push(engine(cell, inputs[j], dir)));
    } catch (e) {
      for (const p of passes) p.release();
      throw e;
    }
    const cs = passes.map((p) => p.c);
    return {
      a: passes.map((p) => p.a),
      ...(cs.every((c): c is Tensor => c !== undefined) ? { c: cs } : {}),
      backward: (da, dcN) => passes.map((p, j) => {
        const g = p.backward(da[j], dcN[j]);
        p.release();
        return g;
      }),
      release: () => passes.forEach((p) => p.release()),
    };
  };
}

export interface Net {
  readonly cell: LayerCell;
  /** The states' size n_a of every layer-direction (of a; of c too, unless `cellSize` says otherwise). */
  readonly hidden: number;
  /** The size of c where it differs from a's (an LSTM with projections: a is h, P rows; c has H). */
  readonly cellSize?: number;
  readonly layers: number;
  readonly directions: 1 | 2;
  /** Has the cell a state c (LSTM)? */
  readonly hasC: boolean;
}

export interface NetInputs {
  /** (n_x, m, T). */
  readonly x: Tensor;
  /** Per layer-direction k: the cell's recurrent parameters, in its own names. */
  readonly params: readonly Arrays[];
  /** Per k, (n_a, m); zeros where absent (as PyTorch's h_0 = None). */
  readonly a0?: readonly (Tensor | undefined)[];
  readonly c0?: readonly (Tensor | undefined)[];
}

export interface NetOutputs {
  /** (D·n_a, m, T): the last layer's states. */
  readonly output: Tensor;
  /** Per k, (n_a, m). */
  readonly aN: Tensor[];
  readonly cN?: Tensor[];
}

export interface NetUpstream {
  /** (D·n_a, m, T): ∂L/∂output. */
  readonly da: Tensor;
  /** Per k, (n_a, m), or absent: ∂L/∂aN_k, ∂L/∂cN_k. */
  readonly daN?: readonly (Tensor | undefined)[];
  readonly dcN?: readonly (Tensor | undefined)[];
}

export interface NetGradients {
  /** (n_x, m, T). */
  readonly dx: Tensor;
  /** Per k, (n_a, m). */
  readonly da0: Tensor[];
  readonly dc0?: Tensor[];
  /** Per k: 'd' + each parameter of the cell. */
  readonly params: Arrays[];
}

export const directionsOf = (net: Net): Direction[] => (net.directions === 2 ? ['forward', 'reverse'] : ['forward']);

/** The step a direction's final state is read at. */
export const lastStep = (dir: Direction, T: number): number => (dir === 'forward' ? T - 1 : 0);

/** The net forward; with `keep`, every layer's pass stays live for a backward pass (the caller releases them). */
function runNet(engine: LayerEngine, net: Net, inp: NetInputs, keep: boolean): { out: NetOutputs; passes: LayerPass[] } {
  const [, m, T] = inp.x.shape;
  const zeros = (rows: number): Tensor => tensor([rows, m], new Float64Array(rows * m));
  const dirs = directionsOf(net);
  const passes: LayerPass[] = [], aN: Tensor[] = [], cN: Tensor[] = [];
  let x = inp.x;
  try {
    for (let l = 0; l < net.layers; l++) {
      const inputs = dirs.map((_, j): Arrays => {
        const k = l * dirs.length + j;
        const r: Arrays = { ...inp.params[k], x, a0: inp.a0?.[k] ?? zeros(net.hidden) };
        if (net.hasC) r.c0 = inp.c0?.[k] ?? zeros(net.cellSize ?? net.hidden);
        return r;
      });
      const p = engine(net.cell, inputs, dirs);
      passes.push(p);
      dirs.forEach((dir, j) => {
        const k = l * dirs.length + j;
        aN[k] = stepSlice(p.a[j], lastStep(dir, T));
        if (p.c) cN[k] = stepSlice(p.c[j], lastStep(dir, T));
      });
      x = p.a.length === 1 ? p.a[0] : rowsStacked(p.a);
      if (!keep) p.release();
    }
  } catch (e) {
    for (const p of passes) p.release();
    throw e;
  }
  return { out: net.hasC ? { output: x, aN, cN } : { output: x, aN }, passes };
}

export function netForward(engine: LayerEngine, net: Net, inp: NetInputs): NetOutputs {
  return runNet(engine, net, inp, false).out;
}

/** The forward pass's outputs and the gradients of L (above) from one forward and one backward pass. */
export function netBackward(engine: LayerEngine, net: Net, inp: NetInputs, up: NetUpstream): { outputs: NetOutputs; gradients: NetGradients } {
  const { out, passes } = runNet(engine, net, inp, true);
  const D = net.directions, n_a = net.hidden, T = inp.x.shape[2];
  const dirs = directionsOf(net);
  const da0: Tensor[] = [], dc0: Tensor[] = [], params: Arrays[] = [];
  let dOut = up.da; // ∂L/∂(layer l's output), (D·n_a, m, T)
  try {
    for (let l = net.layers - 1; l >= 0; l--) {
      const das = dirs.map((dir, j) => {
        const da = rowsOf(dOut, j * n_a, n_a);
        const daN = up.daN?.[l * D + j];
        if (daN) addAtStep(da, daN, lastStep(dir, T));
        return da;
      });
      const gs = passes[l].backward(das, dirs.map((_, j) => up.dcN?.[l * D + j]));
      passes[l].release();
      let dx: Tensor | undefined;
      gs.forEach(({ dx: dxk, da0: g0, dc0: gc0, ...grads }, j) => {
        const k = l * D + j;
        da0[k] = g0;
        if (gc0) dc0[k] = gc0;
        params[k] = grads;
        if (dx) addInto(dx, dxk); // (dx is the first direction's own array: summed in place)
        else dx = dxk;
      });
      dOut = dx!;
    }
  } finally {
    for (const p of passes) p.release();
  }
  return { outputs: out, gradients: net.hasC ? { dx: dOut, da0, dc0, params } : { dx: dOut, da0, params } };
}

/** g (H, m) added into step s of t (H, m, T), in place. */
function addAtStep(t: Tensor, g: Tensor, s: number): void {
  const T = t.shape[2];
  for (let k = 0; k < g.data.length; k++) t.data[k * T + s] += g.data[k];
}

/** Rows r0 … r0+n−1 of an (R, m, T) array, a copy. */
function rowsOf(t: Tensor, r0: number, n: number): Tensor {
  const [, m, T] = t.shape;
  return tensor([n, m, T], t.data.slice(r0 * m * T, (r0 + n) * m * T));
}

/** (H_i, m, T) arrays stacked on rows. */
function rowsStacked(ts: readonly Tensor[]): Tensor {
  const data = new Float64Array(ts.reduce((s, t) => s + t.data.length, 0));
  let at = 0;
  for (const t of ts) {
    data.set(t.data, at);
    at += t.data.length;
  }
  return tensor([ts.reduce((s, t) => s + t.shape[0], 0), ...ts[0].shape.slice(1)], data);
}

/** x += y, element by element. */
function addInto(x: Tensor, y: Tensor): void {
  const X = x.data, Y = y.data;
  for (let k = 0; k < X.length; k++) X[k] += Y[k];
}
