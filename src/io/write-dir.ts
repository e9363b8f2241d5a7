/**
 * A directory target: one <name>.npy per array, swapped in whole, so that a reader finds the
 * old set or the new set and never a mix (a fresh a.npy beside a stale c.npy).
 *
 * The new set is written into `.<dir>.<pid>.<hex>.tmp` beside the directory, then:
 *   - no directory yet: the temp is renamed to it;
 *   - an existing one: renamed to `.<dir>.<pid>.<hex>.old`, the temp renamed in its place (two
 *     renames back to back: only a SIGKILL between them leaves no directory, with the old set
 *     whole in `.old` and the new one whole in `.tmp`), then the old set is removed.
 * Files of the existing directory that this write does not replace are the user's:
 *   - other .npy/.npz/.json files would be read with the new arrays: refused up front;
 *   - subdirectories: refused (they cannot be carried over atomically);
 *   - anything else (notes, hidden files, symlinks) is carried over as a hard link — the same
 *     file, never a copy — and a filesystem without hard links is refused.
 * The old directory is then emptied entry by entry, only of what was replaced or carried (the
 * same inode in the new set); if anything else appeared in it meanwhile, it is kept whole and
 * reported. The new directory gets the old one's mode (and owner, where allowed); a symlink to a
 * directory is followed (the link stays); the current directory or one of its parents is refused.
 */
import fs = require('fs');
import path = require('path');
import { InputError } from '../errors';
import type { Arrays } from '../tensor';
import { errnoText, isErrno, printable } from './common';
import { FIXTURE_EXTENSIONS } from './fixture';
import { encodeNpy } from './npy';
import { syncDirectory, tempPath, track, untrack, writeAll, type WriteSteps } from './temps';

export interface DirectoryWrite {
  /** The directory's previous set, kept because files appeared in it during the write. */
  kept?: { path: string; names: string[] };
}

/** What an existing directory holds, against the files of the new set. */
interface Survey {
  /** Files of the new set already there: replaced (their mode is kept). */
  replaced: Map<string, number>;
  /** Entries carried over, with their identity. */
  carried: Map<string, { dev: number; ino: number }>;
  mode: number;
  uid: number;
  gid: number;
}

export function* directorySteps(target: string, arrays: Arrays): WriteSteps<DirectoryWrite> {
  const files = fileNames(target, arrays);
  const given = target.replace(/[\\/]+$/, '') || target;
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(given);
  } catch {
    // a new directory
  }
  if (st && !st.isDirectory()) throw new InputError('exists and is not a directory', target);
  let dest = path.resolve(given);
  try {
    if (st) dest = fs.realpathSync(given);
  } catch (e) {
    throw new InputError(`cannot resolve the directory: ${errnoText(e)}`, target);
  }
  const survey = st && surveyDirectory(target, dest, files, st);
  const tmp = tempPath(dest, 'tmp');
  try {
    fs.mkdirSync(tmp);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) throw new InputError(`cannot write: directory ${path.dirname(given)} does not exist`, target);
    throw new InputError(`cannot write beside it (the new set is written beside the directory, then swapped in): ${errnoText(e)}`, target);
  }
  track(tmp);
  let committed = false;
  let old: string | undefined;
  let current = '';
  try {
    for (const [f, name] of files) {
      current = f;
      const fd = fs.openSync(path.join(tmp, f), 'wx', survey?.replaced.get(f) ?? 0o666);
      try {
        yield* writeAll(fd, encodeNpy(arrays[name]));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    current = '';
    if (survey) carryOver(target, dest, tmp, survey);
    syncDirectory(tmp);
    yield; // the last point a signal stops the write at: from here on it commits
    if (!survey) fs.renameSync(tmp, dest);
    else {
      old = tempPath(dest, 'old');
      try {
        fs.renameSync(dest, old);
      } catch (e) {
        throw new InputError(`cannot move the directory aside to swap the new set in: ${errnoText(e)}; write to a new directory`, target);
      }
      try {
        fs.renameSync(tmp, dest);
      } catch (e) {
        try {
          fs.renameSync(old, dest);
        } catch {
          throw new InputError(`cannot swap the new set in (${errnoText(e)}) nor put the old one back: it is at ${old}`, target);
        }
        throw new InputError(`cannot swap the new set in: ${errnoText(e)}; the directory is as it was`, target);
      }
    }
    committed = true;
    untrack(tmp);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const reason = `cannot write: ${errnoText(e)}`;
    throw new InputError(current ? `${printable(current)}: ${reason}` : reason, target);
  } finally {
    if (!committed) {
      // Only the new set and hard links to files that stay in the old directory.
      try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* best effort */ }
      untrack(tmp);
    }
  }
  syncDirectory(path.dirname(dest));
  return old && survey ? removeOld(old, dest, survey) : {};
}

