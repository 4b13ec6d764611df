/**
 * Primitive ops with shape inference. Op names are ONNX op types unless noted; the
 * op → ONNX mapping lives in onnx-export.ts, the op → gradient rule in grad-rules.ts.
 *
 * Shape errors are thrown at build time and name the op and the shapes.
 */
import { EngineError, FLOAT_DTYPES, fmtShape, Tensor, type Attrs, type DType, type Dim, type Shape } from './tensor.js';

// ---------------------------------------------------------------- helpers

function fail(op: string, msg: string, ...ts: Tensor[]): never {
  const shapes = ts.map((t) => `${t.dtype}${fmtShape(t.shape)}`).join(' and ');
  throw new EngineError(`${op}: ${msg}${ts.length ? ` (got ${shapes})` : ''}`);
}

function sameDtype(op: string, ...ts: Tensor[]): DType {
  const d = ts[0]!.dtype;
  for (const t of ts) if (t.dtype !== d) fail(op, 'dtype mismatch', ...ts);
  return d;
}

function dimEq(a: Dim, b: Dim): boolean {
  return a === b;
}

/** Numpy broadcasting over symbolic dims: 1 broadcasts, equal dims (number or symbol) match. */
export function broadcastShapes(op: string, ...ts: Tensor[]): Dim[] {
  return broadcastDims(op, ts.map((t) => t.shape), ts);
}

export function broadcastDims(op: string, shapes: readonly Shape[], forError: Tensor[] = []): Dim[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = i - (r - s.length);
      if (k < 0) continue;
      const td = s[k]!;
      if (td === 1) continue;
      if (d === 1) d = td;
      else if (!dimEq(d, td)) {
        if (forError.length) fail(op, `shapes do not broadcast at axis ${i}`, ...forError);
        throw new EngineError(`${op}: shapes ${shapes.map(fmtShape).join(' and ')} do not broadcast at axis ${i}`);
      }
    }
    out.push(d);
  }
  return out;
}

function normAxis(op: string, axis: number, rank: number, t?: Tensor): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(op, `axis ${axis} out of range for rank ${rank}`, ...(t ? [t] : []));
  return a;
}

function scalarLike(t: Tensor, v: number): Tensor {
  return scalar(t, v, t.dtype);
}

/** A rank-0 constant in `dtype`, built in `ref`'s graph. */
export function scalar(ref: Tensor, v: number, dtype: DType = ref.dtype): Tensor {
  return constOf(ref, [v], dtype, []);
}

export function constOf(ref: Tensor, values: readonly number[], dtype: DType, shape: readonly number[]): Tensor {
  const g = ref.g;
  switch (dtype) {
    case 'float64':
      return g.constant(Float64Array.from(values), dtype, shape);
    case 'float32':
      return g.constant(Float32Array.from(values), dtype, shape);
    case 'float16':
    case 'bfloat16':
      // stored as float32 and cast: keeps the constant table simple
      return cast(g.constant(Float32Array.from(values), 'float32', shape), dtype);
    case 'int64':
      return g.constant(BigInt64Array.from(values.map((v) => BigInt(v))), dtype, shape);
    case 'int32':
      return g.constant(Int32Array.from(values), dtype, shape);
    case 'bool':
      return g.constant(Uint8Array.from(values), dtype, shape);
  }
}

function asT(ref: Tensor, x: Tensor | number): Tensor {
  return typeof x === 'number' ? scalarLike(ref, x) : x;
}

// ---------------------------------------------------------------- elementwise

function binary(op: string, a: Tensor | number, b: Tensor | number, outDtype?: DType): Tensor {
  const ref = typeof a === 'number' ? (b as Tensor) : a;
  const A = asT(ref, a);
  const B = asT(ref, b);
  const d = sameDtype(op, A, B);
  return ref.g.node(op, [A, B], {}, outDtype ?? d, broadcastShapes(op, A, B));
}

export const add = (a: Tensor | number, b: Tensor | number) => binary('Add', a, b);
export const sub = (a: Tensor | number, b: Tensor | number) => binary('Sub', a, b);
export const mul = (a: Tensor | number, b: Tensor | number) => binary('Mul', a, b);
export const div = (a: Tensor | number, b: Tensor | number) => binary('Div', a, b);
export const pow = (a: Tensor, b: Tensor | number) => binary('Pow', a, b);
export const less = (a: Tensor | number, b: Tensor | number) => binary('Less', a, b, 'bool');
export const greater = (a: Tensor | number, b: Tensor | number) => binary('Greater', a, b, 'bool');
export const equal = (a: Tensor | number, b: Tensor | number) => binary('Equal', a, b, 'bool');
export const lessOrEqual = (a: Tensor | number, b: Tensor | number) => binary('LessOrEqual', a, b, 'bool');
export const and = (a: Tensor, b: Tensor) => binary('And', a, b, 'bool');

