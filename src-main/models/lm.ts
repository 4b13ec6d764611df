/**
 * A loaded language model: checkpoint + spec + (optional) tokenizer, and its compiled sessions,
 * one per purpose ('score': full forward with per-token losses; 'decode': KV-cache step).
 * Weights are external data in the checkpoint's safetensors files; each session maps them once.
 *
 * Shape legend: B batch, T seq, P past, S = P + T, K kv heads, Dh head_dim, V vocab.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../engine/onnx-export.js';
import type { Runtime, Session, SessionOptions } from '../engine/runtime.js';
import { Graph, type DType } from '../engine/tensor.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import type { ModelSpec } from './config.js';
import { buildModelGraph } from './graph.js';
import { checkpointWeights } from './graph-weights.js';
import { loadTokenizer, type HfTokenizer } from './tokenizer.js';

export type Purpose = 'score' | 'decode';

export interface OpenModelOptions {
  /** compute dtype (default float32) */
  dtype?: DType;
  session?: SessionOptions;
}

export class LanguageModel {
  private readonly sessions = new Map<Purpose, Promise<Session>>();

  private constructor(
    readonly rt: Runtime,
    readonly dir: string,
    readonly ck: Checkpoint,
    readonly tok: HfTokenizer | null,
    readonly dtype: DType,
    private readonly sessionOptions: SessionOptions,
  ) {}

  static open(rt: Runtime, dir: string, opts: OpenModelOptions = {}): LanguageModel {
    const ck = openCheckpoint(dir);
    const tok = existsSync(join(dir, 'tokenizer.json')) ? loadTokenizer(dir) : null;
    return new LanguageModel(rt, dir, ck, tok, opts.dtype ?? 'float32', opts.session ?? {});
  }

  get spec(): ModelSpec {
    return this.ck.spec;
  }

  /** The tokenizer, or an error naming the missing file. */
  tokenizer(): HfTokenizer {
    if (!this.tok) throw new Error(`${join(this.dir, 'tokenizer.json')}: missing tokenizer file (needed to encode text)`);
    return this.tok;
  }

  session(p: Purpose): Promise<Session> {
    let s = this.sessions.get(p);
    if (!s) {
      const g = new Graph();
      const W = checkpointWeights(g, this.ck, this.dtype);
      const m = buildModelGraph(g, this.spec, W, p === 'score' ? { dtype: this.dtype, loss: true } : { dtype: this.dtype, kvCache: true, lastOnly: true });
      const outputs: Record<string, import('../engine/tensor.js').Tensor> =
        p === 'score'
          ? { logits: m.logits, per_token: m.perToken! }
          : { logits: m.logits, ...Object.fromEntries(m.present.flatMap((kv, l) => [[`present.${l}.k`, kv.k], [`present.${l}.v`, kv.v]])) };
      s = this.rt.load(compile({ outputs, name: `${this.spec.arch}-${p}` }), this.sessionOptions);
      this.sessions.set(p, s);
    }
    return s;
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
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
