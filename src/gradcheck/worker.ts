/**
 * A gradcheck worker thread: builds its own Evaluator from the inputs it is sent, then
 * answers chunks of finite differences until it is terminated. See parallel.ts.
 */
import { parentPort } from 'worker_threads';
import type { CellName, Loss } from '../backends/types';
import type { Arrays } from '../tensor';
import { Evaluator } from './evaluator';
import { emptyPass, measureEntries, pushDirection, type FirstPass } from './pass';

export interface InitMessage {
  cell: CellName;
  inputs: Arrays;
  loss: Loss;
}

export interface ChunkMessage {
  id: number;
  input: string;
  entries: number[];
  dirs: Float64Array[];
  eps: number;
}

export interface ChunkReply {
  id: number;
  /** The chunk's items as a first pass (index.ts FirstPass). */
  pass: FirstPass;
  evaluations: number;
}

let ev: Evaluator | undefined;

parentPort!.on('message', (msg: InitMessage | ChunkMessage) => {
  if ('cell' in msg) {
    ev?.release();
    ev = new Evaluator(msg.cell, msg.inputs, msg.loss);
    return;
  }
  const before = ev!.evaluations;
  const pass = emptyPass();
  measureEntries(ev!, msg.input, msg.entries, msg.eps, 0, msg.entries.length, pass);
  for (const v of msg.dirs) pushDirection(ev!, msg.input, ev!.direction(msg.input, v, msg.eps), pass);
  const reply: ChunkReply = { id: msg.id, pass, evaluations: ev!.evaluations - before };
  parentPort!.postMessage(reply);
});
