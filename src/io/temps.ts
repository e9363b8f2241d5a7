/**
 * The pieces of an atomic write (src/io/write.ts, write-dir.ts): temporary names, the temps
 * under way, writing in steps, fsync of a directory.
 *
 * Names: `.<target name>.<pid>.<12 hex>.tmp` beside the target (the new file, or the new
 * directory's set), and `.<dir name>.<pid>.<12 hex>.old` for a directory's previous set
 * during a swap. Neither is read as a fixture (`.tmp`/`.old` are no fixture extensions, and
 * directory readers skip subdirectories).
 *
 * A temp is tracked from its creation until it is renamed into place or removed. If the
 * process exits in between — `process.exit` after a second Ctrl-C, an uncaught error — an
 * 'exit' hook removes what is still tracked, so only a SIGKILL (or a crash of node itself)
 * leaves one behind. Invariant: a path is untracked in the same synchronous step that renames
 * it into place, so the hook can never remove a committed target. `.old` directories are
 * never tracked: they hold the user's previous set.
 */
import type * as cryptoTypes from 'crypto';
import fs = require('fs');
import path = require('path');

/** A random suffix for temporary names; crypto loads only when something is written (start-up). */
const randomHex = (): string => (require('crypto') as typeof cryptoTypes).randomBytes(6).toString('hex');

/** `.<name>.<pid>.<hex>.<kind>` beside `target`. */
export function tempPath(target: string, kind: 'tmp' | 'old'): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomHex()}.${kind}`);
}

const live = new Set<string>();

function removeLive(): void {
  for (const p of live) {
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // best effort: the process is exiting
    }
  }
  live.clear();
}

/** From now until `untrack`, `p` is removed if the process exits. */
export function track(p: string): void {
  if (live.size === 0) process.on('exit', removeLive);
  live.add(p);
}

export function untrack(p: string): void {
  if (!live.delete(p)) return;
  if (live.size === 0) process.off('exit', removeLive);
}

/** Temps being written now (for tests). */
export function liveTemps(): string[] {
  return [...live];
}

/** A write as steps: each yield is a point where it may be stopped, its temps removed. */
export type WriteSteps<T> = Generator<void, T, void>;

/** Bytes written per step. */
const CHUNK = 8 << 20;

/** Writes `bytes` to `fd` from its start, a step per CHUNK. */
export function* writeAll(fd: number, bytes: Uint8Array): WriteSteps<void> {
  for (let off = 0; off < bytes.length;) {
    const end = Math.min(bytes.length, off + CHUNK);
    while (off < end) off += fs.writeSync(fd, bytes, off, end - off);
    if (off < bytes.length) yield;
  }
}

/** fsync a directory so a rename in it survives a crash; not every platform allows it. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort (e.g. Windows cannot open directories)
  } finally {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* ignore */ }
  }
}