/** `<name>.npy` → name, for every array; refuses names that cannot be file names. */
function fileNames(target: string, arrays: Arrays): Map<string, string> {
  const files = new Map<string, string>();
  const folded = new Map<string, string>();
  for (const name of Object.keys(arrays)) {
    const problem = fileNameProblem(name);
    if (problem) throw new InputError(`array name '${printable(name)}' cannot be a file name: ${problem}; write a .npz or .json instead`, target);
    const f = `${name}.npy`;
    // Names that differ only in case collide on macOS and Windows file systems.
    const key = f.toLowerCase();
    const other = folded.get(key);
    if (other !== undefined) {
      throw new InputError(`arrays '${printable(other)}' and '${printable(name)}' would be the same file on a case-insensitive file system; write a .npz or .json instead`, target);
    }
    folded.set(key, name);
    files.set(f, name);
  }
  return files;
}

/** Why `name` cannot be `<name>.npy` inside a directory, or undefined if it can. */
function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (/[/\\]/.test(name)) return 'it contains a path separator';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (Buffer.byteLength(name, 'utf8') > 250) return 'it is longer than 250 bytes';
  return undefined;
}

function surveyDirectory(target: string, dir: string, files: Map<string, string>, st: fs.Stats): Survey {
  const rel = path.relative(dir, process.cwd());
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    throw new InputError(`is the current directory${rel ? ' or one of its parents' : ''}; rnn replaces a directory target whole — write to another directory`, target);
  }
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    throw new InputError(`cannot list directory: ${errnoText(e)}`, target);
  }
  const survey: Survey = { replaced: new Map(), carried: new Map(), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  const stale: string[] = [], subdirs: string[] = [];
  for (const e of entries.sort()) {
    let s: fs.Stats;
    try {
      s = fs.lstatSync(path.join(dir, e));
    } catch {
      continue; // gone since the listing
    }
    if (s.isDirectory()) subdirs.push(e);
    else if (files.has(e)) survey.replaced.set(e, s.isFile() ? s.mode & 0o7777 : 0o666);
    else if ((FIXTURE_EXTENSIONS as readonly string[]).includes(path.extname(e).toLowerCase())) stale.push(e);
    else survey.carried.set(e, { dev: s.dev, ino: s.ino });
  }
  const shown = (list: string[]): string => list.slice(0, 5).map((s) => printable(s)).join(', ') + (list.length > 5 ? `, … (${list.length} in all)` : '');
  if (stale.length > 0) {
    throw new InputError(
      `directory already holds ${shown(stale)}, which this write would not replace; loading the directory would then mix old and new arrays — remove them or write to a new directory`,
      target,
    );
  }
  if (subdirs.length > 0) {
    throw new InputError(`directory holds the subdirector${subdirs.length > 1 ? 'ies' : 'y'} ${shown(subdirs)}, which rnn cannot carry over into the new set atomically — move ${subdirs.length > 1 ? 'them' : 'it'} out or write to a new directory`, target);
  }
  return survey;
}

/** Hard-links the files the write does not replace into the new set; gives it the old directory's mode and owner. */
function carryOver(target: string, dir: string, tmp: string, survey: Survey): void {
  for (const e of survey.carried.keys()) {
    try {
      fs.linkSync(path.join(dir, e), path.join(tmp, e));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) { survey.carried.delete(e); continue; } // removed meanwhile
      throw new InputError(`cannot carry ${printable(e)} over into the new set (rnn keeps the files it does not write by hard-linking them): ${errnoText(err)} — move it out or write to a new directory`, target);
    }
  }
  fs.chmodSync(tmp, survey.mode);
  const mine = fs.statSync(tmp);
  if (mine.uid !== survey.uid || mine.gid !== survey.gid) {
    try { fs.chownSync(tmp, survey.uid, survey.gid); } catch { /* not allowed: the new directory is ours */ }
  }
}

/** Empties the old directory of what was replaced or carried, and removes it; keeps it if anything else is in it. */
function removeOld(old: string, dest: string, survey: Survey): DirectoryWrite {
  const left: string[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(old);
  } catch {
    // cannot list it: keep it
  }
  for (const e of entries) {
    try {
      const s = fs.lstatSync(path.join(old, e));
      const was = survey.carried.get(e);
      const now = was && fs.lstatSync(path.join(dest, e));
      const ours = (survey.replaced.has(e) && !s.isDirectory()) || (was && now && s.dev === was.dev && s.ino === was.ino && now.ino === was.ino && now.dev === was.dev);
      if (ours) fs.unlinkSync(path.join(old, e));
      else left.push(e);
    } catch {
      left.push(e);
    }
  }
  try {
    fs.rmdirSync(old);
    return {};
  } catch {
    return { kept: { path: old, names: left.length ? left : entries } };
  }
}

/** The warning for a DirectoryWrite that kept the previous set. */
export function keptText(target: string, w: DirectoryWrite): string | undefined {
  if (!w.kept) return undefined;
  const names = w.kept.names.slice(0, 5).map((n) => printable(n)).join(', ') + (w.kept.names.length > 5 ? ', …' : '');
  return `warning: ${target}: its previous contents are kept at ${w.kept.path}: ${names} appeared there during the write`;
}
