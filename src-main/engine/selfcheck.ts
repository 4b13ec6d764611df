/**
 * Engine self-check: a 2-layer transformer in float64; the gradient of its loss w.r.t. a residual
 * bias and a LoRA factor must match central finite differences. Exercises the graph builder,
 * autodiff, ONNX export (with the If(want_grad) backward) and the session worker end to end.
 */
import { grad } from './grad.js';
import { compile } from './onnx-export.js';
import type { Runtime, TensorData } from './runtime.js';
import { Graph } from './tensor.js';
import { buildToyGpt, toyGptWeights, type ToyGptConfig } from './toy-gpt.js';

export interface SelfcheckResult {
  ok: boolean;
  detail: string;
  ms: number;
  /** worst norm-wise relative error between analytic and finite-difference gradients */
  maxRelErr: number;
}

const CFG: ToyGptConfig = { dModel: 8, nLayers: 2, nHeads: 2, dMlp: 16, vocab: 13, maxSeq: 6 };
const TOL = 1e-6;

export async function selfcheck(rt: Runtime): Promise<SelfcheckResult> {
  const t0 = performance.now();
  try {
    const w = toyGptWeights(CFG, 7);
    const g = new Graph();
    const net = buildToyGpt(g, CFG, (n, s) => g.constant(Float64Array.from(w[n]!.data, (z) => (s.length === 2 ? z * 15 : z)), 'float64', s), {
      dtype: 'float64', biasAfter: 1, lora: { rank: 2, alpha: 2, targets: ['fc1'] },
    });
    const A = net.lora['h1.fc1.A']!;
    const [gb, ga] = grad(net.loss, [net.bias!, A]);
    const s = await rt.load(compile({ outputs: { loss: net.loss }, grads: { gb: gb!, ga: ga! } }));
    const n = 5;
    const vals = (len: number, k: number) => Float64Array.from({ length: len }, (_, i) => Math.sin(1.3 * i + k) * 0.4);
    const params: Record<string, TensorData> = {
      resid_bias: { dtype: 'float64', dims: [8], data: vals(8, 1) },
      'lora.h1.fc1.A': { dtype: 'float64', dims: [2, 8], data: vals(16, 2) },
      'lora.h0.fc1.A': { dtype: 'float64', dims: [2, 8], data: vals(16, 3) },
      'lora.h0.fc1.B': { dtype: 'float64', dims: [16, 2], data: vals(32, 4) },
      'lora.h1.fc1.B': { dtype: 'float64', dims: [16, 2], data: vals(32, 5) },
    };
    const fixed: Record<string, TensorData> = {
      ids: { dtype: 'int64', dims: [1, n], data: BigInt64Array.from([1n, 4n, 9n, 2n, 12n]) },
      targets: { dtype: 'int64', dims: [1, n], data: BigInt64Array.from([4n, 9n, 2n, 12n, 0n]) },
      mask: { dtype: 'float64', dims: [1, n], data: Float64Array.from([1, 1, 1, 1, 1]) },
    };
    const r = await s.run({ ...fixed, ...params }, { grad: true });
    let worst = 0;
    for (const [name, out] of [['resid_bias', 'gb'], ['lora.h1.fc1.A', 'ga']] as const) {
      const an = r[out]!.data as Float64Array;
      const base = params[name]!.data as Float64Array;
      let diff = 0;
      let mag = 0;
      for (let i = 0; i < base.length; i++) {
        const at = (d: number) => {
          const data = Float64Array.from(base);
          data[i]! += d;
          return s.run({ ...fixed, ...params, [name]: { ...params[name]!, data } }).then((x) => (x.loss!.data as Float64Array)[0]!);
        };
        const fd = ((await at(1e-6)) - (await at(-1e-6))) / 2e-6;
        diff = Math.max(diff, Math.abs(fd - an[i]!));
        mag = Math.max(mag, Math.abs(fd));
      }
      worst = Math.max(worst, diff / Math.max(mag, 1e-30));
    }
    await s.release();
    const ms = performance.now() - t0;
    const ok = worst < TOL;
    return { ok, maxRelErr: worst, ms, detail: `2-layer transformer, grad w.r.t. residual bias and LoRA A vs finite differences: max rel err ${worst.toExponential(2)} (tolerance ${TOL})` };
  } catch (e) {
    return { ok: false, maxRelErr: NaN, ms: performance.now() - t0, detail: `self-check crashed: ${(e as Error).message}` };
  }
}
