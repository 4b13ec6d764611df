/** Shared inputs of the research job kinds: the model, the dataset (store id or JSONL file). */
import { z } from 'zod';
import { Runtime } from '../../engine/runtime.js';
import { LanguageModel } from '../../models/lm.js';
import { modelIdentityHash } from '../../models/identity.js';
import { readJsonlDataset, type DatasetRow } from '../../lab/dataset-rows.js';
import { sampleToRow } from '../../lab/dataset-items.js';
import { readCorpusFile, type CorpusSource } from '../../lab/feature-corpus.js';
import { fileSha256 as fileSha } from '../input-fingerprints.js';
import type { SetLookups } from '../../lab/teacher-set.js';
import type { Store } from '../../store/index.js';
import { idSchema, pathSchema } from '../../store/schemas.js';

export const modelInput = {
  /** model folder (Hugging Face layout) */
  model: pathSchema,
  modelId: idSchema.optional(),
  dtype: z.enum(['float32', 'float64']).default('float32'),
  threads: z.int().min(1).max(256).default(2),
  ep: z.enum(['cpu', 'cuda']).default('cpu'),
};

export const datasetInput = {
  datasetId: idSchema.optional(),
  datasetFile: pathSchema.optional(),
  /** use only samples that passed the filter (when a filter ran) */
  passedOnly: z.boolean().default(true),
  limit: z.int().min(1).max(10_000_000).optional(),
  /** encode as plain text even when the model has a chat template */
  raw: z.boolean().default(false),
};

/** A control dataset beside the main one (signal-scan, mean-activation): a store id or a JSONL file. */
export const controlDatasetInput = {
  controlDatasetId: idSchema.optional(),
  controlDatasetFile: pathSchema.optional(),
};

/** The control dataset read as the main one is (passedOnly, limit, raw); loadRows refuses both or neither. */
export function controlOf(p: { controlDatasetId?: string; controlDatasetFile?: string; passedOnly: boolean; limit?: number; raw: boolean }) {
  return { datasetId: p.controlDatasetId, datasetFile: p.controlDatasetFile, passedOnly: p.passedOnly, limit: p.limit, raw: p.raw };
}

/**
 * What a run was trained or scored on, for its provenance: the dataset and how its rows were read.
 * A file is named by path and by the sha256 of its bytes, so a later change to the file shows.
 */
export function datasetProvenance(p: { datasetId?: string; datasetFile?: string; passedOnly: boolean; limit?: number; raw: boolean }): Record<string, string | number | boolean | null> {
  const fileSha256 = p.datasetFile ? fileSha(p.datasetFile) : null;
  return { datasetId: p.datasetId ?? null, datasetFile: p.datasetFile ?? null, fileSha256, passedOnly: p.passedOnly, limit: p.limit ?? null, raw: p.raw };
}

export function loadRows(store: Store, p: { datasetId?: string; datasetFile?: string; passedOnly: boolean; limit?: number }): DatasetRow[] {
  if (!!p.datasetId === !!p.datasetFile) throw new Error('give exactly one of datasetId or datasetFile');
  if (p.datasetFile) return readJsonlDataset(p.datasetFile, p.limit ?? Infinity, { passedOnly: p.passedOnly });
  const rows: DatasetRow[] = [];
  let failed = 0;
  for (const s of store.samples.iterate({ datasetId: p.datasetId! })) {
    if (p.passedOnly && s.passed === false) {
      failed++;
      continue;
    }
    rows.push(sampleToRow(s));
    if (p.limit && rows.length >= p.limit) return rows;
  }
  if (!rows.length) {
    throw new Error(failed
      ? `dataset '${p.datasetId}': none of its ${failed} samples passed the filter (passedOnly: false uses them all)`
      : `dataset '${p.datasetId}' has no samples`);
  }
  return rows;
}

/** A corpus for feature statistics or SAE training: exactly one of a stored dataset, a JSONL dataset file, or a corpus file. */
export function corpusSource(store: Store, p: { datasetId?: string; datasetFile?: string; corpusFile?: string; passedOnly: boolean; limit?: number }): CorpusSource {
  const given = [p.datasetId, p.datasetFile, p.corpusFile].filter((x) => x !== undefined).length;
  if (given !== 1) throw new Error('give exactly one of datasetId, datasetFile or corpusFile');
  if (p.corpusFile) return readCorpusFile(p.corpusFile, p.limit ?? Infinity);
  return { rows: loadRows(store, p) };
}

/** The vector's values; an error naming it when any is NaN or infinite (a diverged training run). */
function finiteVector(id: string, data: Float32Array): Float32Array {
  let bad = 0;
  for (const x of data) if (!Number.isFinite(x)) bad++;
  if (bad) throw new Error(`vector '${id}' holds ${bad} non-finite value${bad === 1 ? '' : 's'} of ${data.length} (did its training run diverge?); train it again with a lower learning rate`);
  return data;
}

/** Store lookups for resolveSet: stored sets, trained vectors, and runs with their vectors (LoRA factors). */
export function storeSetLookups(store: Store): SetLookups {
  return {
    setSpec: (id) => store.interventionSets.get(id).spec,
    vector: (id) => ({ hook: store.vectors.get(id).hook, meta: store.vectors.get(id).meta, data: finiteVector(id, store.vectors.f32(id)) }),
    run: (id) => ({
      config: store.runs.get(id).config,
      vectors: store.vectors.list({ runId: id, limit: 10_000 }).map((v) => ({ meta: v.meta, data: store.vectors.f32(v.id) })),
    }),
  };
}

/** Open the job's model; with the job's context, its identity hash goes on the run at once (not only at the end). */
export async function openModel(
  p: { model: string; dtype: 'float32' | 'float64'; threads: number; ep: 'cpu' | 'cuda' },
  ctx?: { recordModelHash(hash: string): void },
): Promise<{ rt: Runtime; model: LanguageModel; modelHash: string }> {
  const rt = Runtime.start();
  try {
    const model = LanguageModel.open(rt, p.model, { dtype: p.dtype, session: { threads: p.threads, ep: p.ep } });
    const modelHash = modelIdentityHash(model.ck);
    ctx?.recordModelHash(modelHash);
    return { rt, model, modelHash };
  } catch (e) {
    await rt.close();
    throw e;
  }
}
