/**
 * A GPT-shaped graph with seeded random weights: the engine's own workload for the self-check,
 * the gradient tests and the benchmark. It is not a model loader (models/ builds real checkpoints).
 *
 * Shapes: B batch, T seq, D d_model, H heads, Dh head dim (D/H), F d_mlp, V vocab, R LoRA rank.
 * Layout matches torch nn.Linear: weights [out, in], y = x @ W^T (a transB matmul, never a Transpose).
 * Pre-LN blocks: x += proj(attn(ln1 x)); x += fc2(gelu(fc1(ln2 x))); logits = head(ln_f x).
 * The MLP's hidden state is computed feature-major, [F, B·T] (nn.ts mlpFeatureMajor: faster GEMMs at
 * these shapes, same values), unless fc1 or fc2 carries LoRA or `mlpTokensMajor` is set.
 */
import * as o from './ops.js';
import { mulberry32 } from './prng.js';
import { crossEntropy, causalAllowed, geluErf, layerNorm, maskScores, mlpFeatureMajor } from './nn.js';
import type { DType, Graph, Tensor } from './tensor.js';

export interface ToyGptConfig {
  dModel: number;
  nLayers: number;
  nHeads: number;
  dMlp: number;
  vocab: number;
  maxSeq: number;
}

export const BENCH_GPT: ToyGptConfig = { dModel: 512, nLayers: 8, nHeads: 8, dMlp: 2048, vocab: 8192, maxSeq: 64 };

/** Weight names and shapes, in a stable order. */
export function toyGptShapes(c: ToyGptConfig): Record<string, number[]> {
  const s: Record<string, number[]> = { wte: [c.vocab, c.dModel], wpe: [c.maxSeq, c.dModel] };
  for (let l = 0; l < c.nLayers; l++) {
    const p = `h${l}.`;
    Object.assign(s, {
      [`${p}ln1.w`]: [c.dModel], [`${p}ln1.b`]: [c.dModel],
      [`${p}qkv.w`]: [3 * c.dModel, c.dModel], [`${p}qkv.b`]: [3 * c.dModel],
      [`${p}proj.w`]: [c.dModel, c.dModel], [`${p}proj.b`]: [c.dModel],
      [`${p}ln2.w`]: [c.dModel], [`${p}ln2.b`]: [c.dModel],
      [`${p}fc1.w`]: [c.dMlp, c.dModel], [`${p}fc1.b`]: [c.dMlp],
      [`${p}fc2.w`]: [c.dModel, c.dMlp], [`${p}fc2.b`]: [c.dModel],
    });
  }
  Object.assign(s, { 'lnf.w': [c.dModel], 'lnf.b': [c.dModel], head: [c.vocab, c.dModel] });
  return s;
}

/** Seeded weights: matrices N(0, 0.02²) (GPT-2 init), norm weights 1, biases 0. */
export function toyGptWeights(c: ToyGptConfig, seed: number): Record<string, { shape: number[]; data: Float32Array }> {
  const shapes = toyGptShapes(c);
  return Object.fromEntries(Object.keys(shapes).map((n) => [n, { shape: shapes[n]!, data: toyGptWeight(c, seed, n) }]));
}

/** One weight, generated on its own (seeded by name), so large models can be streamed to disk. */
export function toyGptWeight(c: ToyGptConfig, seed: number, name: string): Float32Array {
  const shape = toyGptShapes(c)[name];
  if (!shape) throw new Error(`toy GPT has no weight '${name}'`);
  let a = seed >>> 0;
  for (let i = 0; i < name.length; i++) a = Math.imul(a ^ name.charCodeAt(i), 0x9e3779b1) >>> 0;
  const rnd = mulberry32(a);
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(n);
  if (shape.length === 2) {
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * 0.02;
      const th = 2 * Math.PI * rnd();
      data[i] = r * Math.cos(th);
      if (i + 1 < n) data[i + 1] = r * Math.sin(th);
    }
  } else if (name.endsWith('.w')) data.fill(1);
  return data;
}

export interface ToyGptOptions {
  dtype: DType;
  /** the MLP hidden state as [B,T,F] (the plain layout) instead of feature-major [F, B·T]; same values (tests compare the two) */
  mlpTokensMajor?: boolean;
  /** add a trainable residual bias [D] after this many blocks (0 = after the embeddings) */
  biasAfter?: number;
  /** LoRA on these linears of every layer (`qkv`, `proj`, `fc1`, `fc2`) */
  lora?: { rank: number; alpha: number; targets: string[] };
}

