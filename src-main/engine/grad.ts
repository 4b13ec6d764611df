/**
 * Reverse-mode autodiff over the tensor graph: `grad(loss, wrt)` emits backward nodes using the
 * per-op table in grad-rules.ts. Works for any leaf: graph inputs (biases, LoRA factors) and
 * initializers (full weights).
 */
import { GRAD_RULES, NON_DIFFERENTIABLE } from './grad-rules.js';
import { add, cast, constOf, identity } from './ops.js';
import { EngineError, FLOAT_DTYPES, fmtShape, topo, type Tensor } from './tensor.js';

/**
 * Gradients of scalar `loss` w.r.t. each tensor in `wrt`. A tensor that `loss` does not depend on
 * gets an all-zero gradient of its own shape. `seed` overrides the upstream gradient (default 1).
 */
export function grad(loss: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  if (!seed && loss.rank !== 0) throw new EngineError(`grad: loss must be a scalar, got ${fmtShape(loss.shape)} (pass a seed for non-scalar outputs)`);
  const order = topo([loss]);
  const need = new Set<number>(wrt.map((t) => t.id));
  // Which nodes lie on a path from a wrt tensor to the loss?
  const onPath = new Set<number>();
  for (const t of order) {
    if (need.has(t.id) || t.inputs.some((i) => onPath.has(i.id))) onPath.add(t.id);
  }
  const grads = new Map<number, Tensor>();
  grads.set(loss.id, seed ?? constOf(loss, [1], loss.dtype, []));
  for (let i = order.length - 1; i >= 0; i--) {
    const y = order[i]!;
    const gy = grads.get(y.id);
    if (!gy || y.isLeaf || !onPath.has(y.id) || NON_DIFFERENTIABLE.has(y.op)) continue;
    const rule = GRAD_RULES[y.op];
    if (!rule) throw new EngineError(`grad: no gradient rule for op ${y.op} (node ${y})`);
    const gx = rule(gy, y, y.inputs);
    y.inputs.forEach((x, k) => {
      const d = gx[k];
      if (!d || !onPath.has(x.id) || !FLOAT_DTYPES.includes(x.dtype)) return;
      const dd = d.dtype === x.dtype ? d : cast(d, x.dtype);
      const prev = grads.get(x.id);
      grads.set(x.id, prev ? add(prev, dd) : dd);
    });
  }
  return wrt.map((w) => {
    const gw = grads.get(w.id);
    if (gw) return gw === w ? identity(gw) : gw;
    return w.g.node('ZerosLike', [w], {}, w.dtype, w.shape);
  });
}
