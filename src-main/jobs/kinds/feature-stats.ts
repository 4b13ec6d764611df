/**
 * feature-stats: every SAE feature's density, mean activation when active, and top activating
 * contexts over a corpus (a stored dataset, a JSONL dataset file, or a text / {"text"} JSONL corpus
 * file). Checkpoints the accumulators every `checkpointEvery` batches (resumable after a cancel or
 * crash); at the end writes one `feature_stats` row per feature, under the SAE's store id (the SAE
 * is registered by its path when no `saeId` is given).
 */
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import { defineJobKind } from '../kind.js';
import { newId, type JsonValue, type Store } from '../../store/index.js';
import { hookSchema, idSchema, pathSchema } from '../../store/schemas.js';
import { loadSae, type Sae } from '../../models/sae/load.js';
import { corpusContexts } from '../../lab/feature-corpus.js';
import { densityHistogram, featureRecords, featureStats, type FeatureStatsCheckpoint } from '../../lab/feature-stats.js';
import { corpusSource, datasetInput, modelInput, openModel } from './lab-inputs.js';

const params = z.strictObject({
  ...modelInput,
  ...datasetInput,
  /** SAE folder (SAELens) or Gemma Scope folder / params.npz */
  sae: pathSchema,
  /** the SAE's store id; default: the stored SAE with this path, registered if there is none */
  saeId: idSchema.optional(),
  /** hook override (Gemma Scope paths that do not tell) */
  hook: hookSchema.optional(),
  /** a corpus file instead of a dataset: plain text (blank-line-separated documents) or JSONL ({"text"} or dataset rows) */
  corpusFile: pathSchema.optional(),
  /** dataset rows: count completion tokens only */
  completionOnly: z.boolean().default(false),
  /** count BOS tokens (their activations are outliers; default off) */
  countBos: z.boolean().default(false),
  contextLen: z.int().min(2).max(8192).default(64),
  batch: z.int().min(1).max(1024).default(8),
  maxContexts: z.int().min(1).max(100_000_000).optional(),
  topK: z.int().min(1).max(100).default(10),
  /** tokens kept each side of an activating token */
  window: z.int().min(0).max(256).default(8),
  checkpointEvery: z.int().min(1).max(1_000_000).default(16),
});

type Params = z.output<typeof params>;

/** The SAE's store id: the one given (must exist), the stored SAE with this path, or a new id to register. */
function saeStoreId(store: Store, p: Params): { id: string; create: boolean } {
  if (p.saeId) {
    store.saes.get(p.saeId);
    return { id: p.saeId, create: false };
  }
  const hit = store.saes.findByPath(p.sae);
  return hit ? { id: hit.id, create: false } : { id: newId(), create: true };
}

function saeConfig(sae: Sae): JsonValue {
  return { format: sae.format, architecture: sae.architecture, d_in: sae.dIn, d_sae: sae.dSae, k: sae.k, hook: sae.hook, cfg: sae.raw as JsonValue };
}

export default defineJobKind({
  kind: 'feature-stats',
  description: "each SAE feature's density, mean activation and top activating contexts over a corpus",
  params,
  async run(ctx) {
    const p = ctx.params;
    const source = corpusSource(ctx.store, p);
    const sae = await loadSae(p.sae, { hook: p.hook });
    const saeRef = saeStoreId(ctx.store, p);
    const { rt, model, modelHash } = await openModel(p, ctx);
    try {
      const tok = model.tokenizer();
      const contexts = corpusContexts(tok, source, {
        contextLen: p.contextLen, maxContexts: p.maxContexts, countBos: p.countBos, raw: p.raw, completionOnly: p.completionOnly,
      });
      const r0 = ctx.resumeState;
      const resume: FeatureStatsCheckpoint | null = r0 && r0.optimizer ? { state: r0.state as FeatureStatsCheckpoint['state'], bytes: r0.optimizer } : null;
      const res = await featureStats(model, sae, contexts, { batch: p.batch, topK: p.topK, checkpointEvery: p.checkpointEvery }, {
        progress: (f, m) => {
          ctx.progress({ fraction: f, message: m });
          ctx.throwIfCancelled();
        },
        checkpoint: (c) => ctx.checkpoint({ step: c.state.batchesDone, state: c.state, optimizer: c.bytes }),
      }, { resume, signal: ctx.signal, session: { threads: p.threads, ep: p.ep } });
      const records = featureRecords(res, contexts, { tok, window: p.window });
      const saeId = saeRef.id;
      if (saeRef.create) {
        ctx.write((s) => s.saes.create({ id: saeId, name: basename(resolve(p.sae)), path: resolve(p.sae), hook: sae.hook, modelId: p.modelId ?? null, config: saeConfig(sae) }));
      }
      const CHUNK = 4096;
      for (let at = 0; at < records.length; at += CHUNK) {
        const rows = records.slice(at, at + CHUNK).map((r) => ({
          saeId, featureIndex: r.index, runId: ctx.runId, nTokens: r.nTokens, nActive: r.nActive, density: r.density,
          meanAct: r.meanAct, maxAct: r.maxAct, top: r.top,
        }));
        ctx.write((s) => s.featureStats.addMany(rows));
      }
      const histogram = densityHistogram(records.map((r) => r.density));
      return { saeId, dSae: res.dSae, nContexts: res.nContexts, nTokens: res.nTokens, dead: histogram.dead, histogram, modelHash };
    } finally {
      await model.close();
      await rt.close();
    }
  },
});
