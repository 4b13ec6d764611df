/**
 * `.npz` (a zip of `.npy` members) → tensor references {file, offset, byteLength}.
 *
 * - Stored members (np.savez) are referenced in place inside the zip:
 *   the data offset is local header + name + extra + the .npy header. Nothing is copied.
 * - Deflated members (np.savez_compressed) cannot be referenced in place. Each one is streamed
 *   through zlib (never held whole in memory), its CRC-32 and size checked, and written once as a
 *   one-tensor safetensors file in a cache folder: `.undertone-cache/` in the folder of the npz path
 *   as given (not its symlink target, e.g. an HF cache blob) when that is writable, else
 *   `<os tmpdir>/undertone-sae-cache/`. The name carries a hash of the npz's real
 *   path, size, mtime and the member's CRC, so a changed npz never reuses a stale extract, and a
 *   later load reuses the extract (its header is re-validated). Writes go to a temp name, then
 *   rename, so a crash never leaves a half-written cache file under the final name.
 */
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, closeSync, constants, createReadStream, existsSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw, crc32 } from 'node:zlib';
import { readSafetensorsHeader, type StDtype } from '../../engine/safetensors.js';
import { SaeError } from './errors.js';
import { NPY_HEADER_PROBE, parseNpyHeader, type NpyFloat, type NpyHeader } from './npy.js';
import { readAt, readZipDirectory, zipDataOffset, zipEntry, type ZipDirectory } from './zip.js';

export interface NpzTensor {
  /** member name without `.npy` */
  name: string;
  member: string;
  dtype: NpyFloat;
  shape: number[];
  /** real path of the file holding the bytes (the npz itself, or a cache extract) */
  file: string;
  offset: number;
  byteLength: number;
  /** true when the bytes come from a cache extract of a deflated member */
  extracted: boolean;
}

export interface NpzOptions {
  /** where extracts of deflated members go (default: see the file comment) */
  cacheDir?: string;
}

const ST_OF: Record<NpyFloat, StDtype> = { float32: 'F32', float64: 'F64', float16: 'F16' };

/** Open the npz's directory (errors name the file). */
export function openNpz(file: string): ZipDirectory {
  return readZipDirectory(file);
}

/** Members of an npz as tensor names (without `.npy`). */
export function npzNames(z: ZipDirectory): string[] {
  return [...z.entries.keys()].filter((n) => n.endsWith('.npy')).map((n) => n.slice(0, -4));
}

/** Reference one member's tensor; extracts deflated members to the cache (async for that reason). */
export async function npzTensor(z: ZipDirectory, name: string, opts: NpzOptions = {}): Promise<NpzTensor> {
  const member = `${name}.npy`;
  const e = zipEntry(z, member);
  const at = zipDataOffset(z, e);
  if (e.method === 0) {
    if (e.size !== e.compressedSize) throw new SaeError(z.file, `corrupt zip: stored member has size ${e.size} but compressed size ${e.compressedSize}`, member);
    const fd = openSync(z.real, 'r');
    let h: NpyHeader;
    try {
      h = parseNpyHeader(readAt(fd, at, Math.min(e.size, NPY_HEADER_PROBE), z.file, 'npy header', member), z.file, member);
    } finally {
      closeSync(fd);
    }
    checkSize(z.file, member, h, e.size);
    return { name, member, dtype: h.dtype, shape: h.shape, file: z.real, offset: at + h.dataOffset, byteLength: h.dataBytes, extracted: false };
  }
  return extractDeflated(z, name, at, opts);
}

function checkSize(file: string, member: string, h: NpyHeader, memberSize: number): void {
  if (h.dataOffset + h.dataBytes !== memberSize) {
    throw new SaeError(file, `member is ${memberSize} bytes but its .npy header (${h.descr} ${JSON.stringify(h.shape)}) needs ${h.dataOffset + h.dataBytes}`, member);
  }
}

function cacheDirFor(z: ZipDirectory, opts: NpzOptions): string {
  if (opts.cacheDir) return opts.cacheDir;
  const beside = join(dirname(resolve(z.file)), '.undertone-cache');
  try {
    if (!existsSync(beside)) mkdirSync(beside);
    accessSync(beside, constants.W_OK);
    return beside;
  } catch {
    return privateCacheDir();
  }
}

/**
 * This user's own cache folder when the SAE's folder is read-only: $XDG_CACHE_HOME/undertone/sae
 * (~/.cache/…), else undertone-sae-cache-<uid> in the temp folder. A shared folder would let another
 * local user plant extracts (their CRC metadata is self-written), so the folder must be a real
 * folder (not a link) owned by this user and closed to others (0700).
 */
