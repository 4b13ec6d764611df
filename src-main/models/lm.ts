/**
 * A loaded language model: checkpoint + spec + (optional) tokenizer, and its compiled sessions,
 * one per purpose ('score': full forward with per-token losses; 'decode': KV-cache step).
 * Weights are external data in the checkpoint's safetensors files; each session maps them once.
 *
 * Shape legend: B batch, T seq, P past, S = P + T, K kv heads, Dh head_dim, V vocab.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compile, type Compiled } from '../engine/onnx-export.js';
import { grad } from '../engine/grad.js';
import type { Runtime, Session, SessionOptions, TensorData } from '../engine/runtime.js';
import { Graph, type DType } from '../engine/tensor.js';
import * as o from '../engine/ops.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import type { ModelSpec } from './config.js';
import { buildModelGraph, suffixStart } from './graph.js';
import { checkpointWeights } from './graph-weights.js';
import { loadTokenizer, type HfTokenizer } from './tokenizer.js';
import { EMPTY_SET, structureKey, type InterventionSet } from './interventions.js';
import { interventionFeeds, prepareInterventions, type Prepared, type SaeBridge, type SaeResolver } from './intervened.js';
import { checkSaeAgainstModel, loadSae } from './sae/load.js';
import { saeBridge } from './sae/bridge.js';

/** Optional float32 scalar input of decode graphs: 1 / temperature for the `probs` output (default 1). */
export const INV_TEMPERATURE = 'inv_temperature';

/** score: full forward + per-token losses; decode: KV-cache step; train: loss + gradients of trainable interventions */
export type Purpose = 'score' | 'decode' | 'train';

export interface OpenModelOptions {
  /** compute dtype (default float32) */
  dtype?: DType;
  session?: SessionOptions;
  /** resolves SAEs named by intervention sets (default: load the folder with models/sae and check it against the model) */
  sae?: SaeResolver;
}

export interface BoundSession {
  session: Session;
  prepared: Prepared;
  /** the prepared values as feeds (override trainable values per step) */
  feeds(override?: Record<string, Float32Array>): Record<string, TensorData>;
  /** the first block of a suffix graph (input `resid_in`), 0 for the whole model */
  suffixFrom: number;
}

export class LanguageModel {
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly saes = new Map<string, Promise<SaeBridge>>();

  private constructor(
    readonly rt: Runtime,
    readonly dir: string,
    readonly ck: Checkpoint,
    readonly tok: HfTokenizer | null,
    readonly dtype: DType,
    private readonly sessionOptions: SessionOptions,
    private readonly sae?: SaeResolver,
  ) {}

  static open(rt: Runtime, dir: string, opts: OpenModelOptions = {}): LanguageModel {
    const ck = openCheckpoint(dir);
    const tok = existsSync(join(dir, 'tokenizer.json')) ? loadTokenizer(dir) : null;
    const dtype = opts.dtype ?? 'float32';
    // ORT's extended fusions (e.g. QuickGelu) have float-only kernels but also fire on float64 graphs
    const session: SessionOptions = { ...(dtype === 'float64' ? { optimization: 'basic' as const } : {}), ...opts.session };
    return new LanguageModel(rt, dir, ck, tok, dtype, session, opts.sae);
  }

  get spec(): ModelSpec {
    return this.ck.spec;
  }

  /** The tokenizer, or an error naming the missing file. */
  tokenizer(): HfTokenizer {
    if (!this.tok) throw new Error(`${join(this.dir, 'tokenizer.json')}: missing tokenizer file (needed to encode text)`);
    return this.tok;
  }

