/** Datasets with their provenance and pass rate, and their samples in pages. */
import { z } from 'zod';
import {
  datasetCreateSchema, datasetListQuerySchema, idSchema, MAX_BATCH, nameSchema, renameSchema, samplesAddSchema, samplesQuerySchema,
  type JsonValue, type SampleInput,
} from '../../store/index.js';
import { exportJsonl, importJsonl, type ImportedSample } from '../../lab/dataset-jsonl.js';
import { datasetOut, deletedOut, sampleOut } from '../entity-schemas.js';
import { ApiError } from '../errors.js';
import { idInput } from '../inputs.js';
import { defineOp } from '../op.js';

/** Samples can be long: pages are smaller than other lists. */
export const MAX_SAMPLES_PAGE = 1000;
const DEFAULT_SAMPLES_PAGE = 50;

/** An imported file's text: up to 256 MiB (serve's request limit is set to carry it). */
export const MAX_IMPORT_CHARS = 256 * 2 ** 20;

/** An imported sample as the store's JSON-typed input. */
const asSampleInput = (x: ImportedSample): SampleInput => ({
  ...x, messages: x.messages.map((m) => ({ role: m.role, content: m.content })), meta: { ...x.meta },
});

/** A file-name-safe stem from a dataset name. */
const fileStem = (name: string): string => name.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^-+|-+$/g, '') || 'dataset';

export const datasetOps = {
  'datasets.list': defineOp({
    summary: 'datasets with sample count and pass rate, oldest first (runId, teacherSetId, limit, offset)',
    input: datasetListQuerySchema,
    output: z.array(datasetOut),
    handler: async (q, ctx) => ctx.store.datasets.list(q),
  }),
  'datasets.get': defineOp({
    summary: 'one dataset by id',
    input: idInput,
    output: datasetOut,
    handler: async ({ id }, ctx) => ctx.store.datasets.get(id),
  }),
  'datasets.create': defineOp({
    summary: 'a new, empty dataset: name, teacher intervention set, seed, producing run, filter',
    input: datasetCreateSchema,
    output: datasetOut,
    handler: async (d, ctx) => ctx.store.datasets.create(d),
  }),
  'datasets.rename': defineOp({
    summary: 'rename a dataset',
    input: renameSchema,
    output: datasetOut,
    handler: async (r, ctx) => ctx.store.datasets.rename(r),
  }),
  'datasets.delete': defineOp({
    summary: 'delete a dataset and its samples',
    input: idInput,
    output: deletedOut,
    handler: async ({ id }, ctx) => (ctx.store.datasets.delete(id), { id, deleted: true as const }),
  }),
  'datasets.samples': defineOp({
    summary: `one page of a dataset's samples by idx (datasetId, passed, limit <= ${MAX_SAMPLES_PAGE}, offset), with the total`,
    input: samplesQuerySchema.extend({ limit: z.int().min(1).max(MAX_SAMPLES_PAGE).optional() }),
    output: z.object({ samples: z.array(sampleOut), total: z.number(), offset: z.number(), limit: z.number() }),
    handler: async (q, ctx) => {
      const d = ctx.store.datasets.get(q.datasetId);
      const limit = q.limit ?? DEFAULT_SAMPLES_PAGE;
      const offset = q.offset ?? 0;
      const total = q.passed === undefined ? d.sampleCount : q.passed ? d.passedCount : d.filteredCount - d.passedCount;
      return { samples: ctx.store.samples.list({ ...q, limit, offset }), total, offset, limit };
    },
  }),
  'datasets.addSamples': defineOp({
    summary: 'add samples to a dataset in one transaction (an idx that exists is a conflict; nothing is added)',
    input: samplesAddSchema,
    output: z.object({ added: z.number() }),
    handler: async (a, ctx) => ({ added: ctx.store.samples.add(a) }),
  }),
  'datasets.importJsonl': defineOp({
    summary: 'a new dataset from JSONL text ({prompt, completion}, {messages}, {question, response} rows); errors name source:line; filter: the number filter sets pass verdicts',
    input: z.strictObject({
      name: nameSchema,
      /** the file's name, for errors and each sample's provenance (meta.source, meta.line) */
      source: z.string().min(1).max(1000).default('import.jsonl'),
      text: z.string().max(MAX_IMPORT_CHARS),
      filter: z.boolean().default(false),
    }),
    output: z.object({ dataset: datasetOut, added: z.number() }),
    maxBodyBytes: 4 * MAX_IMPORT_CHARS + (1 << 20),
    handler: async (i, ctx) => {
      let imported;
      try {
        imported = importJsonl(i.text, i.source, { filter: i.filter });
      } catch (e) {
        const message = (e as Error).message;
        throw new ApiError('invalid_input', message, [{ path: 'text', message }]);
      }
      const { samples, filter } = imported;
      // one transaction: a killed process leaves no dataset that looks complete but is not
      const d = ctx.store.db.transaction(() => {
        const created = ctx.store.datasets.create({ name: i.name });
        for (let at = 0; at < samples.length; at += MAX_BATCH) {
          ctx.store.samples.add({ datasetId: created.id, samples: samples.slice(at, at + MAX_BATCH).map(asSampleInput) });
        }
        if (filter) ctx.store.samples.setFilterResults({ datasetId: created.id, filter: { ...filter, source: i.source } as unknown as JsonValue, results: [] });
        return created;
      })();
      return { dataset: ctx.store.datasets.get(d.id), added: samples.length };
    },
  }),
  'datasets.exportJsonl': defineOp({
    summary: "a dataset's samples as JSONL text: format prompt-completion ({prompt, completion}) or messages ({messages: [...]}, keeps system turns); passedOnly",
    input: z.strictObject({
      datasetId: idSchema,
      format: z.enum(['prompt-completion', 'messages']).default('prompt-completion'),
      passedOnly: z.boolean().default(false),
    }),
    output: z.object({ fileName: z.string(), text: z.string(), count: z.number() }),
    handler: async (q, ctx) => {
      const d = ctx.store.datasets.get(q.datasetId);
      const samples = [...ctx.store.samples.iterate({ datasetId: d.id, ...(q.passedOnly ? { passed: true } : {}) })];
      // the two formats get different names, so that both can sit in one folder
      const suffix = `${q.format === 'messages' ? '-messages' : ''}${q.passedOnly ? '-passed' : ''}`;
      return { fileName: `${fileStem(d.name)}${suffix}.jsonl`, text: exportJsonl(samples, q.format), count: samples.length };
    },
  }),
};
