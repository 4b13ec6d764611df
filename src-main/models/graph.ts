/**
 * ModelSpec → engine graph, with Hugging Face semantics (REFERENCE §2) for llama, qwen2, gemma,
 * gemma2 and gpt2, and TransformerLens hooks (hooks.ts) that can be captured, added to, or replaced.
 *
 * Shape legend: B batch, T seq (new positions), P past (KV cache), S = P + T key positions,
 * D d_model, H heads, K kv heads, G = H/K query heads per kv head, Dh head_dim, F d_mlp, V vocab.
 *
 * Interventions are graph inputs: one compiled graph serves every value, and a wildcard add
 * (`blocks.*.hook_resid_post`) takes one vector per layer, so sweeping the layer needs no recompile.
 */
import * as o from '../engine/ops.js';
import { crossEntropy, geluTanh, maskBias, rmsNorm, layerNorm, layerNormComposite, ropeMatmul, silu } from '../engine/nn.js';
import type { DType, Graph, Tensor } from '../engine/tensor.js';
import type { ModelSpec } from './config.js';
import { hookInfo } from './hooks.js';
import type { WeightRole } from './weights.js';

/** Returns the tensor for a weight role (null when the architecture has none). */
export type WeightSource = (role: WeightRole, layer: number | null) => Tensor | null;

export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface AddSpec {
  /** a hook name, or a wildcard over layers like `blocks.*.hook_resid_post` */
  hook: string;
  /** broadcast: one vector for every position ([D], or [L, D] for a wildcard); position: [B, T, ...] */
  mode: 'broadcast' | 'position';
  /** the graph input's name (default `add:<hook>`); two adds at one hook need two names */
  input?: string;
}

export interface ModelGraphOptions {
  dtype: DType;
  capture?: readonly string[];
  add?: readonly AddSpec[];
  /** replace a hook's value with a function of it (the SAE splice uses this) */
  replace?: Readonly<Record<string, (x: Tensor) => Tensor>>;
  /** inputs past.{l}.k/v [B,K,P,Dh] and outputs present.{l}.k/v [B,K,S,Dh] */
  kvCache?: boolean;
  /** inputs targets [B,T] and loss_mask [B,T]; outputs loss (nats/token) and per-token losses */
  loss?: boolean;
  /** logits of the last position only ([B,1,V]) */
  lastOnly?: boolean;
  /**
   * with `loss`: the LM head runs on the counted positions only (loss_mask > 0), gathered into
   * [n, D], so that a prompt's positions cost no [V]-wide logits, forward or backward (a number
   * list's prompt is most of its tokens; Gemma's head is 256k wide). The graph's `logits` are
   * then not computed by the loss; per-token losses are scattered back to [B,T].
   */
  lossOnCounted?: boolean;
  lora?: { rank: number; alpha: number; targets: readonly LoraTarget[]; layers?: readonly number[] };
  /**
   * Start at block L (1 ≤ L ≤ nLayers): input `resid_in` [B,T,D] is the residual stream entering
   * block L (`blocks.{L-1}.hook_resid_post` of the plain model, before any intervention there).
   * Training an intervention that sits at or after that point then skips blocks 0..L-1, whose
   * output does not change from step to step (see `suffixStart`).
   */
  suffixFrom?: number;
}

export interface ModelGraph {
  ids: Tensor; // int64 [B,T]
  /** 1 = real token, 0 = padding, over key positions ([B,S]) */
  attnMask: Tensor;
  /** int64 [B,T] absolute positions (left padding: cumsum(mask) - 1) */
  positions: Tensor;
  logits: Tensor; // [B,T,V] or [B,1,V]
  loss?: Tensor;
  perToken?: Tensor;
  /** [B,T] the greedy next token's logprob at each position (score graphs) */
  topLogprob?: Tensor;
  targets?: Tensor;
  lossMask?: Tensor;
  /** captured hooks by name */
  hooks: Map<string, Tensor>;
  /** intervention inputs by hook spec (by input name for adds that name their input) */
  adds: Map<string, Tensor>;
  lora: Record<string, Tensor>;
  present: { k: Tensor; v: Tensor }[];
}

/**
 * The latest block a graph with these interventions can start at (`suffixFrom`): every hook it adds
 * to, replaces or captures, and every LoRA layer, is in that block or later, or is the
 * `hook_resid_post` just before it. 0 when something touches the embeddings (or LoRA on all layers).
 */
