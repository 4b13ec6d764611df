/** The store itself: where it is, its schema version, and how many of each entity it holds. */
import { z } from 'zod';
import { defineOp } from '../op.js';

const TABLES = {
  models: 'models',
  saes: 'saes',
  interventionSets: 'intervention_sets',
  datasets: 'datasets',
  samples: 'samples',
  runs: 'runs',
  metrics: 'metrics',
  vectors: 'vectors',
  annotations: 'feature_annotations',
  figures: 'figures',
} as const;

export const storeOps = {
  'store.info': defineOp({
    summary: 'the store file, its schema version, and the number of rows of each entity',
    input: z.strictObject({}),
    output: z.object({
      path: z.string(),
      schemaVersion: z.number(),
      counts: z.object(Object.fromEntries(Object.keys(TABLES).map((k) => [k, z.number()])) as Record<keyof typeof TABLES, z.ZodNumber>),
    }),
    handler: async (_input, ctx) => {
      const s = ctx.store;
      const count = (table: string): number => (s.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      const counts = Object.fromEntries(Object.entries(TABLES).map(([k, t]) => [k, count(t)])) as Record<keyof typeof TABLES, number>;
      return { path: s.path, schemaVersion: s.schemaVersion(), counts };
    },
  }),
};