function unary(op: string, x: Tensor, floatOnly = true): Tensor {
  if (floatOnly && !FLOAT_DTYPES.includes(x.dtype)) fail(op, 'needs a float tensor', x);
  return x.g.node(op, [x], {}, x.dtype, x.shape);
}
export const neg = (x: Tensor) => unary('Neg', x, false);
export const sqrt = (x: Tensor) => unary('Sqrt', x);
export const exp = (x: Tensor) => unary('Exp', x);
export const log = (x: Tensor) => unary('Log', x);
export const tanh = (x: Tensor) => unary('Tanh', x);
export const erf = (x: Tensor) => unary('Erf', x);
export const sigmoid = (x: Tensor) => unary('Sigmoid', x);
export const relu = (x: Tensor) => unary('Relu', x);
export const reciprocal = (x: Tensor) => unary('Reciprocal', x);
export const abs = (x: Tensor) => unary('Abs', x, false);
export const sign = (x: Tensor) => unary('Sign', x, false);
export const not = (x: Tensor) => unary('Not', x, false);
export const identity = (x: Tensor) => unary('Identity', x, false);
export const rsqrt = (x: Tensor) => reciprocal(sqrt(x));

export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (cond.dtype !== 'bool') fail('Where', 'condition must be bool', cond);
  const ref = typeof a === 'number' ? (b as Tensor) : a;
  const A = asT(ref, a);
  const B = asT(ref, b);
  const d = sameDtype('Where', A, B);
  return cond.g.node('Where', [cond, A, B], {}, d, broadcastShapes('Where', cond, A, B));
}

export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return x.g.node('Cast', [x], { to }, to, x.shape);
}

// ---------------------------------------------------------------- matmul

/**
 * Batched matmul with optional transposes of the last two axes of either operand.
 * Transposed operands never become Transpose nodes on weights (see onnx-export.ts:
 * FusedMatMul for float32/16, a Transpose only for float64 test graphs).
 */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const op = 'MatMul';
  const d = sameDtype(op, a, b);
  if (a.rank < 2 || b.rank < 2) fail(op, 'operands must have rank >= 2', a, b);
  const [m, ka] = transA ? [a.shape[a.rank - 1]!, a.shape[a.rank - 2]!] : [a.shape[a.rank - 2]!, a.shape[a.rank - 1]!];
  const [kb, n] = transB ? [b.shape[b.rank - 1]!, b.shape[b.rank - 2]!] : [b.shape[b.rank - 2]!, b.shape[b.rank - 1]!];
  if (!dimEq(ka, kb)) fail(op, `inner dims differ: ${ka} vs ${kb}${transA ? ' (transA)' : ''}${transB ? ' (transB)' : ''}`, a, b);
  const batch = broadcastDims(op, [a.shape.slice(0, -2), b.shape.slice(0, -2)], [a, b]);
  return a.g.node(op, [a, b], { transA: transA ? 1 : 0, transB: transB ? 1 : 0 }, d, [...batch, m, n]);
}

// ---------------------------------------------------------------- shape ops

/**
 * Reshape to `shape`; entries may be numbers, 0 (copy the input dim, ONNX semantics), -1 (infer),
 * or a symbol naming a dim that the input has at the same position.
 */
