/**
 * Reverse-mode autodiff over the tensor graph: `grad(loss, wrt)` emits backward nodes using the
 * per-op table in grad-rules.ts. Works for any leaf: graph inputs (biases, LoRA factors) and
 * initializers (full weights).
 */
import { GRAD_RULES, NON_DIFFERENTIABLE } from './grad-rules.js';
import { add, cast, concat, constOf, identity } from './ops.js';
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
  // contributions to each node's gradient, combined when the node is reached
  const parts = new Map<number, Tensor[]>();
  parts.set(loss.id, [seed ?? constOf(loss, [1], loss.dtype, [])]);
  const gradOf = (id: number): Tensor | undefined => {
    const ps = parts.get(id);
    return ps ? combine(ps) : undefined;
  };
  for (let i = order.length - 1; i >= 0; i--) {
    const y = order[i]!;
    const gy = gradOf(y.id);
    if (!gy || y.isLeaf || !onPath.has(y.id) || NON_DIFFERENTIABLE.has(y.op)) continue;
    const rule = GRAD_RULES[y.op];
    if (!rule) throw new EngineError(`grad: no gradient rule for op ${y.op} (node ${y})`);
    const gx = rule(gy, y, y.inputs);
    y.inputs.forEach((x, k) => {
      const d = gx[k];
      if (!d || !onPath.has(x.id) || !FLOAT_DTYPES.includes(x.dtype)) return;
      const dd = d.dtype === x.dtype ? d : cast(d, x.dtype);
      const prev = parts.get(x.id);
      if (prev) prev.push(dd);
      else parts.set(x.id, [dd]);
    });
  }
  return wrt.map((w) => {
    const gw = gradOf(w.id);
    if (gw) return gw === w ? identity(gw) : gw;
    return w.g.node('ZerosLike', [w], {}, w.dtype, w.shape);
  });
}

/**
 * The sum of a node's gradient contributions. Zero-padded pieces that tile one axis exactly (the
 * gradients of slices that split a tensor, e.g. GPT-2's fused q|k|v) become one Concat instead of
 * padded copies added together; otherwise a left fold of Adds in arrival order.
 */
function combine(ps: readonly Tensor[]): Tensor {
  if (ps.length === 1) return ps[0]!;
  const axis = ps[0]!.attrs.axis;
  if (ps.every((p) => p.op === 'PadAxis' && p.attrs.axis === axis)) {
    const sorted = [...ps].sort((a, b) => (a.attrs.before as number) - (b.attrs.before as number));
    let at = 0;
    const total = ps[0]!.shape[axis as number];
    const tiles = sorted.every((p) => {
      const ok = p.attrs.before === at;
      at += p.inputs[0]!.shape[axis as number] as number;
      return ok;
    }) && at === total && sorted[sorted.length - 1]!.attrs.after === 0;
    if (tiles) return concat(sorted.map((p) => p.inputs[0]!), axis as number);
  }
  return ps.slice(1).reduce((acc, p) => add(acc, p), ps[0]!);
}
