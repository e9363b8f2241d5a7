/**
 * safetensors (https://github.com/huggingface/safetensors, safetensors/src/tensor.rs): what
 * `safetensors.torch.save_file(model.state_dict(), …)` writes.
 *
 *   N (u64 LE)   header: N bytes of UTF-8 JSON, padded with spaces   data: the tensors' bytes
 *
 * The header maps each name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into
 * the data, C order, little-endian), plus an optional "__metadata__" of string → string.
 * It is untrusted input, checked as the reference implementation checks it and stricter:
 * at most 100 MB (its MAX_HEADER_SIZE) and within the file; valid UTF-8; one JSON object,
 * parsed strictly (no duplicate names, nothing after it but spaces); every entry exactly those
 * three keys; offsets that, sorted, start at 0, follow one another with no gap or overlap and end
 * where the file does; each tensor's length its dtype's size × the product of its shape; no empty
 * name. All of it, and the decoded float64 bytes against the budget, before any data is read.
 *
 * Every dtype that holds real numbers is read as float64: F64 F32 F16 BF16, the 8-bit floats
 * F8_E4M3 F8_E5M2 (and their FNUZ forms, F8_E8M0), I64 I32 I16 I8 U64 U32 U16 U8 and BOOL.
 * Refused by name: C64 (complex) and the packed sub-byte floats F4, F6_E2M3, F6_E3M2 (MX
 * formats, whose values need block scales that are not in the file).
 *
 * Writing gives what safetensors' own serializer gives for float64 arrays: tensors ordered by
 * name (its order for one dtype), the header as compact JSON, padded with spaces to 8 bytes.
 */
import { InputError } from '../errors';
import { formatShape, type Arrays, type Tensor } from '../tensor';
import { formatBytes, HOST_LITTLE_ENDIAN, printable, resolveMaxBytes, type ReadLimits } from './common';
import { decodeNpyData } from './npy';
import type { NpyDtype } from './npy-header';
import type { ByteSource } from './source';

/** The reference implementation's limit on the header. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

/** Bytes per element of each dtype read; decoded by NPY's decoder where numpy has the type. */
const DTYPES: Readonly<Record<string, { size: number; npy?: NpyDtype; table?: () => Float64Array; bf16?: true }>> = {
  F64: { size: 8, npy: npy('f', 8) },
  F32: { size: 4, npy: npy('f', 4) },
  F16: { size: 2, npy: npy('f', 2) },
  BF16: { size: 2, bf16: true },
  F8_E4M3: { size: 1, table: () => fp8Table(4, 3, 'fn') },
  F8_E5M2: { size: 1, table: () => fp8Table(5, 2, 'ieee') },
  F8_E4M3FNUZ: { size: 1, table: () => fp8Table(4, 3, 'fnuz') },
  F8_E5M2FNUZ: { size: 1, table: () => fp8Table(5, 2, 'fnuz') },
  F8_E8M0: { size: 1, table: e8m0Table },
  I64: { size: 8, npy: npy('i', 8) },
  I32: { size: 4, npy: npy('i', 4) },
  I16: { size: 2, npy: npy('i', 2) },
  I8: { size: 1, npy: npy('i', 1) },
  U64: { size: 8, npy: npy('u', 8) },
  U32: { size: 4, npy: npy('u', 4) },
  U16: { size: 2, npy: npy('u', 2) },
  U8: { size: 1, npy: npy('u', 1) },
  BOOL: { size: 1, npy: npy('b', 1) },
};
const REFUSED: Readonly<Record<string, string>> = {
  C64: 'complex numbers, which are not real arrays',
  F4: 'packed 4-bit floats (MX), whose values need block scales the file does not hold',
  F6_E2M3: 'packed 6-bit floats (MX), whose values need block scales the file does not hold',
  F6_E3M2: 'packed 6-bit floats (MX), whose values need block scales the file does not hold',
};

function npy(kind: NpyDtype['kind'], itemsize: number): NpyDtype {
  return { descr: `<${kind}${itemsize}`, kind, itemsize, littleEndian: true };
}

