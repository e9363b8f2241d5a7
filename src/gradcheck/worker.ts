/**
 * A gradcheck worker thread: builds its own Evaluator from the inputs it is sent, then
 * answers chunks of finite differences until it is terminated. See parallel.ts.
 */
import { parentPort } from 'worker_threads';
import type { CellName, Loss } from '../backend';
import type { Arrays } from '../tensor';
import { Evaluator } from './evaluator';

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
  values: Float64Array;
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
  const values = new Float64Array(msg.entries.length + msg.dirs.length);
  let k = 0;
  for (const e of msg.entries) values[k++] = ev!.entry(msg.input, e, msg.eps);
  for (const v of msg.dirs) values[k++] = ev!.direction(msg.input, v, msg.eps);
  const reply: ChunkReply = { id: msg.id, values, evaluations: ev!.evaluations - before };
  parentPort!.postMessage(reply, [values.buffer]);
});
