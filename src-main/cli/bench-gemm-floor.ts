/**
 * The engine bench's GEMM floor: the time of the grad run's weight matmuls alone, on the same weights
 * (external data from the bench's safetensors file) and the same shapes, with nothing else in the
 * graph: no attention, no norms, no elementwise ops, no backward bookkeeping. It is what those GEMMs
 * cost with ORT's MLAS on this CPU, so grad_ms − it estimates how much of grad_ms the rest takes
 * (an estimate: both are medians of 5 runs on a shared machine).
 *
 * Shapes (B·T = N tokens, D d_model, F d_mlp, V vocab), weights [out, in] as in toy-gpt.ts, operands
 * in the forms the grad run uses (its MLP hidden state is feature-major, hᵀ [F,N]: nn.ts mlpFeatureMajor):
 *   forward, every block:  x[N,D] @ qkv.wᵀ [3D,D], x @ proj.wᵀ [D,D], fc1.w [F,D] @ xᵀ, (hᵀ)ᵀ @ fc2.wᵀ [D,F]
 *   forward head:          x[N,D] @ headᵀ [V,D]
 *   backward (dX only), every block after the bias: dqkv[N,3D] @ qkv.w, dy[N,D] @ proj.w,
 *                          (dhᵀ)ᵀ @ fc1.w, fc2.wᵀ @ dyᵀ;  head: dlogits[N,V] @ head
 * The random operands are made once and held in the engine worker (fed as {held}), so a run moves
 * no input data; each product is sliced to one element, so no output is copied out either.
 */
import * as o from '../engine/ops.js';
import { compile } from '../engine/onnx-export.js';
import type { Runtime, SessionOptions } from '../engine/runtime.js';
import { readSafetensorsHeader, stTensor } from '../engine/safetensors.js';
import { Graph, type Tensor } from '../engine/tensor.js';
import type { ToyGptConfig } from '../engine/toy-gpt.js';
import { holdRandomOperands } from './bench-held.js';

export interface GemmFloor {
  ms: number;
  gflop: number;
}

export async function gemmFloor(rt: Runtime, file: string, c: ToyGptConfig, tokens: [number, number], biasAfter: number,
  time: (f: () => Promise<unknown>) => Promise<number>, opts: SessionOptions = {}): Promise<GemmFloor> {
  const st = readSafetensorsHeader(file);
  const g = new Graph();
  const w = (n: string, shape: number[]): Tensor => {
    const t = stTensor(st, n);
    return g.initializer(n, 'float32', shape, { kind: 'external', file: st.path, offset: t.offset, byteLength: t.byteLength });
  };
  if (biasAfter >= c.nLayers) throw new Error(`gemm floor: the bias goes after block ${biasAfter} of ${c.nLayers}, so there is no backward pass to time`);
  const [B, T] = tokens;
  const { dModel: D, dMlp: F, vocab: V } = c;
  const N = B * T;
  const x = g.input('x', 'float32', [B, T, D]); //          activations into D-wide products
  const x2 = o.reshape(x, [N, D]); //                       the same, as the MLP reads them
  const hT = g.input('hT', 'float32', [F, N]); //           MLP hidden (and its gradient), feature-major
  const dqkv = g.input('dqkv', 'float32', [B, T, 3 * D]); // gradient at the qkv output
  const dlogits = g.input('dlogits', 'float32', [B, T, V]);
  const products: Tensor[] = [];
  let flop = 0;
  const mm = (a: Tensor, b: Tensor, m: number, n: number, k: number, transB: boolean, transA = false): void => {
    products.push(o.matmul(a, b, { transA, transB }));
    flop += 2 * m * n * k;
  };
  for (let l = 0; l < c.nLayers; l++) {
    const p = `h${l}.`;
    const qkv = w(`${p}qkv.w`, [3 * D, D]), proj = w(`${p}proj.w`, [D, D]), fc1 = w(`${p}fc1.w`, [F, D]), fc2 = w(`${p}fc2.w`, [D, F]);
    mm(x, qkv, N, 3 * D, D, true);
    mm(x, proj, N, D, D, true);
    mm(fc1, x2, F, N, D, true);
    mm(hT, fc2, N, D, F, true, true);
    if (l >= biasAfter) {
      mm(dqkv, qkv, N, D, 3 * D, false);
      mm(x, proj, N, D, D, false);
      mm(hT, fc1, N, D, F, false, true);
      mm(fc2, x2, F, N, D, true, true);
    }
  }
  const head = w('head', [V, D]);
  mm(x, head, N, V, D, true);
  mm(dlogits, head, N, D, V, false);
  // each product cut to one element (a slice per axis), so no output is copied out
  const outputs = Object.fromEntries(products.map((t, i) => [`p${i}`, t.shape.reduce((u: Tensor, _d, ax) => o.slice(u, ax, 0, 1), t)]));
  const s = await rt.load(compile({ outputs }), { threads: 2, ...opts });
  const dims: Record<string, number[]> = { x: [B, T, D], hT: [F, N], dqkv: [B, T, 3 * D], dlogits: [B, T, V] };
  const held = await holdRandomOperands(rt, 'gemm-floor', dims, 7, opts);
  try {
    return { ms: await time(() => s.run(held.feeds)), gflop: flop / 1e9 };
  } finally {
    await held.release();
    await s.release();
  }
}