export interface SafetensorsArray {
  name: string;
  tensor: Tensor;
  /** The dtype as the header names it: `F64`, `BF16`, … */
  dtype: string;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

/** Reads a .safetensors from `src`, in the order of its data; `source` names the file in errors. */
export function readSafetensors(src: ByteSource, source: string, opts: ReadLimits = {}): SafetensorsArray[] {
  const fail = (msg: string): never => {
    throw new InputError(`safetensors: ${msg}`, source);
  };
  const maxBytes = resolveMaxBytes(opts.maxBytes);
  if (src.size < 8) fail(`the file is ${src.size} bytes, shorter than the 8-byte header length`);
  const n = readU64(src.read(0, 8));
  if (n > MAX_SAFETENSORS_HEADER) fail(`header length ${n} is over the limit of ${MAX_SAFETENSORS_HEADER} bytes`);
  if (8 + n > src.size) fail(`header length ${n} runs past the end of the file (${src.size} bytes)`);
  const text = utf8(src.read(8, n), fail);
  const entries = parseHeader(text, fail);
  const total = entries.reduce((s, e) => s + e.count * 8, 0);
  if (total > maxBytes) fail(`the tensors are ${formatBytes(total)} as float64, over the limit of ${formatBytes(maxBytes)} (raise it with --max-input, or maxBytes in the library)`);
  const dataSize = src.size - 8 - n;
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at) fail(e.begin > at ? `tensor ${shownName(e.name)} starts at ${e.begin}, leaving bytes ${at}–${e.begin} of the data to no tensor` : `tensor ${shownName(e.name)} starts at ${e.begin}, inside the tensor before it (which ends at ${at})`);
    const want = e.count * DTYPES[e.dtype].size;
    if (e.end - e.begin !== want) fail(`tensor ${shownName(e.name)}: data_offsets [${e.begin}, ${e.end}] hold ${e.end - e.begin} bytes, but ${e.dtype} of shape ${formatShape(e.shape)} is ${want}`);
    at = e.end;
  }
  if (at !== dataSize) fail(at < dataSize ? `the data is ${dataSize} bytes, but the tensors end at ${at}` : `the tensors end at byte ${at} of the data, past its end (${dataSize} bytes)`);
  return entries.map((e) => ({ name: e.name, dtype: e.dtype, tensor: { shape: e.shape, data: decodeData(src.read(8 + n + e.begin, e.end - e.begin), e, src.owned) } }));
}

function decodeData(body: Uint8Array, e: Entry, owned: boolean): Float64Array {
  const dt = DTYPES[e.dtype];
  if (dt.npy) return decodeNpyData(body, { dtype: dt.npy, shape: e.shape, count: e.count, fortranOrder: false, version: '1.0', dataStart: 0 }, owned);
  const out = new Float64Array(e.count);
  if (dt.bf16) {
    // bfloat16 is the upper half of a float32: its bits shifted up are that float32's, exactly
    const f = new Float32Array(1), u = new Uint32Array(f.buffer);
    for (let k = 0; k < e.count; k++) {
      u[0] = (body[2 * k] | (body[2 * k + 1] << 8)) << 16;
      out[k] = f[0];
    }
    return out;
  }
  const table = tableOf(e.dtype, dt.table!);
  for (let k = 0; k < e.count; k++) out[k] = table[body[k]];
  return out;
}

const tables = new Map<string, Float64Array>();
const tableOf = (dtype: string, make: () => Float64Array): Float64Array => tables.get(dtype) ?? tables.set(dtype, make()).get(dtype)!;

/**
 * The 256 values of an 8-bit float with `e` exponent and `m` mantissa bits: 'ieee' (F8_E5M2:
 * all-ones exponent is ±inf or NaN), 'fn' (F8_E4M3, OCP's E4M3FN: no infinities, only S.1111.111
 * is NaN), 'fnuz' (bias one more, no −0: 0x80 alone is NaN, the rest finite).
 */
function fp8Table(e: number, m: number, kind: 'ieee' | 'fn' | 'fnuz'): Float64Array {
  const out = new Float64Array(256);
  const bias = (1 << (e - 1)) - 1 + (kind === 'fnuz' ? 1 : 0), top = (1 << e) - 1;
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1, ex = (b >> m) & top, fr = b & ((1 << m) - 1);
    let v: number;
    if (kind === 'fnuz' && b === 0x80) v = NaN;
    else if (kind === 'ieee' && ex === top) v = fr === 0 ? sign * Infinity : NaN;
    else if (kind === 'fn' && ex === top && fr === (1 << m) - 1) v = NaN;
    else if (ex === 0) v = sign * fr * 2 ** (1 - bias - m);
    else v = sign * ((1 << m) + fr) * 2 ** (ex - bias - m);
    out[b] = v;
  }
  return out;
}

