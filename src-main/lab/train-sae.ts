/**
 * Train a standard (ReLU) SAE on a model's activations at one hook, for models that have no
 * published SAE (the embedded demo model, a small Qwen or GPT-2, a finetune).
 *
 * 1. `collectActivations`: run the model over corpus contexts and keep the hook's vector at every
 *    counted token ([N,D], float32).
 * 2. `trainSae`: inputs are scaled by s = √D / mean‖x‖ (SAELens "expected_average_only_in"), the
 *    decoder starts as random unit rows and the encoder as its transpose, b_dec as the data mean.
 *    Each step: a batch of tokens (seeded epochs), loss = mse + l1·Σf (l1 warmed up linearly), Adam,
 *    then decoder rows renormalised to unit length, all in one graph whose parameters and moments
 *    stay in the session worker between steps. Checkpoints carry the weights, Adam's moments
 *    and the dead-feature clock as bytes, so a resumed run continues exactly.
 * 3. `evaluateSae`: explained variance, mse, L0 and features that never fire, over held tokens.
 *
 * Shape legend: N tokens, D d_in, S d_sae.
 */
import type { Feed, Runtime, Session, SessionOptions, TensorData } from '../engine/runtime.js';
import { mulberry32 } from '../engine/prng.js';
import { hookList } from '../models/hooks.js';
import type { LanguageModel } from '../models/lm.js';
import { SAE_PARAMS, saeParamShapes, saeTrainGraph, saeTrainStepGraph, type SaeParamName } from '../models/sae/train-graph.js';
import { checkContextIds, type Contexts } from './feature-corpus.js';
import { contextFeeds } from './feature-stats.js';
import { shuffled } from './epoch-order.js';

export interface Activations {
  /** [N,D] row-major */
  data: Float32Array;
  n: number;
  dIn: number;
}

/** The hook's activation at every counted token of the contexts, in context order (at most maxTokens). */
export async function collectActivations(
  model: LanguageModel,
  ctx: Contexts,
  hook: string,
  o: { batch?: number; maxTokens?: number; signal?: AbortSignal; onProgress?: (tokens: number, contexts: number) => void } = {},
): Promise<Activations> {
  const info = hookList(model.spec).find((h) => h.name === hook);
  if (!info) throw new Error(`train-sae: the model has no hook '${hook}'`);
  if (info.shape.length !== 3 || info.shape[0] !== 'batch' || info.shape[1] !== 'seq') {
    throw new Error(`train-sae: '${hook}' has shape [${info.shape.join(', ')}]; an SAE trains on a [batch, seq, width] hook (e.g. hook_resid_post, hook_mlp_out)`);
  }
  checkContextIds(ctx, model.spec.vocab, 'train-sae');
  const max = Math.min(o.maxTokens ?? Infinity, ctx.countedTokens);
  if (!(max > 0)) throw new Error('train-sae: the corpus gives no counted token');
  const B = o.batch ?? 8;
  const session = await model.captureSession([hook]);
  let out: Float32Array | null = null;
  let D = 0;
  let n = 0;
  try {
    for (let lo = 0; lo < ctx.n && n < max; lo += B) {
      if (o.signal?.aborted) throw new Error('train-sae: cancelled');
      const hi = Math.min(lo + B, ctx.n);
      const { feeds } = contextFeeds(model, ctx, lo, hi);
      const r = await session.run({ ids: feeds.ids!, positions: feeds.positions!, attn_mask: feeds.attn_mask! }, { outputs: [hook] });
      const a = r[hook]!;
      const [Bn, T] = [a.dims[0]!, a.dims[1]!];
      const width = a.dims.slice(2).reduce((p, q) => p * q, 1);
      if (!out) {
        D = width;
        out = new Float32Array(max * D);
      }
      const src = a.data as Float32Array | Float64Array;
      for (let b = 0; b < Bn && n < max; b++) {
        const off = ctx.offsets[lo + b]!;
        const len = ctx.offsets[lo + b + 1]! - off;
        for (let t = 0; t < len && n < max; t++) {
          if (!ctx.count[off + t]) continue;
          const at = (b * T + t) * D;
          for (let d = 0; d < D; d++) out[n * D + d] = src[at + d]!;
          n++;
        }
      }
      o.onProgress?.(n, hi);
    }
  } finally {
    await session.release();
  }
  return { data: out!.subarray(0, n * D), n, dIn: D };
}