export interface ToyGptGraph {
  ids: Tensor;
  targets: Tensor;
  mask: Tensor;
  logits: Tensor;
  loss: Tensor;
  perToken: Tensor;
  bias?: Tensor;
  lora: Record<string, Tensor>;
}

/**
 * Build the forward graph. `weight(name, shape)` returns the tensor for a weight (an inline or
 * external initializer, or a graph input in gradient tests).
 */
export function buildToyGpt(g: Graph, c: ToyGptConfig, weight: (name: string, shape: number[]) => Tensor, opts: ToyGptOptions): ToyGptGraph {
  const dt = opts.dtype;
  const shapes = toyGptShapes(c);
  const W = (n: string): Tensor => weight(n, shapes[n]!);
  const D = c.dModel;
  const H = c.nHeads;
  const Dh = D / H;
  const ids = g.input('ids', 'int64', ['batch', 'seq']);
  const targets = g.input('targets', 'int64', ['batch', 'seq']);
  const mask = g.input('mask', dt, ['batch', 'seq']);
  const lora: Record<string, Tensor> = {};
  let bias: Tensor | undefined;

  const linear = (x: Tensor, name: string, l: number): Tensor => {
    let y = o.add(o.matmul(x, W(`h${l}.${name}.w`), { transB: true }), W(`h${l}.${name}.b`)); // [B,T,out]
    if (opts.lora?.targets.includes(name)) {
      const [out, inn] = shapes[`h${l}.${name}.w`]!;
      const r = opts.lora.rank;
      const A = g.input(`lora.h${l}.${name}.A`, dt, [r, inn!]);
      const Bm = g.input(`lora.h${l}.${name}.B`, dt, [out!, r]);
      lora[`h${l}.${name}.A`] = A;
      lora[`h${l}.${name}.B`] = Bm;
      const delta = o.matmul(o.matmul(x, A, { transB: true }), Bm, { transB: true }); // [B,T,out]
      y = o.add(y, o.mul(delta, opts.lora.alpha / r));
    }
    return y;
  };

  const pos = o.gather(W('wpe'), o.arangeOf(ids, 1)); // [T,D]
  let x = o.add(o.gather(W('wte'), ids), pos); // [B,T,D]
  const addBias = (): void => {
    bias = g.input('resid_bias', dt, [D]);
    x = o.add(x, bias);
  };
  if (opts.biasAfter === 0) addBias();
  for (let l = 0; l < c.nLayers; l++) {
    const h = layerNorm(x, W(`h${l}.ln1.w`), W(`h${l}.ln1.b`), 1e-5);
    const qkv = linear(h, 'qkv', l); // [B,T,3D]
    const heads = (k: number): Tensor => o.transpose(o.reshape(o.slice(qkv, -1, k * D, (k + 1) * D), [0, 0, H, Dh]), [0, 2, 1, 3]); // [B,H,T,Dh]
    const q = heads(0);
    const k = heads(1);
    const v = heads(2);
    const scores = o.mul(o.matmul(q, k, { transB: true }), 1 / Math.sqrt(Dh)); // [B,H,T,T]
    const p = o.softmax(maskScores(scores, causalAllowed(scores)), -1);
    const z = o.reshape(o.transpose(o.matmul(p, v), [0, 2, 1, 3]), [0, 0, D]); // [B,T,D]
    x = o.add(x, linear(z, 'proj', l));
    const h2 = layerNorm(x, W(`h${l}.ln2.w`), W(`h${l}.ln2.b`), 1e-5); // [B,T,D]
    if (opts.mlpTokensMajor || opts.lora?.targets.some((t) => t === 'fc1' || t === 'fc2')) {
      x = o.add(x, linear(geluErf(linear(h2, 'fc1', l)), 'fc2', l)); // hidden [B,T,F]
    } else {
      x = o.add(x, o.reshapeLike(mlpFeatureMajor(o.reshape(h2, [-1, D]), W(`h${l}.fc1.w`), W(`h${l}.fc1.b`), W(`h${l}.fc2.w`), W(`h${l}.fc2.b`)), x));
    }
    if (opts.biasAfter === l + 1) addBias();
  }
  const logits = o.matmul(layerNorm(x, W('lnf.w'), W('lnf.b'), 1e-5), W('head'), { transB: true }); // [B,T,V]
  const { loss, perToken } = crossEntropy(logits, targets, mask);
  return { ids, targets, mask, logits, loss, perToken, bias, lora };
}
