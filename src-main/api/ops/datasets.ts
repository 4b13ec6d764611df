/** Datasets with their provenance and pass rate, and their samples in pages. */
import { z } from 'zod';
import {
  datasetCreateSchema, datasetListQuerySchema, renameSchema, samplesAddSchema, samplesQuerySchema,
} from '../../store/index.js';
import { datasetOut, deletedOut, sampleOut } from '../entity-schemas.js';
import { idInput } from '../inputs.js';
import { defineOp } from '../op.js';

/** Samples can be long: pages are smaller than other lists. */
export const MAX_SAMPLES_PAGE = 1000;
const DEFAULT_SAMPLES_PAGE = 50;

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
};
