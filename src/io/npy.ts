/**
 * NPY: numpy's one-array file format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 *
 *   \x93NUMPY  major minor  header_len (u16 LE in 1.0, u32 LE in 2.0/3.0)  header  data
 *
 * The header is a Python dict literal such as
 *   {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a final '\n' so the data starts at a multiple of 64.
 *
 * Reading accepts versions 1.0, 2.0, 3.0; dtypes float16/32/64, (u)int8/16/32/64 and bool,
 * either byte order; C or Fortran order; any rank. Everything becomes a float64 Tensor in C
 * order. The header is parsed by a small strict parser for the Python literal subset numpy
 * writes — nothing is ever evaluated — and object (pickle), string, complex, structured and
 * datetime dtypes are refused. Sizes are checked against the bytes actually present before
 * datetime dtypes are refused. The header alone decides (npy-header.ts): a file whose size
 * disagrees with it, or whose data would decode to more than the budget of float64 bytes, is
 * refused before its data is read; then the data is read into a buffer of exactly its size.
 *
 * Writing produces exactly what `np.save` writes for a C-contiguous float64 array
 * (`<f8`, version 1.0, same header text and padding; 2.0 only if the header would not fit).
 */
import { InputError } from '../errors';
import { shown } from '../escape';
import { formatShape, type Shape, type Tensor } from '../tensor';
import { asBytes, HOST_LITTLE_ENDIAN, resolveMaxBytes, type ReadLimits } from './common';
import { NPY_MAGIC, readNpyHeader, type NpyDtype, type NpyLayout } from './npy-header';
import { bytesSource, type ByteSource } from './source';

export { MAX_NPY_HEADER_BYTES, NPY_MAGIC, parseDtype, parsePyLiteral, PyTuple, type NpyDtype, type PyValue } from './npy-header';

/** What is read of an NPY before its header is known: most headers are 128 bytes. */
const HEAD_GUESS = 4096;

export interface NpyArray {
  /** float64, C order. */
  tensor: Tensor;
  /** The dtype as the file declares it, e.g. `<f8`, `>i4`, `|b1`. */
  dtype: string;
  /** Format version, `1.0`, `2.0` or `3.0`. */
  version: string;
  /** Whether the file stored the data in Fortran (column-major) order. */
  fortranOrder: boolean;
}

export interface NpyReadOptions extends ReadLimits {
  /** Set when the bytes are a member of an .npz: messages then read `<source>: member <member>: ...`. */
  member?: string;
}

/**
 * Parse a complete .npy file. `source` names the file in error messages.
 * Throws InputError for anything that is not a well-formed NPY of a supported dtype.
 */
export function parseNpy(bytes: Uint8Array, source: string, opts: NpyReadOptions = {}): NpyArray {
  return readNpy(bytesSource(asBytes(bytes)), source, opts);
}

/** Read an NPY from `src`: its header first, then (if the header allows) exactly its data. */
export function readNpy(src: ByteSource, source: string, opts: NpyReadOptions = {}): NpyArray {
  const fail = npyFailure(source, opts.member);
  const maxBytes = resolveMaxBytes(opts.maxBytes);
  let layout = readNpyHeader(src.read(0, Math.min(src.size, HEAD_GUESS)), src.size, maxBytes, fail);
  if (typeof layout === 'number') layout = readNpyHeader(src.read(0, layout), src.size, maxBytes, fail);
  if (typeof layout === 'number') throw new Error('readNpy: the header needs more than its own length'); // cannot happen
  const body = src.read(layout.dataStart, layout.count * layout.dtype.itemsize);
  return npyArray(layout, decodeNpyData(body, layout, src.owned));
}

/** How NPY errors are thrown: naming the file, and the member for an NPY inside an .npz. */
export function npyFailure(source: string, member?: string): (msg: string) => never {
  const prefix = member !== undefined ? `member ${shown(member)}: ` : '';
  return (msg: string): never => { throw new InputError(prefix + msg, source); };
}

export function npyArray(layout: NpyLayout, data: Float64Array): NpyArray {
  return {
    tensor: { shape: layout.shape, data }, dtype: layout.dtype.descr, version: layout.version, fortranOrder: layout.fortranOrder,
  };
}

/**
 * The data of an NPY (exactly `count * itemsize` bytes) as float64 in C order. `owned`: the
 * bytes are the caller's to reuse (then float64 little-endian data is viewed, not copied).
 */
export function decodeNpyData(body: Uint8Array, layout: NpyLayout, owned: boolean): Float64Array {
  // A fresh, aligned copy unless the bytes are a whole buffer of our own: the input may sit at any offset of a shared Buffer.
  const whole = owned && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
  const raw = whole ? body : body.slice();
  const data = decode(raw, layout.count, layout.dtype);
  return layout.fortranOrder ? fortranToC(data, layout.shape) : data;
}


/**
 * Encode a Tensor as .npy bytes, byte-identical to `np.save` of the same float64
 * C-order array: dtype `<f8`, format 1.0 (2.0 only if the header needs over 65535 bytes).
 */
