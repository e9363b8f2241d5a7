/**
 * The name contract of `--expect` and `gradcheck --grads`: every array in your files is
 * compared (under our name or a notebook alias of it), accepted as an input of the command
 * (not compared), or an error naming it and the names that were possible. Nothing is skipped
 * in silence: a misnamed array must never let a wrong implementation pass. The names come
 * from the cell registry (outputs, gradients per loss, fixture names), never from lists here.
 */
import { LOSS_KINDS, type CellName, type LossKind } from './backends/types';
import { CELLS, gradientNames, outputNames } from './model/cells';
import { InputError } from './errors';
import { shown } from './escape';
import { fixtureNames } from './validate';

/**
 * The notebook's own names for our arrays, where they mean exactly the same array:
 * `rnn_forward` returns `a, y_pred, caches` (y_pred is our y). Per-step names (`yt_pred`,
 * `a_next`, `dxt`, `da_prev`) are one time step of an array, not the array: no aliases.
 */
export const ALIASES: Readonly<Record<string, string>> = { y_pred: 'y' };

/** What a command compares, and what else it accepts or recognises. */
export interface NameContract {
  /** The option the names came from, for messages: `--expect`, `--grads`. */
  option: string;
  /** Our names that are compared, in our order. */
  compared: string[];
  /** What `compared` are, after "no such": 'output of rnn forward --cell lstm', 'gradient of the sum loss for --cell rnn'. */
  what: string;
  /** Accepted and not compared: the fixture's names (parameters, x, a0, c0, da, labels). */
  inputs: string[];
  /** Our names that this command does not compare: what they are, and where they are compared. */
  elsewhere: Record<string, Elsewhere>;
}

/** `dWya is a gradient of the xent loss only, …: use --loss xent` */
export interface Elsewhere {
  noun: 'gradient' | 'output';
  where: string;
}

export function outputContract(cellName: CellName, option = '--expect'): NameContract {
  const cell = CELLS[cellName];
  const elsewhere: Record<string, Elsewhere> = {};
  for (const loss of LOSS_KINDS) {
    for (const g of gradientNames(cell, loss)) elsewhere[g] = { noun: 'gradient', where: '— compare with rnn backward --expect, or check with rnn gradcheck --grads' };
  }
  return { option, compared: outputNames(cell), what: `output of rnn forward --cell ${cellName}`, inputs: fixtureNames(cellName), elsewhere };
}

export function gradientContract(cellName: CellName, loss: LossKind, option: string): NameContract {
  const cell = CELLS[cellName];
  const compared = gradientNames(cell, loss);
  const elsewhere: Record<string, Elsewhere> = {};
  for (const o of outputNames(cell)) elsewhere[o] = { noun: 'output', where: 'of rnn forward — compare with rnn forward --expect' };
  for (const other of LOSS_KINDS) {
    if (other === loss) continue;
    const only = gradientNames(cell, other).filter((g) => !compared.includes(g));
    for (const g of only) elsewhere[g] = { noun: 'gradient', where: `of the ${other} loss only, not of the ${loss} loss: use --loss ${other}` };
  }
  return { option, compared, what: `gradient of the ${loss} loss for --cell ${cellName}`, inputs: fixtureNames(cellName), elsewhere };
}

export interface Resolved {
  /** Every compared array the files hold: our name, and yours for it (itself or an alias). */
  compared: { name: string; yours: string }[];
  /** Compared names the files lack ("not compared"). */
  missing: string[];
  /** Inputs found in the files: accepted, not compared. */
  inputs: string[];
}

/** `y (or y_pred)`: our name and the aliases it is accepted under. */
function spelled(name: string): string {
  const aliases = Object.keys(ALIASES).filter((a) => ALIASES[a] === name);
  return aliases.length ? `${name} (or ${aliases.join(', ')})` : name;
}

/**
 * Sorts your names by the contract; an InputError (exit 2, one line, naming the file) for any
 * name that is none of compared / alias / input, for an array given twice (`y` and `y_pred`),
 * and when nothing at all would be compared.
 */
