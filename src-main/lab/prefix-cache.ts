/**
 * Prefix cache for training an intervention that sits in block L or later: the residual stream
 * entering block L does not depend on the trained values, so it is computed once per item by the
 * plain model and fed to a suffix graph (`suffixFrom`) at every step. A step then costs blocks L..end
 * forward and backward instead of the whole forward pass as well.
 *
 * Shape legend: N items, n real tokens of an item, D d_model, B batch, T padded length.
 */
import type { TensorData } from '../engine/runtime.js';
import type { LanguageModel } from '../models/lm.js';
import { batchFeeds, type ScoreItem } from '../models/score.js';

export interface PrefixCache {
  /** the first block of the suffix graph */
  from: number;
  D: number;
  /** per item: its real tokens' residual stream entering block `from`, [n, D] row-major */
  rows: (Float32Array | Float64Array)[];
}

/** Bytes the cache would hold (float32 or float64 per value). */
export function prefixCacheBytes(model: LanguageModel, items: readonly ScoreItem[]): number {
  const per = model.dtype === 'float64' ? 8 : 4;
  return items.reduce((a, it) => a + it.ids.length, 0) * model.spec.dModel * per;
}

/** Whether the model's dtype can be cached exactly (float32 and float64 graphs). */
export function prefixCacheSupported(model: LanguageModel): boolean {
  return model.dtype === 'float32' || model.dtype === 'float64';
}

export async function buildPrefixCache(
  model: LanguageModel,
  items: readonly ScoreItem[],
  from: number,
  opts: { batch?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<PrefixCache> {
  if (!prefixCacheSupported(model)) throw new Error(`prefix cache: needs a float32 or float64 model, this one computes in ${model.dtype}`);
  const hook = `blocks.${from - 1}.hook_resid_post`;
  const s = await model.captureSession([hook]);
  const D = model.spec.dModel;
  const step = opts.batch ?? 8;
  const rows: PrefixCache['rows'] = [];
  try {
    for (let lo = 0; lo < items.length; lo += step) {
      if (opts.signal?.aborted) throw new Error('cancelled');
      const chunk = items.slice(lo, lo + step);
      const { feeds, T } = batchFeeds(model, chunk, 'all'); // left-padded as the training batches
      const r = await s.run({ ids: feeds.ids!, positions: feeds.positions!, attn_mask: feeds.attn_mask! }, { outputs: [hook] });
      const x = r[hook]!.data as Float32Array | Float64Array; // [B,T,D]
      chunk.forEach((it, b) => {
        const n = it.ids.length;
        rows.push(x.slice((b * T + T - n) * D, (b + 1) * T * D));
      });
      opts.onProgress?.(Math.min(lo + step, items.length), items.length);
    }
  } finally {
    await s.release(); // it holds blocks 0..from-1: not needed once the cache is built
  }
  return { from, D, rows };
}

/** `resid_in` for a batch of cached items, left-padded to T like `batchFeeds` (padding rows are 0). */
export function residFeed(cache: PrefixCache, which: readonly number[], T: number, dtype: 'float32' | 'float64'): TensorData {
  const D = cache.D;
  const data = dtype === 'float64' ? new Float64Array(which.length * T * D) : new Float32Array(which.length * T * D);
  which.forEach((i, b) => {
    const r = cache.rows[i]!;
    const n = r.length / D;
    data.set(r, (b * T + T - n) * D);
  });
  return { dtype, dims: [which.length, T, D], data } as TensorData;
}
