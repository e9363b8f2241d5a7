/**
 * NPZ: what `np.savez` (stored) and `np.savez_compressed` (deflated) write — a zip archive
 * whose members are .npy files; member `Wax.npy` holds the array named `Wax`.
 *
 * Reading. The zip structure is parsed here, with every offset and size checked against
 * the bytes present; fflate only inflates. Why not fflate's `unzipSync`: its `filter`
 * does see each member's declared sizes (and it preallocates the output at the declared
 * size, so output can never exceed it), but it trusts the central directory — a garbage
 * entry count loops for billions of iterations — does not verify CRCs, and a lying
 * deflate stream is still expanded in full (into a buffer that drops the excess), which
 * costs time proportional to the bomb. So:
 *   - the sum of declared uncompressed sizes must fit `maxBytes` before anything is
 *     inflated (default 1 GiB, see common.ts), as must the decoded float64 arrays;
 *   - deflated members are inflated with fflate's streaming `Inflate`, in 32 KiB input
 *     chunks, into a buffer of exactly the declared size; the first byte beyond the
 *     declared size aborts the member (at most ~33 MiB of work past the limit);
 *   - the CRC-32 of every member is checked, as Python's zipfile does;
 *   - members that are not `.npy`, encrypted members, methods other than stored/deflate,
 *     multi-disk archives and repeated names are refused with a specific message.
 *
 * Writing produces a stored zip with one `<name>.npy` per array, as `np.savez` does.
 */
import type * as fflateTypes from 'fflate';

/** fflate loads on first use: only .npz files pay for it. */
let fflate: typeof fflateTypes | undefined;
const zip = (): typeof fflateTypes => (fflate ??= require('fflate') as typeof fflateTypes);
import { crc32 as nativeCrc32 } from '../crc32';
import { InputError } from '../errors';
import type { Arrays, Tensor } from '../tensor';
import { shown } from '../escape';
import { asBytes, formatBytes, printable, resolveMaxBytes, type ReadLimits } from './common';
import { encodeNpy, NPY_MAGIC, parseNpy } from './npy';

export interface NpzEntry {
  /** Array name: the member name without `.npy`. */
  name: string;
  /** The zip member name, e.g. `Wax.npy`. */
  member: string;
  tensor: Tensor;
  /** dtype as the member declares it, e.g. `<f8`. */
  dtype: string;
}

export type NpzReadOptions = ReadLimits;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const INFLATE_CHUNK = 32 * 1024;

const METHOD_NAMES: Record<number, string> = {
  1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstandard', 95: 'xz', 99: 'AES encryption',
};

