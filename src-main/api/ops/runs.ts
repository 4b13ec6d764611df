/** Runs (one per job): status, progress, provenance, and what they produced: metric curves and vectors. */
import { z } from 'zod';
import { idSchema, runListQuerySchema, type Curve } from '../../store/index.js';
import { curveOut, deletedOut, runOut, toF64Out, vectorOut } from '../entity-schemas.js';
import { idInput } from '../inputs.js';
import { defineOp } from '../op.js';
import { reapDeadRuns } from '../../jobs/owner.js';
import { minMaxKeep } from '../curve-downsample.js';

export const MAX_CURVE_POINTS = 1_000_000;
const DEFAULT_CURVE_POINTS = 10_000;

/** At most `max` points: each bucket's smallest and largest value, and the first and last point (curve-downsample.ts). */
function downsample(c: Curve, max: number): z.input<typeof curveOut> {
  const keep = minMaxKeep(c.values, max);
  return { ...c, x: keep.map((i) => c.x[i]!), values: keep.map((i) => toF64Out(c.values[i]!)), downsampled: keep.length < c.x.length };
}

export const runOps = {
  'runs.list': defineOp({
    summary: 'runs, oldest first (status, kind, datasetId, limit, offset)',
    input: runListQuerySchema,
    output: z.array(runOut),
    handler: async (q, ctx) => {
      reapDeadRuns(ctx.store);
      return ctx.store.runs.list(q);
    },
  }),
  'runs.stamp': defineOp({
    summary: "fingerprints of the runs list: stamp changes when a run is added, deleted, changes status or reports progress; shape only on the first three. Poll it: reload runs.list when shape changes, reread the running runs when only stamp does",
    input: z.strictObject({}),
    output: z.object({ stamp: z.string(), shape: z.string() }),
    handler: async (_input, ctx) => {
      reapDeadRuns(ctx.store);
      return ctx.store.runs.stamps();
    },
  }),
  'runs.get': defineOp({
    summary: 'one run with its config, provenance, result and last checkpoint step',
    input: idInput,
    output: runOut.extend({ checkpoint: z.object({ step: z.number(), createdAt: z.string() }).nullable() }),
    handler: async ({ id }, ctx) => {
      reapDeadRuns(ctx.store);
      const run = ctx.store.runs.get(id);
      const ck = ctx.store.checkpoints.get(id);
      return { ...run, checkpoint: ck ? { step: ck.step, createdAt: ck.createdAt } : null };
    },
  }),
  'runs.delete': defineOp({
    summary: 'delete a finished run with its checkpoint, metrics and figures (its vectors and datasets stay, unlinked)',
    input: idInput,
    output: deletedOut,
    handler: async ({ id }, ctx) => (ctx.store.runs.delete(id), { id, deleted: true as const }),
  }),
  'runs.metrics': defineOp({
    summary: `a run's metric curves, points by x (names to pick some; maxPoints <= ${MAX_CURVE_POINTS}, default ${DEFAULT_CURVE_POINTS})`,
    input: z.strictObject({
      runId: idSchema,
      names: z.array(z.string().min(1).max(200)).max(100).optional(),
      maxPoints: z.int().min(2).max(MAX_CURVE_POINTS).optional(),
    }),
    output: z.array(curveOut),
    handler: async ({ runId, names, maxPoints }, ctx) => {
      ctx.store.runs.get(runId);
      const all = ctx.store.metrics.list(runId).map((m) => m.name);
      const pick = names ?? all;
      return pick.map((name) => downsample(ctx.store.metrics.curve(runId, name), maxPoints ?? DEFAULT_CURVE_POINTS));
    },
  }),
  'runs.vectors': defineOp({
    summary: "a run's vectors (metadata; values through vectors.get)",
    input: z.strictObject({ runId: idSchema }),
    output: z.array(vectorOut),
    handler: async ({ runId }, ctx) => {
      ctx.store.runs.get(runId);
      return ctx.store.vectors.list({ runId, limit: 10_000 });
    },
  }),
};
