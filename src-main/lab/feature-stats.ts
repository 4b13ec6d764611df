/**
 * Feature statistics over a text corpus: for every SAE feature, its density (fraction of counted
 * tokens where the activation is > 0), mean activation when active, and its top-k activating
 * contexts (each context's maximum, at its first position of that maximum), with a window of
 * token ids and decoded text around the activating token.
 *
 * One compiled graph per (model, SAE): the forward pass up to the SAE's hook, the SAE encoder, and
 * in-graph reductions, so only per-feature sums ([S]) and per-context maxima ([B,S]) leave the
 * engine, never [B,T,S] activations:
 *   count  [S]    Σ_{b,t} [f > 0]·m        (m: count_mask [B,T], 1 = counted token)
 *   sum    [S]    Σ_{b,t} f·m
 *   ctxMax [B,S]  max_t f·m                  (f ≥ 0 for every architecture)
 *   ctxArg [B,S]  first t with f·m = ctxMax
 * Batches are right-padded (causal attention: real tokens never see the padding).
 *
 * Accumulators: count and sum in float64, and a bounded top-k per feature (feature-top-k.ts).
 * Resumable at batch boundaries; the state is a small JSON object plus one binary blob.
 *
 * Shape legend: B contexts per batch, T tokens per context, D d_in, S d_sae.
 */
import * as o from '../engine/ops.js';
import { compile } from '../engine/onnx-export.js';
import type { Session, SessionOptions, TensorData } from '../engine/runtime.js';
import { Graph } from '../engine/tensor.js';
import { buildModelGraph } from '../models/graph.js';
import { checkpointWeights } from '../models/graph-weights.js';
import type { LanguageModel } from '../models/lm.js';
import { saeEncode } from '../models/sae/graph.js';
import { checkSaeAgainstModel, type Sae } from '../models/sae/load.js';
import type { HfTokenizer } from '../models/tokenizer.js';
import { checkContextIds, contextIds, contextsFingerprint, type Contexts } from './feature-corpus.js';
import { FeatureTopK } from './feature-top-k.js';
import type { FeatureStatTop } from '../store/feature-stats.js';

export interface FeatureStatsConfig {
  /** contexts per engine run (default 8) */
  batch?: number;
  /** top contexts kept per feature (default 10) */
  topK?: number;
  /** checkpoint every this many batches (default 16; 0: never) */
  checkpointEvery?: number;
}

/** The resumable state: JSON scalars + one binary blob (count, sum, top-k arrays). */
export interface FeatureStatsCheckpoint {
  state: {
    version: 1;
    fingerprint: string;
    dSae: number;
    topK: number;
    batch: number;
    batchesDone: number;
    contextsDone: number;
    nTokens: number;
  };
  bytes: Uint8Array;
}

export interface FeatureStatsSink {
  progress?(fraction: number, message: string): void;
  checkpoint?(c: FeatureStatsCheckpoint): void;
}

export interface FeatureStatsRunOptions {
  resume?: FeatureStatsCheckpoint | null;
  signal?: AbortSignal;
  /** session options (default: the model's dtype needs; float64 uses basic optimisation) */
  session?: SessionOptions;
}

/** Raw accumulators after a run. */
export interface FeatureStatsResult {
  dSae: number;
  nContexts: number;
  /** counted tokens */
  nTokens: number;
  /** per feature: counted tokens with activation > 0 */
  count: Float64Array;
  /** per feature: sum of activations over counted tokens */
  sum: Float64Array;
  top: FeatureTopK;
}

