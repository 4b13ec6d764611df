/**
 * The .npy header (NumPy format 1.0/2.0/3.0): magic `\x93NUMPY`, major, minor, a little-endian
 * header length (u16 for 1.x, u32 for 2.x/3.x), then a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2304, 16384), }`, padded with spaces and a
 * newline. The data follows in C order. Only little-endian floats are accepted here.
 */
import { SaeError } from './errors.js';

export type NpyFloat = 'float32' | 'float64' | 'float16';

export interface NpyHeader {
  descr: string;
  dtype: NpyFloat;
  shape: number[];
  /** bytes from the start of the .npy to its data */
  dataOffset: number;
  /** bytes of data the header promises (count × item size) */
  dataBytes: number;
}

const DESCR: Record<string, { dtype: NpyFloat; bytes: number }> = {
  '<f4': { dtype: 'float32', bytes: 4 },
  '<f8': { dtype: 'float64', bytes: 8 },
  '<f2': { dtype: 'float16', bytes: 2 },
};

/** Bytes to read to be sure the header is inside (headers are small; numpy pads them to 64). */
export const NPY_HEADER_PROBE = 4096;

/** Parse the header at the start of `b`. `file`/`member` name the source in errors. */
export function parseNpyHeader(b: Uint8Array, file: string, member: string): NpyHeader {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const bad = (why: string): never => {
    throw new SaeError(file, `bad .npy header: ${why}`, member);
  };
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') bad('missing the \\x93NUMPY magic');
  const major = buf[6]!;
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) bad('truncated');
    hlen = buf.readUInt32LE(8);
    start = 12;
  } else {
    return bad(`unknown format version ${major}.${buf[7]}`);
  }
  if (start + hlen > buf.length) bad(`header length ${hlen} runs past the ${buf.length} bytes available`);
  const text = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + hlen);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) bad(`expected a dict with 'descr', 'fortran_order' and 'shape', got ${JSON.stringify(text.trim())}`);
  if (fortran === 'True') bad('fortran_order True is not supported (arrays must be C order)');
  const d = DESCR[descr!];
  if (!d) {
    if (/^>/.test(descr!)) bad(`big-endian dtype '${descr}' is not supported`);
    bad(`dtype '${descr}' is not supported (supported: ${Object.keys(DESCR).join(', ')})`);
  }
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) bad(`bad shape entry '${s}'`);
      return n;
    });
  const count = shape.reduce((a, n) => a * n, 1);
  return { descr: descr!, dtype: d!.dtype, shape, dataOffset: start + hlen, dataBytes: count * d!.bytes };
}
