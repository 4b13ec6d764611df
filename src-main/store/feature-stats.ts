/**
 * Per-feature corpus statistics, one row per (SAE, feature index, run): the counted tokens, how many
 * of them activate the feature (density = n_active / n_tokens), the mean activation when active,
 * the largest activation, and the top activating contexts (JSON: token-id windows and decoded text).
 * Written by the `feature-stats` job; a run's rows go when the run or the SAE is deleted.
 */
import { z } from 'zod';
import type { Db } from './db.js';
import { nowIso } from './ids.js';
import { conflict, invalid, notFound } from './errors.js';
import { pageOf, requireRow } from './rows.js';
import { idSchema, MAX_BATCH, parseInput } from './schemas.js';

export interface FeatureStatTop {
  /** context id (order of the contexts) */
  context: number;
  /** document (corpus text or dataset row) index */
  doc: number;
  /** position of the activating token in the context */
  pos: number;
  /** its index in the document */
  docPos: number;
  value: number;
  /** token ids of the window around it; ids[at] is the activating token */
  ids: number[];
  at: number;
  /** decoded window: text before, the token, text after */
  text: { left: string; token: string; right: string };
}

export interface FeatureStat {
  saeId: string;
  featureIndex: number;
  runId: string;
  nTokens: number;
  nActive: number;
  density: number;
  /** mean activation over the tokens where the feature is active; null when it never is */
  meanAct: number | null;
  maxAct: number | null;
  /** top activating contexts, best first (empty in list results unless withTop) */
  top: FeatureStatTop[];
  createdAt: string;
}

const count = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const finiteOrNull = z.number().refine(Number.isFinite, 'must be finite').nullable();
const topSchema = z.array(z.strictObject({
  context: count, doc: count, pos: count, docPos: count, value: z.number().refine(Number.isFinite, 'must be finite'),
  ids: z.array(count), at: count, text: z.strictObject({ left: z.string(), token: z.string(), right: z.string() }),
}));

export const featureStatInputSchema = z.strictObject({
  saeId: idSchema,
  featureIndex: count,
  runId: idSchema,
  nTokens: count,
  nActive: count,
  density: z.number().min(0).max(1),
  meanAct: finiteOrNull,
  maxAct: finiteOrNull,
  top: topSchema,
}).refine((r) => r.nActive <= r.nTokens, 'nActive must not exceed nTokens')
  .refine((r) => Buffer.byteLength(JSON.stringify(r.top)) <= 1_000_000, 'top contexts JSON is larger than 1000000 bytes');
export type FeatureStatInput = z.input<typeof featureStatInputSchema>;

export const FEATURE_STAT_ORDERS = ['index', 'densest', 'sparsest', 'strongest'] as const;

export const featureStatListQuerySchema = z.strictObject({
  runId: idSchema,
  /** index (default); densest first; sparsest live feature first; largest max activation first */
  order: z.enum(FEATURE_STAT_ORDERS).optional(),
  /** true: only features never active; false: only live ones */
  dead: z.boolean().optional(),
  minDensity: z.number().min(0).max(1).optional(),
  maxDensity: z.number().min(0).max(1).optional(),
  /** include the top contexts (default false: they are the bulk of a row) */
  withTop: z.boolean().optional(),
  limit: z.int().min(1).max(100_000).optional(),
  offset: z.int().min(0).optional(),
});
export type FeatureStatListQuery = z.input<typeof featureStatListQuerySchema>;

export interface FeatureStatRunSummary {
  runId: string;
  saeId: string;
  features: number;
  dead: number;
  nTokens: number;
  createdAt: string;
}

interface Row {
  sae_id: string; feature_index: number; run_id: string; n_tokens: number; n_active: number; density: number;
  mean_act: number | null; max_act: number | null; top?: string; created_at: string;
}
const toStat = (r: Row): FeatureStat => ({
  saeId: r.sae_id, featureIndex: r.feature_index, runId: r.run_id, nTokens: r.n_tokens, nActive: r.n_active, density: r.density,
  meanAct: r.mean_act, maxAct: r.max_act, top: r.top === undefined ? [] : (JSON.parse(r.top) as FeatureStatTop[]), createdAt: r.created_at,
});
const COLS = 'sae_id, feature_index, run_id, n_tokens, n_active, density, mean_act, max_act, created_at';

const ORDER_SQL: Record<(typeof FEATURE_STAT_ORDERS)[number], string> = {
  index: 'feature_index',
  densest: 'density DESC, feature_index',
  sparsest: 'density ASC, feature_index',
  strongest: 'max_act DESC NULLS LAST, feature_index',
};

/** The WHERE conditions of a list query (run, dead or live, density range) and their parameters. */
function whereOf(q: FeatureStatListQuery): { conds: string[]; params: (string | number)[] } {
  const conds = ['run_id = ?'];
  const params: (string | number)[] = [q.runId];
  if (q.dead === true) conds.push('n_active = 0');
  if (q.dead === false) conds.push('n_active > 0');
  if (q.minDensity !== undefined) (conds.push('density >= ?'), params.push(q.minDensity));
  if (q.maxDensity !== undefined) (conds.push('density <= ?'), params.push(q.maxDensity));
  return { conds, params };
}

