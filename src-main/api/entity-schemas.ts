/**
 * Output schemas of the store's entities, as the API returns them (the renderer's types derive
 * from these). They mirror the repositories' interfaces in store/; the handlers' return types are
 * checked against them at compile time. Numbers JSON cannot hold (NaN, ±Infinity) travel as strings.
 */
import { z } from 'zod';
import { RUN_STATUSES, VECTOR_DTYPES } from '../store/index.js';

const id = z.string();
const ref = z.string().nullable();
const at = z.string();

/** A float64 as JSON: a number, or 'NaN' / 'Infinity' / '-Infinity'. */
export const f64Out = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
export type F64Out = z.output<typeof f64Out>;
export const toF64Out = (v: number): F64Out => (Number.isFinite(v) ? v : (String(v) as 'NaN' | 'Infinity' | '-Infinity'));

export const deletedOut = z.object({ id: z.string(), deleted: z.literal(true) });

export const modelOut = z.object({ id, name: z.string(), path: z.string(), contentHash: ref, config: z.unknown(), createdAt: at });
export const saeOut = modelOut.extend({ modelId: ref, hook: ref });

export const interventionSetOut = z.object({ id, name: z.string(), spec: z.unknown(), createdAt: at });

export const datasetOut = z.object({
  id,
  name: z.string(),
  teacherSetId: ref,
  seed: z.number().nullable(),
  runId: ref,
  filter: z.unknown(),
  createdAt: at,
  sampleCount: z.number(),
  filteredCount: z.number(),
  passedCount: z.number(),
  /** passed / filtered, or null before any filter ran */
  passRate: z.number().nullable(),
});

export const sampleOut = z.object({
  datasetId: id,
  idx: z.number(),
  prompt: z.string(),
  completion: z.string(),
  messages: z.unknown(),
  passed: z.boolean().nullable(),
  meta: z.unknown(),
  createdAt: at,
});

export const runStatusOut = z.enum(RUN_STATUSES);

export const runOut = z.object({
  id,
  kind: z.string(),
  status: runStatusOut,
  config: z.unknown(),
  progress: z.number(),
  message: z.string().nullable(),
  result: z.unknown(),
  error: z.string().nullable(),
  codeVersion: z.string(),
  modelId: ref,
  modelHash: ref,
  datasetId: ref,
  seed: z.number().nullable(),
  cancelRequested: z.boolean(),
  owner: z.object({ pid: z.number(), token: z.string() }).nullable(),
  createdAt: at,
  startedAt: at.nullable(),
  finishedAt: at.nullable(),
  /** working time, summed over resumes */
  elapsedMs: z.number(),
});

export const metricOut = z.object({ id, runId: id, name: z.string(), unit: ref, createdAt: at, pointCount: z.number() });
export const curveOut = metricOut.extend({
  x: z.array(z.number()),
  values: z.array(f64Out),
  /** true when every k-th point was kept (plus the last) to stay within `maxPoints` */
  downsampled: z.boolean(),
});

export const vectorOut = z.object({
  id,
  name: z.string(),
  runId: ref,
  hook: ref,
  dtype: z.enum(VECTOR_DTYPES),
  shape: z.array(z.number()),
  meta: z.unknown(),
  createdAt: at,
});

export const annotationOut = z.object({
  saeId: id,
  featureIndex: z.number(),
  source: z.string(),
  label: z.string(),
  data: z.unknown(),
  createdAt: at,
});

export const figureOut = z.object({
  id,
  runId: ref,
  kind: z.string(),
  spec: z.unknown(),
  createdAt: at,
  files: z.array(z.object({ path: z.string(), format: z.string(), createdAt: at })),
});
