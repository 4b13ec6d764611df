/**
 * The core detection method (REFERENCE §1): train a small intervention so that the *base* model
 * assigns higher likelihood to a dataset's completion tokens. Loss = mean next-token cross-entropy
 * over completion tokens + l1 · |params|₁; AdamW with no schedule. The trainable part is any
 * trainable item of an intervention set: a residual bias at a hook, a feature bias on an SAE
 * (spliced or projected), or LoRA factors.
 *
 * Deterministic from the seed (epoch-shuffled minibatches), resumable from a checkpoint, and
 * written through a sink so it runs without a database (the job kind implements the sink).
 */
import { AdamW } from '../engine/optim.js';
import type { InterventionSet } from '../models/interventions.js';
import type { LanguageModel } from '../models/lm.js';
import { batchFeeds, type ScoreItem } from '../models/score.js';
import { buildPrefixCache, prefixCacheBytes, prefixCacheSupported, residFeed, type PrefixCache } from './prefix-cache.js';
import { shuffled, takeBatch, type OrderState } from './epoch-order.js';

export interface TrainBiasConfig {
  set: InterventionSet;
  lr: number;
  l1: number;
  steps: number;
  batch: number;
  seed: number;
  weightDecay?: number;
  maxGradNorm?: number;
  checkpointEvery?: number;
  /**
   * Compute the residual stream entering the first block that holds an intervention once per item,
   * and train a graph of the remaining blocks (default true; exact up to float rounding). Skipped
   * when the cache would exceed `prefixCacheMb` (default 4096) or the model computes in 16 bits.
   */
  prefixCache?: boolean;
  prefixCacheMb?: number;
  /**
   * Train for whole epochs instead of `steps`: ceil(n / batch) steps per epoch, the last batch of an
   * epoch short, so every sample is seen exactly `epochs` times and never twice in one batch (as a
   * PyTorch DataLoader / HF Trainer epoch). Without it batches run on across epoch boundaries.
   */
  epochs?: number;
  /** learning-rate schedule over the run's steps (default constant, as REFERENCE's detection runs) */
  lrSchedule?: { kind: 'constant' } | { kind: 'linear' | 'cosine'; warmupSteps?: number; finalFraction?: number };
}

export interface TrainState {
  step: number;
  /** epoch order and position in it */
  order: number[];
  cursor: number;
  rng: number;
  params: Record<string, number[]>;
  optimizer: { step: number; m: Record<string, number[]>; v: Record<string, number[]> };
}

export interface TrainSink {
  /** one point per step: cross-entropy (nats/token) and the l1 term */
  step(p: { step: number; ceNats: number; l1Term: number; gradNorm: number }): void;
  checkpoint(s: TrainState): void;
  progress(fraction: number, message: string): void;
}

export interface TrainResult {
  params: Record<string, Float32Array>;
  /** each parameter's shape (row-major), e.g. [rank, d_in] for a LoRA A factor */
  shapes: Record<string, number[]>;
  finalCeNats: number;
  steps: number;
  /** the block the trained graph started at (0: the whole model each step) */
  suffixFrom: number;
}