export function encodeNpy(t: Tensor): Uint8Array {
  let count = 1;
  for (const d of t.shape) {
    if (!(Number.isSafeInteger(d) && d >= 0)) throw new RangeError(`encodeNpy: bad dimension ${d} in shape ${formatShape(t.shape)}`);
    count *= d;
  }
  if (count !== t.data.length) {
    throw new RangeError(`encodeNpy: shape ${formatShape(t.shape)} needs ${count} values, got ${t.data.length}`);
  }
  // Same text as numpy's _write_array_header: sorted keys, repr() values, then spare
  // spaces so the first axis can grow in place (GROWTH_AXIS_MAX_DIGITS = 21).
  let dict = `{'descr': '<f8', 'fortran_order': False, 'shape': ${pyShapeRepr(t.shape)}, }`;
  if (t.shape.length > 0) dict += ' '.repeat(Math.max(0, 21 - String(t.shape[0]).length));
  const headerText = new TextEncoder().encode(dict); // ASCII
  let major = 1;
  let preamble = 10;
  let hlen = headerText.length + 1; // + '\n'
  let padlen = 64 - ((preamble + hlen) % 64);
  if (hlen + padlen > 0xffff) {
    major = 2;
    preamble = 12;
    padlen = 64 - ((preamble + hlen) % 64);
  }
  const headerTotal = hlen + padlen;
  const out = new Uint8Array(preamble + headerTotal + count * 8);
  out.set(NPY_MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, headerTotal, true);
  else dv.setUint32(8, headerTotal, true);
  out.set(headerText, preamble);
  out.fill(0x20, preamble + headerText.length, preamble + headerTotal - 1);
  out[preamble + headerTotal - 1] = 0x0a;
  const dataStart = preamble + headerTotal;
  const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (HOST_LITTLE_ENDIAN) {
    out.set(src, dataStart);
  } else {
    for (let k = 0; k < count; k++) dv.setFloat64(dataStart + 8 * k, t.data[k], true);
  }
  return out;
}

/** Python's repr of a shape tuple: `()`, `(3,)`, `(2, 3)`. */
export function pyShapeRepr(shape: Shape): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

// ---------------------------------------------------------------------------------------
// decoding

/** `raw`: exactly the data, a whole ArrayBuffer of its own (byte-swapped in place if need be). */
function decode(raw: Uint8Array, count: number, dt: NpyDtype): Float64Array {
  const size = dt.itemsize;
  if (size > 1 && dt.littleEndian !== HOST_LITTLE_ENDIAN) byteSwap(raw, size);
  const buf = raw.buffer;
  if (dt.kind === 'f' && size === 8) return new Float64Array(buf, 0, count);
  const out = new Float64Array(count);
  switch (`${dt.kind}${size}`) {
    case 'f4': { const v = new Float32Array(buf, 0, count); for (let k = 0; k < count; k++) out[k] = v[k]; break; }
    case 'f2': { const v = new Uint16Array(buf, 0, count); for (let k = 0; k < count; k++) out[k] = halfToNumber(v[k]); break; }
    case 'i1': { const v = new Int8Array(buf, 0, count); for (let k = 0; k < count; k++) out[k] = v[k]; break; }
    case 'i2': { const v = new Int16Array(buf, 0, count); for (let k = 0; k < count; k++) out[k] = v[k]; break; }
    case 'i4': { const v = new Int32Array(buf, 0, count); for (let k = 0; k < count; k++) out[k] = v[k]; break; }
    case 'u1': { const v = new Uint8Array(buf, 0, count); for (let k = 0; k < count; k++) out[k] = v[k]; break; }
    case 'u2': { const v = new Uint16Array(buf, 0, count); for (let k = 0; k < count; k++) out[k] = v[k]; break; }
    case 'u4': { const v = new Uint32Array(buf, 0, count); for (let k = 0; k < count; k++) out[k] = v[k]; break; }
    case 'b1': { const v = new Uint8Array(buf, 0, count); for (let k = 0; k < count; k++) out[k] = v[k] !== 0 ? 1 : 0; break; }
    case 'i8':
    case 'u8': {
      // hi·2^32 + lo is exact before the final addition, so the result is the correctly
      // rounded float64, as numpy's astype(float64) gives.
      const v = new Uint32Array(buf, 0, count * 2);
      const lo = HOST_LITTLE_ENDIAN ? 0 : 1, hi = 1 - lo;
      const signed = dt.kind === 'i';
      for (let k = 0; k < count; k++) {
        const h = signed ? v[2 * k + hi] | 0 : v[2 * k + hi];
        out[k] = h * 4294967296 + v[2 * k + lo];
      }
      break;
    }
    default:
      throw new Error(`decode: unhandled dtype ${dt.descr}`); // parseDtype admits nothing else
  }
  return out;
}

function byteSwap(a: Uint8Array, size: number): void {
  for (let i = 0; i + size <= a.length; i += size) {
    for (let l = i, r = i + size - 1; l < r; l++, r--) {
      const t = a[l]; a[l] = a[r]; a[r] = t;
    }
  }
}

/** IEEE 754 binary16 bits → number (exact: every half is a double). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/** Data stored in Fortran order (first index fastest) → C order (last index fastest). */
function fortranToC(src: Float64Array, shape: readonly number[]): Float64Array {
  const nd = shape.length;
  if (nd < 2 || src.length <= 1) return src;
  const strides = new Array<number>(nd);
  strides[nd - 1] = 1;
  for (let i = nd - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  const dst = new Float64Array(src.length);
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  for (let k = 0; k < src.length; k++) {
    dst[off] = src[k];
    for (let d = 0; d < nd; d++) {
      off += strides[d];
      if (++idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return dst;
}

