/**
 * Graph → ONNX ModelProto. The op → ONNX mapping is one flat table (LOWER).
 *
 * With `grads`, the backward part goes into the then-branch of an `If(want_grad)` node, so one
 * session (one copy of the weights) serves both forward-only and forward+backward runs.
 * Initializers are inline or external data pointing into existing files (safetensors byte ranges),
 * located relative to one folder (ORT refuses absolute paths and `..`).
 */
import { createHash } from 'node:crypto';
import { dirname, relative, sep } from 'node:path';
import { realpathSync } from 'node:fs';
import { encodeModel, type OnnxDtypeName, type PbAttr, type PbGraph, type PbNode, type PbTensor, type PbValueInfo } from './onnx-proto.js';
import { EngineError, topo, type DType, type Tensor } from './tensor.js';

export const OPSET = 18;
const IR_VERSION = 8;

export interface CompileSpec {
  /** forward outputs by name */
  outputs: Record<string, Tensor>;
  /** gradient outputs by name (computed only when the `want_grad` input is true) */
  grads?: Record<string, Tensor>;
  name?: string;
}

export interface IoInfo {
  name: string;
  dtype: DType;
  shape: readonly (number | string)[];
  /**
   * The value used when the feeds leave this input out (filled in by the runtime before the run:
   * ORT's Node API does not let a feed override an initializer of the same name).
   */
  default?: ArrayBufferView;
}

export interface Compiled {
  bytes: Uint8Array;
  /** folder that external-data locations are relative to (null when all data is inline) */
  externalDir: string | null;
  inputs: IoInfo[];
  outputs: IoInfo[];
  gradOutputs: string[];
  /** sha256 of the model bytes plus external file identities: a stable cache key */
  hash: string;
  /** diagnostic: count of emitted nodes by op type */
  opCounts: Record<string, number>;
  /** initializers (weights) that feed a Transpose node anywhere, subgraphs included: a transposed copy */
  transposedInitializers: string[];
}

export const WANT_GRAD = 'want_grad';

class Emitter {
  nodes: PbNode[] = [];
  private n = 0;
  constructor(
    private readonly consts: Map<string, PbTensor>,
    private readonly prefix: string,
  ) {}
  tmp(): string {
    return `${this.prefix}_${this.n++}`;
  }
  node(op: string, inputs: string[], outputs: string[], attrs: PbAttr[] = [], domain?: string): void {
    this.nodes.push({ op, inputs, outputs, attrs, domain });
  }
  /** float64 scalar constant shared by all emitters (initializer); returns its name. */
  f64(v: number): string {
    const name = `c_f64_${String(v).replace(/[^0-9a-z]/gi, '_')}`;
    if (!this.consts.has(name)) this.consts.set(name, { name, dtype: 'float64', dims: [], raw: new Uint8Array(Float64Array.of(v).buffer) });
    return name;
  }
  /** int64 constant shared by all emitters (initializer). */
  i64(values: readonly number[], scalar = false): string {
    const name = `c_i64_${scalar ? 's' : 'v'}_${values.join('_').replace(/-/g, 'm')}`;
    if (!this.consts.has(name)) {
      const raw = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
      this.consts.set(name, { name, dtype: 'int64', dims: scalar ? [] : [values.length], raw });
    }
    return name;
  }
}

type Lower = (e: Emitter, t: Tensor, ins: string[], out: string) => void;

const ONNX_NAME: Record<DType, OnnxDtypeName> = {
  float32: 'float32', float16: 'float16', float64: 'float64', bfloat16: 'bfloat16', int64: 'int64', int32: 'int32', bool: 'bool',
};

const direct = (op: string): Lower => (e, _t, ins, out) => e.node(op, ins, [out]);
const withAxis = (op: string): Lower => (e, t, ins, out) => e.node(op, ins, [out], [{ name: 'axis', type: 'int', i: t.attrs.axis as number }]);
const reduceOp = (op: string): Lower => (e, t, ins, out) =>
  e.node(op, [ins[0]!, e.i64(t.attrs.axes as number[])], [out], [{ name: 'keepdims', type: 'int', i: t.attrs.keepdims as number }]);

function swapLast(e: Emitter, name: string, rank: number): string {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  const o = e.tmp();
  e.node('Transpose', [name], [o], [{ name: 'perm', type: 'ints', ints: perm }]);
  return o;
}

/**
 * Scatter-add into zeros shaped like input 0. ORT's CPU scatter kernels have no float16/bfloat16
 * 'add' reduction, so those dtypes scatter in float32 and cast back.
 */
