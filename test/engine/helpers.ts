/** Test helpers: seeded data, float64 finite differences, oracle comparison with a labelled tolerance. */
import { compile } from '../../src-main/engine/onnx-export.js';
import type { Runtime, SessionOptions, TensorData } from '../../src-main/engine/runtime.js';
import { grad } from '../../src-main/engine/grad.js';
import type { Tensor } from '../../src-main/engine/tensor.js';

export { mulberry32 as rng } from '../../src-main/engine/prng.js';
import { mulberry32 as rng } from '../../src-main/engine/prng.js';

export function randn(n: number, seed: number, scale = 1): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r()) * scale;
  }
  return out;
}

export function f64(dims: number[], data: Float64Array): TensorData {
  return { dtype: 'float64', dims, data };
}

/** Max abs difference / max(|ref|) over all elements: a norm-wise relative error. */
export function relErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(got[i]! - ref[i]!));
    m = Math.max(m, Math.abs(ref[i]!));
  }
  return d / Math.max(m, 1e-30);
}

export function maxAbsDiff(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(got[i]! - ref[i]!));
  return d;
}

/**
 * Compare analytic gradients of scalar `loss` w.r.t. the float64 graph inputs `params` against
 * central finite differences. Returns the worst norm-wise relative error per parameter.
 */
export async function fdCheck(
  rt: Runtime,
  loss: Tensor,
  params: Record<string, { t: Tensor; value: TensorData }>,
  fixed: Record<string, TensorData> = {},
  eps = 1e-6,
  session: SessionOptions = {},
): Promise<Record<string, number>> {
  const names = Object.keys(params);
  const gs = grad(loss, names.map((n) => params[n]!.t));
  const c = compile({ outputs: { loss }, grads: Object.fromEntries(names.map((n, i) => [`grad_${n}`, gs[i]!])) });
  const s = await rt.load(c, session);
  const feeds = (over?: { name: string; i: number; d: number }): Record<string, TensorData> => {
    const f: Record<string, TensorData> = { ...fixed };
    for (const n of names) {
      const v = params[n]!.value;
      if (over && over.name === n) {
        const data = Float64Array.from(v.data as Float64Array);
        data[over.i]! += over.d;
        f[n] = { ...v, data };
      } else f[n] = v;
    }
    return f;
  };
  const r = await s.run(feeds(), { grad: true });
  const out: Record<string, number> = {};
  for (const n of names) {
    const analytic = r[`grad_${n}`]!.data as Float64Array;
    const len = (params[n]!.value.data as Float64Array).length;
    const numeric = new Float64Array(len);
    for (let i = 0; i < len; i++) {
      const up = (await s.run(feeds({ name: n, i, d: eps }))).loss!.data as Float64Array;
      const dn = (await s.run(feeds({ name: n, i, d: -eps }))).loss!.data as Float64Array;
      numeric[i] = (up[0]! - dn[0]!) / (2 * eps);
    }
    out[n] = relErr(analytic, numeric);
  }
  await s.release();
  return out;
}
