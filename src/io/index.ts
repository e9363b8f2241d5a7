/**
 * Fixture I/O: reading arrays from .json/.npy/.npz/directories/stdin and writing them back.
 * See each module's header comment for the formats, the limits and the guarantees.
 */
export { DEFAULT_MAX_BYTES, MAX_NDIM, type ReadLimits } from './common';
export { loadFixture, readSource, FIXTURE_EXTENSIONS, type Fixture, type ArrayOrigin, type LoadOptions, type SourceArray } from './fixture';
export { parseJsonArrays, encodeJsonArrays, formatJsonNumber } from './json';
export { parseNpy, encodeNpy, MAX_NPY_HEADER_BYTES, type NpyArray, type NpyReadOptions } from './npy';
export { parseNpz, encodeNpz, type NpzEntry, type NpzReadOptions } from './npz';
export { writeArrays, writeFileAtomic, outputFormat, type OutputFormat } from './write';
