/**
 * Sparse reconstruction of a residual-space vector v [D] from an SAE's decoder rows, by orthogonal
 * matching pursuit: at each step the feature whose unit decoder row best matches the residual
 * (largest |cosine|), then v is refit by least squares on every feature chosen so far. It answers
 * "how much of this vector do k features explain?": one feature for a vector steered along a
 * feature, many for one that is not interpretable (REFERENCE §1).
 *
 * The correlations d̂ᵢ · r (over all d_sae rows) come from the engine, one session run per step
 * (W_dec stays in its file); the chosen rows and the refit (k ≤ 64) are small and done here.
 *
 * Shape legend: D d_model (= the SAE's d_in), S d_sae, K features chosen.
 */
import { compile } from '../engine/onnx-export.js';
import * as o from '../engine/ops.js';
import type { Runtime } from '../engine/runtime.js';
import { Graph } from '../engine/tensor.js';
import { saeWeights } from '../models/sae/graph.js';
import type { Sae } from '../models/sae/load.js';

export interface SparseRecon {
  method: 'omp';
  /** the features in the order chosen, with their coefficients in the final (K-feature) fit: v ≈ Σ coef · W_dec[index] */
  features: { index: number; coef: number }[];
  /** explained[k−1]: the share of ‖v‖² that the best fit on the first k features explains (0 … 1) */
  explained: number[];
}

/** Solve the symmetric positive definite system A x = b (n ≤ 64) by Cholesky; null when A is singular. */
function solveSpd(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (s <= 1e-12 * Math.max(1, A[i * n + i]!)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

export async function sparseRecon(rt: Runtime, sae: Sae, vector: Float32Array, maxFeatures = 20): Promise<SparseRecon> {
  const D = sae.dIn;
  if (vector.length !== D) throw new Error(`sparse reconstruction: the vector has ${vector.length} values, the SAE's d_in is ${D}`);
  const K = Math.min(maxFeatures, 64, sae.dSae);
  const g = new Graph();
  const W_dec = saeWeights(g, sae, 'float32').W_dec; // [S,D]
  const r = g.input('r', 'float32', [1, D]);
  const idx = g.input('idx', 'int64', [1]);
  const rowNorms = o.sqrt(o.sum(o.mul(W_dec, W_dec), [-1])); // [S]
  const corr = o.div(o.matmul(r, W_dec, { transB: true }), o.add(rowNorms, 1e-12)); // [1,S]: d̂ᵢ · r
  const row = o.gather(W_dec, idx); // [1,D]
  const s = await rt.load(compile({ outputs: { corr, row }, name: 'sparse-recon' }));
  const v = Float64Array.from(vector);
  let vv = 0;
  for (const x of v) vv += x * x;
  const chosen: number[] = [];
  const rows: Float64Array[] = [];
  const explained: number[] = [];
  let coef: Float64Array = new Float64Array(0);
  let resid: Float64Array = Float64Array.from(v);
  try {
    if (vv === 0) return { method: 'omp', features: [], explained: [] };
    const run = async (res: Float64Array, at: number) =>
      s.run({ r: { dtype: 'float32', dims: [1, D], data: Float32Array.from(res) }, idx: { dtype: 'int64', dims: [1], data: BigInt64Array.of(BigInt(at)) } });
    for (let k = 0; k < K; k++) {
      const c = (await run(resid, 0)).corr!.data as Float32Array;
      let best = -1;
      for (let i = 0; i < c.length; i++) if (!chosen.includes(i) && (best < 0 || Math.abs(c[i]!) > Math.abs(c[best]!))) best = i;
      if (best < 0 || c[best] === 0) break;
      const d = Float64Array.from((await run(resid, best)).row!.data as Float32Array);
      // least squares on the chosen rows: (R Rᵀ) coef = R v
      const n = chosen.length + 1;
      const R = [...rows, d];
      const G = new Float64Array(n * n);
      const Rv = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let t = 0; t < D; t++) dot += R[i]![t]! * R[j]![t]!;
          G[i * n + j] = dot;
          G[j * n + i] = dot;
        }
        let dot = 0;
        for (let t = 0; t < D; t++) dot += R[i]![t]! * v[t]!;
        Rv[i] = dot;
      }
      const x = solveSpd(G, Rv, n);
      if (!x) break; // the new row lies in the span of the chosen ones: nothing more to explain this way
      chosen.push(best);
      rows.push(d);
      coef = x;
      resid = Float64Array.from(v);
      for (let i = 0; i < n; i++) for (let t = 0; t < D; t++) resid[t]! -= x[i]! * R[i]![t]!;
      let rr = 0;
      for (const e of resid) rr += e * e;
      explained.push(Math.max(0, 1 - rr / vv));
    }
  } finally {
    await s.release();
  }
  return { method: 'omp', features: chosen.map((index, i) => ({ index, coef: coef[i]! })), explained };
}
