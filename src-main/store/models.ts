/** Models and SAEs: a path on disk, its content hash and its config. The weights stay on disk. */
import { resolve } from 'node:path';
import type { Db } from './db.js';
import { newId, nowIso } from './ids.js';
import { notFound } from './errors.js';
import { deleteRow, insertUnique, pageOf, parseJson, renameRow, requireRow, where } from './rows.js';
import {
  listQuerySchema, modelCreateSchema, parseInput, renameSchema, saeCreateSchema, saeListQuerySchema,
  type ListQuery, type ModelCreate, type Rename, type SaeCreate, type SaeListQuery,
} from './schemas.js';

export interface Model {
  id: string;
  name: string;
  path: string;
  contentHash: string | null;
  config: unknown;
  createdAt: string;
}

export interface Sae extends Model {
  modelId: string | null;
  hook: string | null;
}

interface ModelRow { id: string; name: string; path: string; content_hash: string | null; config: string; created_at: string }
interface SaeRow extends ModelRow { model_id: string | null; hook: string | null }

const toModel = (r: ModelRow): Model => ({
  id: r.id, name: r.name, path: r.path, contentHash: r.content_hash, config: parseJson(r.config), createdAt: r.created_at,
});
const toSae = (r: SaeRow): Sae => ({ ...toModel(r), modelId: r.model_id, hook: r.hook });

export function modelsRepo(db: Db) {
  const get = (id: string): Model => {
    const r = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    if (!r) throw notFound('model', id);
    return toModel(r);
  };
  return {
    create(input: ModelCreate): Model {
      const m = parseInput(modelCreateSchema, input, 'model');
      const id = m.id ?? newId();
      insertUnique('model', id, () =>
        db.prepare('INSERT INTO models (id, name, path, content_hash, config, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          id, m.name, m.path, m.contentHash ?? null, JSON.stringify(m.config ?? {}), nowIso(),
        ),
      );
      return get(id);
    },
    get,
    list(query: ListQuery = {}): Model[] {
      const q = parseInput(listQuerySchema, query, 'model list query');
      return (db.prepare('SELECT * FROM models ORDER BY created_at, id LIMIT ? OFFSET ?').all(...pageOf(q)) as ModelRow[]).map(toModel);
    },
    rename(input: Rename): Model {
      const r = parseInput(renameSchema, input, 'model rename');
      renameRow(db, 'models', 'model', r.id, r.name);
      return get(r.id);
    },
    delete(id: string): void {
      deleteRow(db, 'models', 'model', id);
    },
  };
}

export function saesRepo(db: Db) {
  const get = (id: string): Sae => {
    const r = db.prepare('SELECT * FROM saes WHERE id = ?').get(id) as SaeRow | undefined;
    if (!r) throw notFound('SAE', id);
    return toSae(r);
  };
  return {
    create(input: SaeCreate): Sae {
      const s = parseInput(saeCreateSchema, input, 'SAE');
      if (s.modelId) requireRow(db, 'models', 'model', s.modelId);
      const id = s.id ?? newId();
      insertUnique('SAE', id, () =>
        db.prepare(
          'INSERT INTO saes (id, name, path, content_hash, config, model_id, hook, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(id, s.name, s.path, s.contentHash ?? null, JSON.stringify(s.config ?? {}), s.modelId ?? null, s.hook ?? null, nowIso()),
      );
      return get(id);
    },
    get,
    list(query: SaeListQuery = {}): Sae[] {
      const q = parseInput(saeListQuerySchema, query, 'SAE list query');
      const w = where({ model_id: q.modelId });
      const rows = db.prepare(`SELECT * FROM saes ${w.sql} ORDER BY created_at, id LIMIT ? OFFSET ?`).all(...w.params, ...pageOf(q));
      return (rows as SaeRow[]).map(toSae);
    },
    /** The first-registered SAE whose folder is this path (paths compared resolved), if any. */
    findByPath(path: string): Sae | undefined {
      const want = resolve(path);
      const rows = db.prepare('SELECT * FROM saes ORDER BY created_at, id').all() as SaeRow[];
      const hit = rows.find((r) => resolve(r.path) === want);
      return hit ? toSae(hit) : undefined;
    },
    rename(input: Rename): Sae {
      const r = parseInput(renameSchema, input, 'SAE rename');
      renameRow(db, 'saes', 'SAE', r.id, r.name);
      return get(r.id);
    },
    delete(id: string): void {
      deleteRow(db, 'saes', 'SAE', id);
    },
  };
}

export type ModelsRepo = ReturnType<typeof modelsRepo>;
export type SaesRepo = ReturnType<typeof saesRepo>;
