/** Datasets: provenance (teacher intervention set, seed, producing run), filter spec, and sample statistics. */
import type { Db } from './db.js';
import { newId, nowIso } from './ids.js';
import { notFound } from './errors.js';
import { deleteRow, insertUnique, jsonText, pageOf, parseJson, renameRow, requireRow, where } from './rows.js';
import {
  datasetCreateSchema, datasetListQuerySchema, parseInput, renameSchema,
  type DatasetCreate, type DatasetListQuery, type Rename,
} from './schemas.js';

export interface Dataset {
  id: string;
  name: string;
  teacherSetId: string | null;
  seed: number | null;
  /** the run that generated it, if any */
  runId: string | null;
  /** the filter that set the samples' `passed` flags, if one ran */
  filter: unknown;
  createdAt: string;
  sampleCount: number;
  /** samples with a filter verdict */
  filteredCount: number;
  passedCount: number;
  /** passed / filtered, or null before any filter ran */
  passRate: number | null;
}

interface Row {
  id: string; name: string; teacher_set_id: string | null; seed: number | null; run_id: string | null;
  filter: string | null; created_at: string; n: number; filtered: number; passed: number;
}

const SELECT = `
  SELECT d.*,
    (SELECT count(*) FROM samples s WHERE s.dataset_id = d.id) AS n,
    (SELECT count(*) FROM samples s WHERE s.dataset_id = d.id AND s.passed IS NOT NULL) AS filtered,
    (SELECT count(*) FROM samples s WHERE s.dataset_id = d.id AND s.passed = 1) AS passed
  FROM datasets d`;

const toDataset = (r: Row): Dataset => ({
  id: r.id, name: r.name, teacherSetId: r.teacher_set_id, seed: r.seed, runId: r.run_id, filter: parseJson(r.filter),
  createdAt: r.created_at, sampleCount: r.n, filteredCount: r.filtered, passedCount: r.passed,
  passRate: r.filtered ? r.passed / r.filtered : null,
});

export function datasetsRepo(db: Db) {
  const find = (id: string): Dataset | null => {
    const r = db.prepare(`${SELECT} WHERE d.id = ?`).get(id) as Row | undefined;
    return r ? toDataset(r) : null;
  };
  const get = (id: string): Dataset => {
    const d = find(id);
    if (!d) throw notFound('dataset', id);
    return d;
  };
  return {
    create(input: DatasetCreate): Dataset {
      const d = parseInput(datasetCreateSchema, input, 'dataset');
      if (d.teacherSetId) requireRow(db, 'intervention_sets', 'intervention set', d.teacherSetId);
      if (d.runId) requireRow(db, 'runs', 'run', d.runId);
      const id = d.id ?? newId();
      insertUnique('dataset', id, () =>
        db.prepare('INSERT INTO datasets (id, name, teacher_set_id, seed, run_id, filter, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
          id, d.name, d.teacherSetId ?? null, d.seed ?? null, d.runId ?? null, jsonText(d.filter), nowIso(),
        ),
      );
      return get(id);
    },
    get,
    find,
    list(query: DatasetListQuery = {}): Dataset[] {
      const q = parseInput(datasetListQuerySchema, query, 'dataset list query');
      const w = where({ 'd.run_id': q.runId, 'd.teacher_set_id': q.teacherSetId });
      const rows = db.prepare(`${SELECT} ${w.sql} ORDER BY d.created_at, d.id LIMIT ? OFFSET ?`).all(...w.params, ...pageOf(q));
      return (rows as Row[]).map(toDataset);
    },
    rename(input: Rename): Dataset {
      const r = parseInput(renameSchema, input, 'dataset rename');
      renameRow(db, 'datasets', 'dataset', r.id, r.name);
      return get(r.id);
    },
    /** Deletes the dataset and its samples. */
    delete(id: string): void {
      deleteRow(db, 'datasets', 'dataset', id);
    },
  };
}

export type DatasetsRepo = ReturnType<typeof datasetsRepo>;
