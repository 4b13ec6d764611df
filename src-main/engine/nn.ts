/**
 * Composite layers built from primitive ops (so their gradients come from the per-op rules).
 * Shapes: B batch, T seq, D features, H heads, Dh head dim, V vocab.
 */
import {
  add, arangeOf, cast, concat, constOf, div, erf, gatherElements, gelu, layerNormOp, matmul, pow, reshape, sqrt, logSoftmax, lessOrEqual, max, mean, mul, neg, rsqrt, sigmoid,
  slice, squeeze, sub, sum, tanh, unsqueeze, where,
} from './ops.js';
import { EngineError, type DType, type Tensor } from './tensor.js';

/**
 * RMSNorm over the last axis: x / sqrt(mean(x²) + eps) * w, or * (1 + w) for Gemma.
 * Written as Pow → ReduceMean → Add → Sqrt → Div, the pattern ORT fuses into one kernel.
 */
export function rmsNorm(x: Tensor, w: Tensor | null, eps: number, onePlus = false): Tensor {
  const ms = mean(pow(x, 2), [-1], true); // [..., 1]
  const xn = div(x, sqrt(add(ms, eps))); // [..., D]
  if (!w) return xn;
  return mul(xn, onePlus ? add(w, 1) : w);
}

/** LayerNorm over the last axis (biased variance, as torch); one fused op when w and b are given. */
export function layerNorm(x: Tensor, w: Tensor | null, b: Tensor | null, eps: number): Tensor {
  if (w && b) return layerNormOp(x, w, b, eps);
  return layerNormComposite(x, w, b, eps);
}

/** LayerNorm from primitive ops (for a missing weight or bias). */
export function layerNormComposite(x: Tensor, w: Tensor | null, b: Tensor | null, eps: number): Tensor {
  const mu = mean(x, [-1], true); // [..., 1]
  const xc = sub(x, mu); // [..., D]
  const v = mean(mul(xc, xc), [-1], true); // [..., 1]
  let y = mul(xc, rsqrt(add(v, eps)));
  if (w) y = mul(y, w);
  if (b) y = add(y, b);
  return y;
}

/** GELU, tanh approximation (HF gelu_pytorch_tanh / gelu_new), as one op. */
export function geluTanh(x: Tensor): Tensor {
  return gelu(x, 'tanh');
}

/** GELU, exact erf form (torch default), as one op. */
export function geluErf(x: Tensor): Tensor {
  return gelu(x, 'erf');
}

/** GELU (tanh form) from primitive ops: the reference the fused op is tested against. */
export function geluTanhComposite(x: Tensor): Tensor {
  const c = Math.sqrt(2 / Math.PI);
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), c);
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}

/** GELU (erf form) from primitive ops. */
export function geluErfComposite(x: Tensor): Tensor {
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/**
 * A GELU (erf) MLP on x [N,D] (N = B·T tokens) with torch-layout weights w1 [F,D], b1 [F], w2 [D,F],
 * b2 [D], keeping the hidden state feature-major: hᵀ = gelu(w1 @ xᵀ + b1) [F,N], y = (hᵀ)ᵀ @ w2ᵀ + b2 [N,D].
 * The values are those of gelu(x @ w1ᵀ + b1) @ w2ᵀ + b2. The layout is for MLAS's SGEMM, which reads
 * a non-transposed left operand in place: a token-major hidden state [N,F] has rows F·4 bytes apart, and
 * at F = 2048 (8 KiB) those rows share L1 sets. In the engine bench's grad run the fc2 product took
 * 8.2 ms (131 GFLOP/s) token-major against 6.6 ms (164 GFLOP/s) from hᵀ, and the run as a whole was
 * 3.4% faster (median of 60 paired rounds; faster in 42 of them). The gain is shape-specific: a gated
 * MLP at gemma-2b's shapes (D 2048, F 16384, 256 or 512 tokens) ran 7–13% slower feature-major, so the
 * model graphs (models/graph.ts) keep the token-major layout; only the toy GPT uses this.
 */
export function mlpFeatureMajor(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor {
  const F = w1.shape[0];
  if (typeof F !== 'number') throw new EngineError(`mlpFeatureMajor: d_mlp must be static, got ${F}`);
  const hT = gelu(add(matmul(w1, x, { transB: true }), reshape(b1, [F, 1])), 'erf'); // [F,N]
  return add(matmul(hT, w2, { transA: true, transB: true }), b2); // [N,D]
}

export function silu(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}

/** rotate_half: [x1, x2] → [-x2, x1] over the last axis (HF Llama layout). */
export function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.rank - 1];
  if (typeof d !== 'number' || d % 2) throw new EngineError(`rotateHalf: last dim must be even and static, got ${d}`);
  const x1 = slice(x, -1, 0, d / 2);
  const x2 = slice(x, -1, d / 2, d);
  return concat([neg(x2), x1], -1);
}

