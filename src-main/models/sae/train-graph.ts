/**
 * The training graph of a standard (ReLU) SAE, in SAELens's semantics with apply_b_dec_to_input:
 *
 *   pre = (x − b_dec) @ W_enc + b_enc      f = relu(pre)      x̂ = f @ W_dec + b_dec
 *   loss = mse + l1 · sparsity,  mse = mean_n Σ_d (x̂ − x)²,  sparsity = mean_n Σ_s f
 *
 * Shape legend: N tokens in the batch, D d_in, S d_sae. The parameters are graph inputs (trained in
 * JS with Adam; the decoder rows are renormalised to unit length after each step, so the L1 term
 * cannot be gamed by shrinking f and growing W_dec). `l1` is an input too, so it can be warmed up.
 *
 * Outputs besides the loss: mse, sparsity, l0 (mean active features per token), fired [S] (tokens
 * each feature fired on), and var = mean_n Σ_d (x − mean_n x)² (explained variance = 1 − mse/var).
 */
import { grad } from '../../engine/grad.js';
import { compile, type Compiled } from '../../engine/onnx-export.js';
import * as o from '../../engine/ops.js';
import { Graph, type DType } from '../../engine/tensor.js';

export const SAE_PARAMS = ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const;
export type SaeParamName = (typeof SAE_PARAMS)[number];

/** Parameter shapes: W_enc [D,S], b_enc [S], W_dec [S,D], b_dec [D] (SAELens layout). */
export function saeParamShapes(dIn: number, dSae: number): Record<SaeParamName, number[]> {
  return { W_enc: [dIn, dSae], b_enc: [dSae], W_dec: [dSae, dIn], b_dec: [dIn] };
}

export function saeTrainGraph(dIn: number, dSae: number, dtype: DType = 'float32'): Compiled {
  const g = new Graph();
  const shapes = saeParamShapes(dIn, dSae);
  const P = Object.fromEntries(SAE_PARAMS.map((n) => [n, g.input(n, dtype, shapes[n])])) as Record<SaeParamName, ReturnType<Graph['input']>>;
  const x = g.input('x', dtype, ['tokens', dIn]); // [N,D]
  const l1 = g.input('l1', dtype, []);
  const n = o.cast(o.sizeOf(x, 0), dtype); // [] tokens in the batch
  const perToken = (t: ReturnType<typeof o.relu>) => o.div(o.sum(o.sum(t, [1]), [0]), n); // mean_n Σ_last
  const pre = o.add(o.matmul(o.sub(x, P.b_dec), P.W_enc), P.b_enc); // [N,S]
  const f = o.relu(pre); // [N,S]
  const xHat = o.add(o.matmul(f, P.W_dec), P.b_dec); // [N,D]
  const err = o.sub(xHat, x); // [N,D]
  const mse = perToken(o.mul(err, err)); // []
  const sparsity = perToken(f); // []
  const loss = o.add(mse, o.mul(l1, sparsity)); // []
  const active = o.cast(o.greater(f, 0), dtype); // [N,S]
  const l0 = perToken(active); // []
  const fired = o.sum(active, [0]); // [S]
  const centred = o.sub(x, o.div(o.sum(x, [0], true), n)); // [N,D]
  const variance = perToken(o.mul(centred, centred)); // []
  const gs = grad(loss, SAE_PARAMS.map((n) => P[n]));
  return compile({
    outputs: { loss, mse, sparsity, l0, fired, var: variance },
    grads: Object.fromEntries(SAE_PARAMS.map((n, i) => [`grad:${n}`, gs[i]!])),
    name: 'sae-train',
  });
}