export function reshape(x: Tensor, shape: readonly Dim[]): Tensor {
  const op = 'Reshape';
  const spec: number[] = [];
  const out: Dim[] = [];
  let infer = -1;
  for (let i = 0; i < shape.length; i++) {
    const s = shape[i]!;
    if (typeof s === 'string') {
      if (x.shape[i] !== s) fail(op, `symbolic dim '${s}' must sit at the same axis as in the input`, x);
      spec.push(0);
      out.push(s);
    } else if (s === 0) {
      if (i >= x.rank) fail(op, `0 at axis ${i} beyond input rank`, x);
      spec.push(0);
      out.push(x.shape[i]!);
    } else if (s === -1) {
      if (infer >= 0) fail(op, 'more than one -1', x);
      infer = i;
      spec.push(-1);
      out.push(-1);
    } else {
      spec.push(s);
      out.push(s);
    }
  }
  // a symbolic dim may carry a static multiple ('seq*2'): count its factor with the static sizes
  const factor = (dims: readonly Dim[], skip = -1): { known: number; syms: string[] } => {
    let known = 1;
    const syms: string[] = [];
    dims.forEach((d, i) => {
      if (i === skip) return;
      if (typeof d === 'number') return void (known *= d);
      const m = /^(.+)\*(\d+)$/.exec(d);
      if (m) {
        known *= Number(m[2]);
        syms.push(m[1]!);
      } else syms.push(d);
    });
    return { known, syms };
  };
  if (infer >= 0) {
    // Infer statically when possible; otherwise a symbol (times a static multiple).
    const fi = factor(x.shape);
    const fo = factor(out, infer);
    let symIn = fi.syms;
    for (const s of fo.syms) {
      const k = symIn.indexOf(s);
      if (k >= 0) symIn = [...symIn.slice(0, k), ...symIn.slice(k + 1)];
    }
    if (fi.known % fo.known !== 0) fail(op, `cannot reshape to ${fmtShape(shape)}`, x);
    const rest = fi.known / fo.known;
    out[infer] = symIn.length === 0 ? rest : rest === 1 && symIn.length === 1 ? symIn[0]! : `${symIn.join('*')}${rest === 1 ? '' : `*${rest}`}`;
  } else {
    const fi = factor(x.shape);
    const fo = factor(out);
    if (fi.known !== fo.known || fi.syms.sort().join('*') !== fo.syms.sort().join('*')) fail(op, `element count differs from target ${fmtShape(shape)}`, x);
  }
  return x.g.node(op, [x], { shape: spec }, x.dtype, out);
}

/** Reshape to the (runtime) shape of `like`; used by gradients over symbolic dims. */
export function reshapeLike(x: Tensor, like: Tensor): Tensor {
  return x.g.node('ReshapeLike', [x, like], {}, x.dtype, like.shape);
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) fail('Transpose', `bad perm [${perm}]`, x);
  return x.g.node('Transpose', [x], { perm }, x.dtype, perm.map((p) => x.shape[p]!));
}

/** Slice along `axis` from start (inclusive) to end (exclusive); end may exceed the dim (clamped). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis('Slice', axis, x.rank, x);
  const d = x.shape[a]!;
  if (start < 0 || end < start) fail('Slice', `bad range ${start}:${end} on axis ${a}`, x);
  let len: Dim;
  if (typeof d === 'number') {
    if (start > d) fail('Slice', `start ${start} beyond dim ${d} on axis ${a}`, x);
    len = Math.min(end, d) - start;
  } else {
    if (end < Number.MAX_SAFE_INTEGER) len = end - start;
    else len = start === 0 ? d : `${d}-${start}`;
  }
  const shape = x.shape.slice();
  shape[a] = len;
  return x.g.node('Slice', [x], { axis: a, start, end }, x.dtype, shape);
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (!xs.length) throw new EngineError('Concat: no inputs');
  const d = sameDtype('Concat', ...xs);
  const a = normAxis('Concat', axis, xs[0]!.rank, xs[0]);
  let total: Dim | null = null;
  for (const t of xs) {
    if (t.rank !== xs[0]!.rank) fail('Concat', 'ranks differ', ...xs);
    for (let i = 0; i < t.rank; i++) if (i !== a && !dimEq(t.shape[i]!, xs[0]!.shape[i]!)) fail('Concat', `dim ${i} differs`, ...xs);
    const ad = t.shape[a]!;
    total = total === null ? ad : typeof total === 'number' && typeof ad === 'number' ? total + ad : `${total}+${ad}`;
  }
  const shape = xs[0]!.shape.slice();
  // n copies of one symbolic dim: written as reshape writes a multiple ('seq*2'), so the two agree
  const first = xs[0]!.shape[a]!;
  shape[a] = xs.length > 1 && typeof first === 'string' && xs.every((t) => t.shape[a] === first) ? `${first}*${xs.length}` : total!;
  return xs[0]!.g.node('Concat', xs, { axis: a }, d, shape);
}

/** Gather rows along axis 0 (embedding lookup): data [N, ...], indices int64 [...] → [...indices, ...]. */
export function gather(data: Tensor, indices: Tensor): Tensor {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') fail('Gather', 'indices must be int64/int32', data, indices);
  return data.g.node('Gather', [data, indices], { axis: 0 }, data.dtype, [...indices.shape, ...data.shape.slice(1)]);
}

