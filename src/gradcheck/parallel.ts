/**
 * gradcheck on worker threads: the first pass of finite differences (nearly all the work)
 * is cut into chunks of about equal cost and handed out to `threads` workers as they come
 * free, in the order of the arrays; each array's verdict and any refinement then run on this
 * thread (concludePlan()) as soon as its chunks are in, while the workers go on. The results
 * are the very numbers the one-thread gradcheck() computes — each entry's difference is
 * evaluated the same way, only elsewhere.
 *
 * Everything here is asynchronous and pauses for the event loop (steps.ts): an aborted
 * `o.signal` stops a check within a fraction of a second, on one thread or many.
 */
import { availableParallelism } from 'os';
import path = require('path');
import type { Worker } from 'worker_threads';
import { interruption } from '../errors';
import { sizeOf } from '../tensor';
import { Directions } from './directions';
import { Evaluator, inputKind } from './evaluator';
import {
  checkSteps, concludePlan, emptyPass, finish, itemCount, prepare, workOf,
  type ArrayCheck, type FirstPass, type GradcheckOptions, type GradcheckResult, type Plan, type Prepared,
} from './index';
import { drive } from './steps';
import type { ChunkMessage, ChunkReply, InitMessage } from './worker';

/** Below this many multiply-adds of work a thread pool costs more than it saves (its workers' start; bench/README.md). */
export const PARALLEL_MIN_WORK = 3e8;
/** Directions in a chunk hold at most this many bytes (at least one direction): what is in flight stays bounded. */
const CHUNK_DIRECTION_BYTES = 1 << 20;

interface Chunk {
  plan: number;
  /** Offset of the chunk's first item in the plan's results. */
  at: number;
  input: string;
  entries: number[];
  /** Directions: drawn when the chunk is handed out (directions.ts), in the order of the chunks. */
  directions: number;
}

/** Starts a worker from the bundle (dist/gradcheck/worker.js) or, under ts-node, the source. */
function startWorker(): Worker {
  // Loaded here, not at the top: every CLI start would pay for it.
  const { Worker } = require('worker_threads') as typeof import('worker_threads');
  if (__filename.endsWith('.ts')) {
    const src = path.join(__dirname, 'worker.ts');
    return new Worker(`require('ts-node/register/transpile-only'); require(${JSON.stringify(src)});`, { eval: true });
  }
  return new Worker(path.join(__dirname, 'gradcheck', 'worker.js'));
}

/**
 * Cuts every plan's items into chunks worth about `target` units of work each, made as they
 * are handed out (a million directions are not a list of chunks first): `count` of them.
 */
function chunksOf(plans: Plan[], costOf: (input: string) => number, target: number): { count: number; chunks: Generator<Chunk> } {
  const sizes = plans.map((pl) => {
    const entries = Math.max(1, Math.floor(target / costOf(pl.input)));
    return { entries, directions: Math.max(1, Math.min(entries, Math.floor(CHUNK_DIRECTION_BYTES / (8 * sizeOf(pl.shape))))) };
  });
  const count = plans.reduce((s, pl, p) => s + Math.ceil(pl.entries.length / sizes[p].entries) + Math.ceil(pl.directions / sizes[p].directions), 0);
  function* chunks(): Generator<Chunk> {
    for (const [plan, pl] of plans.entries()) {
      const size = sizes[plan];
      for (let i = 0; i < pl.entries.length; i += size.entries) {
        yield { plan, at: i, input: pl.input, entries: pl.entries.slice(i, i + size.entries), directions: 0 };
      }
      const base = pl.entries.length;
      for (let i = 0; i < pl.directions; i += size.directions) {
        yield { plan, at: base + i, input: pl.input, entries: [], directions: Math.min(size.directions, pl.directions - i) };
      }
    }
  }
  return { count, chunks: chunks() };
}

/**
 * gradcheck() on `threads` worker threads when the work pays for them, else on this thread
 * (never more threads than cores: more only cost memory, ~14 MB each, bench/README.md).
 */
export async function gradcheckThreads(o: GradcheckOptions, threads: number): Promise<GradcheckResult> {
  return runPrepared(prepare(o), threads);
}

/** A prepared check on `threads` worker threads when the work pays for them, else on this thread; interruptible either way. */
export async function runPrepared(prep: Prepared, threads: number): Promise<GradcheckResult> {
  threads = Math.min(threads, availableParallelism());
  if (threads > 1 && workOf(prep) >= PARALLEL_MIN_WORK) return runParallel(prep, threads);
  const ev = new Evaluator(prep.o.cell, prep.o.inputs, prep.o.loss);
  try {
    return await drive(checkSteps(prep, ev), prep.o.signal);
  } finally {
    ev.release();
  }
}