/** Parse a complete .npz file into its arrays, in archive order. */
export function parseNpz(bytes: Uint8Array, source: string, opts: NpzReadOptions = {}): NpzEntry[] {
  const b = asBytes(bytes);
  const maxBytes = resolveMaxBytes(opts.maxBytes);
  const fail = (msg: string): never => { throw new InputError(msg, source); };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u16 = (o: number): number => dv.getUint16(o, true);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const u64 = (o: number, what: string): number => {
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is larger than any file`);
    return Number(v);
  };

  // End of central directory: the last 22+ bytes (plus a comment of up to 64 KiB).
  let eocd = -1;
  for (let p = b.length - 22; p >= 0 && p >= b.length - 22 - 0xffff; p--) {
    if (u32(p) === SIG_EOCD && p + 22 + u16(p + 20) <= b.length) { eocd = p; break; }
  }
  if (eocd < 0) {
    if (b.length === 0) return fail('empty file (not an .npz)');
    if (startsWith(b, NPY_MAGIC)) return fail('this is an .npy file, not an .npz (zip) archive; rename it to .npy');
    if (startsWith(Uint8Array.of(0x50, 0x4b, 0x03, 0x04), b.subarray(0, 4))) return fail('truncated zip archive (no end-of-central-directory record)');
    return fail(`not an .npz file: no zip end-of-central-directory record (starts with '${printableBytes4(b)}')`);
  }
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) return fail('multi-disk zip archives are not supported');
  let count = u16(eocd + 10);
  if (u16(eocd + 8) !== count) return fail('multi-disk zip archives are not supported');
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  let cdEnd = eocd; // where the central directory must end
  // Zip64: a locator just before the EOCD points at the zip64 EOCD record.
  if (eocd >= 20 && u32(eocd - 20) === SIG_ZIP64_LOCATOR) {
    const z = u64(eocd - 12, 'zip64 end-of-central-directory offset');
    if (z + 56 > eocd - 20 || u32(z) !== SIG_ZIP64_EOCD) {
      // Python's zipfile allows the record to sit right before the locator even if its offset is off.
      const guess = eocd - 20 - 56;
      if (guess < 0 || u32(guess) !== SIG_ZIP64_EOCD) return fail('broken zip64 end-of-central-directory record');
      return parseWith(guess);
    }
    return parseWith(z);
  }
  return entries();

  function parseWith(z64: number): NpzEntry[] {
    if (u32(z64 + 16) !== 0 || u32(z64 + 20) !== 0) return fail('multi-disk zip archives are not supported');
    count = u64(z64 + 32, 'zip64 entry count');
    cdSize = u64(z64 + 40, 'zip64 central directory size');
    cdOffset = u64(z64 + 48, 'zip64 central directory offset');
    cdEnd = z64;
    return entries();
  }

  function entries(): NpzEntry[] {
    // Like zipfile: data prepended to the archive shifts every offset by `concat`.
    const cdStart = cdEnd - cdSize;
    if (cdStart < 0) return fail(`central directory of ${cdSize} bytes does not fit in the file`);
    const concat = cdStart - cdOffset;
    if (concat < 0) return fail(`central directory offset ${cdOffset} points past its end (truncated or corrupt zip)`);
    if (count > cdSize / 46) return fail(`central directory claims ${count} entries but has room for at most ${Math.floor(cdSize / 46)}`);

    interface Member { name: string; method: number; crc: number; csize: number; usize: number; dataStart: number; }
    const members: Member[] = [];
    let declaredTotal = 0;
    let p = cdStart;
    for (let k = 0; k < count; k++) {
      if (p + 46 > cdEnd || u32(p) !== SIG_CENTRAL) return fail(`central directory entry ${k + 1} of ${count} is corrupt`);
      const flags = u16(p + 8);
      const method = u16(p + 10);
      const crc = u32(p + 16);
      let csize = u32(p + 20);
      let usize = u32(p + 24);
      const nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32);
      let localOffset = u32(p + 42);
      const next = p + 46 + nameLen + extraLen + commentLen;
      if (next > cdEnd) return fail(`central directory entry ${k + 1} of ${count} runs past the directory`);
      const name = decodeName(b.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
      const where = `member ${shown(name)}`;
      // Zip64 extra field: 64-bit values for whichever 32-bit fields are 0xFFFFFFFF.
      if (usize === 0xffffffff || csize === 0xffffffff || localOffset === 0xffffffff) {
        let e = p + 46 + nameLen;
        const eEnd = e + extraLen;
        let found = false;
        while (e + 4 <= eEnd) {
          const id = u16(e), len = u16(e + 2);
          if (e + 4 + len > eEnd) break;
          if (id === 0x0001) {
            let q = e + 4;
            const take = (what: string): number => {
              if (q + 8 > e + 4 + len) fail(`${where}: zip64 extra field too short`);
              const v = u64(q, `${where}: ${what}`);
              q += 8;
              return v;
            };
            if (usize === 0xffffffff) usize = take('uncompressed size');
            if (csize === 0xffffffff) csize = take('compressed size');
            if (localOffset === 0xffffffff) localOffset = take('offset');
            found = true;
            break;
          }
          e += 4 + len;
        }
        if (!found) return fail(`${where}: sizes say zip64 but there is no zip64 extra field`);
      }
      p = next;

      if (flags & 0x1) return fail(`${where}: encrypted zip members are not supported`);
      if (!name.toLowerCase().endsWith('.npy')) {
        return fail(`${where}: not an .npy member (an .npz holds only <name>.npy arrays)`);
      }
      if (method !== 0 && method !== 8) {
        const what = METHOD_NAMES[method] ? ` (${METHOD_NAMES[method]})` : '';
        return fail(`${where}: compression method ${method}${what} is not supported (np.savez stores, np.savez_compressed deflates)`);
      }
      if (usize > maxBytes || declaredTotal + usize > maxBytes) {
        return fail(`${where} declares ${formatBytes(usize)} uncompressed, which takes the archive over the limit of ${formatBytes(maxBytes)} (raise it with --max-input, or maxBytes in the library)`);
      }
      declaredTotal += usize;
      if (method === 0 && csize !== usize) return fail(`${where}: stored member has compressed size ${csize} but uncompressed size ${usize}`);

      // Local header: its name must match, its data must lie before the central directory.
      const lh = localOffset + concat;
      if (lh + 30 > cdStart || u32(lh) !== SIG_LOCAL) return fail(`${where}: local header not found at offset ${localOffset} (truncated or corrupt zip)`);
      const lNameLen = u16(lh + 26), lExtraLen = u16(lh + 28);
      const lName = decodeName(b.subarray(lh + 30, Math.min(cdStart, lh + 30 + lNameLen)), (u16(lh + 6) & 0x800) !== 0);
      if (lName !== name) return fail(`${where}: local header names it '${printable(lName)}' (corrupt zip)`);
      const dataStart = lh + 30 + lNameLen + lExtraLen;
      if (dataStart + csize > cdStart) return fail(`${where}: ${csize} bytes of data do not fit before the central directory (truncated or corrupt zip)`);
      members.push({ name, method, crc, csize, usize, dataStart });
    }

    const out: NpzEntry[] = [];
    const seen = new Set<string>();
    let budget = maxBytes;
    for (const m of members) {
      const where = `member ${shown(m.name)}`;
      const arrayName = m.name.slice(0, -4);
      if (seen.has(arrayName)) return fail(`${where}: array '${printable(arrayName)}' appears twice in the archive`);
      seen.add(arrayName);
      const packed = b.subarray(m.dataStart, m.dataStart + m.csize);
      const raw = m.method === 0 ? packed : inflateExact(packed, m.usize, (msg) => fail(`${where}: ${msg}`));
      const crc = crc32(raw);
      if (crc !== m.crc) return fail(`${where}: CRC-32 mismatch (0x${hex8(crc)}, archive says 0x${hex8(m.crc)}): corrupt file`);
      const npy = parseNpy(raw, source, { member: m.name, maxBytes: budget });
      budget -= npy.tensor.data.length * 8;
      out.push({ name: arrayName, member: m.name, tensor: npy.tensor, dtype: npy.dtype });
    }
    return out;
  }
}

/**
 * Encode arrays as an .npz the way `np.savez` does: a stored (uncompressed) zip with one
 * `<name>.npy` member per array, in the given order. The output is deterministic
 * (timestamps are 1980-01-01 00:00).
 */
export function encodeNpz(arrays: Arrays): Uint8Array {
  const files: fflateTypes.Zippable = Object.create(null) as fflateTypes.Zippable;
  const mtime = new Date(1980, 0, 1, 0, 0, 0);
  let total = 0;
  for (const name of Object.keys(arrays)) {
    const npy = encodeNpy(arrays[name]);
    total += npy.length + 200 + 2 * name.length;
    if (total >= 0xffffffff) {
      throw new RangeError('encodeNpz: arrays exceed 4 GiB, which needs zip64 (not written by this tool)');
    }
    files[`${name}.npy`] = [npy, { level: 0, mtime }];
  }
  return zip().zipSync(files);
}

/** Inflate raw DEFLATE data that must produce exactly `size` bytes; stops as soon as it would produce more. */
function inflateExact(packed: Uint8Array, size: number, fail: (msg: string) => never): Uint8Array {
  const out = new Uint8Array(size);
  let pos = 0;
  let over = false;
  const inf = new (zip().Inflate)((chunk) => {
    if (pos + chunk.length > size) { over = true; throw new Error('over'); }
    out.set(chunk, pos);
    pos += chunk.length;
  });
  try {
    if (packed.length === 0) inf.push(packed, true);
    for (let i = 0; i < packed.length; i += INFLATE_CHUNK) {
      const end = Math.min(packed.length, i + INFLATE_CHUNK);
      inf.push(packed.subarray(i, end), end === packed.length);
    }
  } catch (e) {
    if (over) return fail(`inflates to more than its declared ${size} bytes (corrupt file or zip bomb)`);
    return fail(`corrupt deflate data (${e instanceof Error ? e.message : String(e)})`);
  }
  if (pos !== size) return fail(`inflates to ${pos} bytes but declares ${size}`);
  return out;
}

// ---------------------------------------------------------------------------------------

/** CRC-32 (IEEE, as zip uses): zlib's, native (~10× a table loop in JS on big members; src/crc32.ts). */
export function crc32(data: Uint8Array): number {
  return nativeCrc32(data);
}

/** The upper half of code page 437, which zip uses for names not flagged as UTF-8. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeName(raw: Uint8Array, utf8: boolean): string {
  if (utf8) return new TextDecoder('utf-8').decode(raw);
  let s = '';
  for (const c of raw) s += c < 0x80 ? String.fromCharCode(c) : CP437_HIGH[c - 0x80];
  return s;
}

function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

function printableBytes4(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < Math.min(4, b.length); i++) s += String.fromCharCode(b[i]);
  return printable(s);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
