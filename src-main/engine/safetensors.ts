/**
 * safetensors: 8-byte LE u64 header length N, N bytes of JSON, then raw little-endian data.
 * Header entries: {"dtype","shape","data_offsets":[begin,end]} relative to the data start,
 * plus an optional "__metadata__" string map (REFERENCE §3).
 *
 * The reader only parses the header; tensor bytes are referenced by absolute file offset so that
 * ONNX initializers can point into the file (external data) without a copy.
 */
import { openSync, readSync, closeSync, fstatSync, writeFileSync, writeSync, ftruncateSync, realpathSync } from 'node:fs';

export type StDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const ST_DTYPE_BYTES: Record<StDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export interface StTensorInfo {
  name: string;
  dtype: StDtype;
  shape: number[];
  /** absolute byte offset of the tensor's data in the file */
  offset: number;
  byteLength: number;
}

export interface StFile {
  /** real path (symlinks resolved, as ORT requires for external data) */
  path: string;
  fileSize: number;
  dataStart: number;
  metadata: Record<string, string>;
  tensors: Map<string, StTensorInfo>;
}

/** An error about a safetensors file that names the file (and tensor when known). */
export class SafetensorsError extends Error {
  constructor(
    public readonly file: string,
    message: string,
    public readonly tensor?: string,
  ) {
    super(`${file}${tensor ? ` [tensor '${tensor}']` : ''}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

const MAX_HEADER = 100 * 1024 * 1024;

/** Parse a safetensors header. Validates offsets against the file size and dtype × shape. */
export function readSafetensorsHeader(file: string): StFile {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    throw new SafetensorsError(file, 'file not found');
  }
  const fd = openSync(real, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new SafetensorsError(file, `file is ${size} bytes, shorter than the 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(MAX_HEADER) || n > BigInt(size - 8)) {
      throw new SafetensorsError(file, `corrupt header: header length ${n} exceeds the file size ${size}`);
    }
    const hdr = Buffer.alloc(Number(n));
    readSync(fd, hdr, 0, hdr.length, 8);
    let json: unknown;
    try {
      json = JSON.parse(hdr.toString('utf8'));
    } catch (e) {
      throw new SafetensorsError(file, `corrupt header: not valid JSON (${(e as Error).message})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new SafetensorsError(file, 'corrupt header: JSON is not an object');
    }
    const dataStart = 8 + Number(n);
    const tensors = new Map<string, StTensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = (v ?? {}) as Record<string, string>;
        continue;
      }
      const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof e !== 'object' || e === null) throw new SafetensorsError(file, 'corrupt header entry', name);
      const dtype = e.dtype as StDtype;
      if (!(typeof dtype === 'string' && dtype in ST_DTYPE_BYTES)) {
        throw new SafetensorsError(file, `unknown dtype ${JSON.stringify(e.dtype)} (known: ${Object.keys(ST_DTYPE_BYTES).join(', ')})`, name);
      }
      const shape = e.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new SafetensorsError(file, `bad shape ${JSON.stringify(shape)}`, name);
      }
      const offs = e.data_offsets;
      if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[1] < offs[0]) {
        throw new SafetensorsError(file, `bad data_offsets ${JSON.stringify(offs)}`, name);
      }
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      const byteLength = offs[1] - offs[0];
      if (byteLength !== count * ST_DTYPE_BYTES[dtype]) {
        throw new SafetensorsError(file, `data_offsets span ${byteLength} bytes but ${dtype}${JSON.stringify(shape)} needs ${count * ST_DTYPE_BYTES[dtype]}`, name);
      }
      if (dataStart + offs[1] > size) {
        throw new SafetensorsError(file, `truncated: tensor data ends at byte ${dataStart + offs[1]} but the file has ${size} bytes`, name);
      }
      tensors.set(name, { name, dtype, shape: shape as number[], offset: dataStart + offs[0], byteLength });
    }
    return { path: real, fileSize: size, dataStart, metadata, tensors };
  } finally {
    closeSync(fd);
  }
}

/** Look up a tensor, or throw naming the file and the tensor. */
export function stTensor(f: StFile, name: string): StTensorInfo {
  const t = f.tensors.get(name);
  if (!t) throw new SafetensorsError(f.path, `missing tensor (file has ${f.tensors.size} tensors)`, name);
  return t;
}

/** Read one tensor's raw bytes (a copy; for small tensors, tests and CPU-side use). */
export function readTensorBytes(f: StFile, name: string): Buffer {
  const t = stTensor(f, name);
  const fd = openSync(f.path, 'r');
  try {
    const b = Buffer.alloc(t.byteLength);
    readSync(fd, b, 0, t.byteLength, t.offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** Decode a tensor as float32 (F32, F16, BF16, F64 supported). */
export function readTensorF32(f: StFile, name: string): Float32Array {
  const t = stTensor(f, name);
  const b = readTensorBytes(f, name);
  return bytesToF32(b, t.dtype, f.path, name);
}

export function bytesToF32(b: Buffer | Uint8Array, dtype: StDtype, file = '?', name = '?'): Float32Array {
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  switch (dtype) {
    case 'F32':
      return new Float32Array(ab);
    case 'F64':
      return Float32Array.from(new Float64Array(ab));
    case 'BF16': {
      const u16 = new Uint16Array(ab);
      const u32 = new Uint32Array(u16.length);
      for (let i = 0; i < u16.length; i++) u32[i] = u16[i]! << 16;
      return new Float32Array(u32.buffer);
    }
    case 'F16': {
      const u16 = new Uint16Array(ab);
      const out = new Float32Array(u16.length);
      for (let i = 0; i < u16.length; i++) out[i] = f16ToF32(u16[i]!);
      return out;
    }
    default:
      throw new SafetensorsError(file, `cannot decode dtype ${dtype} as float`, name);
  }
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function f32ToF16(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  let e = ((x >>> 23) & 0xff) - 127 + 15;
  let m = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    m = (m | 0x800000) >> (1 - e);
    return sign | ((m + 0x1000) >> 13);
  }
  const r = sign | (e << 10) | (m >> 13);
  return (m & 0x1000) !== 0 ? r + 1 : r; // round half up on the dropped bits (close enough for tests)
}

export function f32ToBf16(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const lsb = (x >>> 16) & 1;
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff; // round to nearest even
}

export interface StWriteTensor {
  dtype: StDtype;
  shape: number[];
  data: ArrayBufferView;
}

/**
 * Write a safetensors file. Tensors are laid out in name order; the header is padded with spaces
 * so that data starts 8-byte aligned. `align` pads each tensor's start to a multiple (bytes).
 */
export function writeSafetensors(
  file: string,
  tensors: Record<string, StWriteTensor>,
  metadata?: Record<string, string>,
  align = 8,
): void {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  const parts: { at: number; bytes: Uint8Array }[] = [];
  for (const n of names) {
    const t = tensors[n]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (bytes.length !== count * ST_DTYPE_BYTES[t.dtype]) {
      throw new SafetensorsError(file, `data has ${bytes.length} bytes but ${t.dtype}${JSON.stringify(t.shape)} needs ${count * ST_DTYPE_BYTES[t.dtype]}`, n);
    }
    off = Math.ceil(off / align) * align;
    header[n] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + bytes.length] };
    parts.push({ at: off, bytes });
    off += bytes.length;
  }
  let json = JSON.stringify(header);
  const pad = (8 - ((8 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const hlen = Buffer.byteLength(json);
  const out = Buffer.alloc(8 + hlen + off);
  out.writeBigUInt64LE(BigInt(hlen), 0);
  out.write(json, 8, 'utf8');
  for (const p of parts) out.set(p.bytes, 8 + hlen + p.at);
  writeFileSync(file, out);
}

/**
 * Write a safetensors file one tensor at a time (for files too large to assemble in memory).
 * `fill(name)` is called once per tensor, in name order. Tensor starts are aligned to `align` bytes.
 */
export function writeSafetensorsStreaming(
  file: string,
  entries: Record<string, { dtype: StDtype; shape: number[] }>,
  fill: (name: string) => ArrayBufferView,
  align = 64,
): void {
  const names = Object.keys(entries).sort();
  const header: Record<string, unknown> = {};
  let off = 0;
  const at: number[] = [];
  for (const n of names) {
    const e = entries[n]!;
    const len = e.shape.reduce((a, b) => a * b, 1) * ST_DTYPE_BYTES[e.dtype];
    off = Math.ceil(off / align) * align;
    at.push(off);
    header[n] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + len] };
    off += len;
  }
  let json = JSON.stringify(header);
  // pad so that the data section starts on an `align` boundary of the file
  const pad = (align - ((8 + Buffer.byteLength(json)) % align)) % align;
  json += ' '.repeat(pad);
  const hlen = Buffer.byteLength(json);
  const fd = openSync(file, 'w');
  try {
    const lenBuf = Buffer.alloc(8);
    lenBuf.writeBigUInt64LE(BigInt(hlen), 0);
    writeSync(fd, lenBuf, 0, 8, 0);
    writeSync(fd, Buffer.from(json, 'utf8'), 0, hlen, 8);
    names.forEach((n, i) => {
      const d = fill(n);
      const e = entries[n]!;
      const want = e.shape.reduce((a, b) => a * b, 1) * ST_DTYPE_BYTES[e.dtype];
      if (d.byteLength !== want) throw new SafetensorsError(file, `fill returned ${d.byteLength} bytes, need ${want}`, n);
      writeSync(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength), 0, d.byteLength, 8 + hlen + at[i]!);
    });
    if (off > 0) ftruncateSync(fd, 8 + hlen + off);
  } finally {
    closeSync(fd);
  }
}
