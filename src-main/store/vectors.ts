/** Vectors: little-endian float blobs with dtype and shape, a name, the run that produced them and the hook they live at. */
import type { Db } from './db.js';
import { newId, nowIso } from './ids.js';
import { notFound } from './errors.js';
import { deleteRow, insertUnique, jsonText, pageOf, parseJson, renameRow, requireRow, where } from './rows.js';
import {
  byRunListQuerySchema, parseInput, renameSchema, vectorCreateSchema,
  type ByRunListQuery, type Rename, type VectorCreate, type VectorDtype,
} from './schemas.js';
import { bytesToF32 } from '../engine/safetensors.js';

export interface Vector {
  id: string;
  name: string;
  runId: string | null;
  hook: string | null;
  dtype: VectorDtype;
  shape: number[];
  meta: unknown;
  createdAt: string;
}

interface Row {
  id: string; name: string; run_id: string | null; hook: string | null; dtype: VectorDtype; shape: string;
  meta: string | null; created_at: string;
}
const COLS = 'id, name, run_id, hook, dtype, shape, meta, created_at';
const toVector = (r: Row): Vector => ({
  id: r.id, name: r.name, runId: r.run_id, hook: r.hook, dtype: r.dtype, shape: JSON.parse(r.shape) as number[],
  meta: parseJson(r.meta), createdAt: r.created_at,
});

function toBytes(data: ArrayBufferView | number[], dtype: VectorDtype): Buffer {
  if (Array.isArray(data)) return toBytes(dtype === 'F64' ? Float64Array.from(data) : Float32Array.from(data), dtype);
  return Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export function vectorsRepo(db: Db) {
  const get = (id: string): Vector => {
    const r = db.prepare(`SELECT ${COLS} FROM vectors WHERE id = ?`).get(id) as Row | undefined;
    if (!r) throw notFound('vector', id);
    return toVector(r);
  };
  const bytes = (id: string): Buffer => {
    const r = db.prepare('SELECT data FROM vectors WHERE id = ?').get(id) as { data: Buffer } | undefined;
    if (!r) throw notFound('vector', id);
    return r.data;
  };
  return {
    create(input: VectorCreate): Vector {
      const v = parseInput(vectorCreateSchema, input, 'vector');
      if (v.runId) requireRow(db, 'runs', 'run', v.runId);
      const id = v.id ?? newId();
      insertUnique('vector', id, () =>
        db.prepare(`INSERT INTO vectors (id, name, run_id, hook, dtype, shape, data, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
          id, v.name, v.runId ?? null, v.hook ?? null, v.dtype, JSON.stringify(v.shape), toBytes(v.data, v.dtype), jsonText(v.meta), nowIso(),
        ),
      );
      return get(id);
    },
    get,
    /** The raw little-endian bytes, exactly as stored. */
    bytes,
    /** The values decoded to float32 (F16/BF16/F64 are converted). */
    f32(id: string): Float32Array {
      return bytesToF32(bytes(id), get(id).dtype, 'vector', id);
    },
    list(query: ByRunListQuery = {}): Vector[] {
      const q = parseInput(byRunListQuerySchema, query, 'vector list query');
      const w = where({ run_id: q.runId });
      return (db.prepare(`SELECT ${COLS} FROM vectors ${w.sql} ORDER BY created_at, id LIMIT ? OFFSET ?`).all(...w.params, ...pageOf(q)) as Row[]).map(toVector);
    },
    rename(input: Rename): Vector {
      const r = parseInput(renameSchema, input, 'vector rename');
      renameRow(db, 'vectors', 'vector', r.id, r.name);
      return get(r.id);
    },
    delete(id: string): void {
      deleteRow(db, 'vectors', 'vector', id);
    },
  };
}

export type VectorsRepo = ReturnType<typeof vectorsRepo>;