function scatterIn32(e: Emitter, t: Tensor, ins: string[], out: string, emit: (zeros: string, updates: string, out: string) => void): void {
  if (t.dtype !== 'float16' && t.dtype !== 'bfloat16') return emit(zerosOf(e, ins[0]!, t.dtype), ins[2]!, out);
  const like = e.tmp();
  e.node('Cast', [ins[0]!], [like], [{ name: 'to', type: 'int', i: 1 }]);
  const upd = e.tmp();
  e.node('Cast', [ins[2]!], [upd], [{ name: 'to', type: 'int', i: 1 }]);
  const o32 = e.tmp();
  emit(zerosOf(e, like, 'float32'), upd, o32);
  e.node('Cast', [o32], [out], [{ name: 'to', type: 'int', i: onnxCode(t.dtype) }]);
}

function zerosOf(e: Emitter, like: string, dtype: DType): string {
  const shp = e.tmp();
  e.node('Shape', [like], [shp]);
  const z = e.tmp();
  e.node('ConstantOfShape', [shp], [z], [{ name: 'value', type: 'tensor', t: { name: 'v', dtype: ONNX_NAME[dtype], dims: [1], raw: zeroBytes(dtype) } }]);
  return z;
}

function zeroBytes(d: DType): Uint8Array {
  const n = { float32: 4, float16: 2, float64: 8, bfloat16: 2, int64: 8, int32: 4, bool: 1 }[d];
  return new Uint8Array(n);
}

