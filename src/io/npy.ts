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
 * anything is allocated.
 *
 * Writing produces exactly what `np.save` writes for a C-contiguous float64 array
 * (`<f8`, version 1.0, same header text and padding; 2.0 only if the header would not fit).
 */
import { InputError } from '../errors';
import { shown } from '../escape';
import { formatShape, type Shape, type Tensor } from '../tensor';
import {
  asBytes, formatBytes, HOST_LITTLE_ENDIAN, MAX_NDIM, printable, printableBytes, resolveMaxBytes,
  type ReadLimits,
} from './common';

export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59); // \x93NUMPY

/**
 * Longest header we parse. numpy refuses headers over 10 000 characters by default
 * (`max_header_size`, because `ast.literal_eval` is unsafe on big input); our parser is
 * linear and bounded in depth, so we allow more, but a header that long is never a real
 * array description.
 */
export const MAX_NPY_HEADER_BYTES = 1 << 20;

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

/** A dtype we can convert to float64. */
export interface NpyDtype {
  descr: string;
  kind: 'f' | 'i' | 'u' | 'b';
  itemsize: number;
  littleEndian: boolean;
}

/**
 * Parse a complete .npy file. `source` names the file in error messages.
 * Throws InputError for anything that is not a well-formed NPY of a supported dtype.
 */
