/**
 * Token sampling, shared by the in-worker decode loop and callers: temperature, top-k, top-p, and a
 * per-row seeded PRNG (the same seed gives the same samples whatever the batch).
 *
 * `sampleFromProbs` is what decoding uses: the graph computes softmax(logits / T) in float32 and the
 * same procedure as below runs on those probabilities (candidates sorted by probability, ties by
 * index). `sampleToken` works from logits, for callers without a probability output.
 *
 * Procedure (our definition, fixed so that samples are reproducible): temperature 0 is argmax.
 * Otherwise softmax(logits / T) (without top-k/p, logits more than 40·T below the best count as
 * probability 0: under 4e-18 each); with top-k or top-p < 1 the candidates are sorted by logit
 * (descending), cut to k, then to the smallest prefix whose mass reaches p, renormalised; a uniform
 * draw u picks by inverse CDF over the candidates (in index order when no cut applies).
 */

import { mulberry32 } from './prng.js';

export interface SamplingOptions {
  /** 0 = greedy (argmax); default 1 */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

/** mulberry32 seeded by (seed, row) */
export function rowRng(seed: number, row: number): () => number {
  return mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(row + 1, 0x85ebca6b)) >>> 0);
}

export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rnd: () => number, scratch?: Float64Array): number {
  const V = logits.length;
  const temp = o.temperature ?? 1;
  let best = 0;
  for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
  if (temp === 0) return best;
  const mx = logits[best]!;
  const cut = (o.topK !== undefined && o.topK > 0 && o.topK < V) || (o.topP !== undefined && o.topP < 1);
  if (!cut) {
    const p = scratch && scratch.length >= V ? scratch : new Float64Array(V);
    // tokens more than 40·T below the best have p < 4e-18 relative to it: counted as 0, no exp
    const floor = mx - 40 * temp;
    let z = 0;
    for (let i = 0; i < V; i++) {
      const l = logits[i]!;
      z += p[i] = l < floor ? 0 : Math.exp((l - mx) / temp);
    }
    let u = rnd() * z;
    for (let i = 0; i < V; i++) {
      u -= p[i]!;
      if (u <= 0) return i;
    }
    return V - 1;
  }
  let idx = Array.from({ length: V }, (_, i) => i);
  idx.sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (o.topK && o.topK > 0 && o.topK < V) idx = idx.slice(0, o.topK);
  let probs = idx.map((i) => Math.exp((logits[i]! - mx) / temp));
  let z = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / z);
  if (o.topP !== undefined && o.topP < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < probs.length && cum < o.topP) cum += probs[keep++]!;
    keep = Math.max(1, keep);
    idx = idx.slice(0, keep);
    probs = probs.slice(0, keep);
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

/**
 * Sample from probabilities already at temperature (softmax(logits / T)); top-k and top-p as in
 * `sampleToken`, with candidates sorted by probability (descending, ties by index).
 */
export function sampleFromProbs(p: ArrayLike<number>, o: SamplingOptions, rnd: () => number): number {
  const V = p.length;
  const cut = (o.topK !== undefined && o.topK > 0 && o.topK < V) || (o.topP !== undefined && o.topP < 1);
  if (!cut) {
    let z = 0;
    let last = 0;
    for (let i = 0; i < V; i++) {
      z += p[i]!;
      if (p[i]! > 0) last = i;
    }
    let u = rnd() * z;
    for (let i = 0; i < V; i++) {
      u -= p[i]!;
      if (u <= 0 && p[i]! > 0) return i;
    }
    return last;
  }
  let idx = Array.from({ length: V }, (_, i) => i);
  idx.sort((a, b) => p[b]! - p[a]! || a - b);
  if (o.topK && o.topK > 0 && o.topK < V) idx = idx.slice(0, o.topK);
  if (o.topP !== undefined && o.topP < 1) {
    const z0 = idx.reduce((a, i) => a + p[i]!, 0);
    let cum = 0;
    let keep = 0;
    while (keep < idx.length && cum < o.topP) cum += p[idx[keep++]!]! / z0;
    idx = idx.slice(0, Math.max(1, keep));
  }
  const z = idx.reduce((a, i) => a + p[i]!, 0);
  let u = rnd() * z;
  for (const i of idx) {
    u -= p[i]!;
    if (u <= 0) return i;
  }
  return idx[idx.length - 1]!;
}
