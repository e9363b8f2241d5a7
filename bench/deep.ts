/**
 * `npm run bench -- --only deep`: stacked and bidirectional nets in PyTorch's terms (issue 19's
 * goal): one forward + backward of `rnn backward --layout torch`'s loss on a 2-layer
 * bidirectional LSTM and GRU (H_in 64, H 128, N 32, T 100), in-process after warm-up, its
 * GFLOP/s against the same module with one layer in one direction (the single-layer big net,
 * through the same path) and against PyTorch's own float64 CPU implementation
 * (bench/torch_side.py), where `import torch` works.
 */
import { initTorch } from '../src/layouts/torch/init';
import { torchBackward, torchProblem, type TorchModule } from '../src/layouts/torch';
import { fmtRatio, fmtTime, heading, printTable, python, ratio, run, runOrWarn, timeInProcess } from './common';
import { float64Backend } from '../src/backends/float64';
import { initFixture } from '../src/cli/commands/init';
import { checkInputs } from '../src/validate';
import * as path from 'path';
import { setKernelThreads } from '../src/exec/wasm/kernels';

const GATES: Record<TorchModule, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const SIZE = { inputSize: 64, hidden: 128, batch: 32, seqLen: 100 };

/** Products' FLOPs of one forward + backward: per layer-direction G·H·(H + its input)·N·T multiply-adds forward, twice that backward. */
function flops(module: TorchModule, layers: number, D: number): number {
  let macs = 0;
  for (let l = 0; l < layers; l++) macs += D * GATES[module] * SIZE.hidden * (SIZE.hidden + (l === 0 ? SIZE.inputSize : D * SIZE.hidden)) * SIZE.batch * SIZE.seqLen;
  return 2 * 3 * macs;
}

/** The anchor: the engine's single-layer big net, sum-loss backward (no head), as the coursera layout runs it. */
function singleLayer(cell: 'lstm' | 'gru_reset_after'): number {
  const dims = { n_x: SIZE.inputSize, n_a: SIZE.hidden, n_y: 1, m: SIZE.batch, T_x: SIZE.seqLen };
  // weights of PyTorch's init's size (1/√H), as the modules': randn weights saturate the gates,
  // and a saturated tanh takes a shorter path (src/exec/fastmath.ts): the anchor would run faster for it
  const { inputs } = checkInputs(cell, initFixture({ cell, dims, seed: 1, scale: 1 / Math.sqrt(SIZE.hidden) }), { da: true });
  return timeInProcess(() => void float64Backend.backward(cell, inputs, { kind: 'sum', da: inputs.da }), 2);
}

function ours(module: TorchModule, layers: number, bidirectional: boolean): number {
  const arrays = initTorch({ module, ...SIZE, layers, bidirectional, bias: true, batchFirst: false, seed: 1 });
  return timeInProcess(() => void torchBackward(torchProblem(arrays), arrays), 2);
}

/** A python that imports torch: the one the bench times numpy with, else Debian's (python3-torch installs for /usr/bin/python3). */
let torchPy: string | null | undefined;
function torchPython(): string | null {
  if (torchPy === undefined) torchPy = [python().exe, '/usr/bin/python3'].find((exe) => run(exe, ['-c', 'import torch']).ok) ?? null;
  return torchPy;
}

function pytorch(module: TorchModule, layers: number, bidirectional: boolean): number | undefined {
  const exe = torchPython();
  if (!exe) return undefined;
  const r = runOrWarn(exe, [path.join(__dirname, 'torch_side.py'), module, `${SIZE.inputSize}`, `${SIZE.hidden}`, `${layers}`, bidirectional ? '1' : '0', `${SIZE.batch}`, `${SIZE.seqLen}`, '15']);
  const s = r && Number(r.stdout.trim().split('\n').pop());
  return s !== undefined && Number.isFinite(s) ? s : undefined;
}

