/**
 * Runs the column groups' time loops (src/exec/unroll/): group 0 on this thread and, at the same
 * time, the others on a group worker (src/exec/group-worker.ts) — or all of them here, one after
 * another, where there is no worker (not the main thread, one core, RNN_KERNEL_THREADS=1 or
 * setKernelThreads(false), workers not allowed) or it is not ready yet. The results are the
 * same bits either way: each group runs the same code on its own columns.
 *
 * The job protocol. Control word 0 holds job·8 + state (word 1: the worker is ready). This thread posts a job (POSTED)
 * with the trace's shared buffers, runs its own group, then either takes the job back —
 * compare-and-swap POSTED → TAKEN, and runs those groups here — or, if the worker claimed it
 * first (POSTED → CLAIMED), waits for DONE. A worker that is slow to start or preempted
 * therefore never holds a pass up, and a late message finds its job taken and is dropped.
 * If the job fails in the worker (FAILED), this thread runs the groups itself: a bug then
 * throws here with its real stack, and the worker is not used again.
 *
 * While both threads run groups, the products of this thread's group keep off the kernels'
 * helper thread (src/exec/wasm/kernels.ts): the second core is busy with the other group.
 *
 * The same protocol runs two independent traces side by side (`inGroupsBeside`: a
 * bidirectional layer's directions, one column group each): the worker takes one trace's group
 * while this thread runs the other's.
 */
import path = require('path');
import type { MessagePort, Worker } from 'worker_threads';
import { bufferNames, paramBuffers } from '../model/cells';
import type { Params } from '../model/cells/types';
import { attachArena, kernelArena } from './kernels';
import { kernelThreadsOn, KERNEL_THREADS_OFF, withoutHelper } from './wasm/kernels';
import { give, take } from './pool';
import type { BpttBuffers, GroupJob, Group, Pack, Trace, TraceBuffers } from './unroll';
import type { ZAt } from './unroll/group';
import type { LossJob } from './unroll/losses';

/**
 * A buffer as a job message carries it: a SharedArrayBuffer's view as it is, an arena block
 * (src/exec/pool.ts) as its place in the kernels' memory — the worker makes its own view of it,
 * which its products then use in place (src/exec/kernels.ts, attachArena).
 */
export type Wire = Float64Array | { at: number; n: number };
type Wired<T> = { [K in keyof T]: Wire };

/** What the worker is sent for one job: everything shared. */
export interface GroupMessage {
  id: number;
  cell: Trace['cell']['name'];
  direction: Trace['direction'];
  zxIn: Trace['zxIn'];
  d: Trace['d'];
  widths: readonly number[];
  /** Indices of the groups it runs. */
  groups: number[];
  /** The kernels' memory, when any buffer is an arena block. */
  memory?: unknown;
  p: Wired<Params>;
  buffers: Wired<TraceBuffers>;
  job: WiredJob;
}

/** A GroupJob as a message carries it. */
type WiredPack = Omit<Pack, 'P'> & { P: Wire };
type WiredJob =
  | (Omit<Extract<GroupJob, { kind: 'forward' }>, 'packs' | 'xIn'> & { packs?: WiredPack[]; xIn?: Wire })
  | { kind: 'backward'; b: Wired<BpttBuffers>; dzAt: ZAt; loss?: Omit<LossJob, 'input' | 'dz'> & { input: Wire; dz?: Wire }; dx: Wire; dxOut: Wire; packs?: WiredPack[] };

function wireJob(job: GroupJob): WiredJob {
  const packs = job.packs?.map((pk) => ({ ...pk, P: wire(pk.P) }));
  if (job.kind === 'forward') return { ...job, packs, xIn: job.xIn && wire(job.xIn) };
  const { loss } = job;
  return {
    kind: 'backward', b: toWire(job.b), dzAt: job.dzAt, loss: loss && { ...loss, input: wire(loss.input), dz: loss.dz && wire(loss.dz) },
    dx: wire(job.dx), dxOut: wire(job.dxOut), packs,
  };
}

/** The worker's side of wireJob. */
export function unwireJob(job: WiredJob, memory: unknown): GroupJob {
  const packs = job.packs?.map((pk) => ({ ...pk, P: unwire(pk.P, memory) }));
  if (job.kind === 'forward') return { ...job, packs, xIn: job.xIn && unwire(job.xIn, memory) };
  const { loss } = job;
  return {
    kind: 'backward', b: fromWire<BpttBuffers>(job.b, memory), dzAt: job.dzAt,
    loss: loss && { ...loss, input: unwire(loss.input, memory), dz: loss.dz && unwire(loss.dz, memory) },
    dx: unwire(job.dx, memory), dxOut: unwire(job.dxOut, memory), packs,
  };
}

