/**
 * A small zip reader: the central directory (with zip64) and each member's data offset, so that
 * stored members can be referenced in place and deflated ones streamed out. No extraction here.
 *
 * Layout facts (PKWARE APPNOTE): the end-of-central-directory record (EOCD, 22 bytes + comment)
 * ends the file; zip64 archives put a locator 20 bytes before it that points at a zip64 EOCD.
 * Central-directory entries give sizes and the local header offset; a size or offset of
 * 0xFFFFFFFF means "see the zip64 extra field (id 0x0001)". The data starts after the *local*
 * header, whose extra field may differ from the central one (numpy writes a zip64 extra there).
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { SaeError } from './errors.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  /** the path as given (for messages) */
  file: string;
  /** real path (symlinks resolved) */
  real: string;
  fileSize: number;
  entries: Map<string, ZipEntry>;
}

const SIG_EOCD = 0x06054b50;
const SIG_Z64_LOCATOR = 0x07064b50;
const SIG_Z64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

/** Read `len` bytes at `pos`; throws if the file is shorter. */
export function readAt(fd: number, pos: number, len: number, file: string, what: string, member?: string): Buffer {
  const b = Buffer.alloc(len);
  const n = len ? readSync(fd, b, 0, len, pos) : 0;
  if (n !== len) throw new SaeError(file, `truncated: ${what} needs bytes ${pos}..${pos + len} but the file ends at ${pos + n}`, member);
  return b;
}

function u64(b: Buffer, at: number, file: string, what: string): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new SaeError(file, `corrupt zip: ${what} ${v} is too large`);
  return Number(v);
}

/** Parse the central directory of a zip file. Errors name the file and say what is wrong. */
export function readZipDirectory(file: string): ZipDirectory {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    throw new SaeError(file, 'file not found');
  }
  const fd = openSync(real, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 22) throw new SaeError(file, `not a zip archive: ${size} bytes is shorter than an end-of-central-directory record (corrupt or truncated npz)`);
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = readAt(fd, size - tailLen, tailLen, file, 'zip tail');
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === SIG_EOCD && i + 22 + tail.readUInt16LE(i + 20) === tailLen) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new SaeError(file, 'not a zip archive: no end-of-central-directory record (corrupt or truncated npz)');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    const eocdAbs = size - tailLen + eocd;
    if (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
      if (eocdAbs < 20) throw new SaeError(file, 'corrupt zip: zip64 sizes but no zip64 locator');
      const loc = readAt(fd, eocdAbs - 20, 20, file, 'zip64 locator');
      if (loc.readUInt32LE(0) !== SIG_Z64_LOCATOR) throw new SaeError(file, 'corrupt zip: zip64 sizes but no zip64 locator');
      const z64At = u64(loc, 8, file, 'zip64 EOCD offset');
      const z = readAt(fd, z64At, 56, file, 'zip64 end-of-central-directory');
      if (z.readUInt32LE(0) !== SIG_Z64_EOCD) throw new SaeError(file, `corrupt zip: no zip64 end-of-central-directory at byte ${z64At}`);
      count = u64(z, 32, file, 'entry count');
      cdSize = u64(z, 40, file, 'central directory size');
      cdOffset = u64(z, 48, file, 'central directory offset');
    }
    if (cdOffset + cdSize > size) throw new SaeError(file, `corrupt or truncated zip: central directory (bytes ${cdOffset}..${cdOffset + cdSize}) lies beyond the file end (${size})`);
    const cd = readAt(fd, cdOffset, cdSize, file, 'central directory');
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) throw new SaeError(file, `corrupt zip: central directory entry ${n} is malformed`);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc32 = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let usize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw new SaeError(file, `corrupt zip: central directory entry ${n} runs past the directory`);
      const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
      // zip64 extra: the fields that are 0xFFFFFFFF above, in order
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          const take = (what: string): number => {
            if (q + 8 > e + 4 + len) throw new SaeError(file, `corrupt zip: zip64 extra field of '${name}' is too short`, name);
            const v = u64(cd, q, file, what);
            q += 8;
            return v;
          };
          if (usize === U32_MAX) usize = take('size');
          if (compressedSize === U32_MAX) compressedSize = take('compressed size');
          if (localHeaderOffset === U32_MAX) localHeaderOffset = take('local header offset');
        }
        e += 4 + len;
      }
      entries.set(name, { name, method, flags, crc32, compressedSize, size: usize, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return { file, real, fileSize: size, entries };
  } finally {
    closeSync(fd);
  }
}

/** Look up a member, or throw naming the file, the member and what the archive holds. */
export function zipEntry(z: ZipDirectory, name: string): ZipEntry {
  const e = z.entries.get(name);
  if (!e) throw new SaeError(z.file, `missing member (archive holds: ${[...z.entries.keys()].join(', ') || 'nothing'})`, name);
  return e;
}

/** Absolute offset of a member's (compressed) data: after its local header. */
export function zipDataOffset(z: ZipDirectory, e: ZipEntry): number {
  if (e.flags & 0x1) throw new SaeError(z.file, 'member is encrypted', e.name);
  if (e.method !== 0 && e.method !== 8) throw new SaeError(z.file, `unsupported compression method ${e.method} (stored and deflate are supported)`, e.name);
  const fd = openSync(z.real, 'r');
  try {
    const h = readAt(fd, e.localHeaderOffset, 30, z.file, 'local header', e.name);
    if (h.readUInt32LE(0) !== SIG_LOCAL) throw new SaeError(z.file, `corrupt zip: no local header at byte ${e.localHeaderOffset}`, e.name);
    const at = e.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (at + e.compressedSize > z.fileSize) {
      throw new SaeError(z.file, `truncated: member data (bytes ${at}..${at + e.compressedSize}) runs past the file end (${z.fileSize})`, e.name);
    }
    return at;
  } finally {
    closeSync(fd);
  }
}
