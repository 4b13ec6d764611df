/**
 * Export an experiment to a portable folder: one JSONL file per table, one safetensors file holding
 * every blob (vectors with their dtype and shape), and manifest.json with the format version, row
 * counts and the sha256 of each file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Store } from './store.js';
import type { Db } from './db.js';
import { conflict } from './errors.js';
import { requireRow } from './rows.js';
import { nowIso } from './ids.js';
import { exportInputSchema, parseInput, type ExportInput, type ExportSelection } from './schemas.js';
import { columnsOf, encodeF64, FORMAT, FORMAT_VERSION, jsonlFile, MANIFEST, TABLES, tensorName, TENSORS, type SqlValue } from './portable.js';
import { writeSafetensors, type StDtype, type StWriteTensor } from '../engine/safetensors.js';

export interface Manifest {
  format: typeof FORMAT;
  version: number;
  schemaVersion: number;
  createdAt: string;
  selection: ExportSelection;
  counts: Record<string, number>;
  files: Record<string, { sha256: string; bytes: number }>;
}

interface Closure { runs: Set<string>; datasets: Set<string>; sets: Set<string>; models: Set<string>; vectors: Set<string>; saes: Set<string> }

interface Refs { runs: string[]; datasets: string[]; sets: string[]; vectors: string[]; saes: string[] }

/** Store ids a run's config (or result) refers to (a control dataset, a bias vector, a student's run, a stored set, an SAE), at any depth. */
function configRefs(config: unknown, out: Refs): void {
  if (Array.isArray(config)) {
    for (const v of config) configRefs(v, out);
    return;
  }
  if (typeof config !== 'object' || config === null) return;
  for (const [k, v] of Object.entries(config)) {
    if (typeof v === 'string') {
      if (k === 'datasetId' || k.endsWith('DatasetId')) out.datasets.push(v);
      else if (k === 'interventionSetId' || k === 'teacherSetId') out.sets.push(v);
      else if (k === 'vectorId' || k.endsWith('VectorId')) out.vectors.push(v);
      else if (k === 'loraRunId' || k === 'runId' || k.endsWith('RunId')) out.runs.push(v);
      else if (k === 'saeId' || k.endsWith('SaeId')) out.saes.push(v);
    } else configRefs(v, out);
  }
}

/**
 * The runs and datasets an experiment needs: the selected ones, each run's input dataset and the
 * datasets it generated, what its config refers to (control datasets, bias vectors and the runs that
 * made them, a student's run, stored sets), each dataset's generating run (to a fixed point), their
 * teacher intervention sets and models; the SAEs the runs used, trained or counted feature
 * statistics for (with their labels and models). Other SAEs and labels travel only with `all`.
 */
function closure(db: Db, sel: ExportSelection): Closure {
  const c: Closure = { runs: new Set(sel.runIds), datasets: new Set(sel.datasetIds), sets: new Set(), models: new Set(), vectors: new Set(), saes: new Set() };
  const exists = (table: string, id: string): boolean => db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id) !== undefined;
  for (const id of c.runs) requireRow(db, 'runs', 'run', id);
  for (const id of c.datasets) requireRow(db, 'datasets', 'dataset', id);
  for (let size = -1; size !== c.runs.size + c.datasets.size; ) {
    size = c.runs.size + c.datasets.size;
    for (const id of [...c.runs]) {
      const r = db.prepare('SELECT dataset_id, config, result FROM runs WHERE id = ?').get(id) as { dataset_id: string | null; config: string; result: string | null };
      if (r.dataset_id) c.datasets.add(r.dataset_id);
      // ids in the config that are gone from the store are left to the run's own record
      const refs: Refs = { runs: [], datasets: [], sets: [], vectors: [], saes: [] };
      configRefs(JSON.parse(r.config) as unknown, refs);
      // the result names only what the run made or used (its SAE); datasets it made are found by run_id
      const made: Refs = { runs: [], datasets: [], sets: [], vectors: [], saes: [] };
      if (r.result) configRefs(JSON.parse(r.result) as unknown, made);
      for (const x of [...refs.saes, ...made.saes]) if (exists('saes', x)) c.saes.add(x);
      // an SAE this run trained (train-sae registers it under the run's id), and those it counted statistics for
      if (exists('saes', id)) c.saes.add(id);
      for (const x of db.prepare('SELECT DISTINCT sae_id FROM feature_stats WHERE run_id = ?').all(id) as { sae_id: string }[]) c.saes.add(x.sae_id);
      for (const d of refs.datasets) if (exists('datasets', d)) c.datasets.add(d);
      for (const x of refs.runs) if (exists('runs', x)) c.runs.add(x);
      for (const x of refs.sets) if (exists('intervention_sets', x)) c.sets.add(x);
      for (const v of refs.vectors) {
        const row = db.prepare('SELECT run_id FROM vectors WHERE id = ?').get(v) as { run_id: string | null } | undefined;
        if (!row) continue;
        c.vectors.add(v);
        if (row.run_id) c.runs.add(row.run_id);
      }
      for (const d of db.prepare('SELECT id FROM datasets WHERE run_id = ?').all(id) as { id: string }[]) c.datasets.add(d.id);
    }
    for (const id of [...c.datasets]) {
      const d = db.prepare('SELECT run_id FROM datasets WHERE id = ?').get(id) as { run_id: string | null };
      if (d.run_id) c.runs.add(d.run_id);
    }
  }
  for (const id of c.datasets) {
    const d = db.prepare('SELECT teacher_set_id FROM datasets WHERE id = ?').get(id) as { teacher_set_id: string | null };
    if (d.teacher_set_id) c.sets.add(d.teacher_set_id);
  }
  for (const id of c.runs) {
    const r = db.prepare('SELECT model_id FROM runs WHERE id = ?').get(id) as { model_id: string | null };
    if (r.model_id) c.models.add(r.model_id);
  }
  for (const id of c.saes) {
    const r = db.prepare('SELECT model_id FROM saes WHERE id = ?').get(id) as { model_id: string | null };
    if (r.model_id) c.models.add(r.model_id);
  }
  return c;
}

