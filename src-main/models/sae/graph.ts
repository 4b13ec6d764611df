/**
 * SAE encode / decode / splice as engine graph functions (REFERENCE §3, SAELens semantics).
 *
 * Shape legend: D d_in, S d_sae, `..` any leading dims (e.g. [B,T]).
 *   encode: x [..,D] → f [..,S]:  f = act((norm_in(x) − b_dec·apply) @ W_enc + b_enc)
 *   decode: f [..,S] → x̂ [..,D]:  x̂ = norm_out(f @ W_dec + b_dec)
 * act: relu (standard); relu(pre)·(pre > threshold) (jumprelu); relu on the k largest, 0 elsewhere (topk).
 *
 * Weights are external-data initializers (no copy), cast in the graph to the dtype of x. Input-dependent
 * normalisations (constant_norm_rescale, layer_norm) recompute their statistics from the SAE input in
 * decode; hash-consing makes that the same nodes as in encode, so pass `{input: x}` to saeDecode.
 *
 * TopK without an ONNX TopK op: the k-th largest value per row is found by k rounds of
 * "max of the values below the previous max" (ReduceMax/Less/Where), then f = relu(pre)·(pre ≥ kth).
 * This is exact for distinct values; with ties at the k-th value it keeps all tied entries (torch.topk
 * keeps exactly k). Cost: k row passes; an engine TopK op (ONNX TopK, opset 11+) would replace it.
 */
import * as o from '../../engine/ops.js';
import { EngineError, FLOAT_DTYPES, fmtShape, type DType, type Graph, type Tensor } from '../../engine/tensor.js';
import type { Sae, SaeTensor } from './load.js';

export interface SaeGraphWeights {
  W_enc: Tensor; // [D,S]
  W_dec: Tensor; // [S,D]
  b_enc: Tensor; // [S]
  b_dec: Tensor; // [D]
  threshold: Tensor | null; // [S]
}

const LN_EPS = 1e-5; // SAELens run_time_activation_ln_in

const made = new WeakMap<Graph, Map<string, SaeGraphWeights>>();

/** The SAE's weights in `g` as `dtype` (initializers created once per graph and SAE). */
export function saeWeights(g: Graph, sae: Sae, dtype: DType): SaeGraphWeights {
  if (!FLOAT_DTYPES.includes(dtype)) throw new EngineError(`SAE ${sae.path}: compute dtype must be a float type, got ${dtype}`);
  let m = made.get(g);
  if (!m) made.set(g, (m = new Map()));
  const key = `${sae.id}|${dtype}`;
  const hit = m.get(key);
  if (hit) return hit;
  const w = (t: SaeTensor): Tensor => {
    const name = `sae_${sae.id}.${t.name}`;
    const init = g.initializers.get(name) ?? g.initializer(name, t.dtype, t.shape, t.source);
    return o.cast(init, dtype);
  };
  const T = sae.tensors;
  const out: SaeGraphWeights = { W_enc: w(T.W_enc), W_dec: w(T.W_dec), b_enc: w(T.b_enc), b_dec: w(T.b_dec), threshold: T.threshold ? w(T.threshold) : null };
  m.set(key, out);
  return out;
}

function checkWidth(where: string, sae: Sae, t: Tensor, width: number, what: string): void {
  if (t.rank < 1 || t.shape[t.rank - 1] !== width) {
    throw new EngineError(`${where}: ${what} must end in ${width} for SAE ${sae.path}, got ${t.dtype}${fmtShape(t.shape)}`);
  }
  if (!FLOAT_DTYPES.includes(t.dtype)) throw new EngineError(`${where}: ${what} must be float, got ${t.dtype}`);
}

/** matmul for rank ≥ 1 left operands ([n] is treated as [1,n]). */
function mm(x: Tensor, w: Tensor): Tensor {
  if (x.rank >= 2) return o.matmul(x, w);
  return o.squeeze(o.matmul(o.unsqueeze(x, 0), w), 0);
}

