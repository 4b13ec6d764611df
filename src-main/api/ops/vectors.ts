/** Vectors: metadata, values as numbers (a capped slice), creation from numbers, rename, delete. */
import { z } from 'zod';
import { bytesToF32 } from '../../engine/safetensors.js';
import {
  byRunListQuerySchema, hookSchema, idSchema, jsonSchema, nameSchema, renameSchema, type VectorDtype,
} from '../../store/index.js';
import { deletedOut, f64Out, toF64Out, vectorOut } from '../entity-schemas.js';
import { idInput } from '../inputs.js';
import { defineOp } from '../op.js';

/** The most values one `vectors.get` returns (about 10 MB of JSON); page with `offset` for more. */
export const MAX_VECTOR_VALUES = 1_000_000;
const DEFAULT_VECTOR_VALUES = 65_536;
const BYTES: Record<VectorDtype, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

function decode(bytes: Buffer, dtype: VectorDtype): ArrayLike<number> {
  if (dtype === 'F64') return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return bytesToF32(bytes, dtype, 'vector');
}

export const vectorOps = {
  'vectors.list': defineOp({
    summary: 'vectors (metadata), oldest first (runId, limit, offset)',
    input: byRunListQuerySchema,
    output: z.array(vectorOut),
    handler: async (q, ctx) => ctx.store.vectors.list(q),
  }),
  'vectors.get': defineOp({
    summary: `a vector's metadata and values (flat, row-major) from offset, at most limit <= ${MAX_VECTOR_VALUES} (default ${DEFAULT_VECTOR_VALUES})`,
    input: z.strictObject({
      id: idSchema,
      offset: z.int().min(0).optional(),
      limit: z.int().min(1).max(MAX_VECTOR_VALUES).optional(),
    }),
    output: vectorOut.extend({
      /** number of values in the whole vector (the product of its shape) */
      count: z.number(),
      offset: z.number(),
      values: z.array(f64Out),
      /** true when values stop before the end of the vector */
      truncated: z.boolean(),
    }),
    handler: async ({ id, offset = 0, limit = DEFAULT_VECTOR_VALUES }, ctx) => {
      const v = ctx.store.vectors.get(id);
      const count = v.shape.reduce((a, b) => a * b, 1);
      const start = Math.min(offset, count);
      const end = Math.min(count, start + limit);
      const size = BYTES[v.dtype];
      const bytes = ctx.store.vectors.bytes(id).subarray(start * size, end * size);
      const values = Array.from(decode(bytes, v.dtype), toF64Out);
      return { ...v, count, offset: start, values, truncated: end < count };
    },
  }),
  'vectors.create': defineOp({
    summary: `store a vector from numbers ('NaN', 'Infinity' as strings): name, shape, values (at most ${MAX_VECTOR_VALUES}), dtype F32|F64, run, hook, meta`,
    input: z.strictObject({
      id: idSchema.optional(),
      name: nameSchema,
      runId: idSchema.nullable().optional(),
      hook: hookSchema.nullable().optional(),
      dtype: z.enum(['F32', 'F64']).default('F32'),
      shape: z.array(z.int().min(0).max(MAX_VECTOR_VALUES)).max(8),
      /** numbers, or 'NaN' / 'Infinity' / '-Infinity' (as vectors.get returns them) */
      values: z.array(f64Out).max(MAX_VECTOR_VALUES),
      meta: jsonSchema().nullable().optional(),
    }),
    output: vectorOut,
    handler: async ({ values, ...v }, ctx) => ctx.store.vectors.create({ ...v, data: values.map(Number) }),
  }),
  'vectors.rename': defineOp({
    summary: 'rename a vector',
    input: renameSchema,
    output: vectorOut,
    handler: async (r, ctx) => ctx.store.vectors.rename(r),
  }),
  'vectors.delete': defineOp({
    summary: 'delete a vector',
    input: idInput,
    output: deletedOut,
    handler: async ({ id }, ctx) => (ctx.store.vectors.delete(id), { id, deleted: true as const }),
  }),
};
