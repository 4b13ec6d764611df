/** Models and SAEs: a path on disk, its content hash and config (the weights stay on disk). */
import { z } from 'zod';
import { listQuerySchema, modelCreateSchema, renameSchema, saeCreateSchema, saeListQuerySchema } from '../../store/index.js';
import { deletedOut, modelOut, saeOut } from '../entity-schemas.js';
import { idInput } from '../inputs.js';
import { defineOp } from '../op.js';

export const modelOps = {
  'models.list': defineOp({
    summary: 'registered models, oldest first (limit, offset)',
    input: listQuerySchema,
    output: z.array(modelOut),
    handler: async (q, ctx) => ctx.store.models.list(q),
  }),
  'models.get': defineOp({
    summary: 'one model by id',
    input: idInput,
    output: modelOut,
    handler: async ({ id }, ctx) => ctx.store.models.get(id),
  }),
  'models.create': defineOp({
    summary: 'register a model: name, path, content hash, config (nothing is read from the path yet)',
    input: modelCreateSchema,
    output: modelOut,
    handler: async (m, ctx) => ctx.store.models.create(m),
  }),
  'models.rename': defineOp({
    summary: 'rename a model',
    input: renameSchema,
    output: modelOut,
    handler: async (r, ctx) => ctx.store.models.rename(r),
  }),
  'models.delete': defineOp({
    summary: 'forget a model (its SAEs and runs stay, unlinked); the files on disk are untouched',
    input: idInput,
    output: deletedOut,
    handler: async ({ id }, ctx) => (ctx.store.models.delete(id), { id, deleted: true as const }),
  }),

  'saes.list': defineOp({
    summary: 'registered SAEs, optionally of one model (modelId, limit, offset)',
    input: saeListQuerySchema,
    output: z.array(saeOut),
    handler: async (q, ctx) => ctx.store.saes.list(q),
  }),
  'saes.get': defineOp({
    summary: 'one SAE by id',
    input: idInput,
    output: saeOut,
    handler: async ({ id }, ctx) => ctx.store.saes.get(id),
  }),
  'saes.create': defineOp({
    summary: 'register an SAE: name, path, content hash, config, model and hook',
    input: saeCreateSchema,
    output: saeOut,
    handler: async (s, ctx) => ctx.store.saes.create(s),
  }),
  'saes.rename': defineOp({
    summary: 'rename an SAE',
    input: renameSchema,
    output: saeOut,
    handler: async (r, ctx) => ctx.store.saes.rename(r),
  }),
  'saes.delete': defineOp({
    summary: 'forget an SAE and its feature annotations; the files on disk are untouched',
    input: idInput,
    output: deletedOut,
    handler: async ({ id }, ctx) => (ctx.store.saes.delete(id), { id, deleted: true as const }),
  }),
};