/** Per-position normalisation statistics of the SAE input (null when the normalisation is static). */
function normStats(sae: Sae, x: Tensor): { mu: Tensor; std: Tensor } | { coeff: Tensor } | null {
  switch (sae.normalize) {
    case 'constant_norm_rescale': {
      // c = √D / ‖x‖  [..,1]
      return { coeff: o.div(Math.sqrt(sae.dIn), o.sqrt(o.sum(o.mul(x, x), [-1], true))) };
    }
    case 'layer_norm': {
      const mu = o.mean(x, [-1], true);
      const xc = o.sub(x, mu);
      const std = o.sqrt(o.div(o.sum(o.mul(xc, xc), [-1], true), sae.dIn - 1)); // unbiased, as torch.std
      return { mu, std };
    }
    default:
      return null;
  }
}

function normIn(sae: Sae, x: Tensor): Tensor {
  if (sae.normalize === 'expected_average_only_in') {
    if (sae.normScalingFactor === null) return x;
    // a [D] vector, not a scalar: ORT's MatMulScaleFusion would move a scalar into FusedMatMul's
    // float32 `alpha` attribute, rounding the factor in float64 graphs
    return o.mul(x, o.constOf(x, new Array<number>(sae.dIn).fill(sae.normScalingFactor), x.dtype, [sae.dIn]));
  }
  const s = normStats(sae, x);
  if (!s) return x;
  if ('coeff' in s) return o.mul(x, s.coeff);
  return o.div(o.sub(x, s.mu), o.add(s.std, LN_EPS));
}

function normOut(sae: Sae, y: Tensor, input: Tensor | undefined): Tensor {
  if (sae.normalize === 'expected_average_only_in') return sae.normScalingFactor === null ? y : o.div(y, sae.normScalingFactor);
  if (sae.normalize === 'none') return y;
  if (!input) {
    throw new EngineError(`saeDecode: SAE ${sae.path} uses normalize_activations=${sae.normalize}, which needs the SAE input to restore the scale: pass {input: x}`);
  }
  const s = normStats(sae, input)!;
  if ('coeff' in s) return o.div(y, s.coeff);
  return o.add(o.mul(y, s.std), s.mu);
}

/** k-th largest value along the last axis, kept as a size-1 axis ([..,1]). */
export function kthLargest(x: Tensor, k: number): Tensor {
  if (!Number.isInteger(k) || k < 1) throw new EngineError(`kthLargest: k must be a positive integer, got ${k}`);
  const d = x.shape[x.rank - 1];
  if (typeof d === 'number' && k > d) throw new EngineError(`kthLargest: k = ${k} exceeds the last dim of ${x}`);
  let m = o.max(x, [-1], true);
  for (let j = 1; j < k; j++) m = o.max(o.where(o.less(x, m), x, -Infinity), [-1], true);
  return m;
}

/** Pre-activations [..,S] of x [..,D]. */
export function saePreActs(g: Graph, sae: Sae, x: Tensor): Tensor {
  if (x.g !== g) throw new EngineError('saePreActs: x belongs to another graph');
  checkWidth('saeEncode', sae, x, sae.dIn, 'x');
  const W = saeWeights(g, sae, x.dtype);
  let xin = normIn(sae, x);
  if (sae.applyBDecToInput) xin = o.sub(xin, W.b_dec);
  return o.add(mm(xin, W.W_enc), W.b_enc);
}

/** Features f [..,S] of x [..,D]. */
export function saeEncode(g: Graph, sae: Sae, x: Tensor): Tensor {
  const pre = saePreActs(g, sae, x);
  const W = saeWeights(g, sae, x.dtype);
  switch (sae.architecture) {
    case 'standard':
      return o.relu(pre);
    case 'jumprelu':
      return o.where(o.greater(pre, W.threshold!), o.relu(pre), 0);
    case 'topk':
      return o.where(o.lessOrEqual(kthLargest(pre, sae.k!), pre), o.relu(pre), 0);
  }
}

/**
 * Reconstruction x̂ [..,D] of features f [..,S]. `input` is the SAE input x, needed to undo the
 * input-dependent normalisations (constant_norm_rescale, layer_norm).
 */