/** The flat op → ONNX table. */
export const LOWER: Record<string, Lower> = {
  Add: direct('Add'), Sub: direct('Sub'), Mul: direct('Mul'), Div: direct('Div'), Pow: direct('Pow'),
  Less: direct('Less'), Greater: direct('Greater'), Equal: direct('Equal'), LessOrEqual: direct('LessOrEqual'),
  And: direct('And'), Not: direct('Not'), Neg: direct('Neg'), Sqrt: direct('Sqrt'), Exp: direct('Exp'),
  Log: direct('Log'), Tanh: direct('Tanh'), Sigmoid: direct('Sigmoid'), Relu: direct('Relu'),
  Reciprocal: direct('Reciprocal'), Abs: direct('Abs'), Sign: direct('Sign'), Identity: direct('Identity'),
  Where: direct('Where'), Cos: direct('Cos'), Sin: direct('Sin'), Shape: direct('Shape'),
  Erf: (e, t, ins, out) => (t.dtype === 'float64' ? erfSeries64(e, ins[0]!, out) : e.node('Erf', ins, [out])),
  Cast: (e, t, ins, out) => e.node('Cast', ins, [out], [{ name: 'to', type: 'int', i: onnxCode(t.dtype) }]),
  MatMul: (e, t, ins, out) => {
    const tA = t.attrs.transA === 1;
    const tB = t.attrs.transB === 1;
    if (!tA && !tB) return e.node('MatMul', ins, [out]);
    if (t.dtype === 'float32' || t.dtype === 'float16') {
      // contrib op with transpose flags: no transposed copy of a weight is ever made
      return e.node('FusedMatMul', ins, [out], [
        { name: 'transA', type: 'int', i: tA ? 1 : 0 },
        { name: 'transB', type: 'int', i: tB ? 1 : 0 },
        { name: 'alpha', type: 'float', f: 1 },
      ], 'com.microsoft');
    }
    // float64 (test graphs): explicit transposes
    const a = tA ? swapLast(e, ins[0]!, t.inputs[0]!.rank) : ins[0]!;
    const b = tB ? swapLast(e, ins[1]!, t.inputs[1]!.rank) : ins[1]!;
    e.node('MatMul', [a, b], [out]);
  },
  Reshape: (e, t, ins, out) => e.node('Reshape', [ins[0]!, e.i64(t.attrs.shape as number[])], [out]),
  ReshapeLike: (e, _t, ins, out) => {
    const s = e.tmp();
    e.node('Shape', [ins[1]!], [s]);
    e.node('Reshape', [ins[0]!, s], [out]);
  },
  ReshapeTo: (e, t, ins, out) => {
    const parts = String(t.attrs.spec).split(',');
    const shp = e.tmp();
    e.node('Shape', [ins[0]!], [shp]);
    const pieces = parts.map((p) => {
      if (!p.startsWith('@')) return e.i64([Number(p)]);
      const o = e.tmp();
      e.node('Gather', [shp, e.i64([Number(p.slice(1))])], [o], [{ name: 'axis', type: 'int', i: 0 }]);
      return o;
    });
    const tgt = e.tmp();
    e.node('Concat', pieces, [tgt], [{ name: 'axis', type: 'int', i: 0 }]);
    e.node('Reshape', [ins[0]!, tgt], [out]);
  },
  SizeOf: (e, t, ins, out) => {
    const shp = e.tmp();
    e.node('Shape', [ins[0]!], [shp]);
    e.node('Gather', [shp, e.i64([t.attrs.axis as number], true)], [out], [{ name: 'axis', type: 'int', i: 0 }]);
  },
  SliceLast: (e, t, ins, out) => e.node('Slice', [ins[0]!, e.i64([-1]), e.i64([Number.MAX_SAFE_INTEGER]), e.i64([t.attrs.axis as number])], [out]),
  Transpose: (e, t, ins, out) => e.node('Transpose', ins, [out], [{ name: 'perm', type: 'ints', ints: t.attrs.perm as number[] }]),
  Slice: (e, t, ins, out) => {
    const end = Math.min(t.attrs.end as number, Number.MAX_SAFE_INTEGER);
    e.node('Slice', [ins[0]!, e.i64([t.attrs.start as number]), e.i64([end]), e.i64([t.attrs.axis as number])], [out]);
  },
  Concat: withAxis('Concat'),
  Gather: withAxis('Gather'),
  GatherElements: withAxis('GatherElements'),
  Softmax: withAxis('Softmax'),
  LogSoftmax: withAxis('LogSoftmax'),
  Expand: (e, t, ins, out) => e.node('Expand', [ins[0]!, e.i64(t.attrs.shape as number[])], [out]),
  ExpandLike: (e, _t, ins, out) => {
    const s = e.tmp();
    e.node('Shape', [ins[1]!], [s]);
    e.node('Expand', [ins[0]!, s], [out]);
  },
  Unsqueeze: (e, t, ins, out) => e.node('Unsqueeze', [ins[0]!, e.i64(t.attrs.axes as number[])], [out]),
  Squeeze: (e, t, ins, out) => e.node('Squeeze', [ins[0]!, e.i64(t.attrs.axes as number[])], [out]),
  ReduceSum: reduceOp('ReduceSum'),
  ReduceMean: reduceOp('ReduceMean'),
  ReduceMax: reduceOp('ReduceMax'),
  Gelu: (e, t, ins, out) => {
    const erfForm = t.attrs.approximate === 'erf';
    if (t.dtype !== 'float64') return e.node(erfForm ? 'Gelu' : 'FastGelu', ins, [out], [], 'com.microsoft');
    gelu64(e, ins[0]!, out, erfForm);
  },
  LayerNorm: (e, t, ins, out) => {
    if (t.dtype === 'float64') return layerNorm64(e, ins, out, t.attrs.eps as number);
    e.node('LayerNormalization', ins, [out, `${out}_mean`, `${out}_rstd`], [
      { name: 'axis', type: 'int', i: -1 },
      { name: 'epsilon', type: 'float', f: t.attrs.eps as number },
      { name: 'stash_type', type: 'int', i: 1 },
    ]);
  },
  LayerNormStat: (e, t, ins, out) => e.node('Identity', [`${ins[0]}_${t.attrs.which as string}`], [out]),
  ZerosLike: (e, t, ins, out) => {
    const z = zerosOf(e, ins[0]!, t.dtype);
    e.node('Identity', [z], [out]);
  },
  NonZero1D: (e, _t, ins, out) => {
    const nz = e.tmp();
    e.node('NonZero', [ins[0]!], [nz]); // [1, n]
    e.node('Reshape', [nz, e.i64([-1])], [out]);
  },
  ArangeOf: (e, t, ins, out) => {
    const s = e.tmp();
    e.node('Shape', [ins[0]!], [s]);
    const n = e.tmp();
    e.node('Gather', [s, e.i64([t.attrs.axis as number], true)], [n], [{ name: 'axis', type: 'int', i: 0 }]);
    e.node('Range', [e.i64([0], true), n, e.i64([1], true)], [out]);
  },
  ScatterAddRows: (e, t, ins, out) =>
    scatterIn32(e, t, ins, out, (z, upd, o2) => {
      const idx = e.tmp();
      e.node('Unsqueeze', [ins[1]!, e.i64([-1])], [idx]);
      e.node('ScatterND', [z, idx, upd], [o2], [{ name: 'reduction', type: 'string', s: 'add' }]);
    }),
  ScatterAddInto: (e, t, ins, out) =>
    e.node('ScatterElements', ins, [out], [
      { name: 'axis', type: 'int', i: t.attrs.axis as number },
      { name: 'reduction', type: 'string', s: 'add' },
    ]),
  ScatterAddElements: (e, t, ins, out) =>
    scatterIn32(e, t, ins, out, (z, upd, o2) =>
      e.node('ScatterElements', [z, ins[1]!, upd], [o2], [
        { name: 'axis', type: 'int', i: t.attrs.axis as number },
        { name: 'reduction', type: 'string', s: 'add' },
      ])),
  PadAxis: (e, t, ins, out) => {
    const r = t.rank;
    const pads = new Array(2 * r).fill(0);
    pads[t.attrs.axis as number] = t.attrs.before as number;
    pads[r + (t.attrs.axis as number)] = t.attrs.after as number;
    e.node('Pad', [ins[0]!, e.i64(pads)], [out], [{ name: 'mode', type: 'string', s: 'constant' }]);
  },
};

