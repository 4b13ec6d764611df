/**
 * Loss table: one dataset scored under a list of configurations (base, teacher, base + SAE splice,
 * biased models, ...), each with its mean completion loss (nats/token) and standard error over
 * samples, and its paired difference from the first configuration. Each configuration's own system prompt is put into the context (a prompted teacher).
 */
import { systemPromptOf, type InterventionSet } from '../models/interventions.js';
import type { LanguageModel } from '../models/lm.js';
import { meanWithStderr, pooledLoss, scoreItems, type ScoreItem, type ScoreResult } from '../models/score.js';
import { tokenText } from '../models/token-text.js';
import { tokenCarriers, type TokenCarriers } from './token-carriers.js';
import type { DatasetRow } from './dataset-rows.js';
import { rowsToItems } from './dataset-items.js';

export interface LossTableRow {
  name: string;
  lossNats: number;
  stderrNats: number;
  samples: number;
  tokens: number;
  /** the loss pooled over tokens (Σ token losses / Σ tokens), as a training loss averages; lossNats averages samples */
  pooledNats: number;
  /**
   * this loss minus the first configuration's, per sample, averaged ± its standard error (the same
   * samples under both: the paired difference, much tighter than either row's own error); null on row 0
   */
  deltaNats: number | null;
  deltaStderrNats: number | null;
  /** the tokens that carry this row's difference from the first configuration (token-carriers.ts); null on row 0 */
  carriers: TokenCarriers | null;
}

export async function lossTable(
  model: LanguageModel,
  rows: readonly DatasetRow[],
  configs: readonly { name: string; set: InterventionSet }[],
  opts: { batchSize?: number; raw?: boolean; onProgress?: (fraction: number, message: string) => void; signal?: AbortSignal } = {},
): Promise<LossTableRow[]> {
  const tok = model.tokenizer();
  const out: LossTableRow[] = [];
  let first: number[] = [];
  let ref: { items: ScoreItem[]; results: ScoreResult[] } | null = null;
  const text = (id: number) => tokenText(tok, id);
  for (const [k, c] of configs.entries()) {
    const items = rowsToItems(tok, rows, { system: systemPromptOf(c.set), raw: opts.raw, maxTokens: model.spec.maxPositions });
    const res = await scoreItems(model, items, {
      set: c.set, batchSize: opts.batchSize, signal: opts.signal,
      onProgress: (d, t) => opts.onProgress?.((k + d / t) / configs.length, `${c.name}: ${d}/${t} samples`),
    });
    const s = meanWithStderr(res.map((r) => r.lossNats));
    let delta: { mean: number; stderr: number } | null = null;
    if (k === 0) {
      first = res.map((r) => r.lossNats);
      ref = { items, results: res };
    } else delta = meanWithStderr(res.map((r, i) => r.lossNats - first[i]!));
    const { pooledNats: pooled, tokens } = pooledLoss(res);
    out.push({
      name: c.name, lossNats: s.mean, stderrNats: s.stderr, samples: s.n, tokens, pooledNats: pooled,
      deltaNats: delta ? delta.mean : null, deltaStderrNats: delta ? delta.stderr : null,
      carriers: k > 0 && ref ? tokenCarriers(ref, { items, results: res }, text) : null,
    });
    // each session holds its own weights (a cast copy for 16-bit checkpoints): keep only those a later row uses
    await model.releaseSessions(configs.slice(k + 1).map((x) => ({ purpose: 'score' as const, set: x.set })));
  }
  return out;
}
