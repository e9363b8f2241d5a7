/**
 * The backends a command can run on. `float64` is the engine; `mathjs` is the literal
 * reference implementation (the test oracle), loaded only when asked for because
 * loading mathjs costs more than the whole default CLI start-up.
 */
import type { Backend } from './types';
import { float64Backend, float64Layer } from './float64';
import type { LayerEngine } from './network';

export const BACKEND_NAMES = ['float64', 'mathjs'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Defined (true) in the bundles by tools/bundle.ts; absent when the sources run under ts-node. */
declare const RNN_BUNDLED: boolean | undefined;

/**
 * Resolved at run time, not by the bundler: the CLI bundle (dist/cli.js) then stays free of
 * mathjs, which is built as its own file dist/reference/mathjs.js next to it; under ts-node,
 * src/backends/mathjs/.
 */
const REFERENCE_MODULE = typeof RNN_BUNDLED !== 'undefined' ? './reference/mathjs' : './mathjs';

export function getBackend(name: BackendName): Backend {
  if (name === 'mathjs') {
    return (require(REFERENCE_MODULE) as typeof import('./mathjs')).mathjsBackend;
  }
  return float64Backend;
}

/** A backend's layer, in each of its directions, as a network runs it (src/backends/network.ts). */
export function getLayerEngine(name: BackendName): LayerEngine {
  if (name === 'mathjs') {
    return (require(REFERENCE_MODULE) as typeof import('./mathjs')).mathjsLayer;
  }
  return float64Layer;
}