export function featureStatsRepo(db: Db) {
  const insert = db.prepare(`INSERT INTO feature_stats (${COLS}, top) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return {
    /** Insert rows (all in one transaction); a (sae, feature, run) that already has stats is a conflict. */
    addMany(rows: readonly FeatureStatInput[]): number {
      if (rows.length > MAX_BATCH) throw invalid(`at most ${MAX_BATCH} feature stats per call, got ${rows.length}`);
      const parsed = rows.map((r, i) => parseInput(featureStatInputSchema, r, `feature stats row ${i}`));
      const now = nowIso();
      db.transaction(() => {
        const seen = new Set<string>();
        for (const r of parsed) {
          for (const [table, what, id] of [['saes', 'SAE', r.saeId], ['runs', 'run', r.runId]] as const) {
            const k = `${table}:${id}`;
            if (!seen.has(k)) {
              requireRow(db, table, what, id);
              seen.add(k);
            }
          }
          try {
            insert.run(r.saeId, r.featureIndex, r.runId, r.nTokens, r.nActive, r.density, r.meanAct, r.maxAct, now, JSON.stringify(r.top));
          } catch (e) {
            if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw conflict(`feature stats of SAE '${r.saeId}' feature ${r.featureIndex} in run '${r.runId}' already exist`);
            throw e;
          }
        }
      })();
      return parsed.length;
    },
    /** One feature's stats in one run (with its top contexts). */
    get(saeId: string, featureIndex: number, runId: string): FeatureStat {
      const r = db.prepare(`SELECT ${COLS}, top FROM feature_stats WHERE sae_id = ? AND feature_index = ? AND run_id = ?`).get(saeId, featureIndex, runId) as Row | undefined;
      if (!r) throw notFound(`feature stats of SAE '${saeId}' feature ${featureIndex} in run`, runId);
      return toStat(r);
    },
    /** One feature's stats in every run that computed them, newest first (with top contexts). */
    forFeature(saeId: string, featureIndex: number): FeatureStat[] {
      const rows = db.prepare(`SELECT ${COLS}, top FROM feature_stats WHERE sae_id = ? AND feature_index = ? ORDER BY created_at DESC, run_id`).all(saeId, featureIndex) as Row[];
      return rows.map(toStat);
    },
    /** A run's features, filtered and sorted (see the query schema). */
    list(query: FeatureStatListQuery): FeatureStat[] {
      const q = parseInput(featureStatListQuerySchema, query, 'feature stats query');
      const { conds, params } = whereOf(q);
      const order = ORDER_SQL[q.order ?? 'index'];
      const page = `SELECT ${q.withTop ? 'rowid' : COLS} FROM feature_stats WHERE ${conds.join(' AND ')} ORDER BY ${order} LIMIT ? OFFSET ?`;
      // with top contexts: the page is picked first and only its rows' contexts are read. Sorting with
      // the top column would carry every matching row's contexts through the sorter (all 16,384
      // features' JSON for each page of a 16k SAE: 3x the time of a page without them)
      const sql = q.withTop ? `SELECT ${COLS}, top FROM feature_stats WHERE rowid IN (${page}) ORDER BY ${order}` : page;
      return (db.prepare(sql).all(...params, ...pageOf({ limit: q.limit ?? 100_000, offset: q.offset })) as Row[]).map(toStat);
    },
    /** How many of a run's features match the query's filters (its order and page are ignored). */
    count(query: FeatureStatListQuery): number {
      const q = parseInput(featureStatListQuerySchema, query, 'feature stats query');
      const { conds, params } = whereOf(q);
      return (db.prepare(`SELECT COUNT(*) AS n FROM feature_stats WHERE ${conds.join(' AND ')}`).get(...params) as { n: number }).n;
    },
    /** The feature-stats runs of an SAE (or every SAE), newest first. */
    runs(saeId?: string): FeatureStatRunSummary[] {
      const rows = db.prepare(`SELECT run_id, sae_id, COUNT(*) AS features, SUM(n_active = 0) AS dead, MAX(n_tokens) AS n_tokens, MIN(created_at) AS created_at
          FROM feature_stats ${saeId === undefined ? '' : 'WHERE sae_id = ?'} GROUP BY run_id, sae_id ORDER BY created_at DESC, run_id`).all(...(saeId === undefined ? [] : [saeId])) as {
        run_id: string; sae_id: string; features: number; dead: number; n_tokens: number; created_at: string;
      }[];
      return rows.map((r) => ({ runId: r.run_id, saeId: r.sae_id, features: r.features, dead: r.dead, nTokens: r.n_tokens, createdAt: r.created_at }));
    },
  };
}

export type FeatureStatsRepo = ReturnType<typeof featureStatsRepo>;
