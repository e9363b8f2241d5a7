/**
 * CRC-32 (IEEE, as zip and zlib compute it), native, for the start-up path (the code cache's
 * check in src/cli/launch.ts, .npz members in src/io/npz.ts). zlib's crc32 without Node's zlib
 * module where Node allows it: `require('zlib')` also loads Node's stream machinery, some twenty
 * internal modules compiled at every start (bench/README.md, section 1). The same function of
 * zlib's binding is reached through process.binding, which is deprecated (DEP0111) and warns
 * under --pending-deprecation: then, or where process.binding is missing or refuses (the
 * permission model), the zlib module is used.
 */
type Crc = (data: Uint8Array, value: number) => number;

/** The check value of CRC-32/ISO-HDLC: crc32('123456789'). */
const CHECK = 0xcbf43926;

/** process.binding, which @types/node no longer declares. */
const processBinding = (process as unknown as { binding?: (name: string) => { crc32?: Crc } }).binding;

function viaBinding(): Crc | undefined {
  const options = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (/--(pending|throw|trace)-deprecation/.test(options) || typeof processBinding !== 'function') return undefined;
  try {
    const binding = processBinding.call(process, 'zlib');
    const crc = binding.crc32;
    if (typeof crc !== 'function') return undefined;
    const f: Crc = (data, value) => crc.call(binding, data, value);
    return f(Buffer.from('123456789', 'latin1'), 0) >>> 0 === CHECK ? f : undefined;
  } catch {
    return undefined;
  }
}

function viaModule(): Crc {
  const zlib = require('zlib') as typeof import('zlib');
  return (data, value) => zlib.crc32(data, value);
}

let native: { crc: Crc; source: 'binding' | 'module' } | undefined;

const pick = (): { crc: Crc; source: 'binding' | 'module' } => {
  const b = viaBinding();
  return b ? { crc: b, source: 'binding' } : { crc: viaModule(), source: 'module' };
};

/** The CRC-32 of `data`, or of the bytes before it and `data` when `value` is the CRC of those bytes. */
export function crc32(data: Uint8Array, value = 0): number {
  return (native ??= pick()).crc(data, value) >>> 0;
}

/** Where this process gets crc32 from (for the tests). */
export const crc32Source = (): 'binding' | 'module' => (native ??= pick()).source;
