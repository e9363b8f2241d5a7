/**
 * The NPY preamble and header: magic, version, header length and the Python-literal dict
 * `{'descr': …, 'fortran_order': …, 'shape': …}` (format in npy.ts). Everything here reads
 * only the first bytes of a file or member, so that the header alone decides — before any
 * data is read or inflated — whether the data is what the size of the file (or zip entry)
 * says and whether it fits the budget of decoded float64 bytes.
 */
import { pickleRefusal, PICKLE_PROTO } from './pickle';
import { formatShape } from '../tensor';
import { formatBytes, HOST_LITTLE_ENDIAN, MAX_NDIM, printable, printableBytes } from './common';

export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59); // \x93NUMPY

/**
 * Longest header we parse. numpy refuses headers over 10 000 characters by default
 * (`max_header_size`, because `ast.literal_eval` is unsafe on big input); our parser is
 * linear and bounded in depth, so we allow more, but a header that long is never a real
 * array description.
 */
export const MAX_NPY_HEADER_BYTES = 1 << 20;

/** A dtype we can convert to float64. */
export interface NpyDtype {
  descr: string;
  kind: 'f' | 'i' | 'u' | 'b';
  itemsize: number;
  littleEndian: boolean;
}

/** What an NPY header describes. */
export interface NpyLayout {
  dtype: NpyDtype;
  /** Dimensions, each a safe integer; their product `count` is below 2^53. */
  shape: number[];
  count: number;
  fortranOrder: boolean;
  /** `1.0`, `2.0` or `3.0`. */
  version: string;
  /** Offset of the data: preamble plus header. */
  dataStart: number;
}

/**
 * Reads the preamble and header of an NPY of `total` bytes from `head`, its first bytes.
 * Returns the number of bytes it needs when `head` is too short (at most 12 + 1 MiB);
 * otherwise the layout, once the header is known to be well formed, to describe exactly
 * `total - dataStart` bytes of data, and to decode to at most `maxBytes` of float64.
 * `declared`: `total` is a zip entry's declared size, not bytes known to be present.
 */
export function readNpyHeader(head: Uint8Array, total: number, maxBytes: number, fail: (msg: string) => never, declared = false): NpyLayout | number {
  const b = head;
  if (b.length < Math.min(total, 12)) return Math.min(total, 12);

  // Magic and version.
  for (let i = 0; i < NPY_MAGIC.length; i++) {
    if (i >= total) {
      fail(total === 0 ? 'empty file (not an NPY file)' : `truncated: ${total} bytes, too short for the NPY magic string`);
    }
    if (b[i] !== NPY_MAGIC[i]) {
      if (b[0] === PICKLE_PROTO) fail(pickleRefusal('not an NPY file but a pickle (what torch.save and np.save(allow_pickle) of objects write)'));
      fail(`not an NPY file (bad magic: expected \\x93NUMPY, found '${printableBytes(b.subarray(0, 6))}')`);
    }
  }
  if (total < 8) fail(`truncated: ${total} bytes, too short for the NPY format version`);
  const major = b[6], minor = b[7];
  const version = `${major}.${minor}`;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    fail(`unsupported NPY format version ${version} (supported: 1.0, 2.0, 3.0)`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  const preamble = 8 + lenBytes;
  if (total < preamble) fail(`truncated: ${total} bytes, too short for the header length of NPY ${version}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (headerLen > MAX_NPY_HEADER_BYTES) {
    fail(`header length ${headerLen} is over the limit of ${MAX_NPY_HEADER_BYTES} bytes`);
  }
  const dataStart = preamble + headerLen;
  if (dataStart > total) {
    fail(`truncated: header claims ${headerLen} bytes but only ${total - preamble} follow`);
  }
  if (b.length < dataStart) return dataStart;

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
  const have = total - dataStart;
  if (have !== need) {
    fail(`${declared ? 'zip entry declares' : 'data holds'} ${have} bytes${declared ? ' of data' : ''} but shape ${formatShape(shape)} of ${dtype.descr} needs ${need}`);
  }
  if (count * 8 > maxBytes) {
    fail(`shape ${formatShape(shape)} is ${formatBytes(count * 8)} as float64, over the limit of ${formatBytes(maxBytes)} (raise it with --max-input, or maxBytes in the library)`);
  }
  return { dtype, shape, count, fortranOrder: header.fortranOrder, version, dataStart };
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