export function saeDecode(g: Graph, sae: Sae, f: Tensor, opts: { input?: Tensor } = {}): Tensor {
  if (f.g !== g) throw new EngineError('saeDecode: f belongs to another graph');
  checkWidth('saeDecode', sae, f, sae.dSae, 'f');
  const W = saeWeights(g, sae, f.dtype);
  return normOut(sae, o.add(mm(f, W.W_dec), W.b_dec), opts.input);
}

export interface SpliceOptions {
  /** add x − decode(encode(x)) so that, without a feature bias, the output equals the input */
  withError: boolean;
  /** added to the features before decoding: [S] (every position) or [..,S] per position */
  featureBias?: Tensor;
}

/**
 * A hook replacement: x → decode(encode(x) + featureBias) (+ x − decode(encode(x)) with the error
 * term). Hooks shaped [B,T,H,Dh] (hook_z SAEs) are flattened to [B,T,H·Dh] and back.
 *
 * Gradients: the error term is differentiated like any node, so d out / d x is exact for this
 * function. (SAELens computes its error term under no_grad; gradients w.r.t. a feature bias are
 * the same either way, gradients flowing to parameters upstream of the hook are not.)
 */
export function saeSplice(sae: Sae, opts: SpliceOptions): (x: Tensor) => Tensor {
  return (x: Tensor): Tensor => {
    const g = x.g;
    let xf = x;
    const flat = x.rank > 3 && x.shape[x.rank - 1] !== sae.dIn;
    if (flat) {
      const tail = x.shape.slice(2);
      const n = tail.reduce((a: number, d) => a * (typeof d === 'number' ? d : NaN), 1);
      if (n !== sae.dIn) throw new EngineError(`saeSplice: SAE ${sae.path} has d_in ${sae.dIn} but the hook value is ${x.dtype}${fmtShape(x.shape)}`);
      xf = o.reshapeTo(x, [{ from: 0 }, { from: 1 }, sae.dIn]);
    }
    const f = saeEncode(g, sae, xf);
    const fb = opts.featureBias;
    if (fb) {
      if (fb.g !== g) throw new EngineError('saeSplice: featureBias belongs to another graph');
      checkWidth('saeSplice', sae, fb, sae.dSae, 'featureBias');
      if (fb.dtype !== x.dtype) throw new EngineError(`saeSplice: featureBias is ${fb.dtype} but the hook value is ${x.dtype}`);
    }
    const y = saeDecode(g, sae, fb ? o.add(f, fb) : f, { input: xf });
    let out = y;
    if (opts.withError) {
      const recon = fb ? saeDecode(g, sae, f, { input: xf }) : y;
      out = o.add(y, o.sub(xf, recon));
    }
    return flat ? o.reshapeTo(out, [{ from: 0 }, { from: 1 }, ...(x.shape.slice(2) as number[])]) : out;
  };
}

/** A feature-space bias [..,S] projected to the residual: bias @ W_dec ([..,D]; no b_dec), ÷ the norm scaling factor when the SAE has one. */
export function projectedFeatureBias(sae: Sae, bias: Tensor): Tensor {
  checkWidth('projectedFeatureBias', sae, bias, sae.dSae, 'bias');
  // the residual-space change the splice's decode gives for these feature values: SAEs trained on
  // inputs scaled by the norm scaling factor decode back through the same factor (normOut)
  const y = mm(bias, saeWeights(bias.g, sae, bias.dtype).W_dec);
  return sae.normalize === 'expected_average_only_in' && sae.normScalingFactor !== null ? o.div(y, sae.normScalingFactor) : y;
}

/**
 * Decoder rows W_dec[indices] as `dtype`: indices int64 [] → [D], [n] → [n,D]. With an input for the
 * index (and one for a coefficient), a steering vector `coef × W_dec[i]` sweeps features without
 * recompiling.
 */
export function saeDecoderRows(g: Graph, sae: Sae, indices: Tensor, dtype: DType): Tensor {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new EngineError(`saeDecoderRows: indices must be int64/int32, got ${indices.dtype}`);
  return o.gather(saeWeights(g, sae, dtype).W_dec, indices);
}
