/** Intervention sets: a name and an immutable JSON spec (its meaning belongs to models/ and lab/). */
import { z } from 'zod';
import { interventionSetCreateSchema, listQuerySchema, renameSchema } from '../../store/index.js';
import { deletedOut, interventionSetOut } from '../entity-schemas.js';
import { idInput } from '../inputs.js';
import { defineOp } from '../op.js';
import { allowedRoots } from '../allowed-paths.js';
import { checkParamPaths } from '../param-paths.js';

export const interventionOps = {
  'interventionSets.list': defineOp({
    summary: 'intervention sets, oldest first (limit, offset)',
    input: listQuerySchema,
    output: z.array(interventionSetOut),
    handler: async (q, ctx) => ctx.store.interventionSets.list(q),
  }),
  'interventionSets.get': defineOp({
    summary: 'one intervention set by id',
    input: idInput,
    output: interventionSetOut,
    handler: async ({ id }, ctx) => ctx.store.interventionSets.get(id),
  }),
  'interventionSets.create': defineOp({
    summary: 'a new intervention set: name and JSON spec',
    input: interventionSetCreateSchema,
    output: interventionSetOut,
    handler: async (s, ctx) => {
      checkParamPaths(s.spec, allowedRoots(ctx.storeFile), 'spec');
      return ctx.store.interventionSets.create(s);
    },
  }),
  'interventionSets.rename': defineOp({
    summary: 'rename an intervention set (its spec never changes)',
    input: renameSchema,
    output: interventionSetOut,
    handler: async (r, ctx) => ctx.store.interventionSets.rename(r),
  }),
  'interventionSets.delete': defineOp({
    summary: 'delete an intervention set; refused (conflict) while a dataset names it as teacher',
    input: idInput,
    output: deletedOut,
    handler: async ({ id }, ctx) => (ctx.store.interventionSets.delete(id), { id, deleted: true as const }),
  }),
};