/** Compile and load the stats graph of (model, SAE). */
async function statsSession(model: LanguageModel, sae: Sae, opts?: SessionOptions): Promise<Session> {
  const dt = model.dtype;
  const g = new Graph();
  const W = checkpointWeights(g, model.ck, dt);
  const mg = buildModelGraph(g, model.spec, W, { dtype: dt, capture: [sae.hook] });
  let x = mg.hooks.get(sae.hook)!;
  if (x.rank > 3) x = o.reshapeTo(x, [{ from: 0 }, { from: 1 }, sae.dIn]); // hook_z: [B,T,H,Dh] → [B,T,D]
  // reductions in float32 at least (16-bit floats hold neither large counts nor positions exactly)
  const rdt = dt === 'float64' ? 'float64' : 'float32';
  const f = o.cast(saeEncode(g, sae, x), rdt); // [B,T,S]
  const mask = g.input('count_mask', rdt, ['batch', 'seq']);
  const fm = o.mul(f, o.unsqueeze(mask, 2));
  const count = o.sum(o.cast(o.greater(fm, 0), rdt), [0, 1]);
  const sum = o.sum(fm, [0, 1]);
  const mxKeep = o.max(fm, [1], true); // [B,1,S]
  const ctxMax = o.squeeze(mxKeep, 1);
  const negPos = o.unsqueeze(o.neg(o.cast(o.arangeOf(fm, 1), rdt)), 1); // [T,1]: −t
  const ctxArg = o.neg(o.max(o.where(o.equal(fm, mxKeep), negPos, -1e9), [1])); // first t at the max
  const compiled = compile({ outputs: { count, sum, ctx_max: ctxMax, ctx_arg: ctxArg }, name: `${model.spec.arch}-feature-stats` });
  return model.rt.load(compiled, { ...(dt === 'float64' ? { optimization: 'basic' as const } : {}), ...opts });
}

/** Contexts lo..hi−1 as right-padded feeds (ids, positions, attn_mask, count_mask) and their counted tokens. */
export function contextFeeds(model: LanguageModel, ctx: Contexts, lo: number, hi: number): { feeds: Record<string, TensorData>; counted: number } {
  const B = hi - lo;
  let T = 0;
  for (let c = lo; c < hi; c++) T = Math.max(T, ctx.offsets[c + 1]! - ctx.offsets[c]!);
  const pad = model.spec.padId ?? model.spec.eosIds[0] ?? 0;
  const ids = new BigInt64Array(B * T).fill(BigInt(pad));
  const positions = new BigInt64Array(B * T);
  const attn = new BigInt64Array(B * T);
  const cm = model.dtype === 'float64' ? new Float64Array(B * T) : new Float32Array(B * T);
  let counted = 0;
  for (let b = 0; b < B; b++) {
    const c = lo + b;
    const off = ctx.offsets[c]!;
    const n = ctx.offsets[c + 1]! - off;
    for (let t = 0; t < T; t++) {
      positions[b * T + t] = BigInt(t);
      if (t >= n) continue;
      ids[b * T + t] = BigInt(ctx.ids[off + t]!);
      attn[b * T + t] = 1n;
      cm[b * T + t] = ctx.count[off + t]!;
      counted += ctx.count[off + t]!;
    }
  }
  const dims = [B, T];
  return {
    feeds: {
      ids: { dtype: 'int64', dims, data: ids },
      positions: { dtype: 'int64', dims, data: positions },
      attn_mask: { dtype: 'int64', dims, data: attn },
      count_mask: { dtype: model.dtype === 'float64' ? 'float64' : 'float32', dims, data: cm },
    },
    counted,
  };
}

function encodeCheckpoint(st: FeatureStatsCheckpoint['state'], count: Float64Array, sum: Float64Array, top: FeatureTopK): FeatureStatsCheckpoint {
  const tb = top.toBytes();
  const bytes = new Uint8Array(count.byteLength + sum.byteLength + tb.byteLength);
  bytes.set(new Uint8Array(count.buffer, count.byteOffset, count.byteLength), 0);
  bytes.set(new Uint8Array(sum.buffer, sum.byteOffset, sum.byteLength), count.byteLength);
  bytes.set(tb, count.byteLength + sum.byteLength);
  return { state: { ...st }, bytes };
}

