/**
 * NPZ: what `np.savez` (stored) and `np.savez_compressed` (deflated) write — a zip archive
 * whose members are .npy files; member `Wax.npy` holds the array named `Wax`.
 *
 * Reading. The zip structure is parsed here, from the end of the file inward, reading only
 * the records it needs (src/io/source.ts); fflate only inflates. Why not fflate's
 * `unzipSync`: it trusts the central directory (a garbage entry count loops for billions of
 * iterations), does not verify CRCs, and expands a lying deflate stream in full. So:
 *   - the end-of-central-directory record (and its zip64 record) must agree with the central
 *     directory: the entry count with the entries its size holds, and the members must fill
 *     the bytes before the directory exactly, member after member — an entry left out of the
 *     count or the directory is refused, never read short (numpy reads every member);
 *   - the sum of declared uncompressed sizes must fit `maxBytes` before anything is
 *     inflated (default 1 GiB, see common.ts), and a central directory over 4 MiB is refused;
 *   - each member's NPY header, in its first bytes, decides before the rest is read or
 *     inflated: its data must be the member's declared size and fit the budget of decoded
 *     float64 bytes (npz-member.ts); the first byte beyond the declared size stops the member;
 *   - the CRC-32 of every member is checked, as Python's zipfile does;
 *   - members that are not `.npy`, encrypted members, methods other than stored/deflate,
 *     multi-disk archives and repeated names are refused with a specific message.
 *
 * Writing produces a stored zip with one `<name>.npy` per array, as `np.savez` does.
 */
import { pickleRefusal } from './pickle';
import type * as fflateTypes from 'fflate';

/** fflate loads on first use: only .npz files pay for it. */
let fflate: typeof fflateTypes | undefined;
const zip = (): typeof fflateTypes => (fflate ??= require('fflate') as typeof fflateTypes);
import { crc32 as nativeCrc32 } from './crc32';
import { InputError } from '../errors';
import type { Arrays, Tensor } from '../tensor';
import { shown } from '../escape';
import { asBytes, formatBytes, printable, resolveMaxBytes, type ReadLimits } from './common';
import { decodeNpyData, encodeNpy, NPY_MAGIC, npyArray, npyFailure } from './npy';
import { readMember, type MemberRef } from './npz-member';
import { bytesSource, type ByteSource } from './source';

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
const SIG_DESCRIPTOR = 0x08074b50;
/** The most central directory we read: some 60 000 members with short names, where a fixture has tens. */
export const MAX_CENTRAL_DIRECTORY = 4 * 1024 * 1024;

const METHOD_NAMES: Record<number, string> = {
  1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstandard', 95: 'xz', 99: 'AES encryption',
};

/** Parse a complete .npz file into its arrays, in archive order. */
export function parseNpz(bytes: Uint8Array, source: string, opts: NpzReadOptions = {}): NpzEntry[] {
  return readNpz(bytesSource(asBytes(bytes)), source, opts);
}