/**
 * ORT's CPU provider has no float64 Erf kernel. float64 graphs (gradient tests) use the series
 * erf(x) = 2/√π · e^(−x²) · x · Σₙ (2x²)ⁿ / (1·3·5⋯(2n+1)): all terms positive, so no cancellation;
 * 120 terms give full double precision for |x| < 6. For |x| ≥ 6, erf(x) = sign(x) to double precision.
 */
function erfSeries64(e: Emitter, x: string, out: string): void {
  const f64c = (v: number): string => e.f64(v);
  const xc = e.tmp();
  e.node('Clip', [x, f64c(-6), f64c(6)], [xc]);
  const x2 = e.tmp();
  e.node('Mul', [xc, xc], [x2]);
  const t2 = e.tmp();
  e.node('Mul', [x2, f64c(2)], [t2]);
  // Horner: S = 1 + t2/3 (1 + t2/5 (1 + ...))
  let s = f64c(1);
  for (let n = 120; n >= 1; n--) {
    const a = e.tmp();
    e.node('Mul', [t2, s], [a]);
    const b = e.tmp();
    e.node('Div', [a, f64c(2 * n + 1)], [b]);
    const c = e.tmp();
    e.node('Add', [b, f64c(1)], [c]);
    s = c;
  }
  const ex = e.tmp();
  const nx2 = e.tmp();
  e.node('Neg', [x2], [nx2]);
  e.node('Exp', [nx2], [ex]);
  const p1 = e.tmp();
  e.node('Mul', [ex, xc], [p1]);
  const p2 = e.tmp();
  e.node('Mul', [p1, s], [p2]);
  // beyond |x| = 6 the clipped series is erf(±6) = ±(1 − 2e−17): exactly ±1 in double
  e.node('Mul', [p2, f64c(2 / Math.sqrt(Math.PI))], [out]);
}

/** float64 GELU from primitives (contrib Gelu/FastGelu are float-only): 0.5·x·(1 + erf(x/√2) | tanh(u)). */
function gelu64(e: Emitter, x: string, out: string, erfForm: boolean): void {
  const c = (v: number): string => e.f64(v);
  const bin = (op: string, a: string, b: string): string => {
    const o = e.tmp();
    e.node(op, [a, b], [o]);
    return o;
  };
  let inner: string;
  if (erfForm) {
    inner = e.tmp();
    erfSeries64(e, bin('Mul', x, c(Math.SQRT1_2)), inner);
  } else {
    const u = bin('Mul', bin('Add', x, bin('Mul', bin('Mul', bin('Mul', x, x), x), c(0.044715))), c(Math.sqrt(2 / Math.PI)));
    inner = e.tmp();
    e.node('Tanh', [u], [inner]);
  }
  e.node('Mul', [bin('Mul', x, c(0.5)), bin('Add', inner, c(1))], [out]);
}