/** RoPE: x * cos + rotate_half(x) * sin; cos/sin broadcast against x (e.g. [B,1,T,Dh] vs [B,H,T,Dh]). */
export function rope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return add(mul(x, cos), mul(rotateHalf(x), sin));
}

/**
 * The same RoPE with rotate_half as one matmul by a signed permutation matrix R [Dh,Dh]
 * (x @ R = [-x2, x1]): 4 graph nodes instead of 7, for decode graphs where node count dominates.
 */
export function ropeMatmul(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const d = x.shape[x.rank - 1];
  if (typeof d !== 'number' || d % 2) throw new EngineError(`ropeMatmul: last dim must be even and static, got ${d}`);
  const h = d / 2;
  const r = new Array<number>(d * d).fill(0);
  for (let i = 0; i < h; i++) {
    r[(i + h) * d + i] = -1; // out[i] = -x[i + h]
    r[i * d + (i + h)] = 1; // out[i + h] = x[i]
  }
  const R = constOf(x, r, x.dtype, [d, d]);
  return add(mul(x, cos), mul(matmul(x, R), sin));
}

/** bool [T, T]: key position ≤ query position (row = query). T is the runtime size of `scores`' last axis. */
export function causalAllowed(scores: Tensor): Tensor {
  const pos = arangeOf(scores, -1); // [T]
  return lessOrEqual(unsqueeze(pos, 0), unsqueeze(pos, 1)); // [T(query), T(key)]
}

/**
 * Mask scores where `allowed` is false, by adding a bias of 0 (allowed) or a large negative. The
 * bias depends only on `allowed`, so layers that share a mask share one bias node (hash-consing),
 * and the backward of an Add needs no mask (a Where would mask the gradient too).
 */
export function maskScores(scores: Tensor, allowed: Tensor): Tensor {
  return add(scores, maskBias(allowed, scores.dtype));
}

/** The additive attention mask: 0 where `allowed`, a large negative (finite in `dtype`) elsewhere. */
export function maskBias(allowed: Tensor, dtype: DType): Tensor {
  return where(allowed, constOf(allowed, [0], dtype, []), dtype === 'float16' ? -65504 : -1e9);
}

/**
 * Masked next-token cross-entropy. logits [B,T,V], targets int64 [B,T], mask float [B,T] (1 = counted).
 * Returns mean loss (nats/token over masked positions, rank 0) and per-token losses [B,T].
 */
export function crossEntropy(logits: Tensor, targets: Tensor, mask: Tensor): { loss: Tensor; perToken: Tensor; count: Tensor; topLogprob: Tensor } {
  const lp = logSoftmax(logits, -1); // [B,T,V]
  // the greedy choice's logprob at each position (no mask): the target was the greedy choice iff its logprob equals it
  const topLogprob = max(lp, [lp.rank - 1]); // [B,T]
  const picked = squeeze(gatherElements(lp, unsqueeze(targets, -1), -1), -1); // [B,T]
  const m = cast(mask, logits.dtype);
  const perToken = mul(neg(picked), m); // [B,T]
  const count = sum(m, m.shape.map((_, i) => i)); // []
  const loss = div(sum(perToken, perToken.shape.map((_, i) => i)), count); // []
  return { loss, perToken, count, topLogprob };
}