export function deep(): void {
  heading('5. Deep and bidirectional nets (--layout torch): one forward + backward (in-process)');
  console.log('Ours: torchBackward (src/layouts/torch/), the loss Σ grad_output⊙output + Σ grad_h_n⊙h_n (+ c_n), median after warm-up;');
  console.log('PyTorch: bench/torch_side.py, nn.LSTM / nn.GRU in float64 on the CPU, forward + autograd backward of the same loss, median.');
  console.log(`H_in ${SIZE.inputSize}, H ${SIZE.hidden}, N ${SIZE.batch}, T ${SIZE.seqLen}. GFLOP/s counts the products only (G·H·(H + input) per step and direction).\n`);
  console.log('"single-layer big net": the coursera layout\'s big net of the same sizes (n_x 64, n_a 128, m 32, T_x 100), one layer, backward of the sum loss');
  console.log('(float64Backend, no head; randn weights × 1/√H, the size of PyTorch\'s init), the anchor of the goal: the deep net at ≥ 90% of its GFLOP/s.\n');
  const rows: string[][] = [];
  for (const module of ['LSTM', 'GRU'] as const) {
    const anchor = singleLayer(module === 'LSTM' ? 'lstm' : 'gru_reset_after'), one = ours(module, 1, false), deepNet = ours(module, 2, true);
    const gAnchor = flops(module, 1, 1) / anchor / 1e9, gOne = flops(module, 1, 1) / one / 1e9, gDeep = flops(module, 2, 2) / deepNet / 1e9;
    const pt = pytorch(module, 2, true);
    rows.push([module, fmtTime(anchor), gAnchor.toFixed(2), fmtTime(one), gOne.toFixed(2), fmtTime(deepNet), gDeep.toFixed(2), `${((100 * gDeep) / gAnchor).toFixed(0)}%`, fmtTime(pt), fmtRatio(ratio(pt, deepNet))]);
  }
  printTable(['module', 'single-layer big net', 'GFLOP/s', 'torch, 1 layer', 'GFLOP/s', 'torch, 2 layers bidir', 'GFLOP/s', 'deep / single-layer GFLOP/s', 'PyTorch 2-layer bidir', 'PyTorch / ours'], rows);
  if (!torchPython()) console.log('\n(no python here imports torch: `apt-get install python3-torch` gives /usr/bin/python3 one)');
  sideBySide();
}

/**
 * A layer's two directions side by side (src/exec/unroll/pass.ts `runBeside`): batches too small
 * for column groups, where a bidirectional layer's directions are what two threads can share.
 * The same module on one thread (setKernelThreads(false)) in the same run, alternating.
 */
function sideBySide(): void {
  console.log('\nA layer\'s two directions side by side: 2-layer bidirectional modules, H_in 64, T 100, batches too small for column groups;');
  console.log('one forward + backward on two threads (the default: the reverse direction on the group worker) and on one (setKernelThreads(false)), alternating.\n');
  const rows: string[][] = [];
  for (const [module, hidden, batch] of [['LSTM', 128, 4], ['GRU', 128, 4], ['LSTM', 64, 8], ['LSTM', 256, 1]] as const) {
    const arrays = initTorch({ module, inputSize: SIZE.inputSize, hidden, layers: 2, bidirectional: true, bias: true, batch, seqLen: SIZE.seqLen, batchFirst: false, seed: 1 });
    const pass = (): void => void torchBackward(torchProblem(arrays), arrays);
    const oneThread = (): void => {
      setKernelThreads(false);
      try {
        pass();
      } finally {
        setKernelThreads(true);
      }
    };
    const [two, one] = alternating([pass, oneThread], 2);
    rows.push([module, `${hidden}`, `${batch}`, fmtTime(one), fmtTime(two), fmtRatio(ratio(one, two))]);
  }
  printTable(['module', 'H', 'N', 'one thread', 'two threads', 'one / two'], rows);
}

/** Medians of `fns` run in turn after a warm-up, for about `budget` seconds in all. */
function alternating(fns: (() => void)[], budget: number): number[] {
  for (let k = 0; k < 3; k++) for (const f of fns) f();
  const samples: number[][] = fns.map(() => []);
  const until = performance.now() + budget * 1000;
  while (samples[0].length < 7 || performance.now() < until) {
    fns.forEach((f, i) => {
      const t0 = performance.now();
      f();
      samples[i].push((performance.now() - t0) / 1000);
    });
  }
  return samples.map((s) => s.sort((a, b) => a - b)[s.length >> 1]);
}