/** ORT's CPU provider has no float64 LayerNormalization: emit it from primitives, same three outputs. */
function layerNorm64(e: Emitter, [x, w, b]: string[], out: string, eps: number): void {
  const ax = e.i64([-1]);
  const keep: PbAttr[] = [{ name: 'keepdims', type: 'int', i: 1 }];
  e.node('ReduceMean', [x!, ax], [`${out}_mean`], keep);
  const xc = e.tmp();
  e.node('Sub', [x!, `${out}_mean`], [xc]);
  const sq = e.tmp();
  e.node('Mul', [xc, xc], [sq]);
  const v = e.tmp();
  e.node('ReduceMean', [sq, ax], [v], keep);
  const ve = e.tmp();
  e.node('Add', [v, e.f64(eps)], [ve]);
  const sd = e.tmp();
  e.node('Sqrt', [ve], [sd]);
  e.node('Reciprocal', [sd], [`${out}_rstd`]);
  const xn = e.tmp();
  e.node('Mul', [xc, `${out}_rstd`], [xn]);
  const xw = e.tmp();
  e.node('Mul', [xn, w!], [xw]);
  e.node('Add', [xw, b!], [out]);
}

function onnxCode(d: DType): number {
  return { float32: 1, float16: 10, float64: 11, bfloat16: 16, int64: 7, int32: 6, bool: 9 }[d];
}

/** Names of op outputs that are graph outputs: emitted under the output's name, so no Identity copy. */
let outputNames = new Map<number, string>();

function nameOf(t: Tensor): string {
  if (t.op === 'Input' || t.op === 'Initializer' || t.op === 'Constant') return t.leaf!.name;
  return outputNames.get(t.id) ?? `t${t.id}`;
}