  /**
   * The session for a purpose under an intervention set (compiled once per set structure).
   * `use.batch`: the decode batch size (thread choice); `use.suffix`: for training, start the graph at
   * the latest block the set allows (`suffixStart`), fed the residual stream entering it.
   */
  async bind(p: Purpose, set: InterventionSet = EMPTY_SET, seed = 0, use: { batch?: number; suffix?: boolean } = {}): Promise<BoundSession> {
    const prepared = prepareInterventions(this.spec, set, this.sae ?? (await this.loadSaes(set)), seed);
    if (p === 'train' && !prepared.trainable.length) throw new Error('training needs at least one trainable intervention (resid_bias, feature_bias or lora with trainable: true)');
    const options = this.optionsFor(p, use.batch);
    const start = p === 'train' && use.suffix ? suffixStart(this.spec, prepared.graph) : 0;
    const suffixFrom = start >= 1 ? start : 0;
    const key = `${sessionKeyPrefix(p, set)}${p === 'train' ? prepared.trainable.join(',') : ''}|${options.threads ?? ''}|${suffixFrom}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = this.rt.load(this.compileFor(p, prepared, suffixFrom), options);
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    const session = await s;
    return { session, prepared, feeds: (override) => interventionFeeds(prepared, this.dtype, override), suffixFrom };
  }

  /**
   * Session options for a purpose (and, for decoding, the batch size). Decoding a small model (under
   * 50M parameters) at a small batch is bound by per-node overhead, not arithmetic: one intra-op
   * thread avoids thread-pool synchronisation on every tiny op. From batch 8 up the ops are big
   * enough for two threads to pay (stories260k decode step with 64 cached positions, ORT time:
   * batch 1: 0.30 ms with 1 thread vs 0.32 with 2; batch 64: 3.1 ms vs 2.1). A small model's second
   * session costs little memory. An explicit `threads` always wins.
   */
  optionsFor(p: Purpose, batch = 1): SessionOptions {
    if (p === 'decode' && this.sessionOptions.threads === undefined && this.ck.paramCount < 50e6 && batch < 8) return { ...this.sessionOptions, threads: 1 };
    return this.sessionOptions;
  }

  /** Load (once) and check every SAE a set names; returns a resolver over them. */
  private async loadSaes(set: InterventionSet): Promise<SaeResolver> {
    const refs = set.items.flatMap((i) => ('sae' in i ? [i.sae] : []));
    const got = new Map<string, SaeBridge>();
    for (const ref of refs) {
      let b = this.saes.get(ref);
      if (!b) {
        b = loadSae(ref).then((sae) => {
          checkSaeAgainstModel(sae, this.spec);
          return saeBridge(sae);
        });
        this.saes.set(ref, b);
        b.catch(() => this.saes.delete(ref));
      }
      got.set(ref, await b);
    }
    return (ref) => {
      const b = got.get(ref);
      if (!b) throw new Error(`SAE '${ref}' was not loaded`);
      return b;
    };
  }

  /** The plain session (no interventions) for a purpose. */
  async session(p: Exclude<Purpose, 'train'>): Promise<Session> {
    return (await this.bind(p)).session;
  }

  /**
   * A session that captures hooks of the plain model (outputs named by hook), e.g. the residual
   * stream entering a suffix graph. Inputs: ids, positions, attn_mask. Not kept: the caller
   * releases it when done (it is used once, to fill a cache).
   */
  async captureSession(hooks: readonly string[]): Promise<Session> {
    const g = new Graph();
    const m = buildModelGraph(g, this.spec, checkpointWeights(g, this.ck, this.dtype), { dtype: this.dtype, capture: hooks });
    return this.rt.load(compile({ outputs: Object.fromEntries(hooks.map((h) => [h, m.hooks.get(h)!])), name: `${this.spec.arch}-capture` }), this.sessionOptions);
  }

  private compileFor(p: Purpose, prepared: Prepared, suffixFrom = 0): Compiled {
    const g = new Graph();
    const W = checkpointWeights(g, this.ck, this.dtype);
    const base = { dtype: this.dtype, ...prepared.graph, ...(suffixFrom ? { suffixFrom } : {}) };
    // training needs only the loss: its head runs on the counted (completion) positions alone
    const m = buildModelGraph(g, this.spec, W, p === 'decode' ? { ...base, kvCache: true, lastOnly: true } : { ...base, loss: true, lossOnCounted: p === 'train' });
    if (p === 'decode') {
      // sampling probabilities softmax(logits / T) come from the graph: ORT's vectorised exp is about
      // 10× cheaper than Math.exp per logit (64 rows × vocab per step); temperature 0 uses the logits
      const invT = g.input(INV_TEMPERATURE, 'float32', [], Float32Array.of(1));
      const lg = this.dtype === 'float64' ? m.logits : o.cast(m.logits, 'float32');
      const probs = o.softmax(o.mul(lg, this.dtype === 'float64' ? o.cast(invT, 'float64') : invT), -1); // [B,1,V]
      const outputs = { logits: m.logits, probs, ...Object.fromEntries(m.present.flatMap((kv, l) => [[`present.${l}.k`, kv.k], [`present.${l}.v`, kv.v]])) };
      return compile({ outputs, name: `${this.spec.arch}-decode` });
    }
    if (p === 'score') return compile({ outputs: { logits: m.logits, per_token: m.perToken!, top_logprob: m.topLogprob! }, name: `${this.spec.arch}-score` });
    const wrt = prepared.trainable.map((n) => {
      const t = g.inputs.get(n);
      if (!t) throw new Error(`trainable input '${n}' is not in the graph`);
      return t;
    });
    const gs = grad(m.loss!, wrt);
    return compile({ outputs: { loss: m.loss!, per_token: m.perToken! }, grads: Object.fromEntries(prepared.trainable.map((n, i) => [`grad:${n}`, gs[i]!])), name: `${this.spec.arch}-train` });
  }

  /** Keys of the sessions now open (`purpose|structure|…`), for diagnostics and tests. */
  openSessions(): string[] {
    return [...this.sessions.keys()];
  }

  /**
   * Release every session except those of `keep` (a purpose under a set's structure). Each session
   * holds its own copy of the weights it computes with (cast copies for 16-bit checkpoints), so
   * loops that compile a graph per layer or per set release as they go instead of holding them all.
   */
  async releaseSessions(keep: readonly { purpose: Purpose; set: InterventionSet }[] = []): Promise<void> {
    const kept = keep.map((k) => sessionKeyPrefix(k.purpose, k.set));
    for (const [k, s] of [...this.sessions]) {
      if (kept.some((p) => k.startsWith(p))) continue;
      this.sessions.delete(k);
      await (await s.catch(() => null))?.release();
    }
  }

  async close(): Promise<void> {
    await this.releaseSessions();
  }
}

/** The start of the session-cache key of a purpose under a set (the rest: trainables, threads, suffix). */
function sessionKeyPrefix(p: Purpose, set: InterventionSet): string {
  return `${p}|${structureKey(set)}|`;
}

/** Left-pad rows to one length. Returns ids, attention mask (1 real / 0 pad) and HF-style positions. */
export function leftPad(rows: readonly (readonly number[])[], padId: number): { ids: number[][]; mask: number[][]; positions: number[][]; T: number } {
  const T = Math.max(...rows.map((r) => r.length));
  const ids: number[][] = [];
  const mask: number[][] = [];
  const positions: number[][] = [];
  for (const r of rows) {
    const pad = T - r.length;
    ids.push([...new Array<number>(pad).fill(padId), ...r]);
    mask.push([...new Array<number>(pad).fill(0), ...new Array<number>(r.length).fill(1)]);
    // HF generate: cumsum(mask) - 1, padding positions set to 1
    positions.push([...new Array<number>(pad).fill(1), ...r.map((_, i) => i)]);
  }
  return { ids, mask, positions, T };
}