/** WHERE clause (with at most one parameter: a JSON array of ids) selecting a table's rows for a closure; null means every row. */
function selector(table: string, c: Closure | null): { sql: string; ids: Set<string> | null } {
  if (!c) return { sql: '', ids: null };
  const ids = 'IN (SELECT value FROM json_each(?))';
  switch (table) {
    case 'models': return { sql: `WHERE id ${ids}`, ids: c.models };
    case 'intervention_sets': return { sql: `WHERE id ${ids}`, ids: c.sets };
    case 'runs': return { sql: `WHERE id ${ids}`, ids: c.runs };
    case 'datasets': return { sql: `WHERE id ${ids}`, ids: c.datasets };
    case 'samples': return { sql: `WHERE dataset_id ${ids}`, ids: c.datasets };
    // vectors: those of the runs, and those a config names directly (ids are unique across tables)
    case 'vectors': return { sql: 'WHERE EXISTS (SELECT 1 FROM json_each(?) j WHERE j.value = vectors.run_id OR j.value = vectors.id)', ids: new Set([...c.runs, ...c.vectors]) };
    case 'checkpoints': case 'metrics': case 'figures': return { sql: `WHERE run_id ${ids}`, ids: c.runs };
    case 'metric_points': return { sql: `WHERE metric_id IN (SELECT id FROM metrics WHERE run_id ${ids})`, ids: c.runs };
    case 'figure_files': return { sql: `WHERE figure_id IN (SELECT id FROM figures WHERE run_id ${ids})`, ids: c.runs };
    case 'saes': return { sql: `WHERE id ${ids}`, ids: c.saes };
    case 'feature_annotations': return { sql: `WHERE sae_id ${ids}`, ids: c.saes };
    case 'feature_stats': return { sql: `WHERE run_id ${ids}`, ids: c.runs };
    default: return { sql: 'WHERE 0', ids: null };
  }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Export the selected experiment (or the whole store with `select.all`) into `out`, which must be missing or empty. */
export function exportExperiment(store: Store, input: ExportInput): Manifest {
  const { out, select } = parseInput(exportInputSchema, input, 'export');
  const dir = resolve(out);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw conflict(`export folder ${dir} is not empty; choose a new or empty folder`);
  const db = store.db;
  const counts: Record<string, number> = {};
  const tensors: Record<string, StWriteTensor> = {};
  const jsonl: Record<string, string> = {};
  // One read transaction: a consistent snapshot even while jobs write.
  db.transaction(() => {
    const c = select.all ? null : closure(db, select);
    for (const t of TABLES) {
      const cols = columnsOf(db, t.name);
      const s = selector(t.name, c);
      const stmt = db.prepare(`SELECT * FROM ${t.name} ${s.sql} ORDER BY ${t.key.join(', ')}`);
      const rows = (s.ids ? stmt.all(JSON.stringify([...s.ids])) : stmt.all()) as Record<string, SqlValue>[];
      const lines: string[] = [];
      for (const row of rows) {
        const o: Record<string, unknown> = {};
        for (const col of cols) {
          const v = row[col.name] ?? null;
          if (v !== null && col.type === 'BLOB') {
            const name = tensorName(t.name, row, t.key, col.name);
            const isVector = t.name === 'vectors';
            tensors[name] = {
              dtype: isVector ? (row.dtype as StDtype) : 'U8',
              shape: isVector ? (JSON.parse(row.shape as string) as number[]) : [(v as Buffer).length],
              data: v as Buffer,
            };
            o[col.name] = { $tensor: name };
          } else o[col.name] = v !== null && col.type === 'REAL' ? encodeF64(v as number) : v;
        }
        lines.push(JSON.stringify(o));
      }
      counts[t.name] = rows.length;
      jsonl[jsonlFile(t.name)] = lines.length ? lines.join('\n') + '\n' : '';
    }
  })();
  mkdirSync(dir, { recursive: true });
  const files: Manifest['files'] = {};
  for (const [name, text] of Object.entries(jsonl)) {
    const b = Buffer.from(text, 'utf8');
    writeFileSync(join(dir, name), b);
    files[name] = { sha256: sha256(b), bytes: b.length };
  }
  writeSafetensors(join(dir, TENSORS), tensors, { format: FORMAT });
  const tb = readFileSync(join(dir, TENSORS));
  files[TENSORS] = { sha256: sha256(tb), bytes: tb.length };
  const manifest: Manifest = {
    format: FORMAT, version: FORMAT_VERSION, schemaVersion: store.schemaVersion(), createdAt: nowIso(), selection: select, counts, files,
  };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