/** A buffer as a message carries it. */
function wire(X: Float64Array, arena = kernelArena()): Wire {
  return arena?.isArena(X) ? { at: X.byteOffset, n: X.length } : X;
}

/** The worker's side of wire: the buffer itself, or its own view of the arena block on `memory`. */
function unwire(w: Wire, memory: unknown): Float64Array {
  if (w instanceof Float64Array) return w;
  const k = memory === undefined ? undefined : attachArena(memory);
  return k ? k.view(w.at, w.n) : new Float64Array((memory as { buffer: SharedArrayBuffer }).buffer, w.at, w.n);
}

/** Every buffer of `o` as a message carries it. */
function toWire<T extends object>(o: T): Wired<T> {
  const arena = kernelArena();
  const out = {} as Record<string, Wire>;
  for (const [k, X] of Object.entries(o) as [string, Float64Array][]) out[k] = wire(X, arena);
  return out as Wired<T>;
}

/** The worker's side of toWire. */
export function fromWire<T extends object>(o: Wired<T>, memory: unknown): T {
  const out = {} as Record<string, Float64Array>;
  for (const [key, w] of Object.entries(o) as [string, Wire][]) out[key] = unwire(w, memory);
  return out as T;
}

/** States of a job in the control word (job·8 + state). */
export const POSTED = 1, CLAIMED = 2, DONE = 3, FAILED = 4, TAKEN = 5;
const JOB_WRAP = 1 << 27; // job·8 + 7 must fit an int32

interface GroupWorker {
  worker: Worker;
  /** Where jobs are posted: the worker reads them synchronously when the control word says so. */
  port: MessagePort;
  ctl: Int32Array;
  job: number;
  broken: boolean;
}
let started: GroupWorker | null | undefined;
/** Jobs posted to the worker, and how many of them this thread took back (tests, bench). */
const stats = { posted: 0, takenBack: 0 };
export const groupStats = (): { posted: number; takenBack: number } => ({ ...stats });

/** The group worker, started on first use; undefined where there is none (see above). */
function groupWorker(): GroupWorker | undefined {
  if (started !== undefined) return started ?? undefined;
  started = null;
  const threads = require('worker_threads') as typeof import('worker_threads');
  const os = require('os') as typeof import('os');
  if (KERNEL_THREADS_OFF || !threads.isMainThread || os.availableParallelism() < 2) return undefined;
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new threads.MessageChannel();
  const options = { workerData: { ctl, port: port2 }, transferList: [port2] };
  let worker: Worker;
  try {
    worker = __filename.endsWith('.ts')
      ? new threads.Worker(`require('ts-node/register/transpile-only'); require(${JSON.stringify(path.join(__dirname, 'group-worker.ts'))});`, { eval: true, ...options })
      : new threads.Worker(path.join(__dirname, 'group-worker.js'), options);
  } catch {
    return undefined; // workers not allowed here (e.g. node --experimental-permission)
  }
  worker.unref(); // never keeps the process alive: between jobs it only waits
  port1.unref();
  const p: GroupWorker = { worker, port: port1, ctl, job: 0, broken: false };
  worker.on('error', () => (p.broken = true));
  worker.on('exit', () => (p.broken = true));
  return (started = p);
}

/** The trace's parameters copied onto shared memory for the worker (one set per trace, refreshed per job). */
const sharedParams = new WeakMap<Trace, Params>();
function paramsFor(tr: Trace): Params {
  const { cell, d, p } = tr;
  let sp = sharedParams.get(tr);
  if (!sp) {
    sp = paramBuffers(cell, d, '', undefined, (n) => take(n, true, false)); // every value set below
    sharedParams.set(tr, sp);
  }
  for (const name of bufferNames(cell, d).all) sp[name].set(p[name]); // p may have changed since the last run
  return sp;
}

/** Hands the trace's shared copy of the parameters back to the pool (src/exec/unroll/trace.ts `release`). */
export function releaseGroupParams(tr: Trace): void {
  const sp = sharedParams.get(tr);
  if (!sp) return;
  sharedParams.delete(tr);
  give(...bufferNames(tr.cell, tr.d).all.map((name) => sp[name]));
}