export function suffixStart(spec: ModelSpec, opts: Pick<ModelGraphOptions, 'add' | 'replace' | 'lora' | 'capture'>): number {
  let start = spec.nLayers;
  const names = [...(opts.add ?? []).map((a) => a.hook), ...Object.keys(opts.replace ?? {}), ...(opts.capture ?? [])];
  for (const name of names) {
    const m = /^blocks\.(\d+|\*)\.(.+)$/.exec(name);
    if (!m) {
      if (!name.startsWith('ln_final.')) start = 0;
      continue;
    }
    if (m[1] === '*') return 0;
    const l = Number(m[1]);
    start = Math.min(start, m[2] === 'hook_resid_post' ? l + 1 : l);
  }
  if (opts.lora) start = Math.min(start, opts.lora.layers ? Math.min(...opts.lora.layers) : 0);
  return start;
}

export function addInputName(hook: string): string {
  return `add:${hook}`;
}

/** Build the forward graph of a model. */
export function buildModelGraph(g: Graph, spec: ModelSpec, W: WeightSource, opts: ModelGraphOptions): ModelGraph {
  const dt = opts.dtype;
  const { dModel: D, nHeads: H, nKvHeads: K, headDim: Dh } = spec;
  const G = H / K;
  const capture = new Set(opts.capture ?? []);
  for (const h of capture) hookInfo(spec, h);
  const hooks = new Map<string, Tensor>();
  const adds = new Map<string, Tensor>();
  const lora: Record<string, Tensor> = {};
  const present: { k: Tensor; v: Tensor }[] = [];

  // interventions: validate names, create inputs
  const addAt = new Map<string, { spec: AddSpec; layerIndexed: boolean }[]>();
  const addTo = (hook: string, e: { spec: AddSpec; layerIndexed: boolean }): void => void addAt.set(hook, [...(addAt.get(hook) ?? []), e]);
  for (const a of opts.add ?? []) {
    const wild = a.hook.includes('*');
    if (wild) {
      if (a.mode !== 'broadcast') throw new Error(`add '${a.hook}': a wildcard hook takes one vector per layer (mode 'broadcast')`);
      for (let l = 0; l < spec.nLayers; l++) addTo(a.hook.replace('*', String(l)), { spec: a, layerIndexed: true });
      hookInfo(spec, a.hook.replace('*', '0'));
    } else {
      hookInfo(spec, a.hook);
      addTo(a.hook, { spec: a, layerIndexed: false });
    }
  }
  for (const name of Object.keys(opts.replace ?? {})) hookInfo(spec, name);

  const ids = g.input('ids', 'int64', ['batch', 'seq']);
  const positions = g.input('positions', 'int64', ['batch', 'seq']);

  /** Apply replace → add → capture at a hook point. */
  const hook = (name: string, x: Tensor): Tensor => {
    const rep = opts.replace?.[name];
    if (rep) x = rep(x);
    for (const a of addAt.get(name) ?? []) {
      const key = a.spec.input ?? a.spec.hook;
      let inp = adds.get(key);
      if (!inp) {
        const tail = x.shape.slice(2);
        const shape = a.layerIndexed ? [spec.nLayers, ...tail] : a.spec.mode === 'broadcast' ? tail : x.shape;
        inp = g.input(a.spec.input ?? addInputName(a.spec.hook), dt, shape);
        adds.set(key, inp);
      }
      let v = inp;
      if (a.layerIndexed) {
        const l = Number(/^blocks\.(\d+)\./.exec(name)![1]);
        v = o.squeeze(o.slice(inp, 0, l, l + 1), 0);
      }
      x = o.add(x, v);
    }
    if (capture.has(name)) hooks.set(name, x);
    return x;
  };

  const weight = (role: WeightRole, layer: number | null): Tensor => {
    const w = W(role, layer);
    if (!w) throw new Error(`model graph: weight '${role}'${layer === null ? '' : ` of layer ${layer}`} is missing`);
    return w;
  };
  const maybe = (role: WeightRole, layer: number | null): Tensor | null => W(role, layer);

  /** y = x W^T (+ b) for HF [out,in] weights; y = x W (+ b) for GPT-2 Conv1D [in,out]; plus LoRA. */
  const linear = (x: Tensor, role: 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down' | 'qkv' | 'fc' | 'proj', layer: number): Tensor => {
    const w = weight(`${role}.w` as WeightRole, layer);
    let y = spec.conv1d ? o.matmul(x, w) : o.matmul(x, w, { transB: true });
    const b = maybe(`${role}.b` as WeightRole, layer);
    if (b) y = o.add(y, b);
    const L = opts.lora;
    if (L && (LORA_TARGETS as readonly string[]).includes(role) && L.targets.includes(role as LoraTarget) && (!L.layers || L.layers.includes(layer))) {
      const inDim = x.shape[x.rank - 1] as number;
      const outDim = y.shape[y.rank - 1] as number;
      const A = g.input(`lora.${layer}.${role}.A`, dt, [L.rank, inDim]);
      const Bm = g.input(`lora.${layer}.${role}.B`, dt, [outDim, L.rank]);
      lora[`${layer}.${role}.A`] = A;
      lora[`${layer}.${role}.B`] = Bm;
      y = o.add(y, o.mul(o.matmul(o.matmul(x, A, { transB: true }), Bm, { transB: true }), L.alpha / L.rank));
    }
    return y;
  };

  /** Norm with its `hook_normalized` point between normalisation and the weight. */
  const norm = (x: Tensor, role: 'attn_norm' | 'mlp_norm' | 'attn_post_norm' | 'mlp_post_norm' | 'final_norm', layer: number | null, hookName: string | null): Tensor => {
    const w = weight(`${role}.w` as WeightRole, layer);
    if (spec.norm === 'layernorm') {
      const b = weight(`${role}.b` as WeightRole, layer);
      const wanted = hookName && (capture.has(hookName) || addAt.has(hookName) || opts.replace?.[hookName]);
      if (!wanted) return layerNorm(x, w, b, spec.normEps);
      const n = hook(hookName, layerNormComposite(x, null, null, spec.normEps));
      return o.add(o.mul(n, w), b);
    }
    const n0 = rmsNorm(x, null, spec.normEps);
    const n = hookName ? hook(hookName, n0) : n0;
    return o.mul(n, spec.norm === 'rms-1plus' ? o.add(w, 1) : w);
  };

  // ---------------------------------------------------------------- embeddings
  const from = opts.suffixFrom ?? 0;
  let x: Tensor;
  if (from > 0) {
    const ok = suffixStart(spec, opts);
    if (!Number.isInteger(from) || from > spec.nLayers || from > ok) {
      throw new Error(`model graph: cannot start at block ${from} (an intervention, capture or LoRA layer sits before it; the latest start is ${ok})`);
    }
    x = hook(`blocks.${from - 1}.hook_resid_post`, g.input('resid_in', dt, ['batch', 'seq', D])); // [B,T,D]
  } else {
    let emb = o.gather(weight('embed', null), ids); // [B,T,D]
    if (spec.embedScale !== 1) emb = o.mul(emb, spec.embedScale);
    x = hook('hook_embed', emb);
    if (spec.posEmbed === 'learned') x = o.add(x, hook('hook_pos_embed', o.gather(weight('pos_embed', null), positions)));
  }

  // RoPE tables from positions: cos/sin [B,T,1,Dh] (broadcast over heads in [B,T,H,Dh] layout)
  let cos: Tensor | null = null;
  let sin: Tensor | null = null;
  if (spec.rope) {
    const invFreq = ropeInvFreq(spec);
    const ropeDt: DType = dt === 'float64' ? 'float64' : 'float32';
    const inv = o.constOf(ids, Array.from(invFreq), ropeDt, [invFreq.length]);
    const freqs = o.mul(o.unsqueeze(o.cast(positions, ropeDt), -1), inv); // [B,T,Dh/2]
    const embF = o.concat([freqs, freqs], -1); // [B,T,Dh]
    cos = o.cast(o.unsqueeze(o.cos(embF), 2), dt); // [B,T,1,Dh]
    sin = o.cast(o.unsqueeze(o.sin(embF), 2), dt);
  }

  // Attention mask over key positions [B,S] (S = P + T with a cache). Built once per window size, as
  // an additive bias (0 where visible, -1e9 where not): query t sits at absolute index (S - T) + t;
  // key j is visible iff 0 <= i - j (< window). Adding it costs one broadcast Add per layer and
  // nothing in the backward (a Where would mask the scores forward and their gradient backward).
  const attnMask = g.input('attn_mask', 'int64', ['batch', opts.kvCache ? 'past+seq' : 'seq']);
  const maskBiasCache = new Map<number | null, Tensor>();
  const maskBiasFor = (window: number | null): Tensor => {
    const hit = maskBiasCache.get(window);
    if (hit) return hit;
    const j = o.arangeOf(attnMask, 1); // [S]
    const qi = o.add(o.arangeOf(ids, 1), o.sub(o.sizeOf(attnMask, 1), o.sizeOf(ids, 1))); // [T]
    const diff = o.sub(o.unsqueeze(qi, 1), o.unsqueeze(j, 0)); // [T,S] = i - j
    let allowed = o.lessOrEqual(0, diff);
    if (window !== null) allowed = o.and(allowed, o.less(diff, window));
    const keyOk = o.unsqueeze(o.unsqueeze(o.equal(attnMask, 1), 1), 1); // [B,1,1,S]
    let a = o.and(allowed, keyOk); // [B,1,T,S]
    if (G > 1) a = o.concat(new Array<Tensor>(G).fill(a), 2); // [B,1,G*T,S]: rows g*T + t, as the queries
    const bias = maskBias(a, dt); // [B,1,G*T,S]
    maskBiasCache.set(window, bias);
    return bias;
  };

  for (let l = from; l < spec.nLayers; l++) {
    const p = `blocks.${l}.`;
    x = hook(p + 'hook_resid_pre', x);
    const h = norm(x, 'attn_norm', l, p + 'ln1.hook_normalized');

    // ---- attention
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (spec.arch === 'gpt2') {
      const qkv = linear(h, 'qkv', l); // [B,T,3D]
      q = o.slice(qkv, -1, 0, D);
      k = o.slice(qkv, -1, D, 2 * D);
      v = o.slice(qkv, -1, 2 * D, 3 * D);
    } else {
      q = linear(h, 'q', l); // [B,T,H*Dh]
      k = linear(h, 'k', l); // [B,T,K*Dh]
      v = linear(h, 'v', l);
    }
    q = hook(p + 'attn.hook_q', o.reshape(q, [0, 0, H, Dh])); // [B,T,H,Dh]
    k = hook(p + 'attn.hook_k', o.reshape(k, [0, 0, K, Dh])); // [B,T,K,Dh]
    v = hook(p + 'attn.hook_v', o.reshape(v, [0, 0, K, Dh]));
    if (cos && sin) {
      q = hook(p + 'attn.hook_rot_q', ropeMatmul(q, cos, sin));
      k = hook(p + 'attn.hook_rot_k', ropeMatmul(k, cos, sin));
    }
    // the G query heads of one kv head share its keys: they stack as rows g*T + t of one matmul
    // ([B,K,G*T,Dh] @ [B,K,S,Dh]^T), half as many small GEMMs as a broadcast over G when G = 2
    const qG = o.reshape(o.transpose(q, [0, 2, 1, 3]), [0, K, -1, Dh]); // [B,K,G*T,Dh]
    let kT = o.transpose(k, [0, 2, 1, 3]); // [B,K,T,Dh]
    let vT = o.transpose(v, [0, 2, 1, 3]);
    if (opts.kvCache) {
      const pk = g.input(`past.${l}.k`, dt, ['batch', K, 'past', Dh]);
      const pv = g.input(`past.${l}.v`, dt, ['batch', K, 'past', Dh]);
      kT = o.concat([pk, kT], 2); // [B,K,S,Dh]
      vT = o.concat([pv, vT], 2);
      present.push({ k: kT, v: vT });
    }
    let scores = o.mul(o.matmul(qG, kT, { transB: true }), spec.attnScale); // [B,K,G*T,S]
    if (spec.attnSoftcap !== null) scores = o.mul(o.tanh(o.mul(scores, 1 / spec.attnSoftcap)), spec.attnSoftcap);
    let pattern = o.softmax(o.add(scores, maskBiasFor(spec.slidingWindow[l] ?? null)), -1); // [B,K,G*T,S]
    const patternName = p + 'attn.hook_pattern';
    if (capture.has(patternName) || addAt.has(patternName) || opts.replace?.[patternName]) {
      const p4 = hook(patternName, o.reshape(pattern, [0, H, -1, 0])); // [B,H,T,S]
      pattern = o.reshape(p4, [0, K, -1, 0]);
    }
    const zG = o.matmul(pattern, vT); // [B,K,G*T,Dh]
    const z = hook(p + 'attn.hook_z', o.transpose(o.reshape(zG, [0, H, -1, Dh]), [0, 2, 1, 3])); // [B,T,H,Dh]
    let attnOut = linear(o.reshape(z, [0, 0, H * Dh]), 'o', l); // [B,T,D]
    if (spec.sandwichNorm) attnOut = norm(attnOut, 'attn_post_norm', l, null);
    attnOut = hook(p + 'hook_attn_out', attnOut);
    x = hook(p + 'hook_resid_mid', o.add(x, attnOut));

    // ---- MLP
    const mlpIn = hook(p + 'hook_mlp_in', x);
    const h2 = norm(mlpIn, 'mlp_norm', l, p + 'ln2.hook_normalized');
    let post: Tensor;
    if (spec.arch === 'gpt2') {
      const pre = hook(p + 'mlp.hook_pre', linear(h2, 'fc', l));
      post = hook(p + 'mlp.hook_post', geluTanh(pre));
    } else {
      const pre = hook(p + 'mlp.hook_pre', linear(h2, 'gate', l));
      const act = spec.act === 'silu' ? silu(pre) : geluTanh(pre);
      post = hook(p + 'mlp.hook_post', o.mul(act, linear(h2, 'up', l)));
    }
    let mlpOut = linear(post, spec.arch === 'gpt2' ? 'proj' : 'down', l);
    if (spec.sandwichNorm) mlpOut = norm(mlpOut, 'mlp_post_norm', l, null);
    mlpOut = hook(p + 'hook_mlp_out', mlpOut);
    // TransformerLens: resid_post = resid_mid + mlp_out; hook_mlp_in feeds only ln2 and the MLP
    x = hook(p + 'hook_resid_post', o.add(x, mlpOut));
  }

  let hf = norm(x, 'final_norm', null, 'ln_final.hook_normalized'); // [B,T,D]
  if (opts.lastOnly) hf = o.sliceLast(hf, 1); // [B,1,D]
  const head = spec.tiedHead ? weight('embed', null) : weight('lm_head.w', null);
  const unembed = (h: Tensor): Tensor => {
    const lg = o.matmul(h, head, { transB: true }); // [..,V]
    return spec.finalSoftcap === null ? lg : o.mul(o.tanh(o.mul(lg, 1 / spec.finalSoftcap)), spec.finalSoftcap);
  };
  const logits = unembed(hf); // [B,T,V]

  const out: ModelGraph = { ids, positions, attnMask, logits, hooks, adds, lora, present };
  if (opts.loss) {
    const targets = g.input('targets', 'int64', ['batch', 'seq']);
    const lossMask = g.input('loss_mask', dt, ['batch', 'seq']);
    if (opts.lossOnCounted && !opts.lastOnly) {
      const m = o.reshape(lossMask, [-1]); // [B*T]
      const at = o.nonZero(o.greater(m, 0), 'counted'); // [n]
      const h = o.gather(o.reshape(hf, [-1, D]), at); // [n,D]
      const ce = crossEntropy(o.unsqueeze(unembed(h), 0), o.unsqueeze(o.gather(o.reshape(targets, [-1]), at), 0), o.unsqueeze(o.gather(m, at), 0)); // [1,n,V] → [1,n]
      const perToken = o.reshapeLike(o.scatterAddRows(m, at, o.squeeze(ce.perToken, 0)), lossMask); // [B,T]
      Object.assign(out, { targets, lossMask, loss: ce.loss, perToken });
    } else {
      const ce = crossEntropy(logits, targets, lossMask);
      Object.assign(out, { targets, lossMask, loss: ce.loss, perToken: ce.perToken, topLogprob: ce.topLogprob });
    }
  }
  return out;
}

/** RoPE inverse frequencies (rotate_half layout), with Llama 3 or linear scaling, in float64. */
export function ropeInvFreq(spec: ModelSpec): Float64Array {
  const r = spec.rope!;
  const half = r.dim / 2;
  const inv = new Float64Array(half);
  // HF computes these in float32
  for (let i = 0; i < half; i++) inv[i] = Math.fround(1 / Math.fround(r.theta ** Math.fround((2 * i) / r.dim)));
  const s = r.scaling;
  if (!s) return inv;
  if (s.type === 'linear') return inv.map((f) => f / s.factor);
  const lowWl = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highWl = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return inv.map((f) => {
    const wl = (2 * Math.PI) / f;
    if (wl < highWl) return f;
    if (wl > lowWl) return f / s.factor;
    const smooth = (s.originalMaxPositionEmbeddings / wl - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}
