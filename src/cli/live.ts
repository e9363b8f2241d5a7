/**
 * How a long command reports while it runs, and how it is stopped:
 * - on a terminal (stderr is a TTY), a live region at the bottom — the progress bar after a
 *   second, and after ROWS_AFTER_S the rows finished so far — redrawn in place and erased
 *   before anything is written to stdout;
 * - on stderr that is not a terminal (CI logs), one line per finished array after ROWS_AFTER_S;
 * - SIGINT and SIGTERM abort a signal that the command stops at (a second one exits at once).
 * Only the real process (src/cli/main.ts defaultIO) has a live region and catches signals: run()
 * in-process, as the build's warm-up calls it, installs no handler.
 */
import type { IO } from './main';
import type { GradcheckEvents, GradcheckHeader } from './commands/gradcheck';
import { EXIT_SIGINT, EXIT_SIGTERM, type StopSignal } from '../errors';
import { terminalSafe } from '../escape';
import type { ArrayCheck } from '../gradcheck';
import { progressLine } from './render/progress';
import { gradcheckArrayLine, gradcheckHeader, gradcheckLoss, gradcheckRunning } from './render/gradcheck';
import type { Style } from './render/text';

/** The progress bar shows once a command has run this long (seconds). */
export const BAR_AFTER_S = 1;
/** A check that has run this long shows each array as it finishes (seconds). */
export const ROWS_AFTER_S = 5;

/** Lines at the bottom of a terminal, redrawn in place. */
export interface LiveRegion {
  /** Replaces what the region shows; the last line stays under the cursor (no newline). */
  draw(text: string): void;
  /** Erases the region; the cursor is back where it began. */
  clear(): void;
  readonly columns: number;
  readonly rows: number;
}

const SGR = /\u001b\[[\d;]*m/g;

/** Terminal rows that `text` takes at `columns` (long lines wrap). */
export function rowsOf(text: string, columns: number): number {
  if (!text) return 0;
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines.reduce((n, l) => n + Math.max(1, Math.ceil(l.replace(SGR, '').length / columns)), 0);
}

export function terminalLive(stream: NodeJS.WriteStream): LiveRegion {
  let shown = false;
  let upper = ''; // what the region shows above its last line
  let above = 0; // rows between the region's first row and the cursor's
  const erase = (): string => (shown ? `\r${above ? `\x1b[${above}A` : ''}\x1b[J` : '');
  return {
    get columns() {
      return stream.columns || 80;
    },
    get rows() {
      return stream.rows || 24;
    },
    draw(drawn) {
      const text = terminalSafe(drawn); // what rnn writes passes src/escape.ts's net (src/cli/main.ts), this too
      const at = text.lastIndexOf('\n') + 1;
      const last = text.slice(at).slice(0, Math.max(0, this.columns - 1)); // never wraps: the cursor stays on its row
      if (shown && text.slice(0, at) === upper) {
        stream.write(`\r${last}\x1b[K`); // only the last line changed (the bar)
        return;
      }
      upper = text.slice(0, at);
      stream.write(erase() + upper + last);
      above = rowsOf(upper, this.columns);
      shown = true;
    },
    clear() {
      if (shown) stream.write(erase());
      shown = false;
      upper = '';
      above = 0;
    },
  };
}

/** SIGINT and SIGTERM as an AbortSignal (reason: the signal's name), until dispose(). */
export interface Interrupts {
  signal: AbortSignal;
  dispose(): void;
}

export function processInterrupts(): Interrupts {
  const ac = new AbortController();
  const handler = (sig: StopSignal) => (): void => {
    // A second signal: the user will not wait for the first to be honoured.
    if (ac.signal.aborted) process.exit(sig === 'SIGTERM' ? EXIT_SIGTERM : EXIT_SIGINT);
    ac.abort(sig);
  };
  const onInt = handler('SIGINT'), onTerm = handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/**
 * Wires runGradcheck's events to the output: the header and each finished loss to stdout (text
 * mode), progress and finished rows to the live region or to stderr lines. `close()` erases the
 * live region (before the caller prints the summary or an interruption). `clock`: seconds.
 */
export function gradcheckReport(io: IO, style: Style, json: boolean, clock = (): number => performance.now() / 1000): { events: GradcheckEvents; close(): void } {
  const t0 = clock();
  const elapsed = (): number => clock() - t0;
  const live = json ? undefined : io.live;
  const logLines = !json && !io.live;
  let h: GradcheckHeader | undefined;
  let at = 0; // the loss under way
  let rows: ArrayCheck[] = [];
  let logged = 0, fraction = 0, lastDraw = -Infinity;

  const draw = (force: boolean): void => {
    const t = elapsed();
    if (!live || !h || t < BAR_AFTER_S || (!force && t - lastDraw < 0.1)) return;
    lastDraw = t;
    const plan = h.losses[at];
    const label = `gradcheck ${h.cell} ${plan.loss}${h.losses.length > 1 ? ` (${at + 1}/${h.losses.length})` : ''}`;
    // The rows that fit above the bar (the last ones, if not all do: a region taller than the screen cannot be redrawn).
    let shown = t >= ROWS_AFTER_S ? rows : [];
    let text = shown.length ? gradcheckRunning(style, plan, shown, h.dims) : '';
    while (shown.length && rowsOf(text, live.columns) + 1 >= live.rows) {
      shown = shown.slice(1);
      text = shown.length ? gradcheckRunning(style, plan, shown, h.dims) : '';
    }
    live.draw(text + progressLine(label, fraction, t, live.columns));
  };
  const log = (): void => {
    if (!logLines || !h || elapsed() < ROWS_AFTER_S) return;
    for (; logged < rows.length; logged++) io.stderr(gradcheckArrayLine(style, h.cell, h.losses[at], rows[logged], logged, h.dims));
  };

  const events: GradcheckEvents = {
    onStart: (header) => {
      h = header;
      if (!json) io.stdout(gradcheckHeader(style, header));
    },
    onProgress: (p) => {
      fraction = p.fraction;
      draw(false);
      log();
    },
    onArray: (_loss, a) => {
      rows.push(a);
      draw(true);
      log();
    },
    onLoss: (ch) => {
      live?.clear();
      if (!json) io.stdout(gradcheckLoss(style, ch, h!.dims));
      at++;
      rows = [];
      logged = 0;
    },
  };
  return { events, close: () => live?.clear() };
}
