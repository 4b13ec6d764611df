/** Feature annotations: (SAE, feature index, source) → label and JSON (e.g. a Neuronpedia explanation, a user's note). */
import type { Db } from './db.js';
import { nowIso } from './ids.js';
import { notFound } from './errors.js';
import { jsonText, pageOf, parseJson, requireRow } from './rows.js';
import { annotationListQuerySchema, annotationUpsertSchema, parseInput, type AnnotationListQuery, type AnnotationUpsert } from './schemas.js';

export interface Annotation {
  saeId: string;
  featureIndex: number;
  source: string;
  label: string;
  data: unknown;
  createdAt: string;
}

interface Row { sae_id: string; feature_index: number; source: string; label: string; data: string | null; created_at: string }
const toAnnotation = (r: Row): Annotation => ({
  saeId: r.sae_id, featureIndex: r.feature_index, source: r.source, label: r.label, data: parseJson(r.data), createdAt: r.created_at,
});

export function annotationsRepo(db: Db) {
  return {
    /** Insert or replace the label of (sae, feature, source); created_at keeps the first write's time. */
    upsert(input: AnnotationUpsert): Annotation {
      const a = parseInput(annotationUpsertSchema, input, 'feature annotation');
      requireRow(db, 'saes', 'SAE', a.saeId);
      db.prepare(`INSERT INTO feature_annotations (sae_id, feature_index, source, label, data, created_at) VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT (sae_id, feature_index, source) DO UPDATE SET label = excluded.label, data = excluded.data`).run(
        a.saeId, a.featureIndex, a.source, a.label, jsonText(a.data), nowIso(),
      );
      const r = db.prepare('SELECT * FROM feature_annotations WHERE sae_id = ? AND feature_index = ? AND source = ?').get(a.saeId, a.featureIndex, a.source) as Row;
      return toAnnotation(r);
    },
    /** Annotations of one SAE, optionally of one feature, ordered by feature then source. */
    list(query: AnnotationListQuery): Annotation[] {
      const q = parseInput(annotationListQuerySchema, query, 'annotation query');
      const byFeature = q.featureIndex === undefined ? '' : 'AND feature_index = ?';
      const params = q.featureIndex === undefined ? [q.saeId] : [q.saeId, q.featureIndex];
      const rows = db.prepare(`SELECT * FROM feature_annotations WHERE sae_id = ? ${byFeature} ORDER BY feature_index, source LIMIT ? OFFSET ?`).all(...params, ...pageOf(q));
      return (rows as Row[]).map(toAnnotation);
    },
    delete(saeId: string, featureIndex: number, source: string): void {
      const n = db.prepare('DELETE FROM feature_annotations WHERE sae_id = ? AND feature_index = ? AND source = ?').run(saeId, featureIndex, source).changes;
      if (n === 0) throw notFound(`annotation of SAE '${saeId}' feature ${featureIndex}`, source);
    },
  };
}

export type AnnotationsRepo = ReturnType<typeof annotationsRepo>;
