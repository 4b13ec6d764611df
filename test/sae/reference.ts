/**
 * Plain-loop float64 SAE reference (independent of the graph code), from SAELens's definitions:
 *   sae_in = norm_in(x) − b_dec·apply_b_dec_to_input
 *   pre    = sae_in @ W_enc + b_enc
 *   f      = relu(pre) | relu(pre)·[pre > threshold] | relu on the k largest (torch.topk), 0 elsewhere
 *   x̂      = norm_out(f @ W_dec + b_dec)
 * norm: constant_norm_rescale c = √D/‖x‖ (in ·c, out /c); layer_norm (x−μ)/(σ+1e-5) with unbiased σ,
 * out ·σ + μ; expected_average_only_in with factor s: in ·s, out /s.
 *
 * Shape legend: N positions, D d_in, S d_sae. Arrays are row-major: W_enc [D,S], W_dec [S,D].
 */
export interface RefSae {
  arch: 'standard' | 'jumprelu' | 'topk';
  dIn: number;
  dSae: number;
  k?: number | null;
  applyBDec: boolean;
  normalize: 'none' | 'expected_average_only_in' | 'constant_norm_rescale' | 'layer_norm';
  normScalingFactor?: number | null;
  W_enc: Float64Array;
  W_dec: Float64Array;
  b_enc: Float64Array;
  b_dec: Float64Array;
  threshold?: Float64Array | null;
}

interface RowStats {
  scale: number; // multiply the row by this on the way in (divide on the way out)
  mu: number;
  std: number;
}

function stats(s: RefSae, x: ArrayLike<number>, off: number): RowStats {
  const D = s.dIn;
  if (s.normalize === 'constant_norm_rescale') {
    let ss = 0;
    for (let d = 0; d < D; d++) ss += x[off + d]! ** 2;
    return { scale: Math.sqrt(D) / Math.sqrt(ss), mu: 0, std: 1 };
  }
  if (s.normalize === 'layer_norm') {
    let mu = 0;
    for (let d = 0; d < D; d++) mu += x[off + d]!;
    mu /= D;
    let v = 0;
    for (let d = 0; d < D; d++) v += (x[off + d]! - mu) ** 2;
    return { scale: 1, mu, std: Math.sqrt(v / (D - 1)) };
  }
  if (s.normalize === 'expected_average_only_in' && s.normScalingFactor) return { scale: s.normScalingFactor, mu: 0, std: 1 };
  return { scale: 1, mu: 0, std: 1 };
}

/** Features [N,S] and pre-activations [N,S] of x [N,D]. */
export function refEncode(s: RefSae, x: ArrayLike<number>, N: number): { f: Float64Array; pre: Float64Array } {
  const { dIn: D, dSae: S } = s;
  const f = new Float64Array(N * S);
  const pre = new Float64Array(N * S);
  const xin = new Float64Array(D);
  for (let n = 0; n < N; n++) {
    const st = stats(s, x, n * D);
    for (let d = 0; d < D; d++) {
      let v = x[n * D + d]!;
      v = s.normalize === 'layer_norm' ? (v - st.mu) / (st.std + 1e-5) : v * st.scale;
      xin[d] = v - (s.applyBDec ? s.b_dec[d]! : 0);
    }
    for (let j = 0; j < S; j++) {
      let a = s.b_enc[j]!;
      for (let d = 0; d < D; d++) a += xin[d]! * s.W_enc[d * S + j]!;
      pre[n * S + j] = a;
    }
    const row = pre.subarray(n * S, (n + 1) * S);
    if (s.arch === 'standard') for (let j = 0; j < S; j++) f[n * S + j] = Math.max(0, row[j]!);
    else if (s.arch === 'jumprelu') for (let j = 0; j < S; j++) f[n * S + j] = row[j]! > s.threshold![j]! ? Math.max(0, row[j]!) : 0;
    else {
      const order = [...row.keys()].sort((a, b) => row[b]! - row[a]! || a - b);
      for (const j of order.slice(0, s.k!)) f[n * S + j] = Math.max(0, row[j]!);
    }
  }
  return { f, pre };
}

/** Reconstruction [N,D] of features f [N,S]; `x` [N,D] is the SAE input (for the normalisation). */
export function refDecode(s: RefSae, f: ArrayLike<number>, N: number, x: ArrayLike<number>): Float64Array {
  const { dIn: D, dSae: S } = s;
  const out = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    const st = stats(s, x, n * D);
    for (let d = 0; d < D; d++) {
      let a = s.b_dec[d]!;
      for (let j = 0; j < S; j++) a += f[n * S + j]! * s.W_dec[j * D + d]!;
      out[n * D + d] = s.normalize === 'layer_norm' ? a * st.std + st.mu : a / st.scale;
    }
  }
  return out;
}
