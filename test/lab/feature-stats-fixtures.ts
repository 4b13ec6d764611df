/**
 * Fixtures for the feature-stats tests: a random standard SAE on stories260k's
 * blocks.2.hook_resid_post (a few features made dead or rare through b_enc), a small story corpus
 * whose documents start differently (so no two contexts share a prefix: exact ties across contexts
 * would leave the order to float noise), and a plain-loop reference of the statistics.
 */
import { join } from 'node:path';
import { writeSafetensors } from '../../src-main/engine/safetensors.js';
import { contextIds, type Contexts } from '../../src-main/lab/feature-corpus.js';
import { writeSaeLens } from '../sae/fixtures.js';
import { refEncode, type RefSae } from '../sae/reference.js';
import { loadRefModel, refForward } from '../oracles/ref-forward.js';

export const STORIES = new URL('../fixtures/stories260k/', import.meta.url).pathname;
export const HOOK = 'blocks.2.hook_resid_post';
export const D_SAE = 48;
/** never active (b_enc −1000) */
export const DEAD = [0, 1, 2];

/** Write the SAE folder; returns the reference SAE (weights as stored, float32-rounded). */
export function writeStatsSae(dir: string, seed = 3): RefSae {
  const ref = writeSaeLens(dir, { arch: 'standard', dIn: 64, dSae: D_SAE, hook: HOOK, seed });
  for (const f of DEAD) ref.b_enc[f] = -1000;
  ref.b_enc[3] = -1.5; // rare
  const f32 = (a: Float64Array): Float32Array => Float32Array.from(a);
  writeSafetensors(join(dir, 'sae_weights.safetensors'), {
    W_enc: { dtype: 'F32', shape: [64, D_SAE], data: f32(ref.W_enc) },
    W_dec: { dtype: 'F32', shape: [D_SAE, 64], data: f32(ref.W_dec) },
    b_enc: { dtype: 'F32', shape: [D_SAE], data: f32(ref.b_enc) },
    b_dec: { dtype: 'F32', shape: [64], data: f32(ref.b_dec) },
  });
  ref.b_enc = Float64Array.from(f32(ref.b_enc));
  return ref;
}

const OPENERS = [
  'Once upon a time', 'Lily wanted', 'Tom saw', 'One day', 'The little dog', 'A big red ball', 'Sue and Ben', 'Mom said',
  'In the park', 'The sun was', 'Max liked', 'There was a bird', 'Anna had', 'The cat jumped', 'After lunch', 'Grandpa told',
  'A small boat', 'Every morning', 'The fish swam', 'Timmy found',
];
const MIDDLE = [
  'to play with a toy in the garden.', 'a happy friend who liked to run.', 'the tree was very tall and green.',
  'they went home and ate some cake.', 'she was sad, but then she smiled.',
];

/** Story texts with distinct openings; every fourth is long enough to span several contexts. */
export function storyTexts(n = OPENERS.length): string[] {
  return OPENERS.slice(0, n).map((o, i) => {
    const parts = [o, MIDDLE[i % MIDDLE.length]!];
    if (i % 4 === 0) parts.push(...MIDDLE.slice(0, 3 + (i % 3)));
    return parts.join(' ');
  });
}

export interface RefStats {
  nTokens: number;
  count: number[];
  sum: number[];
  /** per feature: (value, context, pos) of every context where it is active, best first */
  ranked: { value: number; context: number; pos: number }[][];
}

/** Plain-loop reference: float64 oracle forward (hooks) + reference SAE encode, per context. */
export function refStats(ctx: Contexts, sae: RefSae): RefStats {
  const m = loadRefModel(STORIES);
  const S = sae.dSae;
  const out: RefStats = { nTokens: 0, count: new Array<number>(S).fill(0), sum: new Array<number>(S).fill(0), ranked: Array.from({ length: S }, () => []) };
  for (let c = 0; c < ctx.n; c++) {
    const ids = Array.from(contextIds(ctx, c));
    const T = ids.length;
    const x = refForward(m, ids, { hooks: true }).hooks.get(HOOK)!.data;
    const { f } = refEncode(sae, x, T);
    const cm = ctx.count.subarray(ctx.offsets[c]!, ctx.offsets[c + 1]!);
    for (let s = 0; s < S; s++) {
      let best = 0;
      let at = -1;
      for (let t = 0; t < T; t++) {
        if (!cm[t]) continue;
        const v = f[t * S + s]!;
        if (v > 0) {
          out.count[s]!++;
          out.sum[s]! += v;
        }
        if (v > best) {
          best = v;
          at = t;
        }
      }
      if (at >= 0) out.ranked[s]!.push({ value: best, context: c, pos: at });
    }
    for (let t = 0; t < T; t++) out.nTokens += cm[t]!;
  }
  for (const r of out.ranked) r.sort((a, b) => b.value - a.value || a.context - b.context || a.pos - b.pos);
  return out;
}