/** Compile tensors to an ONNX model. */
export function compile(spec: CompileSpec): Compiled {
  const outNames = Object.keys(spec.outputs);
  const gradNames = Object.keys(spec.grads ?? {});
  if (!outNames.length) throw new EngineError('compile: no outputs');
  const fwdOrder = topo(Object.values(spec.outputs));
  const fwdIds = new Set(fwdOrder.map((t) => t.id));
  const allOrder = topo([...Object.values(spec.outputs), ...Object.values(spec.grads ?? {})]);
  const bwdOrder = allOrder.filter((t) => !fwdIds.has(t.id));

  const consts = new Map<string, PbTensor>();
  const initializers: PbTensor[] = [];
  const inputs: IoInfo[] = [];
  const externalFiles = new Set<string>();
  for (const t of allOrder) {
    if (t.op === 'Input') {
      const def = t.leaf!.source;
      inputs.push({ name: t.leaf!.name, dtype: t.dtype, shape: t.shape, ...(def?.kind === 'inline' ? { default: def.data } : {}) });
    } else if (t.op === 'Initializer' || t.op === 'Constant') {
      const src = t.leaf!.source!;
      if (src.kind === 'external') externalFiles.add(realpathSync(src.file));
    }
  }
  const externalDir = externalFiles.size ? commonDir([...externalFiles]) : null;
  for (const t of allOrder) {
    if (t.op !== 'Initializer' && t.op !== 'Constant') continue;
    const src = t.leaf!.source!;
    const dims = t.shape as number[];
    if (src.kind === 'inline') {
      initializers.push({ name: t.leaf!.name, dtype: ONNX_NAME[t.dtype], dims, raw: new Uint8Array(src.data.buffer, src.data.byteOffset, src.data.byteLength) });
    } else {
      const loc = relative(externalDir!, realpathSync(src.file)).split(sep).join('/');
      initializers.push({ name: t.leaf!.name, dtype: ONNX_NAME[t.dtype], dims, external: { location: loc, offset: src.offset, length: src.byteLength } });
    }
  }

  const lowerAll = (order: Tensor[], prefix: string): PbNode[] => {
    const e = new Emitter(consts, prefix);
    for (const t of order) {
      if (t.isLeaf) continue;
      const lower = LOWER[t.op];
      if (!lower) throw new EngineError(`compile: no ONNX lowering for op ${t.op}`);
      lower(e, t, t.inputs.map(nameOf), nameOf(t));
    }
    return e.nodes;
  };

  // An op tensor that is a graph output is emitted under the output's name (its first one); leaves
  // and repeated outputs are bound with Identity nodes. Gradients computed inside the backward
  // branch are named as the branch outputs the same way.
  outputNames = new Map();
  const identityOuts: string[] = [];
  for (const n of outNames) {
    const t = spec.outputs[n]!;
    if (!t.isLeaf && !outputNames.has(t.id)) outputNames.set(t.id, n);
    else identityOuts.push(n);
  }
  const bwdIds = new Set(bwdOrder.map((t) => t.id));
  const identityGrads: string[] = [];
  for (const n of gradNames) {
    const t = spec.grads![n]!;
    if (bwdIds.has(t.id) && !t.isLeaf && !outputNames.has(t.id)) outputNames.set(t.id, `${n}__then`);
    else identityGrads.push(n);
  }
  let mainNodes: PbNode[];
  let thenLowered: PbNode[] = [];
  try {
    mainNodes = lowerAll(fwdOrder, 'f');
    if (gradNames.length) thenLowered = lowerAll(bwdOrder, 'b');
    for (const n of identityOuts) mainNodes.push({ op: 'Identity', inputs: [nameOf(spec.outputs[n]!)], outputs: [n] });
    for (const n of identityGrads) thenLowered.push({ op: 'Identity', inputs: [nameOf(spec.grads![n]!)], outputs: [`${n}__then`] });
  } finally {
    outputNames = new Map();
  }
  const outputs: IoInfo[] = outNames.map((n) => ({ name: n, dtype: spec.outputs[n]!.dtype, shape: spec.outputs[n]!.shape }));

  if (gradNames.length) {
    const thenNodes = thenLowered;
    const thenOut: PbValueInfo[] = [];
    const elseNodes: PbNode[] = [];
    const elseOut: PbValueInfo[] = [];
    for (const n of gradNames) {
      const t = spec.grads![n]!;
      thenOut.push({ name: `${n}__then`, dtype: ONNX_NAME[t.dtype] });
      elseNodes.push({
        op: 'Constant', inputs: [], outputs: [`${n}__else`],
        attrs: [{ name: 'value', type: 'tensor', t: { name: `${n}__empty`, dtype: ONNX_NAME[t.dtype], dims: [0], raw: new Uint8Array(0) } }],
      });
      elseOut.push({ name: `${n}__else`, dtype: ONNX_NAME[t.dtype] });
    }
    const thenG: PbGraph = { name: 'backward', nodes: thenNodes, initializers: [], inputs: [], outputs: thenOut };
    const elseG: PbGraph = { name: 'no_backward', nodes: elseNodes, initializers: [], inputs: [], outputs: elseOut };
    mainNodes.push({
      op: 'If', inputs: [WANT_GRAD], outputs: gradNames,
      attrs: [{ name: 'then_branch', type: 'graph', g: thenG }, { name: 'else_branch', type: 'graph', g: elseG }],
    });
    inputs.push({ name: WANT_GRAD, dtype: 'bool', shape: [] });
  }
  for (const c of consts.values()) initializers.push(c);

  const graph: PbGraph = {
    name: spec.name ?? 'undertone',
    nodes: mainNodes,
    initializers,
    inputs: inputs.map((i) => ({ name: i.name, dtype: ONNX_NAME[i.dtype], dims: i.shape })),
    outputs: [
      ...outputs.map((o) => ({ name: o.name, dtype: ONNX_NAME[o.dtype], dims: o.shape })),
      ...gradNames.map((n) => ({ name: n, dtype: ONNX_NAME[spec.grads![n]!.dtype] })),
    ],
  };
  const bytes = encodeModel({
    irVersion: IR_VERSION,
    producer: 'undertone',
    opsets: [{ domain: '', version: OPSET }, { domain: 'com.microsoft', version: 1 }],
    graph,
  });
  const h = createHash('sha256').update(bytes);
  for (const f of [...externalFiles].sort()) h.update(`\0${f}`);
  const opCounts: Record<string, number> = {};
  const initNames = new Set(initializers.filter((i) => i.dims.length >= 2).map((i) => i.name));
  const transposed = new Set<string>();
  const countNodes = (ns: readonly PbNode[]): void => {
    for (const n of ns) {
      opCounts[n.op] = (opCounts[n.op] ?? 0) + 1;
      if (n.op === 'Transpose' && initNames.has(n.inputs[0]!)) transposed.add(n.inputs[0]!);
      for (const a of n.attrs ?? []) if (a.type === 'graph') countNodes(a.g.nodes);
    }
  };
  countNodes(graph.nodes);
  return {
    bytes, externalDir, inputs,
    outputs: [...outputs, ...gradNames.map((n) => ({ name: n, dtype: spec.grads![n]!.dtype, shape: spec.grads![n]!.shape }))],
    gradOutputs: gradNames,
    hash: h.digest('hex'),
    opCounts,
    transposedInitializers: [...transposed].sort(),
  };
}

function commonDir(files: string[]): string {
  let dir = dirname(files[0]!);
  for (const f of files) {
    while (!(dirname(f) + sep).startsWith(dir.endsWith(sep) ? dir : dir + sep)) {
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return dir;
}
