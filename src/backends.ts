/**
 * The backends a command can run on. `float64` is the engine; `mathjs` is the literal
 * reference implementation (the test oracle), loaded only when asked for because
 * loading mathjs costs more than the whole default CLI start-up.
 */
import type { Backend } from './backend';
import { float64Backend } from './engine';

export const BACKEND_NAMES = ['float64', 'mathjs'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function getBackend(name: BackendName): Backend {
  if (name === 'mathjs') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./reference/mathjs') as typeof import('./reference/mathjs')).mathjsBackend;
  }
  return float64Backend;
}