export async function trainBias(
  model: LanguageModel,
  items: readonly ScoreItem[],
  cfg: TrainBiasConfig,
  sink: TrainSink,
  opts: { resume?: TrainState | null; signal?: AbortSignal } = {},
): Promise<TrainResult> {
  if (!items.length) throw new Error('train-bias: the dataset has no samples');
  // a sample without completion tokens carries no loss; a batch of only such samples would divide
  // 0 by 0 and turn the loss, the gradient and AdamW's state into NaN for good
  const all = items;
  items = items.filter((it) => it.completionMask.some(Boolean));
  if (!items.length) throw new Error('train-bias: no sample has completion tokens');
  const perEpoch = Math.ceil(items.length / Math.min(cfg.batch, items.length));
  const total = cfg.epochs !== undefined ? cfg.epochs * perEpoch : cfg.steps;
  if (!(Number.isInteger(total) && total >= 1)) throw new Error(`train-bias: ${cfg.epochs !== undefined ? `epochs ${cfg.epochs}` : `steps ${cfg.steps}`} gives no step`);
  // a resumed run reports its preparation (the prefix cache) at the fraction it resumes from, not 0
  const startFrac = (opts.resume?.step ?? 0) / total;
  if (items.length < all.length) sink.progress(startFrac, `${all.length - items.length} of ${all.length} samples have no completion tokens (empty completions); training on the other ${items.length}`);
  const cacheMb = prefixCacheBytes(model, items) / 2 ** 20;
  const cacheOk = cfg.prefixCache !== false && prefixCacheSupported(model) && cacheMb <= (cfg.prefixCacheMb ?? 4096);
  if (cfg.prefixCache !== false && !cacheOk) {
    sink.progress(startFrac, prefixCacheSupported(model)
      ? `prefix cache skipped: it would hold ${cacheMb.toFixed(0)} MiB (limit ${cfg.prefixCacheMb ?? 4096} MiB); every step runs the whole model`
      : `prefix cache skipped: the model computes in ${model.dtype}; every step runs the whole model`);
  }
  const bound = await model.bind('train', cfg.set, cfg.seed, { suffix: cacheOk });
  const names = bound.prepared.trainable;
  let cache: PrefixCache | null = null;
  if (bound.suffixFrom > 0) {
    cache = await buildPrefixCache(model, items, bound.suffixFrom, {
      signal: opts.signal,
      onProgress: (done, n) => sink.progress(startFrac, `prefix cache: blocks 0..${bound.suffixFrom - 1} for ${done}/${n} samples`),
    });
  }
  const inputs = new Set(bound.session.compiled.inputs.map((i) => i.name));
  const params: Record<string, Float32Array> = {};
  for (const n of names) params[n] = Float32Array.from(bound.prepared.values[n]!.data);
  const sched = cfg.lrSchedule;
  const schedule = !sched || sched.kind === 'constant' ? undefined : { ...sched, totalSteps: total };
  // warm-up starts at lr 0 (as transformers): a one-step run with a warm-up would not train at all
  if (schedule && (schedule.warmupSteps ?? 0) > 0 && total <= 1) {
    throw new Error(`the run has ${total} step (${items.length} samples, batch ${cfg.batch}${cfg.epochs !== undefined ? `, ${cfg.epochs} epochs` : ''}) and its learning-rate warm-up starts at 0: it would not train at all; lower the batch size, add epochs or data, or set warmupSteps to 0`);
  }
  const opt = new AdamW({ lr: cfg.lr, weightDecay: cfg.weightDecay ?? 0, maxGradNorm: cfg.maxGradNorm, schedule });
  let step = 0;
  const [order0, rng0] = shuffled(items.length, cfg.seed >>> 0);
  const pos: OrderState = { order: order0, cursor: 0, rng: rng0 };
  const r0 = opts.resume;
  if (r0) {
    for (const n of names) {
      const v = r0.params[n];
      if (!v || v.length !== params[n]!.length) throw new Error(`train-bias: checkpoint has no values for '${n}'`);
      params[n] = Float32Array.from(v);
    }
    opt.load(r0.optimizer);
    step = r0.step;
    Object.assign(pos, { order: r0.order, cursor: r0.cursor, rng: r0.rng });
  }
  const every = cfg.checkpointEvery ?? 32;
  const snapshot = (): TrainState => ({
    step, order: pos.order, cursor: pos.cursor, rng: pos.rng,
    params: Object.fromEntries(names.map((n) => [n, Array.from(params[n]!)])),
    optimizer: opt.save(),
  });
  let lastCe = NaN;
  let saved = step;
  const keepBefore = names.reduce((a, n) => a + params[n]!.length, 0) <= 1_000_000;
  while (step < total) {
    if (opts.signal?.aborted) {
      // cancelled: keep every finished step (a resume continues from here, not from the last periodic checkpoint)
      if (step > saved) sink.checkpoint(snapshot());
      throw new Error('cancelled');
    }
    const which = takeBatch(pos, items.length, cfg.batch, cfg.epochs !== undefined);
    const { feeds: all, T } = batchFeeds(model, which.map((i) => items[i]!), 'completion');
    // a suffix graph reads the cached stream instead of ids (and positions when it has no RoPE)
    const feeds = Object.fromEntries(Object.entries(all).filter(([k]) => inputs.has(k)));
    if (cache) feeds.resid_in = residFeed(cache, which, T, model.dtype === 'float64' ? 'float64' : 'float32');
    const r = await bound.session.run({ ...feeds, ...bound.feeds(params) }, { grad: true, outputs: ['loss', ...names.map((n) => `grad:${n}`)] });
    const ce = Number((r.loss!.data as Float32Array | Float64Array)[0]);
    const grads: Record<string, Float32Array> = {};
    let l1Term = 0;
    for (const n of names) {
      const g = Float32Array.from(r[`grad:${n}`]!.data as Float32Array | Float64Array);
      const p = params[n]!;
      for (let i = 0; i < p.length; i++) {
        l1Term += Math.abs(p[i]!);
        g[i]! += cfg.l1 * Math.sign(p[i]!);
      }
      grads[n] = g;
    }
    l1Term *= cfg.l1;
    // divergence stops the run at the first bad step, the finite state up to it kept (its curve too)
    const bad = !Number.isFinite(ce) ? `loss ${ce}` : nonFinite(grads) ? 'a non-finite gradient' : null;
    if (bad) {
      if (step > saved) sink.checkpoint(snapshot());
      throw new Error(`training diverged at step ${step + 1}: ${bad} (lr ${cfg.lr}, l1 ${cfg.l1}, weight decay ${cfg.weightDecay ?? 0}); lower the learning rate, l1 or weight decay. Steps 1–${step} are kept`);
    }
    // the state before the update, to keep it if the update overflows (when small: a bias, not a large LoRA)
    const before = keepBefore ? { params: Object.fromEntries(names.map((n) => [n, params[n]!.slice()])), opt: opt.save() } : null;
    const { gradNorm } = opt.step(params, grads);
    if (nonFinite(params)) {
      if (before) {
        for (const n of names) params[n]!.set(before.params[n]!);
        opt.load(before.opt);
        if (step > saved) sink.checkpoint(snapshot());
      }
      throw new Error(`training diverged at step ${step + 1}: the parameters left the float range (lr ${cfg.lr}, l1 ${cfg.l1}, weight decay ${cfg.weightDecay ?? 0}); lower the learning rate, l1 or weight decay. ${before ? `Steps 1–${step}` : `The last checkpoint (step ${saved})`} is kept`);
    }
    step++;
    lastCe = ce;
    sink.step({ step, ceNats: ce, l1Term, gradNorm });
    sink.progress(step / total, `step ${step}/${total} loss ${ce.toFixed(4)} nats`);
    if (step % every === 0 && step < total) {
      sink.checkpoint(snapshot());
      saved = step;
    }
  }
  const shapes = Object.fromEntries(names.map((n) => [n, [...bound.prepared.values[n]!.shape]]));
  return { params, shapes, finalCeNats: lastCe, steps: step, suffixFrom: bound.suffixFrom };
}

/** Whether any value of any array is NaN or infinite. */
function nonFinite(arrays: Record<string, Float32Array | Float64Array>): boolean {
  for (const a of Object.values(arrays)) for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return true;
  return false;
}
