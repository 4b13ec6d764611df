/** Figures: a kind and a JSON spec (what the renderer draws), optionally of a run, with the files it was exported to. */
import { z } from 'zod';
import { byRunListQuerySchema, figureCreateSchema } from '../../store/index.js';
import { deletedOut, figureOut } from '../entity-schemas.js';
import { idInput } from '../inputs.js';
import { defineOp } from '../op.js';

export const figureOps = {
  'figures.list': defineOp({
    summary: 'figures with their exported files, oldest first (runId, limit, offset)',
    input: byRunListQuerySchema,
    output: z.array(figureOut),
    handler: async (q, ctx) => ctx.store.figures.list(q),
  }),
  'figures.get': defineOp({
    summary: 'one figure by id',
    input: idInput,
    output: figureOut,
    handler: async ({ id }, ctx) => ctx.store.figures.get(id),
  }),
  'figures.create': defineOp({
    summary: 'a new figure: kind, JSON spec, run',
    input: figureCreateSchema,
    output: figureOut,
    handler: async (f, ctx) => ctx.store.figures.create(f),
  }),
  'figures.delete': defineOp({
    summary: 'delete a figure and its list of exported files (the files stay on disk)',
    input: idInput,
    output: deletedOut,
    handler: async ({ id }, ctx) => (ctx.store.figures.delete(id), { id, deleted: true as const }),
  }),
};
