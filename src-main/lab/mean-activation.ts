/**
 * A dataset's mean activation at one hook, over the positions whose next token is a completion token
 * (the positions a trained bias at that hook is trained on), and the difference of two such means
 * (dataset − control). Injecting a dataset's mean activation predicts the bias trained on it
 * (REFERENCE §1, Wang et al. 2602.04735): the cosine between the two says how far it does here.
 *
 * Shape legend: B batch, T padded length, n real tokens of an item, W values per position at the hook
 * (d_model on the residual stream, heads × d_head at attn.hook_q, …).
 */
import type { LanguageModel } from '../models/lm.js';
import { batchFeeds, type ScoreItem } from '../models/score.js';

export interface MeanActivation {
  /** the mean, [W] */
  mean: Float64Array;
  /** positions averaged (each predicts one completion token) */
  tokens: number;
  /** items with at least one such position */
  samples: number;
}

export async function meanActivation(
  model: LanguageModel,
  items: readonly ScoreItem[],
  hook: string,
  opts: { batch?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<MeanActivation> {
  const s = await model.captureSession([hook]);
  const step = opts.batch ?? 8;
  let sum: Float64Array | null = null;
  let tokens = 0;
  let samples = 0;
  try {
    for (let lo = 0; lo < items.length; lo += step) {
      if (opts.signal?.aborted) throw new Error('cancelled');
      const chunk = items.slice(lo, lo + step);
      const { feeds, T } = batchFeeds(model, chunk, 'completion'); // left-padded
      // only the inputs the hook depends on (at blocks.0.hook_resid_pre of a Llama: the ids alone)
      const want = Object.fromEntries(s.compiled.inputs.map((i) => [i.name, feeds[i.name]!]));
      const out = (await s.run(want, { outputs: [hook] }))[hook]!;
      const x = out.data as Float32Array | Float64Array; // [B,T,W…]
      const W = x.length / (chunk.length * T);
      sum ??= new Float64Array(W);
      chunk.forEach((it, b) => {
        const n = it.ids.length;
        let counted = 0;
        // position t (of the item) predicts ids[t+1]: counted when that token is a completion token
        for (let t = 0; t + 1 < n; t++) {
          if (!it.completionMask[t + 1]) continue;
          const row = (b * T + T - n + t) * W;
          for (let w = 0; w < W; w++) sum![w]! += x[row + w]!;
          counted++;
        }
        tokens += counted;
        if (counted) samples++;
      });
      opts.onProgress?.(Math.min(lo + step, items.length), items.length);
    }
  } finally {
    await s.release();
  }
  if (!sum || !tokens) throw new Error(`mean activation at ${hook}: no completion tokens in ${items.length} sample${items.length === 1 ? '' : 's'}`);
  for (let w = 0; w < sum.length; w++) sum[w]! /= tokens;
  return { mean: sum, tokens, samples };
}

/** a − b, elementwise. */
export function difference(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new Error(`difference: lengths ${a.length} and ${b.length}`);
  return Float64Array.from({ length: a.length }, (_, i) => a[i]! - b[i]!);
}

/** Cosine similarity (NaN when either vector is zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: lengths ${a.length} and ${b.length}`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa && bb ? ab / Math.sqrt(aa * bb) : NaN;
}

export function l2norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}
