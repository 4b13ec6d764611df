/**
 * The training graph of a standard (ReLU) SAE, in SAELens's semantics with apply_b_dec_to_input:
 *
 *   pre = (x − b_dec) @ W_enc + b_enc      f = relu(pre)      x̂ = f @ W_dec + b_dec
 *   loss = mse + l1 · sparsity,  mse = mean_n Σ_d (x̂ − x)²,  sparsity = mean_n Σ_s f
 *
 * Shape legend: N tokens in the batch, D d_in, S d_sae. The parameters are graph inputs, updated
 * by Adam in the step graph (saeTrainStepGraph), which also renormalises the decoder rows to unit
 * length, so the L1 term cannot be gamed by shrinking f and growing W_dec. `l1` is an input too,
 * so it can be warmed up.
 *
 * Outputs besides the loss: mse, sparsity, l0 (mean active features per token), fired [S] (tokens
 * each feature fired on), and var = mean_n Σ_d (x − mean_n x)² (explained variance = 1 − mse/var).
 */
import { grad } from '../../engine/grad.js';
import { compile, type Compiled } from '../../engine/onnx-export.js';
import * as o from '../../engine/ops.js';
import { Graph, type DType, type Tensor } from '../../engine/tensor.js';

export const SAE_PARAMS = ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const;
export type SaeParamName = (typeof SAE_PARAMS)[number];

/** Parameter shapes: W_enc [D,S], b_enc [S], W_dec [S,D], b_dec [D] (SAELens layout). */
export function saeParamShapes(dIn: number, dSae: number): Record<SaeParamName, number[]> {
  return { W_enc: [dIn, dSae], b_enc: [dSae], W_dec: [dSae, dIn], b_dec: [dIn] };
}

type T = ReturnType<Graph['input']>;

/** The loss and statistics graph over parameter inputs (shared by the gradient and step graphs). */
function saeLoss(g: Graph, dIn: number, dSae: number, dtype: DType) {
  const shapes = saeParamShapes(dIn, dSae);
  const P = Object.fromEntries(SAE_PARAMS.map((n) => [n, g.input(n, dtype, shapes[n])])) as Record<SaeParamName, T>;
  const x = g.input('x', dtype, ['tokens', dIn]); // [N,D]
  const l1 = g.input('l1', dtype, []);
  const n = o.cast(o.sizeOf(x, 0), dtype); // [] tokens in the batch
  const perToken = (t: Tensor) => o.div(o.sum(o.sum(t, [1]), [0]), n); // mean_n Σ_last
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
  return { P, shapes, loss, stats: { loss, mse, sparsity, l0, fired, var: variance } };
}

export function saeTrainGraph(dIn: number, dSae: number, dtype: DType = 'float32'): Compiled {
  const g = new Graph();
  const { P, stats, loss } = saeLoss(g, dIn, dSae, dtype);
  const gs = grad(loss, SAE_PARAMS.map((n) => P[n]));
  return compile({
    outputs: stats,
    grads: Object.fromEntries(SAE_PARAMS.map((n, i) => [`grad:${n}`, gs[i]!])),
    name: 'sae-train',
  });
}

/**
 * One whole training step in the graph: the loss's gradients, Adam, and the decoder rows
 * renormalised to unit length. Inputs: the parameters, Adam's moments `m:<p>` and `v:<p>`, x, l1,
 * and two scalars that carry the step's bias correction: `step_size` = lr / (1 − β1^t) and
 * `v_scale` = 1 / √(1 − β2^t), so that
 *
 *   m' = β1·m + (1−β1)·g     v' = β2·v + (1−β2)·g²     p' = p − step_size · m' / (√v' · v_scale + ε)
 *
 * (the update of engine/optim.ts's Adam, in float32). Outputs `new:<p>`, `new_m:<p>`, `new_v:<p>`
 * and the statistics. Fed back as held tensors, the parameters and moments never leave the session
 * worker between steps (at d_in 2048 × 16k features they are 805 MB).
 */
export function saeTrainStepGraph(dIn: number, dSae: number, adam: { beta1: number; beta2: number; eps: number }): Compiled {
  const dtype: DType = 'float32';
  const g = new Graph();
  const { P, shapes, loss, stats } = saeLoss(g, dIn, dSae, dtype);
  const gs = grad(loss, SAE_PARAMS.map((n) => P[n]));
  const stepSize = g.input('step_size', dtype, []);
  const vScale = g.input('v_scale', dtype, []);
  const outputs: Record<string, Tensor> = { ...stats };
  SAE_PARAMS.forEach((n, i) => {
    const gr = gs[i]!;
    const m = o.add(o.mul(g.input(`m:${n}`, dtype, shapes[n]), adam.beta1), o.mul(gr, 1 - adam.beta1));
    const v = o.add(o.mul(g.input(`v:${n}`, dtype, shapes[n]), adam.beta2), o.mul(o.mul(gr, gr), 1 - adam.beta2));
    let p = o.sub(P[n], o.div(o.mul(m, stepSize), o.add(o.mul(o.sqrt(v), vScale), adam.eps)));
    if (n === 'W_dec') {
      const q = o.sum(o.mul(p, p), [1], true); // [S,1]
      p = o.mul(p, o.where(o.greater(q, 0), o.rsqrt(q), 0)); // unit rows (an all-zero row stays zero)
    }
    Object.assign(outputs, { [`new:${n}`]: p, [`new_m:${n}`]: m, [`new_v:${n}`]: v });
  });
  return compile({ outputs, name: 'sae-train-step' });
}
