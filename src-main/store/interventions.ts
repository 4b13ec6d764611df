/** Intervention sets: a name and an opaque JSON spec (its meaning belongs to models/ and lab/). Specs are immutable, so a dataset's teacher stays what produced it. */
import type { Db } from './db.js';
import { newId, nowIso } from './ids.js';
import { conflict, notFound } from './errors.js';
import { insertUnique, pageOf, parseJson, renameRow } from './rows.js';
import { interventionSetCreateSchema, listQuerySchema, parseInput, renameSchema, type InterventionSetCreate, type ListQuery, type Rename } from './schemas.js';

export interface InterventionSet {
  id: string;
  name: string;
  spec: unknown;
  createdAt: string;
}

interface Row { id: string; name: string; spec: string; created_at: string }
const toSet = (r: Row): InterventionSet => ({ id: r.id, name: r.name, spec: parseJson(r.spec), createdAt: r.created_at });

export function interventionSetsRepo(db: Db) {
  const get = (id: string): InterventionSet => {
    const r = db.prepare('SELECT * FROM intervention_sets WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw notFound('intervention set', id);
    return toSet(r);
  };
  return {
    create(input: InterventionSetCreate): InterventionSet {
      const s = parseInput(interventionSetCreateSchema, input, 'intervention set');
      const id = s.id ?? newId();
      insertUnique('intervention set', id, () =>
        db.prepare('INSERT INTO intervention_sets (id, name, spec, created_at) VALUES (?, ?, ?, ?)').run(id, s.name, JSON.stringify(s.spec), nowIso()),
      );
      return get(id);
    },
    get,
    list(query: ListQuery = {}): InterventionSet[] {
      const q = parseInput(listQuerySchema, query, 'intervention set list query');
      return (db.prepare('SELECT * FROM intervention_sets ORDER BY created_at, id LIMIT ? OFFSET ?').all(...pageOf(q)) as Row[]).map(toSet);
    },
    rename(input: Rename): InterventionSet {
      const r = parseInput(renameSchema, input, 'intervention set rename');
      renameRow(db, 'intervention_sets', 'intervention set', r.id, r.name);
      return get(r.id);
    },
    /** Refused while a dataset names this set as its teacher. */
    delete(id: string): void {
      get(id);
      const used = db.prepare('SELECT id FROM datasets WHERE teacher_set_id = ? LIMIT 1').get(id) as { id: string } | undefined;
      if (used) throw conflict(`intervention set '${id}' is the teacher of dataset '${used.id}'; delete the dataset first`);
      db.prepare('DELETE FROM intervention_sets WHERE id = ?').run(id);
    },
  };
}

export type InterventionSetsRepo = ReturnType<typeof interventionSetsRepo>;