export interface SaeTrainConfig {
  dSae: number;
  /** L1 coefficient on Σ f (inputs scaled to E‖x‖ = √D) */
  l1: number;
  lr: number;
  steps: number;
  /** tokens per step */
  batch: number;
  seed: number;
  /** l1 rises linearly from 0 over these steps (default 5% of steps) */
  l1WarmupSteps?: number;
  /** a feature that has not fired for this many tokens is dead (default 10 × batch × 100) */
  deadAfterTokens?: number;
  checkpointEvery?: number;
}

export interface SaeStepMetrics {
  step: number;
  loss: number;
  mse: number;
  /** 1 − mse / var over the batch */
  explainedVariance: number;
  l0: number;
  /** features that have not fired for deadAfterTokens (or since the start) / S */
  deadFraction: number;
}

export interface SaeTrainCheckpoint {
  state: { step: number; rng: number; order: number[]; cursor: number; adamStep: number; scale: number; fingerprint: string };
  /** params, Adam m, Adam v (each in SAE_PARAMS order), then the step each feature last fired */
  bytes: Uint8Array;
}

export interface SaeTrainSink {
  step?(m: SaeStepMetrics): void;
  checkpoint?(c: SaeTrainCheckpoint): void;
  progress?(fraction: number, message: string): void;
}

export interface SaeTrainResult {
  params: Record<SaeParamName, Float32Array>;
  /** inputs were multiplied by this (cfg norm_scaling_factor) */
  scale: number;
  steps: number;
  last: SaeStepMetrics | null;
}

const sizes = (D: number, S: number): number[] => SAE_PARAMS.map((n) => saeParamShapes(D, S)[n].reduce((a, b) => a * b, 1));

/** Scale so that the mean norm of x·s is √D (over at most 10,000 tokens). */
export function normScale(acts: Activations): number {
  const m = Math.min(acts.n, 10_000);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    let q = 0;
    for (let d = 0; d < acts.dIn; d++) q += acts.data[i * acts.dIn + d]! ** 2;
    sum += Math.sqrt(q);
  }
  const mean = sum / m;
  if (!(mean > 0)) throw new Error('train-sae: the activations are all zero');
  return Math.sqrt(acts.dIn) / mean;
}

function renormRows(W: Float32Array, S: number, D: number): void {
  for (let s = 0; s < S; s++) {
    let q = 0;
    for (let d = 0; d < D; d++) q += W[s * D + d]! ** 2;
    const k = q > 0 ? 1 / Math.sqrt(q) : 0;
    for (let d = 0; d < D; d++) W[s * D + d]! *= k;
  }
}

/** Seeded initial weights: unit decoder rows, encoder = decoder transpose, b_enc 0, b_dec the scaled data mean. */
export function initSaeParams(acts: Activations, dSae: number, scale: number, seed: number): Record<SaeParamName, Float32Array> {
  const D = acts.dIn;
  const S = dSae;
  const rnd = mulberry32(seed ^ 0x5ae);
  const W_dec = new Float32Array(S * D);
  for (let i = 0; i < W_dec.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12)));
    const th = 2 * Math.PI * rnd();
    W_dec[i] = r * Math.cos(th);
    if (i + 1 < W_dec.length) W_dec[i + 1] = r * Math.sin(th);
  }
  renormRows(W_dec, S, D);
  const W_enc = new Float32Array(D * S);
  for (let s = 0; s < S; s++) for (let d = 0; d < D; d++) W_enc[d * S + s] = W_dec[s * D + d]!;
  const b_dec = new Float32Array(D);
  const m = Math.min(acts.n, 10_000);
  for (let i = 0; i < m; i++) for (let d = 0; d < D; d++) b_dec[d]! += (acts.data[i * D + d]! * scale) / m;
  return { W_enc, b_enc: new Float32Array(S), W_dec, b_dec };
}

function fingerprintOf(acts: Activations, cfg: SaeTrainConfig): string {
  let h = 0x811c9dc5;
  const step = Math.max(1, Math.floor(acts.data.length / 4096));
  for (let i = 0; i < acts.data.length; i += step) h = Math.imul(h ^ Math.round(acts.data[i]! * 1e4), 16777619) >>> 0;
  return `${acts.n}x${acts.dIn}|S${cfg.dSae}|b${cfg.batch}|seed${cfg.seed}|${h.toString(16)}`;
}

/** Adam's settings (engine/optim.ts's defaults), applied in the step graph. */
const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
let heldRuns = 0;