/** GatherElements along `axis`: out[i..] = x[.., idx[i..], ..]; idx has x's rank. */
export function gatherElements(x: Tensor, indices: Tensor, axis: number): Tensor {
  const a = normAxis('GatherElements', axis, x.rank, x);
  if (indices.rank !== x.rank) fail('GatherElements', 'indices must have the same rank', x, indices);
  return x.g.node('GatherElements', [x, indices], { axis: a }, x.dtype, indices.shape);
}

/** Expand to a static shape (broadcast semantics). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const out = broadcastDims('Expand', [x.shape, shape], [x]);
  return x.g.node('Expand', [x], { shape }, x.dtype, out);
}

/** Expand x to the runtime shape of `like` (broadcast). */
export function expandLike(x: Tensor, like: Tensor): Tensor {
  return x.g.node('ExpandLike', [x, like], {}, x.dtype, broadcastShapes('Expand', x, like));
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  const s = x.shape.slice();
  s.splice(a, 0, 1);
  return x.g.node('Unsqueeze', [x], { axes: [a] }, x.dtype, s);
}

export function squeeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('Squeeze', axis, x.rank, x);
  if (x.shape[a] !== 1) fail('Squeeze', `axis ${a} is not 1`, x);
  const s = x.shape.slice();
  s.splice(a, 1);
  return x.g.node('Squeeze', [x], { axes: [a] }, x.dtype, s);
}

// ---------------------------------------------------------------- reductions

function reduce(op: string, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
  const ax = [...new Set(axes.map((a) => normAxis(op, a, x.rank, x)))].sort((p, q) => p - q);
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (ax.includes(i)) {
      if (keepdims) shape.push(1);
    } else shape.push(d);
  });
  return x.g.node(op, [x], { axes: ax, keepdims: keepdims ? 1 : 0 }, x.dtype, shape);
}
export const sum = (x: Tensor, axes: readonly number[], keepdims = false) => reduce('ReduceSum', x, axes, keepdims);
export const max = (x: Tensor, axes: readonly number[], keepdims = false) => reduce('ReduceMax', x, axes, keepdims);
export function mean(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  for (const a of axes) {
    const d = x.shape[normAxis('ReduceMean', a, x.rank, x)];
    if (typeof d !== 'number') fail('ReduceMean', `axis ${a} is symbolic ('${d}'); use sum() / count instead`, x);
  }
  return reduce('ReduceMean', x, axes, keepdims);
}
/** Sum of all elements, rank 0. */
export const sumAll = (x: Tensor) => sum(x, x.shape.map((_, i) => i), false);

export function softmax(x: Tensor, axis = -1): Tensor {
  return x.g.node('Softmax', [x], { axis: normAxis('Softmax', axis, x.rank, x) }, x.dtype, x.shape);
}
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return x.g.node('LogSoftmax', [x], { axis: normAxis('LogSoftmax', axis, x.rank, x) }, x.dtype, x.shape);
}

// ---------------------------------------------------------------- runtime-shape helpers

/** Runtime shape (int64 [rank]). */
export function shapeOf(x: Tensor): Tensor {
  return x.g.node('Shape', [x], {}, 'int64', [x.rank]);
}

/** Zeros with the runtime shape and dtype of `like`. */
export function zerosLike(like: Tensor): Tensor {
  return like.g.node('ZerosLike', [like], {}, like.dtype, like.shape);
}

/** int64 [0, 1, ..., n-1] where n is the runtime size of `x`'s axis. */
export function arangeOf(x: Tensor, axis: number): Tensor {
  const a = normAxis('Range', axis, x.rank, x);
  return x.g.node('ArangeOf', [x], { axis: a }, 'int64', [x.shape[a]!]);
}

/** Scatter-add `updates` into zeros shaped like `like` at rows `indices` along axis 0 (embedding grad). */
export function scatterAddRows(like: Tensor, indices: Tensor, updates: Tensor): Tensor {
  return like.g.node('ScatterAddRows', [like, indices, updates], {}, like.dtype, like.shape);
}