function decodeCheckpoint(c: FeatureStatsCheckpoint, want: { fingerprint: string; dSae: number; topK: number; batch: number }): { count: Float64Array; sum: Float64Array; top: FeatureTopK } {
  const s = c.state;
  if (s?.version !== 1) throw new Error(`feature-stats: unknown checkpoint version ${String(s?.version)}`);
  if (s.fingerprint !== want.fingerprint) throw new Error('feature-stats: the corpus, context settings, SAE or dtype differ from the checkpoint; start a new run');
  for (const k of ['dSae', 'topK', 'batch'] as const) {
    if (s[k] !== want[k]) throw new Error(`feature-stats: checkpoint ${k} ${s[k]} differs from this run's ${want[k]}`);
  }
  const S = want.dSae;
  const b = Uint8Array.from(c.bytes); // aligned copy
  const need = 16 * S + FeatureTopK.byteLength(S, want.topK);
  if (b.byteLength !== need) throw new Error(`feature-stats: checkpoint holds ${b.byteLength} bytes, expected ${need}`);
  return {
    count: new Float64Array(b.buffer, 0, S).slice(),
    sum: new Float64Array(b.buffer, 8 * S, S).slice(),
    top: FeatureTopK.fromBytes(S, want.topK, b.subarray(16 * S)),
  };
}

/** Accumulate feature statistics of `sae` over the contexts. */
export async function featureStats(
  model: LanguageModel,
  sae: Sae,
  ctx: Contexts,
  cfg: FeatureStatsConfig = {},
  sink: FeatureStatsSink = {},
  opts: FeatureStatsRunOptions = {},
): Promise<FeatureStatsResult> {
  checkSaeAgainstModel(sae, model.spec);
  if (ctx.n === 0) throw new Error('feature-stats: the corpus gives no context with a counted token');
  const B = cfg.batch ?? 8;
  const K = cfg.topK ?? 10;
  const every = cfg.checkpointEvery ?? 16;
  if (!Number.isInteger(B) || B < 1) throw new Error(`feature-stats: batch must be a positive integer, got ${B}`);
  if (!Number.isInteger(K) || K < 1) throw new Error(`feature-stats: topK must be a positive integer, got ${K}`);
  const S = sae.dSae;
  checkContextIds(ctx, model.spec.vocab, 'feature-stats');
  const fingerprint = `${contextsFingerprint(ctx)}|sae ${sae.id}|${model.dtype}`;
  let count: Float64Array = new Float64Array(S);
  let sum: Float64Array = new Float64Array(S);
  let top = new FeatureTopK(S, K);
  let batchesDone = 0;
  let nTokens = 0;
  if (opts.resume) {
    ({ count, sum, top } = decodeCheckpoint(opts.resume, { fingerprint, dSae: S, topK: K, batch: B }));
    ({ batchesDone, nTokens } = opts.resume.state);
  }
  const session = await statsSession(model, sae, opts.session);
  const nBatches = Math.ceil(ctx.n / B);
  const V = top.vals;
  const inputs = new Set(session.compiled.inputs.map((i) => i.name));
  try {
    while (batchesDone < nBatches) {
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('feature-stats: cancelled');
      const lo = batchesDone * B;
      const hi = Math.min(lo + B, ctx.n);
      const { feeds, counted } = contextFeeds(model, ctx, lo, hi);
      const r = await session.run(Object.fromEntries(Object.entries(feeds).filter(([k]) => inputs.has(k))), { outputs: ['count', 'sum', 'ctx_max', 'ctx_arg'] });
      const cnt = r.count!.data as Float32Array | Float64Array;
      const sm = r.sum!.data as Float32Array | Float64Array;
      const mx = r.ctx_max!.data as Float32Array | Float64Array;
      const arg = r.ctx_arg!.data as Float32Array | Float64Array;
      for (let s = 0; s < S; s++) {
        count[s]! += cnt[s]!;
        sum[s]! += sm[s]!;
      }
      for (let b = 0; b < hi - lo; b++) {
        const c = lo + b;
        const row = b * S;
        for (let s = 0; s < S; s++) {
          const v = mx[row + s]!;
          if (!(v > 0)) continue;
          if (top.size[s] === K && v <= V[s * K]!) continue; // loses to the worst kept (ties: the earlier context wins)
          top.offer(s, v, c, Math.round(arg[row + s]!));
        }
      }
      nTokens += counted;
      batchesDone++;
      if (every > 0 && batchesDone % every === 0 && batchesDone < nBatches && sink.checkpoint) {
        sink.checkpoint(encodeCheckpoint({ version: 1, fingerprint, dSae: S, topK: K, batch: B, batchesDone, contextsDone: hi, nTokens }, count, sum, top));
      }
      sink.progress?.(hi / ctx.n, `${hi}/${ctx.n} contexts, ${nTokens} tokens`); // after the checkpoint: a sink may stop here
    }
  } finally {
    await session.release();
  }
  return { dSae: S, nContexts: ctx.n, nTokens, count, sum, top };
}