export async function trainSae(
  rt: Runtime,
  acts: Activations,
  cfg: SaeTrainConfig,
  sink: SaeTrainSink = {},
  opts: { resume?: SaeTrainCheckpoint | null; signal?: AbortSignal; session?: SessionOptions } = {},
): Promise<SaeTrainResult> {
  const D = acts.dIn;
  const S = cfg.dSae;
  if (!Number.isInteger(S) || S < 1) throw new Error(`train-sae: dSae must be a positive integer, got ${S}`);
  if (acts.n < 1) throw new Error('train-sae: no activations to train on');
  const N = Math.min(cfg.batch, acts.n);
  const warm = cfg.l1WarmupSteps ?? Math.floor(cfg.steps * 0.05);
  const deadSteps = Math.max(1, Math.ceil((cfg.deadAfterTokens ?? N * 1000) / N));
  const every = cfg.checkpointEvery ?? 200;
  const fingerprint = fingerprintOf(acts, cfg);

  let scale: number;
  let params: Record<SaeParamName, Float32Array>;
  const sz = sizes(D, S);
  const zeros = (): Record<SaeParamName, Float32Array> => Object.fromEntries(SAE_PARAMS.map((n, i) => [n, new Float32Array(sz[i]!)])) as Record<SaeParamName, Float32Array>;
  let m = zeros();
  let v = zeros();
  let adamStep = 0;
  let lastFired = new Float32Array(S);
  let step = 0;
  let [order, rng] = shuffled(acts.n, cfg.seed >>> 0);
  let cursor = 0;
  const r0 = opts.resume;
  if (r0) {
    if (r0.state.fingerprint !== fingerprint) throw new Error('train-sae: the checkpoint was made on other activations or settings; start a new run');
    scale = r0.state.scale;
    const all = new Float32Array(Uint8Array.from(r0.bytes).buffer);
    let at = 0;
    const take = (k: number): Float32Array<ArrayBuffer> => all.slice(at, (at += k));
    const part = () => Object.fromEntries(SAE_PARAMS.map((n, i) => [n, take(sz[i]!)])) as Record<SaeParamName, Float32Array>;
    params = part();
    m = part();
    v = part();
    adamStep = r0.state.adamStep;
    lastFired = take(S);
    ({ step, rng, order, cursor } = r0.state);
  } else {
    scale = normScale(acts);
    params = initSaeParams(acts, S, scale, cfg.seed);
  }

  const shapes = saeParamShapes(D, S);
  const session: Session = await rt.load(saeTrainStepGraph(D, S, ADAM), opts.session ?? {});
  // parameters and moments stay in the session worker between steps (held tensors); they come back
  // only for checkpoints and at the end
  const tag = `sae-train-${(heldRuns++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const keep: Record<string, string> = {};
  for (const n of SAE_PARAMS) Object.assign(keep, { [`new:${n}`]: `${tag}:p:${n}`, [`new_m:${n}`]: `${tag}:m:${n}`, [`new_v:${n}`]: `${tag}:v:${n}` });
  const stateOutputs = Object.keys(keep);
  let held = false;
  const x = new Float32Array(N * D);
  let last: SaeStepMetrics | null = null;
  const snapshot = (): SaeTrainCheckpoint => {
    const parts = [...SAE_PARAMS.map((n) => params[n]), ...SAE_PARAMS.map((n) => m[n]), ...SAE_PARAMS.map((n) => v[n]), lastFired];
    const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) all.set(p, (at += p.length) - p.length);
    return { state: { step, rng, order, cursor, adamStep, scale, fingerprint }, bytes: new Uint8Array(all.buffer) };
  };
  try {
    while (step < cfg.steps) {
      if (opts.signal?.aborted) throw new Error('train-sae: cancelled');
      for (let i = 0; i < N; i++) {
        if (cursor >= order.length) {
          [order, rng] = shuffled(acts.n, rng);
          cursor = 0;
        }
        const t = order[cursor++]!;
        for (let d = 0; d < D; d++) x[i * D + d] = acts.data[t * D + d]! * scale;
      }
      const l1 = warm > 0 ? cfg.l1 * Math.min(1, (step + 1) / warm) : cfg.l1;
      const t = adamStep + 1;
      const scalar = (val: number): TensorData => ({ dtype: 'float32', dims: [], data: Float32Array.of(val) });
      const feeds: Record<string, Feed> = {
        x: { dtype: 'float32', dims: [N, D], data: x },
        l1: scalar(l1),
        step_size: scalar(cfg.lr / (1 - ADAM.beta1 ** t)),
        v_scale: scalar(1 / Math.sqrt(1 - ADAM.beta2 ** t)),
      };
      for (const n of SAE_PARAMS) {
        feeds[n] = held ? { held: keep[`new:${n}`]! } : { dtype: 'float32', dims: shapes[n], data: params[n] };
        feeds[`m:${n}`] = held ? { held: keep[`new_m:${n}`]! } : { dtype: 'float32', dims: shapes[n], data: m[n] };
        feeds[`v:${n}`] = held ? { held: keep[`new_v:${n}`]! } : { dtype: 'float32', dims: shapes[n], data: v[n] };
      }
      const fetch = (step + 1) % every === 0 || step + 1 === cfg.steps;
      const r = await session.run(feeds, { outputs: ['loss', 'mse', 'l0', 'fired', 'var', ...(fetch ? stateOutputs : [])], keep });
      held = true;
      adamStep = t;
      step++;
      if (fetch) {
        for (const n of SAE_PARAMS) {
          params[n] = r[`new:${n}`]!.data as Float32Array;
          m[n] = r[`new_m:${n}`]!.data as Float32Array;
          v[n] = r[`new_v:${n}`]!.data as Float32Array;
        }
      }
      const num = (k: string): number => (r[k]!.data as Float32Array)[0]!;
      const fired = r.fired!.data as Float32Array;
      let dead = 0;
      for (let s = 0; s < S; s++) {
        if (fired[s]! > 0) lastFired[s] = step;
        if (step - lastFired[s]! >= Math.min(deadSteps, step)) dead++;
      }
      const mse = num('mse');
      last = { step, loss: num('loss'), mse, explainedVariance: 1 - mse / num('var'), l0: num('l0'), deadFraction: dead / S };
      sink.step?.(last);
      sink.progress?.(step / cfg.steps, `step ${step}/${cfg.steps}: explained variance ${last.explainedVariance.toFixed(3)}, L0 ${last.l0.toFixed(1)}, dead ${(100 * last.deadFraction).toFixed(1)}%`);
      if (step % every === 0 && step < cfg.steps) sink.checkpoint?.(snapshot());
    }
  } finally {
    await rt.drop(Object.values(keep)).catch(() => {});
    await session.release();
  }
  return { params, scale, steps: step, last };
}

export interface SaeEvaluation {
  tokens: number;
  mse: number;
  explainedVariance: number;
  l0: number;
  /** features that fired on no token of the evaluation set */
  dead: number;
}

/** Explained variance, mse, L0 and never-firing features over `acts` (scaled as in training), in chunks. */
export async function evaluateSae(rt: Runtime, acts: Activations, params: Record<SaeParamName, Float32Array>, scale: number, dSae: number, chunk = 4096): Promise<SaeEvaluation> {
  const D = acts.dIn;
  const shapes = saeParamShapes(D, dSae);
  const session = await rt.load(saeTrainGraph(D, dSae), {});
  const fired = new Float64Array(dSae);
  let se = 0;
  let l0 = 0;
  // the variance around the whole set's mean (not each chunk's)
  const mean = new Float64Array(D);
  for (let i = 0; i < acts.n; i++) for (let d = 0; d < D; d++) mean[d]! += (acts.data[i * D + d]! * scale) / acts.n;
  let sv = 0;
  for (let i = 0; i < acts.n; i++) for (let d = 0; d < D; d++) sv += (acts.data[i * D + d]! * scale - mean[d]!) ** 2;
  try {
    for (let lo = 0; lo < acts.n; lo += chunk) {
      const n = Math.min(chunk, acts.n - lo);
      const x = new Float32Array(n * D);
      for (let i = 0; i < n * D; i++) x[i] = acts.data[lo * D + i]! * scale;
      const feeds: Record<string, TensorData> = { x: { dtype: 'float32', dims: [n, D], data: x }, l1: { dtype: 'float32', dims: [], data: Float32Array.of(0) } };
      for (const p of SAE_PARAMS) feeds[p] = { dtype: 'float32', dims: shapes[p], data: params[p] };
      const r = await session.run(feeds, { outputs: ['mse', 'l0', 'fired'] });
      se += (r.mse!.data as Float32Array)[0]! * n;
      l0 += (r.l0!.data as Float32Array)[0]! * n;
      const f = r.fired!.data as Float32Array;
      for (let s = 0; s < dSae; s++) fired[s]! += f[s]!;
    }
  } finally {
    await session.release();
  }
  return { tokens: acts.n, mse: se / acts.n, explainedVariance: 1 - se / sv, l0: l0 / acts.n, dead: fired.filter((c) => c === 0).length };
}
