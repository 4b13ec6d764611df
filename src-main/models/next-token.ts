/**
 * The next-token distribution after whole token sequences: one prefill of the decode graph (its
 * last-position softmax at temperature 1), batched with left padding. Only B×V probabilities cross
 * to the caller per batch, where the score graph's logits would be B×T×V.
 *
 * Shape legend: B batch, V vocab (feeds: generate.ts's prefillFeeds).
 */
import type { Feed } from '../engine/runtime.js';
import { prefillFeeds } from './generate.js';
import type { InterventionSet } from './interventions.js';
import { INV_TEMPERATURE, type LanguageModel } from './lm.js';

export interface NextTokenOptions {
  set?: InterventionSet;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Calls `each(i, probs)` with P(next token | seqs[i]) (V values; the array is reused after `each` returns). */
export async function nextTokenProbs(model: LanguageModel, seqs: readonly (readonly number[])[], opts: NextTokenOptions, each: (i: number, probs: Float32Array) => void): Promise<void> {
  const spec = model.spec;
  seqs.forEach((s, i) => {
    if (!s.length) throw new Error(`next-token: sequence ${i} is empty`);
    const bad = s.find((t) => !Number.isInteger(t) || t < 0 || t >= spec.vocab);
    if (bad !== undefined) throw new Error(`next-token: sequence ${i} has token id ${bad} outside the vocabulary (0..${spec.vocab - 1})`);
  });
  const bs = opts.batchSize ?? 16;
  const V = spec.vocab;
  for (let start = 0; start < seqs.length; start += bs) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const batch = seqs.slice(start, start + bs);
    const B = batch.length;
    const bound = await model.bind('decode', opts.set, 0, { batch: B });
    const feeds: Record<string, Feed> = {
      ...prefillFeeds(model, batch), ...bound.feeds(),
      [INV_TEMPERATURE]: { dtype: 'float32', dims: [], data: Float32Array.of(1) },
    };
    const r = await bound.session.run(feeds, { outputs: ['probs'] });
    const probs = r.probs!.data as Float32Array; // [B,1,V]
    for (let b = 0; b < B; b++) each(start + b, probs.subarray(b * V, (b + 1) * V));
    opts.onProgress?.(start + B, seqs.length);
  }
}