// ---------------------------------------------------------------- records

/** One top-activating context of a feature (the record the store keeps; fields documented there). */
export type TopContext = FeatureStatTop;

export interface FeatureStat {
  index: number;
  nTokens: number;
  nActive: number;
  /** nActive / nTokens */
  density: number;
  /** mean activation over the tokens where it is active (null when never active) */
  meanAct: number | null;
  maxAct: number | null;
  top: TopContext[];
}

/** Decoded window around position `at` of `ids`, split at the token (decoding the prefix, so spacing survives). */
export function windowText(tok: HfTokenizer, ids: readonly number[], at: number): TopContext['text'] {
  const dec = (x: readonly number[]): string => (x.length ? tok.decode([...x]) : '');
  const left = dec(ids.slice(0, at));
  const upto = dec(ids.slice(0, at + 1));
  const all = dec(ids);
  const token = upto.startsWith(left) ? upto.slice(left.length) : dec([ids[at]!]);
  const right = all.startsWith(upto) ? all.slice(upto.length) : dec(ids.slice(at + 1));
  return { left, token, right };
}

/**
 * Per-feature records with token windows (`window` tokens each side within the context, default 8;
 * never the prefix inserted before a continuation window) decoded by `tok` when given.
 */
export function featureRecords(
  res: FeatureStatsResult,
  ctx: Contexts,
  o: { tok?: HfTokenizer | null; window?: number; features?: readonly number[] } = {},
): FeatureStat[] {
  const W = o.window ?? 8;
  const feats = o.features ?? Array.from({ length: res.dSae }, (_, i) => i);
  return feats.map((index) => {
    const n = res.count[index]!;
    const top = res.top.sorted(index).map((e): TopContext => {
      const ids = contextIds(ctx, e.context);
      const from = Math.max(ctx.inserted[e.context]!, e.pos - W); // not the prefix inserted before a continuation window
      const win = Array.from(ids.subarray(from, Math.min(ids.length, e.pos + W + 1)));
      const at = e.pos - from;
      return {
        context: e.context, doc: ctx.doc[e.context]!, pos: e.pos, docPos: ctx.docStart[e.context]! + e.pos - ctx.inserted[e.context]!,
        value: e.value, ids: win, at, text: o.tok ? windowText(o.tok, win, at) : { left: '', token: '', right: '' },
      };
    });
    return {
      index, nTokens: res.nTokens, nActive: n, density: res.nTokens ? n / res.nTokens : 0,
      meanAct: n > 0 ? res.sum[index]! / n : null, maxAct: top.length ? top[0]!.value : null, top,
    };
  });
}

// ---------------------------------------------------------------- summary

/** Density buckets by decade: dead, < 1e-4, 1e-4..1e-3, 1e-3..1e-2, 1e-2..1e-1, ≥ 1e-1. */
export const DENSITY_BUCKETS = ['dead', '<1e-4', '1e-4..1e-3', '1e-3..1e-2', '1e-2..0.1', '>=0.1'] as const;

export function densityHistogram(densities: Iterable<number>): Record<(typeof DENSITY_BUCKETS)[number], number> {
  const h = Object.fromEntries(DENSITY_BUCKETS.map((b) => [b, 0])) as Record<(typeof DENSITY_BUCKETS)[number], number>;
  for (const d of densities) {
    const b = d <= 0 ? 'dead' : d < 1e-4 ? '<1e-4' : d < 1e-3 ? '1e-4..1e-3' : d < 1e-2 ? '1e-3..1e-2' : d < 0.1 ? '1e-2..0.1' : '>=0.1';
    h[b]++;
  }
  return h;
}