/** Scatter-add elements along axis into zeros shaped like `like` (GatherElements grad). */
export function scatterAddElements(like: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor {
  return like.g.node('ScatterAddElements', [like, indices, updates], { axis }, like.dtype, like.shape);
}

/** `base` plus `updates` scatter-added at `indices` along `axis` (float32/float64: ORT has no 16-bit scatter-add). */
export function scatterAddInto(base: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor {
  const d = sameDtype('ScatterAddInto', base, updates);
  if (d !== 'float32' && d !== 'float64') fail('ScatterAddInto', 'runs in float32 or float64 only', base);
  return base.g.node('ScatterAddInto', [base, indices, updates], { axis }, d, base.shape);
}

/** Sum `g` down to `target`'s shape over broadcast axes: the one place broadcasting is undone. */
export function unbroadcast(g: Tensor, target: Tensor): Tensor {
  const lead = g.rank - target.rank;
  if (lead < 0) fail('unbroadcast', 'gradient has lower rank than its target', g, target);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (target.shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
  }
  let r = axes.length ? sum(g, axes, true) : g;
  if (lead > 0) r = reshapeToStatic(r, target);
  return r;
}

function reshapeToStatic(x: Tensor, target: Tensor): Tensor {
  return target.shape.every((d) => typeof d === 'number') ? reshape(x, target.shape as number[]) : reshapeLike(x, target);
}

export type { Attrs };

export const cos = (x: Tensor) => unary('Cos', x);
export const sin = (x: Tensor) => unary('Sin', x);

/**
 * LayerNorm over the last axis as one op (ONNX LayerNormalization), so ORT runs one kernel.
 * `layerNormStat(y, 'mean' | 'rstd')` exposes the saved statistics ([..., 1]) for the backward rule.
 */
export function layerNormOp(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  const d = sameDtype('LayerNorm', x, w, b);
  const D = x.shape[x.rank - 1]!;
  if (w.rank !== 1 || b.rank !== 1 || w.shape[0] !== D || b.shape[0] !== D) fail('LayerNorm', `weight and bias must be [${D}]`, x, w, b);
  return x.g.node('LayerNorm', [x, w, b], { eps }, d, x.shape);
}

export function layerNormStat(y: Tensor, which: 'mean' | 'rstd'): Tensor {
  if (y.op !== 'LayerNorm') fail('LayerNormStat', 'input must be a LayerNorm output', y);
  // ONNX keeps the statistics in float32 (stash_type) for float16/bfloat16 inputs
  const statType = y.dtype === 'float64' ? 'float64' : 'float32';
  return cast(y.g.node('LayerNormStat', [y], { which }, statType, [...y.shape.slice(0, -1), 1]), y.dtype);
}

/** GELU as one op: 'erf' (exact, torch default) or 'tanh' (HF gelu_pytorch_tanh / gelu_new). */
export function gelu(x: Tensor, approximate: 'erf' | 'tanh'): Tensor {
  if (!FLOAT_DTYPES.includes(x.dtype)) fail('Gelu', 'needs a float tensor', x);
  return x.g.node('Gelu', [x], { approximate }, x.dtype, x.shape);
}

/** Target dim for reshapeTo: a fixed size, or "the runtime size of input axis `from`". */
export type DimSpec = number | { from: number };

/** Reshape whose target mixes fixed sizes and runtime sizes of the input's axes (no -1 needed). */
export function reshapeTo(x: Tensor, spec: readonly DimSpec[]): Tensor {
  const shape = spec.map((d) => (typeof d === 'number' ? d : x.shape[normAxis('ReshapeTo', d.from, x.rank, x)]!));
  const key = spec.map((d) => (typeof d === 'number' ? d : `@${d.from}`)).join(',');
  return x.g.node('ReshapeTo', [x], { spec: key }, x.dtype, shape);
}

/** Runtime size of one axis, as an int64 scalar. */
export function sizeOf(x: Tensor, axis: number): Tensor {
  return x.g.node('SizeOf', [x], { axis: normAxis('SizeOf', axis, x.rank, x) }, 'int64', []);
}

/**
 * The positions where a 1-D boolean tensor is true, in order: int64 [n] with n known at run time
 * (a new symbolic dim `name`). With `gather`, it selects rows (e.g. the completion tokens only).
 */
export function nonZero(cond: Tensor, name: string): Tensor {
  if (cond.dtype !== 'bool' || cond.rank !== 1) fail('NonZero', 'takes a 1-D bool tensor', cond);
  return cond.g.node('NonZero1D', [cond], { name }, 'int64', [name]);
}

/** The last position along `axis` (kept as a size-1 axis). */
export function sliceLast(x: Tensor, axis: number): Tensor {
  const a = normAxis('SliceLast', axis, x.rank, x);
  const shape = x.shape.slice();
  shape[a] = 1;
  return x.g.node('SliceLast', [x], { axis: a }, x.dtype, shape);
}