export function privateCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  const candidates = [join(xdg, 'undertone', 'sae'), join(tmpdir(), `undertone-sae-cache-${uid ?? 'user'}`)];
  const problems: string[] = [];
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = lstatSync(dir);
      if (!st.isDirectory()) throw new Error('not a folder (a link?)');
      if (uid !== undefined && st.uid !== uid) throw new Error(`owned by uid ${st.uid}, not ${uid}`);
      if (uid !== undefined && (st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
      accessSync(dir, constants.W_OK);
      return dir;
    } catch (err) {
      problems.push(`${dir}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no private folder to extract the SAE's compressed .npz members into (${problems.join('; ')}); make the SAE's folder writable or set XDG_CACHE_HOME`);
}

async function extractDeflated(z: ZipDirectory, name: string, at: number, opts: NpzOptions): Promise<NpzTensor> {
  const member = `${name}.npy`;
  const e = zipEntry(z, member);
  const st = statSync(z.real);
  const key = createHash('sha1').update(`${z.real}\0${st.size}\0${st.mtimeMs}\0${member}\0${e.crc32}`).digest('hex').slice(0, 16);
  const dir = cacheDirFor(z, opts);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${basename(z.real, '.npz')}-${key}-${name}.safetensors`);
  if (existsSync(out)) {
    try {
      const hdr = readSafetensorsHeader(out);
      const t = hdr.tensors.get(name);
      if (t && hdr.metadata.crc32 === String(e.crc32)) {
        const dtype = (Object.keys(ST_OF) as NpyFloat[]).find((d) => ST_OF[d] === t.dtype);
        if (dtype) return { name, member, dtype, shape: t.shape, file: hdr.path, offset: t.offset, byteLength: t.byteLength, extracted: true };
      }
    } catch {
      // a damaged extract: write it again
    }
  }
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  let fd: number | null = null;
  let head = Buffer.alloc(0);
  let npy: NpyHeader | null = null;
  let pos = 0; // write position in the output file
  let dataStart = 0;
  let written = 0; // npy data bytes written
  let total = 0; // decompressed bytes seen
  let crc = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        total += chunk.length;
        // a zip bomb inflates far past its declared size: stop at the first byte beyond it
        if (total > e.size) throw new SaeError(z.file, `inflates past the ${e.size} bytes the zip directory declares`, member);
        crc = crc32(chunk, crc);
        let data = chunk;
        if (!npy) {
          head = Buffer.concat([head, chunk]);
          if (head.length < Math.min(e.size, 12)) return cb();
          const need = head[6] === 1 ? 10 + head.readUInt16LE(8) : head.length >= 12 ? 12 + head.readUInt32LE(8) : Infinity;
          if (head.length < need && head.length < e.size) return cb();
          npy = parseNpyHeader(head, z.file, member);
          checkSize(z.file, member, npy, e.size);
          data = head.subarray(npy.dataOffset);
          const json0 = JSON.stringify({ __metadata__: { crc32: String(e.crc32), source: z.real, member }, [name]: { dtype: ST_OF[npy.dtype], shape: npy.shape, data_offsets: [0, npy.dataBytes] } });
          const json = json0 + ' '.repeat((8 - ((8 + Buffer.byteLength(json0)) % 8)) % 8);
          const len = Buffer.alloc(8);
          len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
          fd = openSync(tmp, 'wx'); // exclusive: never through a planted file or link
          writeSync(fd, len, 0, 8, 0);
          writeSync(fd, Buffer.from(json), 0, Buffer.byteLength(json), 8);
          pos = dataStart = 8 + Buffer.byteLength(json);
        }
        if (data.length) {
          writeSync(fd!, data, 0, data.length, pos);
          pos += data.length;
          written += data.length;
        }
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  try {
    if (e.compressedSize === 0) throw new SaeError(z.file, 'empty deflated member', member);
    await pipeline(createReadStream(z.real, { start: at, end: at + e.compressedSize - 1 }), createInflateRaw(), sink);
    if (!npy) throw new SaeError(z.file, `bad .npy header: member ends after ${total} bytes`, member);
    const h = npy as NpyHeader;
    if (total !== e.size) throw new SaeError(z.file, `inflated to ${total} bytes but the zip directory says ${e.size}`, member);
    if ((crc >>> 0) !== e.crc32) throw new SaeError(z.file, `CRC-32 mismatch after inflating (corrupt data)`, member);
    if (written !== h.dataBytes) throw new SaeError(z.file, `member has ${written} data bytes but its header needs ${h.dataBytes}`, member);
    closeSync(fd!);
    fd = null;
    renameSync(tmp, out);
    return { name, member, dtype: h.dtype, shape: h.shape, file: out, offset: dataStart, byteLength: h.dataBytes, extracted: true };
  } catch (err) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    if (err instanceof SaeError) throw err;
    throw new SaeError(z.file, `cannot inflate (corrupt deflate data): ${(err as Error).message}`, member);
  }
}
