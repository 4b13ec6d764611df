/**
 * Batched generation with a KV cache that stays in the engine worker between steps.
 * Left padding, HF position ids, temperature / top-k / top-p sampling with a per-row seeded PRNG
 * (the same seed gives the same samples whatever the batch size), stop on EOS, `<end_of_turn>`
 * and stop strings, max new tokens, progress and cancel.
 *
 * Shape legend: B batch, T prompt length (padded), K kv heads, Dh head_dim, V vocab.
 */
import type { Feed, TensorData } from '../engine/runtime.js';
import type { SamplingOptions } from '../engine/sampling.js';

export type { SamplingOptions };
import { INV_TEMPERATURE, leftPad, type LanguageModel } from './lm.js';
import type { InterventionSet } from './interventions.js';
import { continuationText } from './token-text.js';

export interface GenerateOptions extends SamplingOptions {
  maxNew?: number;
  /** extra stop token ids (EOS and `<end_of_turn>` are added automatically when known) */
  stopIds?: number[];
  /** stop when the decoded completion contains one of these strings (it is cut there) */
  stopStrings?: string[];
  onProgress?: (p: { step: number; maxNew: number; done: number; total: number }) => void;
  /** leave special tokens out of the decoded text (default true, as HF `skip_special_tokens`) */
  skipSpecialTokens?: boolean;
  /** report progress every this many steps (default 4; 1 with stop strings) */
  progressEvery?: number;
  signal?: AbortSignal;
  /** generate under these interventions (the system prompt must already be in the prompt ids) */
  set?: InterventionSet;
}

export interface Generation {
  ids: number[];
  text: string | null;
  finish: 'stop' | 'length' | 'stop_string';
}

/**
 * The decode graph's first-step feeds for a batch of prompts: left-padded ids [B,T], HF positions and
 * attention mask, and an empty KV cache per layer ([B,K,0,Dh]). Intervention feeds are the caller's.
 */
export function prefillFeeds(model: LanguageModel, prompts: readonly (readonly number[])[]): Record<string, TensorData> {
  const spec = model.spec;
  const B = prompts.length;
  const { ids, mask, positions } = leftPad(prompts, spec.padId ?? spec.eosIds[0] ?? 0);
  const i64 = (rows: number[][]): TensorData => ({ dtype: 'int64', dims: [rows.length, rows[0]!.length], data: BigInt64Array.from(rows.flat().map(BigInt)) });
  const emptyKv: TensorData = model.dtype === 'float64'
    ? { dtype: 'float64', dims: [B, spec.nKvHeads, 0, spec.headDim], data: new Float64Array(0) }
    : { dtype: 'float32', dims: [B, spec.nKvHeads, 0, spec.headDim], data: new Float32Array(0) };
  const feeds: Record<string, TensorData> = { ids: i64(ids), positions: i64(positions), attn_mask: i64(mask) };
  for (let l = 0; l < spec.nLayers; l++) for (const kv of ['k', 'v']) feeds[`past.${l}.${kv}`] = emptyKv;
  return feeds;
}

export async function generate(model: LanguageModel, prompts: readonly (readonly number[])[], opts: GenerateOptions = {}): Promise<Generation[]> {
  const spec = model.spec;
  const maxNew = opts.maxNew ?? 64;
  const B = prompts.length;
  if (!B) return [];
  prompts.forEach((p, i) => {
    if (!p.length) throw new Error(`generate: prompt ${i} is empty`);
    const bad = p.find((t) => !Number.isInteger(t) || t < 0 || t >= spec.vocab);
    if (bad !== undefined) throw new Error(`generate: prompt ${i} has token id ${bad} outside the vocabulary (0..${spec.vocab - 1})`);
  });
  const stop = new Set<number>([...spec.eosIds, ...(opts.stopIds ?? [])]);
  const tok = model.tok;
  if (tok) {
    for (const s of ['<end_of_turn>', '<|eot_id|>', '<|im_end|>']) {
      const id = tok.tokenToId(s);
      if (id !== undefined && tok.specialIds.has(id)) stop.add(id);
    }
  }
  const bound = await model.bind('decode', opts.set, 0, { batch: B });
  const s = bound.session;
  const feeds: Record<string, Feed> = { ...prefillFeeds(model, prompts), ...bound.feeds() };
  const carry: Record<string, string> = {};
  for (let l = 0; l < spec.nLayers; l++) for (const kv of ['k', 'v']) carry[`present.${l}.${kv}`] = `past.${l}.${kv}`;
  const control = new SharedArrayBuffer(4 * (B + 1));
  const ctl = new Int32Array(control);
  const onAbort = (): void => void Atomics.store(ctl, 0, 1);
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) onAbort();
  const out: number[][] = Array.from({ length: B }, () => []);
  const cutAt = new Array<boolean>(B).fill(false);
  const stopStrings = tok && opts.stopStrings?.length ? opts.stopStrings : null;
  let res;
  try {
    res = await s.decode(feeds, {
      maxSteps: maxNew,
      io: { token: 'ids', position: 'positions', mask: 'attn_mask', logits: 'logits', carry, probs: { output: 'probs', invTemperature: INV_TEMPERATURE } },
      sampling: { temperature: opts.temperature ?? 1, topK: opts.topK, topP: opts.topP },
      seeds: new Array<number>(B).fill(opts.seed ?? 0),
      stopIds: [...stop],
      control,
      progressEvery: stopStrings ? 1 : (opts.progressEvery ?? 4),
    }, (step, tokens) => {
      tokens.forEach((t, b) => out[b]!.push(...t));
      if (stopStrings) {
        out.forEach((r, b) => {
          if (!cutAt[b] && stopStrings.some((x) => tok!.decode(r).includes(x))) {
            cutAt[b] = true;
            Atomics.store(ctl, 1 + b, 1);
          }
        });
      }
      opts.onProgress?.({ step, maxNew, done: cutAt.filter(Boolean).length, total: B });
    });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (res.finish.some((f) => f === 'cancelled')) throw new Error('cancelled');
  const finish: Generation['finish'][] = res.finish.map((f, b) => (cutAt[b] ? 'stop_string' : f === 'stop' ? 'stop' : 'length'));
  return res.tokens.map((ids, b) => {
    let text = tok ? continuationText(tok, prompts[b]!, ids, { skipSpecialTokens: opts.skipSpecialTokens ?? true }) : null;
    if (text !== null && finish[b] === 'stop_string') {
      const cut = Math.min(...opts.stopStrings!.map((x) => text!.indexOf(x)).filter((i) => i >= 0));
      text = text.slice(0, cut);
    }
    return { ids, text, finish: finish[b]! };
  });
}