export function resolveNames(c: NameContract, names: string[], where: (name: string) => string | undefined = () => undefined): Resolved {
  const byOurs = new Map<string, string>();
  const inputs: string[] = [];
  const unknown: string[] = [], unnamed: string[] = [], other: string[] = [], bad: string[] = [];
  const misplaced = new Map<string, string[]>(); // by what they are and where they belong
  for (const name of names) {
    const ours = ALIASES[name] ?? name;
    if (c.compared.includes(ours)) {
      const twice = byOurs.get(ours);
      if (twice === undefined) byOurs.set(ours, name);
      else {
        bad.push(twice, name);
        other.push(`${twice} and ${name} are the same array (${name === ours ? twice : name} is the notebook's name for ${ours}): keep one`);
      }
      continue;
    }
    if (c.inputs.includes(name)) {
      inputs.push(name);
      continue;
    }
    bad.push(name);
    const e = c.elsewhere[ours];
    if (e) {
      const key = `${e.noun}\n${e.where}`;
      misplaced.set(key, [...(misplaced.get(key) ?? []), ours === name ? name : `${name} (the notebook's name for ${ours})`]);
    } else if (/^arr_\d+$/.test(name)) unnamed.push(name);
    else {
      const near = suggest(name, [...c.compared, ...c.inputs, ...Object.keys(c.elsewhere)]);
      unknown.push(near.length ? `${shown(name)} (did you mean ${near.join(' or ')}?)` : shown(name));
    }
  }
  const problems = [
    ...(unknown.length ? [`${unknown.join(', ')}: no such ${c.what}`] : []),
    ...[...misplaced].map(([key, list]) => {
      const [noun, where] = key.split('\n');
      return `${list.join(', ')} ${list.length > 1 ? `are ${noun}s` : `is ${noun === 'output' ? 'an' : 'a'} ${noun}`} ${where}`;
    }),
    ...(unnamed.length ? [`${unnamed.join(', ')}: np.savez's names for arrays passed without a name; save them by name, np.savez(f, ${c.compared.slice(0, 2).map((n) => `${n}=${n}`).join(', ')})`] : []),
    ...other,
  ];
  if (problems.length) {
    const files = [...new Set(bad.map(where).filter((s): s is string => !!s))];
    throw new InputError(`${c.option}: ${problems.join('; ')} (compared: ${c.compared.map(spelled).join(', ')}; accepted, not compared: ${c.inputs.join(', ')})`, files);
  }
  const compared = c.compared.filter((n) => byOurs.has(n)).map((name) => ({ name, yours: byOurs.get(name)! }));
  if (!compared.length) {
    throw new InputError(
      `${c.option}: nothing to compare: ${names.length ? `only inputs (${inputs.join(', ')})` : 'no arrays'}; expected some of ${c.compared.map(spelled).join(', ')}`,
      [...new Set(names.map(where).filter((s): s is string => !!s))],
    );
  }
  return { compared, missing: c.compared.filter((n) => !byOurs.has(n)), inputs };
}

/**
 * Close names: compared after normalising (case, `_`/`-`/`.`, a trailing `hat`/`pred`), at the
 * smallest edit distance if it is at most 2 (names of 5 letters or more), 1 (3 or 4 letters),
 * or for 1 or 2 letters 1 by adding or dropping a last letter (`db` → `dba`, but `c` ↛ `a`).
 */
export function suggest(name: string, candidates: string[]): string[] {
  const n = normalise(name);
  let best = Infinity;
  let out: string[] = [];
  for (const cand of new Set(candidates)) {
    if (cand === name) continue;
    const m = normalise(cand);
    const limit = n.length >= 5 ? 2 : n.length >= 3 || m.startsWith(n) || n.startsWith(m) ? 1 : 0;
    const d = editDistance(n, m);
    if (d > limit || d > best) continue;
    if (d < best) {
      best = d;
      out = [];
    }
    out.push(cand);
  }
  return out;
}

function normalise(s: string): string {
  const t = s.toLowerCase().replace(/[_\-.\s]/g, '');
  const stripped = t.replace(/(hat|pred)$/, '');
  return stripped.length ? stripped : t;
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length];
}
