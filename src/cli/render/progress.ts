/**
 * The progress bar of a long command: pure functions from where it stands to one line of text
 * (src/cli/live.ts shows it on a terminal).
 */

/** A duration for people: 4.2s, 42s, 3m05s, 1h02m ('?' when unknown). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 9.95) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(seconds / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Seconds still to go when `fraction` of the work took `elapsed` seconds, at the same pace (undefined before any work is done). */
export function etaSeconds(elapsed: number, fraction: number): number | undefined {
  if (!(fraction > 0)) return undefined;
  return fraction >= 1 ? 0 : (elapsed * (1 - fraction)) / fraction;
}

/** `label [####      ] 42%  12s elapsed, ETA 17s`, at most `columns` − 1 characters wide. */
export function progressLine(label: string, fraction: number, elapsed: number, columns: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const width = 30, filled = Math.floor(width * f);
  const eta = etaSeconds(elapsed, f);
  const line = `${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor(100 * f)}%  ${formatDuration(elapsed)} elapsed${eta === undefined ? '' : `, ETA ${formatDuration(eta)}`}`;
  return line.length < columns ? line : line.slice(0, Math.max(0, columns - 1));
}
