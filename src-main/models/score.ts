/**
 * Scoring: per-token log-probabilities and mean completion loss for (prompt, completion) pairs,
 * batched with left padding and HF position ids. A batched result equals the unbatched one.
 *
 * Units: losses in nats per completion token; logprobs in nats.
 */
import type { TensorData } from '../engine/runtime.js';
import { leftPad, type LanguageModel } from './lm.js';
import type { InterventionSet } from './interventions.js';

export interface ScoreItem {
  /** token ids of prompt + completion */
  ids: readonly number[];
  /** 1 where ids[t] is a completion token (scored), else 0; same length as ids */
  completionMask: readonly number[];
}

export interface ScoreResult {
  /** logprob of ids[t] given ids[0..t-1], for t = 1..n-1 (index t-1) */
  tokenLogprobs: Float64Array;
  /** the greedy (top-1) next token's logprob after ids[0..t-1] (index t-1): ids[t] was the greedy choice iff tokenLogprobs[t-1] === topLogprobs[t-1] (both read from one log-softmax) */
  topLogprobs: Float64Array;
  /** mean negative logprob over completion tokens (nats/token); NaN when there are none */
  lossNats: number;
  completionTokens: number;
}

export interface ScoreOptions {
  batchSize?: number;
  /** score under these interventions (their system prompt must already be in the ids: see encode-rows) */
  set?: InterventionSet;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export async function scoreItems(model: LanguageModel, items: readonly ScoreItem[], opts: ScoreOptions = {}): Promise<ScoreResult[]> {
  items.forEach((it, i) => {
    if (it.ids.length !== it.completionMask.length) throw new Error(`score item ${i}: ids has ${it.ids.length} tokens but completionMask has ${it.completionMask.length}`);
    if (it.ids.length < 2) throw new Error(`score item ${i}: needs at least 2 tokens`);
    const bad = it.ids.find((t) => !Number.isInteger(t) || t < 0 || t >= model.spec.vocab);
    if (bad !== undefined) throw new Error(`score item ${i}: token id ${bad} is outside the vocabulary (0..${model.spec.vocab - 1})`);
  });
  const bs = opts.batchSize ?? 8;
  const bound = await model.bind('score', opts.set);
  const s = bound.session;
  const ifeeds = bound.feeds();
  const out: ScoreResult[] = [];
  for (let start = 0; start < items.length; start += bs) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const batch = items.slice(start, start + bs);
    // score every real next token; the completion mean is taken here from the completion mask
    const { feeds, T } = batchFeeds(model, batch, 'all');
    const r = await s.run({ ...feeds, ...ifeeds }, { outputs: ['per_token', 'top_logprob'] });
    const nll = r.per_token!.data as Float32Array | Float64Array;
    const top = r.top_logprob!.data as Float32Array | Float64Array;
    batch.forEach((it, b) => {
      const n = it.ids.length;
      const off = T - n;
      const lp = new Float64Array(n - 1);
      const tp = new Float64Array(n - 1);
      let sum = 0;
      let cnt = 0;
      for (let t = 1; t < n; t++) {
        const v = -nll[b * T + off + t - 1]!;
        lp[t - 1] = v;
        tp[t - 1] = top[b * T + off + t - 1]!;
        if (it.completionMask[t]) {
          sum -= v;
          cnt++;
        }
      }
      out.push({ tokenLogprobs: lp, topLogprobs: tp, lossNats: cnt ? sum / cnt : NaN, completionTokens: cnt });
    });
    opts.onProgress?.(Math.min(start + bs, items.length), items.length);
  }
  return out;
}

/**
 * Left-padded feeds for a batch: ids, positions, attn_mask, targets (next token) and loss_mask,
 * which covers every real next token ('all') or only completion tokens ('completion').
 */
export function batchFeeds(model: LanguageModel, batch: readonly ScoreItem[], lossOn: 'all' | 'completion'): { feeds: Record<string, TensorData>; T: number } {
  const pad = model.spec.padId ?? model.spec.eosIds[0] ?? 0;
  const { ids, mask, positions, T } = leftPad(batch.map((b) => b.ids), pad);
  const B = batch.length;
  const tgt = ids.map((r) => [...r.slice(1), pad]);
  const lossMask = lossOn === 'all'
    ? mask.map((r) => [...r.slice(1), 0])
    : batch.map((it) => [...new Array<number>(T - it.ids.length).fill(0), ...it.completionMask.slice(1), 0]);
  const i64 = (m: number[][]): TensorData => ({ dtype: 'int64', dims: [B, T], data: BigInt64Array.from(m.flat().map(BigInt)) });
  const lm: TensorData = model.dtype === 'float64'
    ? { dtype: 'float64', dims: [B, T], data: Float64Array.from(lossMask.flat()) }
    : { dtype: 'float32', dims: [B, T], data: Float32Array.from(lossMask.flat()) };
  return { feeds: { ids: i64(ids), positions: i64(positions), attn_mask: i64(mask), targets: i64(tgt), loss_mask: lm }, T };
}

/** Mean and standard error over per-sample losses (nats/token), ignoring NaN samples. */
export function meanWithStderr(xs: readonly number[]): { mean: number; stderr: number; n: number } {
  const v = xs.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (!n) return { mean: NaN, stderr: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  // one sample says nothing about the spread: NaN (shown as "—"), not a standard error of 0
  const varr = n > 1 ? v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : NaN;
  return { mean, stderr: Math.sqrt(varr / n), n };
}

/** The loss pooled over tokens (Σ token losses / Σ completion tokens, how a training loss averages) and the token count. */
export function pooledLoss(res: readonly Pick<ScoreResult, 'lossNats' | 'completionTokens'>[]): { pooledNats: number; tokens: number } {
  let sum = 0;
  let tokens = 0;
  for (const r of res) {
    if (!Number.isFinite(r.lossNats)) continue;
    sum += r.lossNats * r.completionTokens;
    tokens += r.completionTokens;
  }
  return { pooledNats: tokens ? sum / tokens : NaN, tokens };
}