/** Runs a prepared check's first pass on `threads` workers. */
export async function runParallel(prep: Prepared, threads: number): Promise<GradcheckResult> {
  const ev = new Evaluator(prep.o.cell, prep.o.inputs, prep.o.loss);
  try {
    return await runWith(prep, threads, ev);
  } finally {
    ev.release();
  }
}

/** runParallel with this thread's evaluator (for the refinement, or for all of it where workers are not allowed). */
async function runWith(prep: Prepared, threads: number, ev: Evaluator): Promise<GradcheckResult> {
  const started = process.hrtime.bigint();
  const { o } = prep;
  const { d } = ev;
  // Relative cost of one item: a full forward for a parameter (or a direction), one column's tail otherwise.
  const costOf = (input: string): number => (inputKind(input) === 'param' || prep.mode === 'fast' ? d.m * d.T_x : (d.T_x + 1) / 2);
  const totalCost = prep.plans.reduce((s, pl) => s + pl.entries.length * costOf(pl.input) + pl.directions * d.m * d.T_x, 0);
  const { count, chunks } = chunksOf(prep.plans, costOf, totalCost / (threads * 24));
  /** The chunks out on the workers, by id. */
  const out = new Map<number, Chunk>();
  const first: FirstPass[] = prep.plans.map(() => emptyPass());
  const directions = new Directions(prep);
  /** Items of each plan still out on the workers. */
  const left = prep.plans.map((pl) => pl.entries.length + pl.directions);
  const total = itemCount(prep.plans);
  let done = 0, work = 0, evaluations = 0, next = 0;
  let arrived = (): void => {};

  const init: InitMessage = { cell: o.cell, inputs: o.inputs, loss: o.loss };
  const workers: Worker[] = [];
  try {
    while (workers.length < Math.min(threads, count)) workers.push(startWorker());
  } catch {
    // workers not allowed here (e.g. node --experimental-permission): this thread does it all
    await Promise.all(workers.map((w) => w.terminate()));
    return drive(checkSteps(prep, ev), o.signal);
  }
  const firstPass = Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    const give = (): void => {
      const r = chunks.next();
      if (r.done) return resolve();
      const id = next++, c = r.value;
      out.set(id, c);
      // (chunks are handed out in order, so their directions are drawn in order; sent, not copied)
      const dirs = Array.from({ length: c.directions }, () => directions.next(c.plan));
      w.postMessage({ id, input: c.input, entries: c.entries, dirs, eps: prep.eps } satisfies ChunkMessage, dirs.map((v) => v.buffer as ArrayBuffer)); // (each its own buffer: randn)
    };
    w.on('message', (r: ChunkReply) => {
      const c = out.get(r.id)!, n = r.pass.values.length;
      out.delete(r.id);
      for (const key of ['values', 'sigma', 'step', 'centred'] as const) {
        for (let k = 0; k < n; k++) first[c.plan][key][c.at + k] = r.pass[key][k];
      }
      evaluations += r.evaluations;
      done += n;
      left[c.plan] -= n;
      work += n * prep.cost(c.input, c.directions > 0);
      o.onProgress?.({ done, total, work });
      arrived();
      give();
    });
    w.on('error', reject);
    w.on('exit', (code) => (code !== 0 ? reject(new Error(`gradcheck worker exited with code ${code}`)) : undefined));
    w.postMessage(init);
    give();
  })));
  // Verdicts in the order of the arrays, each as soon as its first pass is complete.
  const verdicts = (async (): Promise<ArrayCheck[]> => {
    const arrays: ArrayCheck[] = [];
    for (let p = 0; p < prep.plans.length; p++) {
      while (left[p] > 0) await new Promise<void>((resolve) => (arrived = resolve));
      arrays.push(await drive(concludePlan(prep, ev, p, first[p], directions), o.signal));
      first[p] = emptyPass(); // (what a verdict no longer needs: a big fast check keeps only its plans under way)
      directions.done(p);
      o.onArray?.(arrays[p], p);
    }
    return arrays;
  })();
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(interruption(o.signal!));
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const [, arrays] = await Promise.race([Promise.all([firstPass, verdicts]), aborted]);
    return finish(prep, ev, arrays, evaluations, started);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
