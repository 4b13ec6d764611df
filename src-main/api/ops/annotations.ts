/** Feature annotations: (SAE, feature index, source) → a label and JSON data. */
import { z } from 'zod';
import { annotationListQuerySchema, annotationUpsertSchema, idSchema } from '../../store/index.js';
import { annotationOut } from '../entity-schemas.js';
import { ApiError } from '../errors.js';
import { defineOp } from '../op.js';

const annotationKey = z.strictObject({ saeId: idSchema, featureIndex: z.int().min(0), source: z.string().min(1).max(200) });

export const annotationOps = {
  'annotations.list': defineOp({
    summary: "an SAE's feature annotations, by feature then source (saeId, featureIndex, limit, offset)",
    input: annotationListQuerySchema,
    output: z.array(annotationOut),
    handler: async (q, ctx) => ctx.store.annotations.list(q),
  }),
  'annotations.get': defineOp({
    summary: 'the annotation of (saeId, featureIndex, source)',
    input: annotationKey,
    output: annotationOut,
    handler: async (k, ctx) => {
      const found = ctx.store.annotations.list({ saeId: k.saeId, featureIndex: k.featureIndex }).find((a) => a.source === k.source);
      if (!found) throw new ApiError('not_found', `annotation of SAE '${k.saeId}' feature ${k.featureIndex} source '${k.source}' not found`);
      return found;
    },
  }),
  'annotations.upsert': defineOp({
    summary: 'create or replace the label (and data) of (saeId, featureIndex, source)',
    input: annotationUpsertSchema,
    output: annotationOut,
    handler: async (a, ctx) => ctx.store.annotations.upsert(a),
  }),
  'annotations.delete': defineOp({
    summary: 'delete the annotation of (saeId, featureIndex, source)',
    input: annotationKey,
    output: z.object({ deleted: z.literal(true) }),
    handler: async (k, ctx) => (ctx.store.annotations.delete(k.saeId, k.featureIndex, k.source), { deleted: true as const }),
  }),
};
