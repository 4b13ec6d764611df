/**
 * Feature statistics for the Features view (written by the `feature-stats` job): the runs, a run's
 * features (filtered, sorted, paged, with their labels), every density of a run (for the histogram)
 * and one feature's row with its top activating contexts.
 */
import { z } from 'zod';
import { featureStatListQuerySchema } from '../../store/feature-stats.js';
import { idSchema } from '../../store/schemas.js';
import type { ApiContext } from '../context.js';
import { firesOnTokens } from '../feature-notes.js';
import { defineOp } from '../op.js';

/** the most rows a list returns (without top contexts) */
export const FEATURE_STATS_PAGE_MAX = 1000;
/** the most rows a list returns with top contexts */
export const FEATURE_STATS_TOP_PAGE_MAX = 50;
/** the most densities featureStats.densities returns */
export const FEATURE_STATS_DENSITIES_MAX = 1 << 20;

const topOut = z.object({
  context: z.number(), doc: z.number(), pos: z.number(), docPos: z.number(), value: z.number(),
  ids: z.array(z.number()), at: z.number(), text: z.object({ left: z.string(), token: z.string(), right: z.string() }),
});
const statOut = z.object({
  saeId: z.string(), featureIndex: z.number(), runId: z.string(), nTokens: z.number(), nActive: z.number(), density: z.number(),
  meanAct: z.number().nullable(), maxAct: z.number().nullable(), top: z.array(topOut), createdAt: z.string(),
  /** the feature's first label (annotations), if any */
  label: z.string().nullable(),
});
const listRowOut = statOut.extend({
  /** for a feature without a label: the distinct tokens of its top contexts in this run, strongest first (≤ 3); null when labelled or never active */
  firesOn: z.array(z.string()).nullable(),
});
const runOut = z.object({ runId: z.string(), saeId: z.string(), features: z.number(), dead: z.number(), nTokens: z.number(), createdAt: z.string() });

/** label by feature index: the first annotation of each */
function labelsOf(ctx: ApiContext, saeId: string, indices: readonly number[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const i of new Set(indices)) {
    const a = ctx.store.annotations.list({ saeId, featureIndex: i, limit: 1 })[0];
    if (a) out.set(i, a.label);
  }
  return out;
}

/** a row with its label, and for an unlabelled feature the tokens its top contexts fire on */
function withNotes<R extends { top: readonly { text: { token: string } }[] }>(r: R, label: string | null): R & { label: string | null; firesOn: string[] | null } {
  return { ...r, label, firesOn: label === null ? firesOnTokens(r.top) ?? null : null };
}

export const uiFeatureStatsOps = {
  'featureStats.runs': defineOp({
    summary: 'the feature-stats runs (of one SAE, or all), newest first: features, dead features, tokens counted',
    input: z.strictObject({ saeId: idSchema.optional() }),
    output: z.array(runOut),
    handler: async ({ saeId }, ctx) => ctx.store.featureStats.runs(saeId),
  }),
  'featureStats.list': defineOp({
    summary: `a feature-stats run's features: {runId, order: index|densest|sparsest|strongest, dead, minDensity, maxDensity, withTop, limit <= ${FEATURE_STATS_PAGE_MAX} (<= ${FEATURE_STATS_TOP_PAGE_MAX} withTop), offset}; with labels (or, unlabelled, the tokens each fires on) and the total matching`,
    // the store's query, with the API's page caps
    input: featureStatListQuerySchema.extend({
      limit: z.int().min(1).max(FEATURE_STATS_PAGE_MAX).optional(),
      offset: z.int().min(0).max(1 << 30).optional(),
    }).refine((q) => !q.withTop || (q.limit ?? 100) <= FEATURE_STATS_TOP_PAGE_MAX, { message: `with top contexts, limit is at most ${FEATURE_STATS_TOP_PAGE_MAX}`, path: ['limit'] }),
    output: z.object({ total: z.number(), rows: z.array(listRowOut) }),
    handler: async (q, ctx) => {
      const { limit, offset, withTop, order, ...filter } = q;
      // the total matching (cheap: no top contexts)
      const total = ctx.store.featureStats.count(filter);
      // top contexts are read for firesOn; they are returned only when asked for
      const rows = ctx.store.featureStats.list({ ...filter, order, withTop: true, limit: limit ?? 100, offset });
      const labels = rows.length ? labelsOf(ctx, rows[0]!.saeId, rows.map((r) => r.featureIndex)) : new Map<number, string>();
      return {
        total,
        rows: rows.map((r) => ({ ...withNotes(r, labels.get(r.featureIndex) ?? null), top: withTop ? r.top : [] })),
      };
    },
  }),
  'featureStats.densities': defineOp({
    summary: "every density of a feature-stats run, by feature index (for the density histogram), and its dead-feature count",
    input: z.strictObject({ runId: idSchema }),
    output: z.object({ saeId: z.string().nullable(), nTokens: z.number(), dead: z.number(), densities: z.array(z.number()) }),
    handler: async ({ runId }, ctx) => {
      const rows = ctx.store.featureStats.list({ runId, limit: 100_000 });
      const densities = rows.slice(0, FEATURE_STATS_DENSITIES_MAX).map((r) => r.density);
      return {
        saeId: rows[0]?.saeId ?? null,
        nTokens: rows.reduce((m, r) => Math.max(m, r.nTokens), 0),
        dead: rows.filter((r) => r.nActive === 0).length,
        densities,
      };
    },
  }),
  'featureStats.get': defineOp({
    summary: "one feature's stats with its top activating contexts: {runId, featureIndex} (or every run of the feature: {saeId, featureIndex})",
    input: z.strictObject({ runId: idSchema.optional(), saeId: idSchema.optional(), featureIndex: z.int().min(0).max(1 << 30) })
      .refine((q) => (q.runId === undefined) !== (q.saeId === undefined), { message: 'give exactly one of runId and saeId', path: ['runId'] }),
    output: z.array(listRowOut),
    handler: async ({ runId, saeId, featureIndex }, ctx) => {
      let rows;
      if (runId !== undefined) {
        const sae = ctx.store.featureStats.runs().find((r) => r.runId === runId)?.saeId;
        if (sae === undefined) {
          ctx.store.runs.get(runId);
          return [];
        }
        rows = [ctx.store.featureStats.get(sae, featureIndex, runId)];
      } else rows = ctx.store.featureStats.forFeature(saeId!, featureIndex);
      const labels = rows.length ? labelsOf(ctx, rows[0]!.saeId, [featureIndex]) : new Map<number, string>();
      return rows.map((r) => withNotes(r, labels.get(r.featureIndex) ?? null));
    },
  }),
};
