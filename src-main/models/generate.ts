/**
 * Batched generation with a KV cache that stays in the engine worker between steps.
 * Left padding, HF position ids, temperature / top-k / top-p sampling with a per-row seeded PRNG
 * (the same seed gives the same samples whatever the batch size), stop on EOS, `<end_of_turn>`
 * and stop strings, max new tokens, progress and cancel.
 *
 * Shape legend: B batch, T prompt length (padded), K kv heads, Dh head_dim, V vocab.
 */
import type { Feed, TensorData } from '../engine/runtime.js';
import { leftPad, type LanguageModel } from './lm.js';
import type { InterventionSet } from './interventions.js';

export interface SamplingOptions {
  /** 0 = greedy (argmax); default 1 */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

export interface GenerateOptions extends SamplingOptions {
  maxNew?: number;
  /** extra stop token ids (EOS and `<end_of_turn>` are added automatically when known) */
  stopIds?: number[];
  /** stop when the decoded completion contains one of these strings (it is cut there) */
  stopStrings?: string[];
  onProgress?: (p: { step: number; maxNew: number; done: number; total: number }) => void;
  signal?: AbortSignal;
  /** generate under these interventions (the system prompt must already be in the prompt ids) */
  set?: InterventionSet;
}

export interface Generation {
  ids: number[];
  text: string | null;
  finish: 'stop' | 'length' | 'stop_string';
}

/** Per-row generator: mulberry32 seeded by (seed, row). */
export function rowRng(seed: number, row: number): () => number {
  let a = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(row + 1, 0x85ebca6b)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sample one token id from logits (HF order: temperature, then top-k, then top-p). */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rnd: () => number): number {
  const V = logits.length;
  const temp = o.temperature ?? 1;
  if (temp === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  let idx = Array.from({ length: V }, (_, i) => i);
  idx.sort((a, b) => logits[b]! - logits[a]!);
  if (o.topK && o.topK > 0 && o.topK < V) idx = idx.slice(0, o.topK);
  const mx = logits[idx[0]!]!;
  let probs = idx.map((i) => Math.exp((logits[i]! - mx) / temp));
  let z = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / z);
  if (o.topP !== undefined && o.topP < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < probs.length && cum < o.topP) cum += probs[keep++]!;
    idx = idx.slice(0, Math.max(1, keep));
    probs = probs.slice(0, Math.max(1, keep));
    z = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / z);
  }
  let u = rnd();
  for (let k = 0; k < probs.length; k++) {
    u -= probs[k]!;
    if (u <= 0) return idx[k]!;
  }
  return idx[idx.length - 1]!;
}

let generationCounter = 0;

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
  const bound = await model.bind('decode', opts.set);
  const s = bound.session;
  const ifeeds = bound.feeds();
  const pad = spec.padId ?? spec.eosIds[0] ?? 0;
  const { ids, mask, positions, T } = leftPad(prompts, pad);
  const K = spec.nKvHeads;
  const Dh = spec.headDim;
  const dt = model.dtype;
  const emptyKv: TensorData = dt === 'float64'
    ? { dtype: 'float64', dims: [B, K, 0, Dh], data: new Float64Array(0) }
    : { dtype: 'float32', dims: [B, K, 0, Dh], data: new Float32Array(0) };
  const tag = `gen${generationCounter++}`;
  const keepNames = (step: number): Record<string, string> =>
    Object.fromEntries(Array.from({ length: spec.nLayers }, (_, l) => [[`present.${l}.k`, `${tag}.${step}.${l}.k`], [`present.${l}.v`, `${tag}.${step}.${l}.v`]]).flat());
  const pastFeeds = (step: number | null): Record<string, Feed> =>
    Object.fromEntries(Array.from({ length: spec.nLayers }, (_, l) => [
      [`past.${l}.k`, step === null ? emptyKv : { held: `${tag}.${step}.${l}.k` }],
      [`past.${l}.v`, step === null ? emptyKv : { held: `${tag}.${step}.${l}.v` }],
    ]).flat());
  const i64 = (rows: number[][]): TensorData => ({ dtype: 'int64', dims: [rows.length, rows[0]!.length], data: BigInt64Array.from(rows.flat().map(BigInt)) });

  const rngs = Array.from({ length: B }, (_, b) => rowRng(opts.seed ?? 0, b));
  const out: number[][] = Array.from({ length: B }, () => []);
  const finish: (Generation['finish'] | null)[] = new Array(B).fill(null);
  const attn = mask.map((r) => [...r]);
  const nextPos = positions.map((r) => r[r.length - 1]! + 1);
  let feeds: Record<string, Feed> = { ids: i64(ids), positions: i64(positions), attn_mask: i64(attn), ...pastFeeds(null), ...ifeeds };
  let prevStep: number | null = null;
  try {
    for (let step = 0; step < maxNew; step++) {
      if (opts.signal?.aborted) throw new Error('cancelled');
      const r = await s.run(feeds, { outputs: ['logits'], keep: keepNames(step) });
      if (prevStep !== null) await model.rt.drop(Object.values(keepNames(prevStep)));
      prevStep = step;
      const logits = r.logits!.data as Float32Array | Float64Array;
      const V = spec.vocab;
      const next: number[] = [];
      for (let b = 0; b < B; b++) {
        if (finish[b]) {
          next.push(pad);
          continue;
        }
        const t = sampleToken(logits.subarray(b * V, (b + 1) * V), opts, rngs[b]!);
        next.push(t);
        if (stop.has(t)) finish[b] = 'stop';
        else {
          out[b]!.push(t);
          if (opts.stopStrings?.length && tok) {
            const text = tok.decode(out[b]!);
            if (opts.stopStrings.some((x) => text.includes(x))) finish[b] = 'stop_string';
          }
        }
      }
      const done = finish.filter(Boolean).length;
      opts.onProgress?.({ step: step + 1, maxNew, done, total: B });
      if (done === B) break;
      for (let b = 0; b < B; b++) attn[b]!.push(1);
      feeds = {
        ids: i64(next.map((t) => [t])),
        positions: i64(nextPos.map((p) => [p])),
        attn_mask: i64(attn),
        ...pastFeeds(step),
        ...ifeeds,
      };
      for (let b = 0; b < B; b++) nextPos[b]!++;
    }
  } finally {
    if (prevStep !== null) await model.rt.drop(Object.values(keepNames(prevStep)));
  }
  return out.map((ids, b) => {
    let text = tok ? tok.decode(ids) : null;
    if (text !== null && finish[b] === 'stop_string') {
      const cut = Math.min(...opts.stopStrings!.map((x) => text!.indexOf(x)).filter((i) => i >= 0));
      text = text.slice(0, cut);
    }
    return { ids, text, finish: finish[b] ?? 'length' };
  });
}
