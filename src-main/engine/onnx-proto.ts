/**
 * Minimal protobuf encoder for the ONNX messages we emit (onnx.proto3 field numbers).
 * Only writing is needed: ORT reads the bytes.
 */

class PbWriter {
  private chunks: Uint8Array[] = [];
  private len = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.len += b.length;
  }
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }
  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, w: PbWriter): this {
    return this.bytes(field, w.finish());
  }
  packedInts(field: number, vs: readonly (number | bigint)[]): this {
    const w = new PbWriter();
    for (const v of vs) w.varint(v);
    return this.bytes(field, w.finish());
  }
  packedFloats(field: number, vs: readonly number[]): this {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE = {
  float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16,
} as const;
export type OnnxDtypeName = keyof typeof ONNX_DTYPE;

export type PbAttr =
  | { name: string; type: 'int'; i: number }
  | { name: string; type: 'float'; f: number }
  | { name: string; type: 'string'; s: string }
  | { name: string; type: 'ints'; ints: readonly number[] }
  | { name: string; type: 'floats'; floats: readonly number[] }
  | { name: string; type: 'tensor'; t: PbTensor }
  | { name: string; type: 'graph'; g: PbGraph };

export interface PbNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attrs?: readonly PbAttr[];
}

export interface PbTensor {
  name: string;
  dtype: OnnxDtypeName;
  dims: readonly number[];
  raw?: Uint8Array;
  external?: { location: string; offset: number; length: number };
}

export interface PbValueInfo {
  name: string;
  dtype: OnnxDtypeName;
  /** numbers are dim_value, strings dim_param; undefined = unknown rank */
  dims?: readonly (number | string)[];
}

export interface PbGraph {
  name: string;
  nodes: readonly PbNode[];
  initializers: readonly PbTensor[];
  inputs: readonly PbValueInfo[];
  outputs: readonly PbValueInfo[];
}

export interface PbModel {
  irVersion: number;
  opsets: readonly { domain: string; version: number }[];
  producer: string;
  graph: PbGraph;
}

function tensorMsg(t: PbTensor): PbWriter {
  const w = new PbWriter();
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, t.name);
  if (t.raw) w.bytes(9, t.raw);
  if (t.external) {
    const kv = (k: string, v: string) => new PbWriter().string(1, k).string(2, v);
    w.msg(13, kv('location', t.external.location));
    w.msg(13, kv('offset', String(t.external.offset)));
    w.msg(13, kv('length', String(t.external.length)));
    w.int(14, 1); // data_location = EXTERNAL
  }
  return w;
}

function attrMsg(a: PbAttr): PbWriter {
  const w = new PbWriter().string(1, a.name);
  switch (a.type) {
    case 'float':
      return w.float(2, a.f).int(20, 1);
    case 'int':
      return w.int(3, a.i).int(20, 2);
    case 'string':
      return w.string(4, a.s).int(20, 3);
    case 'tensor':
      return w.msg(5, tensorMsg(a.t)).int(20, 4);
    case 'graph':
      return w.msg(6, graphMsg(a.g)).int(20, 5);
    case 'floats':
      return w.packedFloats(7, a.floats).int(20, 6);
    case 'ints':
      return w.packedInts(8, a.ints).int(20, 7);
  }
}

function nodeMsg(n: PbNode): PbWriter {
  const w = new PbWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const a of n.attrs ?? []) w.msg(5, attrMsg(a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function valueInfoMsg(v: PbValueInfo): PbWriter {
  const tt = new PbWriter().int(1, ONNX_DTYPE[v.dtype]);
  if (v.dims) {
    const shape = new PbWriter();
    for (const d of v.dims) {
      const dim = new PbWriter();
      if (typeof d === 'number') dim.int(1, d);
      else dim.string(2, d);
      shape.msg(1, dim);
    }
    tt.msg(2, shape);
  }
  return new PbWriter().string(1, v.name).msg(2, new PbWriter().msg(1, tt));
}

function graphMsg(g: PbGraph): PbWriter {
  const w = new PbWriter();
  for (const n of g.nodes) w.msg(1, nodeMsg(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.msg(5, tensorMsg(t));
  for (const v of g.inputs) w.msg(11, valueInfoMsg(v));
  for (const v of g.outputs) w.msg(12, valueInfoMsg(v));
  return w;
}

export function encodeModel(m: PbModel): Uint8Array {
  const w = new PbWriter().int(1, m.irVersion).string(2, m.producer);
  w.msg(7, graphMsg(m.graph));
  for (const o of m.opsets) w.msg(8, new PbWriter().string(1, o.domain).int(2, o.version));
  return w.finish();
}
