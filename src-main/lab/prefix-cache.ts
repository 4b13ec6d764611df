/**
 * Prefix cache for training an intervention that sits in block L or later: the residual stream
 * entering block L does not depend on the trained values, so it is computed once per item by the
 * plain model and fed to a suffix graph (`suffixFrom`) at every step. A step then costs blocks L..end
 * forward and backward instead of the whole forward pass as well.
 *
 * Shape legend: N items, n real tokens of an item, D d_model, B batch, T padded length.
 */
import type { TensorData } from '../engine/runtime.js';
import { leftPad, type LanguageModel } from '../models/lm.js';
import type { ScoreItem } from '../models/score.js';

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
  const pad = model.spec.padId ?? model.spec.eosIds[0] ?? 0;
  const step = opts.batch ?? 8;
  const rows: PrefixCache['rows'] = [];
  for (let lo = 0; lo < items.length; lo += step) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const chunk = items.slice(lo, lo + step);
    const { ids, mask, positions, T } = leftPad(chunk.map((c) => c.ids), pad);
    const B = chunk.length;
    const i64 = (m: number[][]): TensorData => ({ dtype: 'int64', dims: [B, T], data: BigInt64Array.from(m.flat().map(BigInt)) });
    const r = await s.run({ ids: i64(ids), positions: i64(positions), attn_mask: i64(mask) }, { outputs: [hook] });
    const x = r[hook]!.data as Float32Array | Float64Array; // [B,T,D]
    chunk.forEach((it, b) => {
      const n = it.ids.length;
      rows.push(x.slice((b * T + T - n) * D, (b + 1) * T * D));
    });
    opts.onProgress?.(Math.min(lo + step, items.length), items.length);
  }
  await model.releaseSessions((k) => k.startsWith('capture|')); // it holds blocks 0..from-1: not needed now
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
