/**
 * A check is written as a generator that yields after each loss evaluation, so that one body
 * serves two drivers: `drain` runs it to the end without a pause (the synchronous API), `drive`
 * hands the event loop back every SLICE_MS — then a SIGINT handler, worker replies and progress
 * output run while a one-thread check is under way, and an aborted signal stops it at the next
 * pause (cost measured in bench/README.md, "Interruptible gradcheck").
 */
import { interruption } from '../errors';

export type Steps<T> = Generator<void, T, void>;

/** Time between two pauses of `drive`: how late a Ctrl-C is noticed, at most, plus one evaluation. */
export const SLICE_MS = 25;

/** Runs the steps to the end on this thread, without pausing. */
export function drain<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs the steps, pausing for the event loop every SLICE_MS; throws Interrupted once `signal` is aborted. */
export async function drive<T>(steps: Steps<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw interruption(signal);
  let deadline = performance.now() + SLICE_MS;
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    // (checked at every step too: an abort from a callback of the check itself stops it right there)
    if (signal?.aborted) throw interruption(signal);
    if (performance.now() < deadline) continue;
    await pause();
    if (signal?.aborted) throw interruption(signal);
    deadline = performance.now() + SLICE_MS;
  }
}

/** One turn of the event loop: signals, I/O and messages that arrived meanwhile are handled first. */
export const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
