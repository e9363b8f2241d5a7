/**
 * The backends a command can run on. `float64` is the engine; `mathjs` is the literal
 * reference implementation (the test oracle), loaded only when asked for because
 * loading mathjs costs more than the whole default CLI start-up.
 */
import type { Backend } from './backend';
import { float64Backend } from './engine';

export const BACKEND_NAMES = ['float64', 'mathjs'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * Resolved at run time, not by the bundler: the CLI bundle (dist/cli.js) then stays free of
 * mathjs, which is built as its own file dist/reference/mathjs.js; under ts-node the same
 * path finds src/reference/mathjs.ts.
 */
const REFERENCE_MODULE = './reference/mathjs';

export function getBackend(name: BackendName): Backend {
  if (name === 'mathjs') {
    return (require(REFERENCE_MODULE) as typeof import('./reference/mathjs')).mathjsBackend;
  }
  return float64Backend;
}
