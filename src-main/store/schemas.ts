/**
 * zod schemas for every create/update input of the store. Objects are strict (unknown fields are
 * errors), strings have maximum lengths, paths may not hold '..' segments. The API layer reuses
 * these; the repositories also parse with them, so every caller gets the same checks.
 */
import { z } from 'zod';
import { RUN_STATUSES, VECTOR_DTYPES } from './migrations.js';
import { invalid } from './errors.js';

export const MAX_NAME = 200;
export const MAX_TEXT = 1_000_000;
export const MAX_JSON_BYTES = 1_000_000;
export const MAX_PATH = 4096;
export const MAX_BATCH = 100_000;

export const idSchema = z.string().max(64).regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id: 1 to 64 letters, digits, _ or -');
export const nameSchema = z.string().min(1).max(MAX_NAME);
const shortText = z.string().min(1).max(MAX_NAME);
export const hookSchema = z.string().min(1).max(MAX_NAME);
export const hashSchema = z.string().max(160).regex(/^[A-Za-z0-9:_-]{1,160}$/, 'must be a content hash such as sha256:<hex>');
export const seedSchema = z.int().min(0);

export const pathSchema = z
  .string()
  .min(1)
  .max(MAX_PATH)
  .refine((p) => !p.includes('\0'), 'path contains a NUL byte')
  .refine((p) => !p.split(/[\\/]/).includes('..'), "path contains a '..' segment (path traversal is refused; give the resolved path)");

/** Any JSON value whose serialised form fits in `maxBytes`. */
export const jsonSchema = (maxBytes = MAX_JSON_BYTES) =>
  z.json().refine((v) => Buffer.byteLength(JSON.stringify(v)) <= maxBytes, `JSON value is larger than ${maxBytes} bytes`);

export type JsonValue = z.input<ReturnType<typeof jsonSchema>>;

/** A float64 that may also be NaN or ±Infinity (a diverging loss is a real result). */
export const f64Schema = z.custom<number>((v) => typeof v === 'number', 'expected a number');

const optId = idSchema.optional();
const nullableId = idSchema.nullable().optional();

export const modelCreateSchema = z.strictObject({
  id: optId,
  name: nameSchema,
  path: pathSchema,
  contentHash: hashSchema.nullable().optional(),
  config: jsonSchema().optional(),
});

export const saeCreateSchema = z.strictObject({
  id: optId,
  name: nameSchema,
  path: pathSchema,
  contentHash: hashSchema.nullable().optional(),
  config: jsonSchema().optional(),
  modelId: nullableId,
  hook: hookSchema.nullable().optional(),
});

export const interventionSetCreateSchema = z.strictObject({
  id: optId,
  name: nameSchema,
  spec: jsonSchema(),
});

export const datasetCreateSchema = z.strictObject({
  id: optId,
  name: nameSchema,
  teacherSetId: nullableId,
  seed: seedSchema.nullable().optional(),
  runId: nullableId,
  filter: jsonSchema().nullable().optional(),
});

export const sampleSchema = z.strictObject({
  idx: z.int().min(0),
  prompt: z.string().max(MAX_TEXT),
  completion: z.string().max(MAX_TEXT),
  messages: jsonSchema().nullable().optional(),
  passed: z.boolean().nullable().optional(),
  meta: jsonSchema().nullable().optional(),
});

export const samplesAddSchema = z.strictObject({
  datasetId: idSchema,
  samples: z.array(sampleSchema).max(MAX_BATCH),
});

export const filterResultsSchema = z.strictObject({
  datasetId: idSchema,
  filter: jsonSchema(),
  results: z.array(z.strictObject({ idx: z.int().min(0), passed: z.boolean() })).max(MAX_BATCH),
});

export const metricPointsAddSchema = z.strictObject({
  runId: idSchema,
  name: shortText,
  unit: shortText.nullable().optional(),
  points: z.array(z.strictObject({ x: z.number(), value: f64Schema })).max(MAX_BATCH),
});

const DTYPE_BYTES = { F32: 4, F64: 8, F16: 2, BF16: 2 } as const;
export type VectorDtype = (typeof VECTOR_DTYPES)[number];

export const vectorCreateSchema = z
  .strictObject({
    id: optId,
    name: nameSchema,
    runId: nullableId,
    hook: hookSchema.nullable().optional(),
    dtype: z.enum(VECTOR_DTYPES).default('F32'),
    shape: z.array(z.int().min(0)).max(8),
    /** raw little-endian bytes or a typed array of the dtype; number[] is converted for F32/F64 */
    data: z.union([
      z.instanceof(Float32Array),
      z.instanceof(Float64Array),
      z.instanceof(Uint16Array),
      z.instanceof(Uint8Array),
      z.array(f64Schema).max(64_000_000),
    ]),
    meta: jsonSchema().nullable().optional(),
  })
  .superRefine((v, ctx) => {
    const count = v.shape.reduce((a, b) => a * b, 1);
    const want = count * DTYPE_BYTES[v.dtype];
    const d = v.data;
    const got = Array.isArray(d) ? (v.dtype === 'F32' || v.dtype === 'F64' ? d.length * DTYPE_BYTES[v.dtype] : -1) : d.byteLength;
    if (got === -1) ctx.addIssue({ code: 'custom', path: ['data'], message: `a number[] is only accepted for F32 or F64, not ${v.dtype}` });
    else if (got !== want) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: `data has ${got} bytes but ${v.dtype}${JSON.stringify(v.shape)} needs ${want}` });
    }
  });

