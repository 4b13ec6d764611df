/**
 * Counter-based seeds: a uint32 derived from (seed, key, index) by a splitmix32-style mix, so that
 * item i of a stream (prompt i, batch b) is a pure function of the seed. A resumed job needs no
 * PRNG state beyond the index it reached, and any item can be recomputed on its own.
 */
import { mulberry32 } from '../engine/prng.js';

function mix(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A uint32 from the seed and any number of integer keys (order matters). */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = mix(seed >>> 0);
  for (const k of keys) h = mix((h ^ mix(k >>> 0)) >>> 0);
  return h;
}

/** Named streams, so different uses of one seed never share draws. */
export const STREAM = { prompt: 1, genBatch: 2, prefsBatch: 3 } as const;

/** A uniform [0,1) generator for item `index` of `stream` under `seed`. */
export function streamRng(seed: number, stream: number, index: number): () => number {
  return mulberry32(deriveSeed(seed, stream, index));
}