/** F8_E8M0: an exponent alone, 2^(b − 127); 0xFF is NaN. */
function e8m0Table(): Float64Array {
  const out = new Float64Array(256);
  for (let b = 0; b < 256; b++) out[b] = b === 255 ? NaN : 2 ** (b - 127);
  return out;
}

function readU64(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  return dv.getUint32(4, true) * 2 ** 32 + dv.getUint32(0, true); // (past 2^53 it is far over the limit anyway)
}

function utf8(b: Uint8Array, fail: (msg: string) => never): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return fail('the header is not valid UTF-8');
  }
}

const shownName = (name: string): string => `'${printable(name)}'`;

/** The header's entries, sorted by their data's place (as the reference sorts them). */
function parseHeader(text: string, fail: (msg: string) => never): Entry[] {
  if (!text.startsWith('{')) fail(`the header must be a JSON object starting with '{', not ${JSON.stringify(printable(text.slice(0, 12)))}`);
  const body = text.replace(/ +$/, '');
  let header: unknown;
  try {
    header = strictJson(body);
  } catch (e) {
    return fail(`the header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('the header is not a JSON object');
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((s) => typeof s !== 'string')) fail('__metadata__ must be an object of strings');
      continue;
    }
    entries.push(entryOf(name, v, fail));
  }
  return entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
}

function entryOf(name: string, v: unknown, fail: (msg: string) => never): Entry {
  if (name === '') fail('a tensor name cannot be empty');
  const where = `tensor ${shownName(name)}`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(`${where} is not an object of dtype, shape and data_offsets`);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(', ');
  if (keys !== 'data_offsets, dtype, shape') fail(`${where} has keys ${keys || 'none'}; it must have exactly dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = o;
  if (typeof dtype !== 'string') return fail(`${where}: dtype is not a string`);
  if (REFUSED[dtype]) fail(`${where}: dtype ${dtype} holds ${REFUSED[dtype]}`);
  if (!DTYPES[dtype]) fail(`${where}: unknown dtype ${JSON.stringify(printable(dtype))} (one of ${[...Object.keys(DTYPES), ...Object.keys(REFUSED)].join(' ')})`);
  const isCount = (d: unknown): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`${where}: shape is not a list of non-negative integers`);
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (!Number.isSafeInteger(count)) fail(`${where}: shape ${formatShape(shape)} has more elements than can be counted`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) return fail(`${where}: data_offsets is not [begin, end] of non-negative integers`);
  const [begin, end] = offsets as number[];
  if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  return { name, dtype, shape: shape.slice(), count, begin, end };
}

/**
 * JSON.parse, refusing a name given twice in one object (JSON.parse keeps the last silently;
 * two tensors of one name are not one tensor).
 */
function strictJson(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  // The syntax is JSON.parse's; here only each object's names, read off the tokens in order.
  const names: (Set<string> | null)[] = []; // per open object (a Set) or array (null)
  const re = /"(?:[^"\\]|\\.)*"|[{}[\]:]/g;
  let last = '';
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const tok = m[0];
    if (tok === '{') names.push(new Set());
    else if (tok === '[') names.push(null);
    else if (tok === '}' || tok === ']') names.pop();
    else if (tok === ':') {
      const key = JSON.parse(last) as string, seen = names[names.length - 1]!;
      if (seen.has(key)) throw new Error(`the name ${JSON.stringify(printable(key))} is given twice`);
      seen.add(key);
    } else last = tok;
  }
  return value;
}

/** A .safetensors of float64 arrays, as safetensors' serializer writes them (see above). */
export function encodeSafetensors(arrays: Arrays): Uint8Array {
  const names = Object.keys(arrays).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let offset = 0;
  const parts: string[] = [];
  for (const name of names) {
    const t = arrays[name];
    const bytes = t.data.length * 8;
    parts.push(`${JSON.stringify(name)}:{"dtype":"F64","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`);
    offset += bytes;
  }
  let header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const h = new Uint8Array(padded).fill(0x20);
    h.set(header);
    header = h;
  }
  const out = new Uint8Array(8 + header.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, header.length % 2 ** 32, true);
  dv.setUint32(4, Math.floor(header.length / 2 ** 32), true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const name of names) {
    const d = arrays[name].data;
    if (HOST_LITTLE_ENDIAN) out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    else for (let k = 0; k < d.length; k++) dv.setFloat64(at + 8 * k, d[k], true);
    at += d.byteLength;
  }
  return out;
}