export const annotationUpsertSchema = z.strictObject({
  saeId: idSchema,
  featureIndex: z.int().min(0),
  source: shortText,
  label: z.string().max(10_000),
  data: jsonSchema().nullable().optional(),
});

export const figureCreateSchema = z.strictObject({
  id: optId,
  runId: nullableId,
  kind: shortText,
  spec: jsonSchema(),
});

export const figureFileAddSchema = z.strictObject({
  figureId: idSchema,
  path: pathSchema,
  format: z.string().regex(/^[a-z0-9]{1,16}$/, 'must be a file format such as svg, png, pdf, csv'),
});

export const renameSchema = z.strictObject({ id: idSchema, name: nameSchema });

export const listQuerySchema = z.strictObject({
  limit: z.int().min(1).max(10_000).optional(),
  offset: z.int().min(0).optional(),
});

export const runListQuerySchema = listQuerySchema.extend({
  status: z.enum(RUN_STATUSES).optional(),
  kind: shortText.optional(),
  datasetId: idSchema.optional(),
});
export const saeListQuerySchema = listQuerySchema.extend({ modelId: idSchema.optional() });
export const datasetListQuerySchema = listQuerySchema.extend({ runId: idSchema.optional(), teacherSetId: idSchema.optional() });
export const byRunListQuerySchema = listQuerySchema.extend({ runId: idSchema.optional() });
export const annotationListQuerySchema = listQuerySchema.extend({
  saeId: idSchema,
  featureIndex: z.int().min(0).optional(),
});
export const samplesQuerySchema = listQuerySchema.extend({ datasetId: idSchema, passed: z.boolean().optional() });

export const exportSelectionSchema = z
  .strictObject({
    runIds: z.array(idSchema).max(10_000).optional(),
    datasetIds: z.array(idSchema).max(10_000).optional(),
    all: z.boolean().optional(),
  })
  .refine((s) => s.all === true || (s.runIds?.length ?? 0) + (s.datasetIds?.length ?? 0) > 0, 'select at least one run or dataset, or all');

export const exportInputSchema = z.strictObject({ out: pathSchema, select: exportSelectionSchema });
export const importInputSchema = z.strictObject({ dir: pathSchema });

/** Parse `input` or throw an 'invalid' StoreError listing every problem with its field path. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`);
  throw invalid(`invalid ${what}: ${problems.join('; ')}`);
}

export type ModelCreate = z.input<typeof modelCreateSchema>;
export type SaeCreate = z.input<typeof saeCreateSchema>;
export type InterventionSetCreate = z.input<typeof interventionSetCreateSchema>;
export type DatasetCreate = z.input<typeof datasetCreateSchema>;
export type SampleInput = z.input<typeof sampleSchema>;
export type SamplesAdd = z.input<typeof samplesAddSchema>;
export type FilterResults = z.input<typeof filterResultsSchema>;
export type MetricPointsAdd = z.input<typeof metricPointsAddSchema>;
export type VectorCreate = z.input<typeof vectorCreateSchema>;
export type AnnotationUpsert = z.input<typeof annotationUpsertSchema>;
export type FigureCreate = z.input<typeof figureCreateSchema>;
export type FigureFileAdd = z.input<typeof figureFileAddSchema>;
export type Rename = z.input<typeof renameSchema>;
export type ListQuery = z.input<typeof listQuerySchema>;
export type RunListQuery = z.input<typeof runListQuerySchema>;
export type SaeListQuery = z.input<typeof saeListQuerySchema>;
export type DatasetListQuery = z.input<typeof datasetListQuerySchema>;
export type ByRunListQuery = z.input<typeof byRunListQuerySchema>;
export type AnnotationListQuery = z.input<typeof annotationListQuerySchema>;
export type SamplesQuery = z.input<typeof samplesQuerySchema>;
export type ExportSelection = z.input<typeof exportSelectionSchema>;
export type ExportInput = z.input<typeof exportInputSchema>;
export type ImportInput = z.input<typeof importInputSchema>;

/** A run as the job runner creates it (not an API input: the API starts jobs instead). */
export const runCreateSchema = z.strictObject({
  id: optId,
  kind: shortText,
  config: jsonSchema(),
  codeVersion: shortText,
  seed: seedSchema.nullable().optional(),
  modelId: nullableId,
  modelHash: hashSchema.nullable().optional(),
  datasetId: nullableId,
  owner: z.strictObject({ pid: z.int().min(0), token: idSchema }).nullable().optional(),
});
export type RunCreate = z.input<typeof runCreateSchema>;

export const checkpointSaveSchema = z.strictObject({
  step: z.int().min(0),
  state: jsonSchema(64 * MAX_JSON_BYTES),
  optimizer: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes (a Uint8Array)').nullable().optional(),
});
export type CheckpointSave = z.input<typeof checkpointSaveSchema>;
