/** Samples of a dataset, keyed by (dataset, idx): prompt, completion, chat messages, filter verdict, meta. */
import type { Db } from './db.js';
import { nowIso } from './ids.js';
import { conflict, invalid } from './errors.js';
import { jsonText, pageOf, parseJson, requireRow } from './rows.js';
import {
  filterResultsSchema, parseInput, samplesAddSchema, samplesQuerySchema,
  type FilterResults, type SamplesAdd, type SamplesQuery,
} from './schemas.js';

export interface Sample {
  datasetId: string;
  idx: number;
  prompt: string;
  completion: string;
  messages: unknown;
  /** the filter's verdict; null before a filter ran */
  passed: boolean | null;
  meta: unknown;
  createdAt: string;
}

interface Row {
  dataset_id: string; idx: number; prompt: string; completion: string; messages: string | null;
  passed: number | null; meta: string | null; created_at: string;
}

const toSample = (r: Row): Sample => ({
  datasetId: r.dataset_id, idx: r.idx, prompt: r.prompt, completion: r.completion, messages: parseJson(r.messages),
  passed: r.passed === null ? null : r.passed === 1, meta: parseJson(r.meta), createdAt: r.created_at,
});

export function samplesRepo(db: Db) {
  const insert = db.prepare(
    'INSERT INTO samples (dataset_id, idx, prompt, completion, messages, passed, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const exists = db.prepare('SELECT 1 FROM samples WHERE dataset_id = ? AND idx = ?');
  return {
    /** Add samples in one transaction; an idx that already exists is a conflict and nothing is added. */
    add(input: SamplesAdd): number {
      const a = parseInput(samplesAddSchema, input, 'samples');
      requireRow(db, 'datasets', 'dataset', a.datasetId);
      const at = nowIso();
      db.transaction(() => {
        for (const s of a.samples) {
          if (exists.get(a.datasetId, s.idx)) throw conflict(`sample ${s.idx} of dataset '${a.datasetId}' already exists`);
          const passed = s.passed === undefined || s.passed === null ? null : s.passed ? 1 : 0;
          insert.run(a.datasetId, s.idx, s.prompt, s.completion, jsonText(s.messages), passed, jsonText(s.meta), at);
        }
      }).immediate();
      return a.samples.length;
    },
    list(query: SamplesQuery): Sample[] {
      const q = parseInput(samplesQuerySchema, query, 'samples query');
      const filter = q.passed === undefined ? '' : `AND passed = ${q.passed ? 1 : 0}`;
      const rows = db.prepare(`SELECT * FROM samples WHERE dataset_id = ? ${filter} ORDER BY idx LIMIT ? OFFSET ?`).all(q.datasetId, ...pageOf(q));
      return (rows as Row[]).map(toSample);
    },
    /** Every sample of a dataset in idx order (only one verdict when `passed` is given), read in pages. */
    *iterate(query: { datasetId: string; passed?: boolean }, page = 5000): Generator<Sample> {
      for (let offset = 0; ; offset += page) {
        const batch = this.list({ ...query, limit: page, offset });
        yield* batch;
        if (batch.length < page) return;
      }
    },
    /** Record a filter's verdicts (and the filter spec on the dataset) in one transaction. */
    setFilterResults(input: FilterResults): void {
      const f = parseInput(filterResultsSchema, input, 'filter results');
      requireRow(db, 'datasets', 'dataset', f.datasetId);
      const upd = db.prepare('UPDATE samples SET passed = ? WHERE dataset_id = ? AND idx = ?');
      db.transaction(() => {
        db.prepare('UPDATE datasets SET filter = ? WHERE id = ?').run(JSON.stringify(f.filter), f.datasetId);
        for (const r of f.results) {
          if (upd.run(r.passed ? 1 : 0, f.datasetId, r.idx).changes === 0) {
            throw invalid(`filter results: dataset '${f.datasetId}' has no sample ${r.idx}`);
          }
        }
      }).immediate();
    },
  };
}

export type SamplesRepo = ReturnType<typeof samplesRepo>;