/** Job `id` for the worker: `job` for the trace's `groups`, the trace's buffers and its shared parameters. */
export function jobMessage(tr: Trace, id: number, job: GroupJob, groups: number[]): GroupMessage {
  const buffers = tr.buffers;
  const arena = kernelArena();
  return {
    id, cell: tr.cell.name, direction: tr.direction, zxIn: tr.zxIn, d: tr.d, widths: tr.widths, groups,
    memory: arena && Object.values(buffers).some((X) => arena.isArena(X)) ? arena.memory : undefined,
    p: toWire(paramsFor(tr)), buffers: toWire(buffers), job: wireJob(job),
  };
}

/**
 * Posts `job` for the trace's `groups` to the worker and runs `here` meanwhile, keeping the
 * kernels' helper thread off; then takes the job back if the worker has not claimed it, or
 * waits for it. True when the worker ran the groups; false when the caller must run them.
 * If `here` throws, the job is settled first (the worker may be writing the trace's buffers).
 */
function beside(w: GroupWorker, tr: Trace, job: GroupJob, groups: number[], here: () => void): boolean {
  w.job = (w.job % JOB_WRAP) + 1;
  const tag = w.job * 8;
  const msg = jobMessage(tr, w.job, job, groups);
  stats.posted++;
  w.port.postMessage(msg);
  Atomics.store(w.ctl, 0, tag + POSTED);
  Atomics.notify(w.ctl, 0);
  try {
    withoutHelper(here);
  } catch (e) {
    settle(w, tag);
    throw e;
  }
  return settle(w, tag);
}

function settle(w: GroupWorker, tag: number): boolean {
  if (Atomics.compareExchange(w.ctl, 0, tag + POSTED, tag + TAKEN) === tag + POSTED) {
    stats.takenBack++;
    return false; // not claimed yet: the caller's
  }
  let s: number;
  while ((s = Atomics.load(w.ctl, 0)) === tag + CLAIMED) Atomics.wait(w.ctl, 0, s, 1000);
  if (s === tag + DONE) return true;
  w.broken = true;
  return false;
}

/** Runs every group's time loop for `job`; `here(grp)` runs one on this thread. */
export function inGroups(tr: Trace, job: GroupJob, here: (grp: Group) => void): void {
  const w = tr.groups.length > 1 && kernelThreadsOn() ? groupWorker() : undefined;
  const rest = tr.groups.slice(1);
  if (w && !w.broken && beside(w, tr, job, rest.map((_, g) => g + 1), () => here(tr.groups[0]))) return;
  if (w && !w.broken) for (const grp of rest) here(grp);
  else for (const grp of tr.groups) here(grp);
}

/** A pass over a trace, as src/exec/unroll/pass.ts sets it up: its job for the column groups, and what runs around them. */
export interface GroupWork {
  readonly tr: Trace;
  readonly job: GroupJob;
  /** Runs one group's part of the job on this thread. */
  here(grp: Group): void;
  /** Runs the pass on this thread, `groups` running the job's groups within it (with the pass's operands resident). */
  within(groups: () => void): void;
}

/**
 * Runs two passes over independent traces (a bidirectional layer's two directions): where
 * each has one column group and b's buffers are shared, b's group on the group worker while
 * a's pass runs here, then the rest of b's pass here; else one pass after the other, each as
 * `inGroups` runs it. The same bits either way: each group runs the same code on its own buffers.
 */
export function inGroupsBeside(a: GroupWork, b: GroupWork): void {
  const alone = (g: GroupWork) => (): void => inGroups(g.tr, g.job, (grp) => g.here(grp));
  const w = a.tr.groups.length === 1 && b.tr.groups.length === 1 && b.tr.shared && kernelThreadsOn() ? groupWorker() : undefined;
  if (!w || w.broken) {
    a.within(alone(a));
    b.within(alone(b));
    return;
  }
  let ran = false;
  a.within(() => (ran = beside(w, b.tr, b.job, [0], () => a.here(a.tr.groups[0]))));
  b.within(() => {
    if (!ran) b.here(b.tr.groups[0]);
  });
}

/**
 * Starts the group worker now, for a pass with column groups about to be set up: it then
 * starts while this thread converts and allocates, and takes the first job instead of
 * leaving it to this thread (a process's first pass; bench/README.md, "One cold run").
 */
export function startGroupWorker(): void {
  if (kernelThreadsOn()) groupWorker();
}

/** Starts the group worker now (tests, bench): resolves true once it takes jobs. */
export async function groupWorkerReady(timeoutMs = 10_000): Promise<boolean> {
  const w = groupWorker();
  const until = Date.now() + timeoutMs;
  while (w && !w.broken && Atomics.load(w.ctl, 1) !== 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  return !!w && !w.broken && Atomics.load(w.ctl, 1) === 1;
}
