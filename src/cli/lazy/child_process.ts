/**
 * Stands in for `node:child_process` inside the bundle (an esbuild alias, tools/bundle.ts):
 * the real module loads on the first property read. Only `child_process` without the
 * `node:` prefix is left unaliased, and that is what this file requires.
 */
type ChildProcess = typeof import('child_process');
let real: ChildProcess | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (): ChildProcess => (real ??= require('child_process') as ChildProcess);
export = new Proxy({} as ChildProcess, { get: (_target, key) => load()[key as keyof ChildProcess] });