export function parseNpy(bytes: Uint8Array, source: string, opts: NpyReadOptions = {}): NpyArray {
  const b = asBytes(bytes);
  const prefix = opts.member !== undefined ? `member ${shown(opts.member)}: ` : '';
  const fail = (msg: string): never => { throw new InputError(prefix + msg, source); };
  const maxBytes = resolveMaxBytes(opts.maxBytes);

  // Magic and version.
  for (let i = 0; i < NPY_MAGIC.length; i++) {
    if (i >= b.length) {
      fail(b.length === 0 ? 'empty file (not an NPY file)' : `truncated: ${b.length} bytes, too short for the NPY magic string`);
    }
    if (b[i] !== NPY_MAGIC[i]) {
      fail(`not an NPY file (bad magic: expected \\x93NUMPY, found '${printableBytes(b.subarray(0, 6))}')`);
    }
  }
  if (b.length < 8) fail(`truncated: ${b.length} bytes, too short for the NPY format version`);
  const major = b[6], minor = b[7];
  const version = `${major}.${minor}`;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    fail(`unsupported NPY format version ${version} (supported: 1.0, 2.0, 3.0)`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  const preamble = 8 + lenBytes;
  if (b.length < preamble) fail(`truncated: ${b.length} bytes, too short for the header length of NPY ${version}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (headerLen > MAX_NPY_HEADER_BYTES) {
    fail(`header length ${headerLen} is over the limit of ${MAX_NPY_HEADER_BYTES} bytes`);
  }
  const dataStart = preamble + headerLen;
  if (dataStart > b.length) {
    fail(`truncated: header claims ${headerLen} bytes but only ${b.length - preamble} follow`);
  }

  // Header text: latin1 in 1.0/2.0, utf-8 in 3.0.
  const headerBytes = b.subarray(preamble, dataStart);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      return fail('header is not valid UTF-8 (NPY 3.0 headers are UTF-8)');
    }
  } else {
    headerText = latin1(headerBytes);
  }
  const header = parseHeader(headerText, major <= 2, fail);

  const dtype = parseDtype(header.descr, fail);
  const shape = header.shape;
  let count = 1;
  for (const d of shape) count *= d; // exact: checked against 2^53 in parseHeader
  const need = count * dtype.itemsize;
  const have = b.length - dataStart;
  if (have !== need) {
    fail(`data holds ${have} bytes but shape ${formatShape(shape)} of ${dtype.descr} needs ${need}`);
  }
  if (count * 8 > maxBytes) {
    fail(`shape ${formatShape(shape)} is ${formatBytes(count * 8)} as float64, over the limit of ${formatBytes(maxBytes)} (raise it with --max-input, or maxBytes in the library)`);
  }

  let data = decode(b, dataStart, count, dtype);
  if (header.fortranOrder) data = fortranToC(data, shape);
  return { tensor: { shape, data }, dtype: dtype.descr, version, fortranOrder: header.fortranOrder };
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
// dtype

const REFUSED_KINDS: Record<string, string> = {
  O: 'object arrays / pickles are refused',
  U: 'strings are refused; a fixture holds numbers',
  S: 'strings are refused; a fixture holds numbers',
  a: 'strings are refused; a fixture holds numbers',
  c: 'complex numbers are refused; the engine is real float64',
  V: 'structured / void dtypes are refused',
  M: 'datetimes are refused; a fixture holds numbers',
  m: 'timedeltas are refused; a fixture holds numbers',
  T: 'strings are refused; a fixture holds numbers',
};

/** Parse a numpy dtype string (`dtype.str` as numpy writes it in `descr`). */
export function parseDtype(descr: PyValue, fail: (msg: string) => never): NpyDtype {
  if (Array.isArray(descr) || descr instanceof PyTuple || descr instanceof Map) {
    return fail(`unsupported dtype ${pyRepr(descr)} (structured dtypes are refused; save each field as its own array)`);
  }
  if (typeof descr !== 'string') return fail(`descr is not a dtype string: ${pyRepr(descr)}`);
  const shown = `'${printable(descr)}'`;
  const m = /^([<>|=]?)([A-Za-z?])(\d*)(.*)$/s.exec(descr);
  if (!m) return fail(`unsupported dtype ${shown}`);
  const [, order, kind, sizeText, rest] = m;
  if (REFUSED_KINDS[kind] !== undefined) return fail(`unsupported dtype ${shown} (${REFUSED_KINDS[kind]})`);
  if (rest !== '' || (kind !== '?' && sizeText === '')) return fail(`unsupported dtype ${shown}`);
  const itemsize = kind === '?' ? 1 : Number(sizeText);
  const ok =
    (kind === 'f' && (itemsize === 2 || itemsize === 4 || itemsize === 8)) ||
    ((kind === 'i' || kind === 'u') && (itemsize === 1 || itemsize === 2 || itemsize === 4 || itemsize === 8)) ||
    ((kind === 'b' || kind === '?') && itemsize === 1);
  if (!ok) {
    if (kind === 'f' && (itemsize === 12 || itemsize === 16)) {
      return fail(`unsupported dtype ${shown} (long double / float128 has no portable layout; convert to float64)`);
    }
    return fail(`unsupported dtype ${shown} (supported: float16/32/64, int8..int64, uint8..uint64, bool)`);
  }
  // '|' and '=' mean native order, as numpy reads them; a one-byte type has no order.
  const littleEndian = order === '<' ? true : order === '>' ? false : HOST_LITTLE_ENDIAN;
  return { descr, kind: kind === '?' ? 'b' : (kind as 'f' | 'i' | 'u' | 'b'), itemsize, littleEndian };
}

// ---------------------------------------------------------------------------------------
// decoding

function decode(b: Uint8Array, start: number, count: number, dt: NpyDtype): Float64Array {
  const size = dt.itemsize;
  // A fresh, aligned copy: the input may sit at any offset of a shared Buffer.
  const raw = b.slice(start, start + count * size);
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

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

// ---------------------------------------------------------------------------------------
// header: a strict parser for the Python literal subset numpy writes

/** A Python tuple (kept apart from lists: numpy wants `shape` to be a tuple). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
/** A Python float literal (only ever an error in a header, but it must parse). */
class PyFloat {
  constructor(readonly text: string) {}
}
export type PyValue = string | bigint | boolean | null | PyValue[] | PyTuple | PyFloat | Map<string, PyValue>;

interface NpyHeader {
  descr: PyValue;
  fortranOrder: boolean;
  shape: number[];
}

const MAX_LITERAL_DEPTH = 16;

function parseHeader(text: string, allowLongSuffix: boolean, fail: (msg: string) => never): NpyHeader {
  const dict = parsePyLiteral(text, allowLongSuffix, (msg) => fail(`broken header: ${msg}`));
  if (!(dict instanceof Map)) return fail(`broken header: expected a dict, got ${pyRepr(dict)}`);
  for (const key of dict.keys()) {
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') {
      fail(`broken header: unexpected key '${printable(key)}' (an NPY header has exactly 'descr', 'fortran_order', 'shape')`);
    }
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!dict.has(key)) fail(`broken header: no '${key}' key`);
  }
  const fo = dict.get('fortran_order');
  if (typeof fo !== 'boolean') return fail(`broken header: fortran_order is not True or False: ${pyRepr(fo ?? null)}`);
  const shapeValue = dict.get('shape')!;
  if (!(shapeValue instanceof PyTuple)) return fail(`broken header: shape is not a tuple: ${pyRepr(shapeValue)}`);
  if (shapeValue.items.length > MAX_NDIM) {
    fail(`shape has ${shapeValue.items.length} dimensions; numpy allows at most ${MAX_NDIM}`);
  }
  const shape: number[] = [];
  let count = 1n;
  for (const d of shapeValue.items) {
    if (typeof d !== 'bigint') return fail(`broken header: shape entries must be integers: ${pyRepr(shapeValue)}`);
    if (d < 0n) return fail(`broken header: negative dimension in shape ${pyRepr(shapeValue)}`);
    if (d > BigInt(Number.MAX_SAFE_INTEGER)) return fail(`dimension ${d} in shape ${pyRepr(shapeValue)} is larger than any file can hold`);
    count *= d;
    shape.push(Number(d));
  }
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) {
    fail(`shape ${pyRepr(shapeValue)} claims ${count} elements, more than any file can hold`);
  }
  return { descr: dict.get('descr')!, fortranOrder: fo, shape };
}

/**
 * Parse one Python literal (dict, list, tuple, str, int, float, True/False/None) followed
 * only by whitespace. `allowLongSuffix` accepts Python 2's `3L` ints, as numpy does for
 * format 1.0/2.0 files.
 */
export function parsePyLiteral(text: string, allowLongSuffix: boolean, fail: (msg: string) => never): PyValue {
  let i = 0;
  const n = text.length;
  const at = (what: string): never => {
    const found = i >= n ? 'end of header' : `'${printable(text.slice(i, i + 12))}'`;
    return fail(`expected ${what} at offset ${i}, found ${found}`);
  };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c) i++;
      else if (c === 0x5c && text.charCodeAt(i + 1) === 0x0a) i += 2; // line continuation
      else break;
    }
  };
  const value = (depth: number): PyValue => {
    if (depth > MAX_LITERAL_DEPTH) return fail(`nested deeper than ${MAX_LITERAL_DEPTH} levels`);
    ws();
    if (i >= n) return at('a value');
    const c = text[i];
    if (c === '{') {
      i++;
      const map = new Map<string, PyValue>();
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return map; }
        const keyStart = i;
        if (text[i] !== "'" && text[i] !== '"') return at('a string key');
        const key = str();
        if (map.has(key)) { i = keyStart; return fail(`key '${printable(key)}' appears twice`); }
        ws();
        if (text[i] !== ':') return at("':'");
        i++;
        map.set(key, value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return map; }
        return at("',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      let sawComma = false;
      for (;;) {
        ws();
        if (text[i] === close) { i++; break; }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; sawComma = true; continue; }
        if (text[i] === close) { i++; break; }
        return at(`',' or '${close}'`);
      }
      if (c === '[') return items;
      // `(x)` is just x in Python; a tuple needs a comma (or is empty).
      if (items.length === 1 && !sawComma) return items[0];
      return new PyTuple(items);
    }
    if (c === "'" || c === '"') return str();
    if (c === '-' || c === '+' || (c >= '0' && c <= '9') || c === '.') return num();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 64));
    if (word) {
      if (word[0] === 'True') { i += 4; return true; }
      if (word[0] === 'False') { i += 5; return false; }
      if (word[0] === 'None') { i += 4; return null; }
      return fail(`'${printable(word[0])}' at offset ${i} is not a literal (headers are never evaluated)`);
    }
    return at('a value');
  };
  const num = (): PyValue => {
    const m = /^([-+]?)\s*(\d+(?:_\d+)*)?(\.\d*)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || (m[2] === undefined && (m[3] === undefined || m[3] === '.'))) return at('a number');
    if (m[3] !== undefined || m[4] !== undefined) {
      i += m[0].length;
      return new PyFloat(m[0]);
    }
    const digits = m[2].replace(/_/g, '');
    if (digits.length > 1 && digits[0] === '0' && /[1-9]/.test(digits)) {
      return fail(`'${printable(m[0])}' at offset ${i} is not a valid Python int (leading zeros)`);
    }
    i += m[0].length;
    if (allowLongSuffix && (text[i] === 'L' || text[i] === 'l')) i++;
    const v = BigInt(digits);
    return m[1] === '-' ? -v : v;
  };
  const str = (): string => {
    const q = text[i];
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= n) { i = start; return at('a closed string'); }
      const ch = text[i];
      if (ch === q) { i++; return out; }
      if (ch === '\n') { i = start; return at('a string closed on its line'); }
      if (ch === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };
        if (e !== undefined && simple[e] !== undefined) { out += simple[e]; i += 2; continue; }
        const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
        if (hex > 0 && /^[0-9a-fA-F]+$/.test(text.slice(i + 2, i + 2 + hex)) && text.slice(i + 2, i + 2 + hex).length === hex) {
          const cp = parseInt(text.slice(i + 2, i + 2 + hex), 16);
          if (cp > 0x10ffff) return at('a valid \\U escape');
          out += String.fromCodePoint(cp);
          i += 2 + hex;
          continue;
        }
        return at('a supported string escape');
      }
      out += ch;
      i++;
    }
  };

  ws();
  const v = value(0);
  ws();
  if (i < n) return at('only padding after the dict');
  return v;
}

/** Python-style repr for messages (single-line, cut when long). */
function pyRepr(v: PyValue | undefined): string {
  const r = (x: PyValue | undefined): string => {
    if (x === undefined) return '?';
    if (x === null) return 'None';
    if (typeof x === 'boolean') return x ? 'True' : 'False';
    if (typeof x === 'bigint') return String(x);
    if (typeof x === 'string') return `'${x}'`;
    if (x instanceof PyFloat) return x.text;
    if (x instanceof PyTuple) return x.items.length === 1 ? `(${r(x.items[0])},)` : `(${x.items.map(r).join(', ')})`;
    if (x instanceof Map) return `{${[...x].map(([k, val]) => `'${k}': ${r(val)}`).join(', ')}}`;
    return `[${x.map(r).join(', ')}]`;
  };
  return printable(r(v), 60);
}