/** Read an .npz from `src`, its zip records first, then each member header first. */
export function readNpz(src: ByteSource, source: string, opts: NpzReadOptions = {}): NpzEntry[] {
  const maxBytes = resolveMaxBytes(opts.maxBytes);
  const fail = (msg: string): never => { throw new InputError(msg, source); };
  const size = src.size;
  /** Little-endian fields of `b`. */
  const fields = (b: Uint8Array) => {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return {
      u16: (o: number): number => dv.getUint16(o, true),
      u32: (o: number): number => dv.getUint32(o, true),
      u64: (o: number, what: string): number => {
        const v = dv.getBigUint64(o, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is larger than any file`);
        return Number(v);
      },
    };
  };

  // End of central directory: the last 22+ bytes (plus a comment of up to 64 KiB), and the
  // zip64 locator's 20 bytes before it.
  const tailStart = Math.max(0, size - (22 + 0xffff + 20));
  const tail = src.read(tailStart, size - tailStart);
  const t = fields(tail);
  let eocd = -1; // offset in the file
  for (let p = size - 22; p >= tailStart && p >= size - 22 - 0xffff; p--) {
    if (t.u32(p - tailStart) === SIG_EOCD && p + 22 + t.u16(p - tailStart + 20) <= size) { eocd = p; break; }
  }
  if (eocd < 0) {
    const b = src.read(0, Math.min(size, 6));
    if (b.length === 0) return fail('empty file (not an .npz)');
    if (startsWith(b, NPY_MAGIC)) return fail('this is an .npy file, not an .npz (zip) archive; rename it to .npy');
    if (startsWith(Uint8Array.of(0x50, 0x4b, 0x03, 0x04), b.subarray(0, 4))) return fail('truncated zip archive (no end-of-central-directory record)');
    return fail(`not an .npz file: no zip end-of-central-directory record (starts with '${printableBytes4(b)}')`);
  }
  const e = eocd - tailStart;
  if (t.u16(e + 4) !== 0 || t.u16(e + 6) !== 0) return fail('multi-disk zip archives are not supported');
  let count = t.u16(e + 10);
  if (t.u16(e + 8) !== count) return fail('multi-disk zip archives are not supported');
  let cdSize = t.u32(e + 12);
  let cdOffset = t.u32(e + 16);
  let cdEnd = eocd; // where the central directory must end
  let record = 'end-of-central-directory record';
  // Zip64: a locator just before the EOCD points at the zip64 EOCD record.
  if (eocd >= 20 && t.u32(e - 20) === SIG_ZIP64_LOCATOR) {
    let z = t.u64(e - 12, 'zip64 end-of-central-directory offset');
    if (z + 56 > eocd - 20 || fields(src.read(z, 4)).u32(0) !== SIG_ZIP64_EOCD) {
      // Python's zipfile allows the record to sit right before the locator even if its offset is off.
      z = eocd - 20 - 56;
      if (z < 0 || fields(src.read(z, 4)).u32(0) !== SIG_ZIP64_EOCD) return fail('broken zip64 end-of-central-directory record');
    }
    const r = fields(src.read(z, 56));
    if (r.u32(16) !== 0 || r.u32(20) !== 0) return fail('multi-disk zip archives are not supported');
    const z64 = [r.u64(32, 'zip64 entry count'), r.u64(40, 'zip64 central directory size'), r.u64(48, 'zip64 central directory offset')];
    // The 16- and 32-bit fields hold either the value or the "see zip64" sentinel.
    const names = ['entry count', 'central directory size', 'central directory offset'];
    [count, cdSize, cdOffset].forEach((v, i) => {
      const sentinel = i === 0 ? 0xffff : 0xffffffff;
      if (v !== sentinel && v !== z64[i]) fail(`the end-of-central-directory record says ${names[i]} ${v} but its zip64 record says ${z64[i]} (corrupt zip)`);
    });
    [count, cdSize, cdOffset] = z64;
    cdEnd = z;
    record = 'zip64 end-of-central-directory record';
  }

  // Like zipfile: data prepended to the archive shifts every offset by `concat`.
  const cdStart = cdEnd - cdSize;
  if (cdStart < 0) return fail(`central directory of ${cdSize} bytes does not fit in the file`);
  const concat = cdStart - cdOffset;
  if (concat < 0) return fail(`central directory offset ${cdOffset} points past its end (truncated or corrupt zip)`);
  if (count > cdSize / 46) return fail(`central directory claims ${count} entries but has room for at most ${Math.floor(cdSize / 46)}`);
  if (cdSize > MAX_CENTRAL_DIRECTORY) {
    return fail(`central directory is ${formatBytes(cdSize)}, over the ${formatBytes(MAX_CENTRAL_DIRECTORY)} an .npz of arrays needs (tens of thousands of members)`);
  }
  const cd = src.read(cdStart, cdSize);
  const c = fields(cd);

  interface Member extends MemberRef { local: number; flags: number }
  const members: Member[] = [];
  let declaredTotal = 0;
  let p = 0; // offset in cd
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdSize || c.u32(p) !== SIG_CENTRAL) return fail(`central directory entry ${k + 1} of ${count} is corrupt`);
    const flags = c.u16(p + 8);
    const method = c.u16(p + 10);
    const crc = c.u32(p + 16);
    let csize = c.u32(p + 20);
    let usize = c.u32(p + 24);
    const nameLen = c.u16(p + 28), extraLen = c.u16(p + 30), commentLen = c.u16(p + 32);
    let localOffset = c.u32(p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cdSize) return fail(`central directory entry ${k + 1} of ${count} runs past the directory`);
    const name = decodeName(cd.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
    const where = `member ${shown(name)}`;
    // Zip64 extra field: 64-bit values for whichever 32-bit fields are 0xFFFFFFFF.
    if (usize === 0xffffffff || csize === 0xffffffff || localOffset === 0xffffffff) {
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      let found = false;
      while (x + 4 <= xEnd) {
        const id = c.u16(x), len = c.u16(x + 2);
        if (x + 4 + len > xEnd) break;
        if (id === 0x0001) {
          let q = x + 4;
          const take = (what: string): number => {
            if (q + 8 > x + 4 + len) fail(`${where}: zip64 extra field too short`);
            const v = c.u64(q, `${where}: ${what}`);
            q += 8;
            return v;
          };
          if (usize === 0xffffffff) usize = take('uncompressed size');
          if (csize === 0xffffffff) csize = take('compressed size');
          if (localOffset === 0xffffffff) localOffset = take('offset');
          found = true;
          break;
        }
        x += 4 + len;
      }
      if (!found) return fail(`${where}: sizes say zip64 but there is no zip64 extra field`);
    }
    p = next;

    if (flags & 0x1) return fail(`${where}: encrypted zip members are not supported`);
    if (/(^|\/)data\.pkl$/.test(name)) return fail(pickleRefusal(`a PyTorch checkpoint (torch.save's zip, member '${printable(name)}')`));
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
    if (lh + 30 > cdStart) return fail(`${where}: local header not found at offset ${localOffset} (truncated or corrupt zip)`);
    const l = fields(src.read(lh, 30));
    if (l.u32(0) !== SIG_LOCAL) return fail(`${where}: local header not found at offset ${localOffset} (truncated or corrupt zip)`);
    const lNameLen = l.u16(26), lExtraLen = l.u16(28);
    const lName = decodeName(src.read(lh + 30, Math.min(lNameLen, cdStart - lh - 30)), (l.u16(6) & 0x800) !== 0);
    if (lName !== name) return fail(`${where}: local header names it '${printable(lName)}' (corrupt zip)`);
    const dataStart = lh + 30 + lNameLen + lExtraLen;
    if (dataStart + csize > cdStart) return fail(`${where}: ${csize} bytes of data do not fit before the central directory (truncated or corrupt zip)`);
    members.push({ name, method, crc, csize, usize, dataStart, local: lh, flags });
  }
  if (p !== cdSize) return fail(uncounted(cd, p, count, record));
  checkLayout(src, members, concat, cdStart, fail);

  const out: NpzEntry[] = [];
  const seen = new Set<string>();
  let budget = maxBytes;
  for (const m of members) {
    const where = `member ${shown(m.name)}`;
    const arrayName = m.name.slice(0, -4);
    if (seen.has(arrayName)) return fail(`${where}: array '${printable(arrayName)}' appears twice in the archive`);
    seen.add(arrayName);
    const { layout, body } = readMember(src, m, budget, npyFailure(source, m.name));
    const npy = npyArray(layout, decodeNpyData(body, layout, true));
    budget -= npy.tensor.data.length * 8;
    out.push({ name: arrayName, member: m.name, tensor: npy.tensor, dtype: npy.dtype });
  }
  return out;
}

/** Why the directory goes on after `count` entries: more entries than the count, or bytes that are none. */
function uncounted(cd: Uint8Array, p: number, count: number, record: string): string {
  const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  let held = count;
  for (let q = p; q + 46 <= cd.length && dv.getUint32(q, true) === SIG_CENTRAL;) {
    q += 46 + dv.getUint16(q + 28, true) + dv.getUint16(q + 30, true) + dv.getUint16(q + 32, true);
    held++;
    if (q === cd.length) return `the ${record} has an entry count of ${count} but the central directory holds ${held} entries (corrupt zip; reading it would lose arrays)`;
  }
  return `central directory has ${cd.length - p} bytes after its ${count} entries, which its size says are part of it (corrupt zip)`;
}

/**
 * The members, in file order, must fill the bytes between the start of the archive and the
 * central directory exactly — each local header, data and data descriptor right after the
 * previous — so that no member hides outside the directory and none overlaps another.
 */
function checkLayout(src: ByteSource, members: Array<MemberRef & { local: number; flags: number }>, concat: number, cdStart: number, fail: (msg: string) => never): void {
  if (concat >= 4 && startsWith(src.read(0, 4), Uint8Array.of(0x50, 0x4b, 0x03, 0x04))) {
    fail(`the archive is preceded by ${concat} bytes that begin with a zip member its central directory does not list (corrupt zip)`);
  }
  const order = members.map((_, i) => i).sort((a, b) => members[a].local - members[b].local);
  let at = concat;
  for (let k = 0; k < order.length; k++) {
    const m = members[order[k]];
    const where = `member ${shown(m.name)}`;
    if (m.local < at) fail(`${where} overlaps the member before it (corrupt zip)`);
    if (m.local > at) fail(`${m.local - at} bytes at offset ${at - concat} belong to no member of the central directory (corrupt zip, or a member missing from the directory)`);
    const end = m.dataStart + m.csize;
    const next = k + 1 < order.length ? members[order[k + 1]].local : cdStart;
    const gap = next - end;
    if (m.flags & 0x8 && gap >= 0) {
      if (gap > 24 || !descriptorOk(src.read(end, gap), m)) fail(`${where}: data descriptor missing or not matching the central directory (corrupt zip)`);
      at = next;
    } else {
      at = end; // an overlap or a gap shows at the next member
    }
  }
  if (at !== cdStart) fail(`${cdStart - at} bytes before the central directory belong to no member (corrupt zip, or a member missing from the directory)`);
}

/** A data descriptor (general-purpose flag bit 3): [signature] crc, sizes as 32- or 64-bit values, exactly filling `d`. */
function descriptorOk(d: Uint8Array, m: MemberRef): boolean {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const o = d.length === 16 || d.length === 24 ? 4 : 0;
  if (o === 4 && dv.getUint32(0, true) !== SIG_DESCRIPTOR) return false;
  if (d.length === 12 || d.length === 16) {
    return dv.getUint32(o, true) === m.crc && dv.getUint32(o + 4, true) === m.csize % 2 ** 32 && dv.getUint32(o + 8, true) === m.usize % 2 ** 32;
  }
  if (d.length === 20 || d.length === 24) {
    return dv.getUint32(o, true) === m.crc && Number(dv.getBigUint64(o + 4, true)) === m.csize && Number(dv.getBigUint64(o + 12, true)) === m.usize;
  }
  return false;
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

// ---------------------------------------------------------------------------------------

/** CRC-32 (IEEE, as zip uses): zlib's, native (much faster than a table loop in JS on big members; src/io/crc32.ts). */
export function crc32(data: Uint8Array, value = 0): number {
  return nativeCrc32(data, value);
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
