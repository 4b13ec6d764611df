/** Small helpers shared by the repositories: JSON columns, paging, lookups, constraint errors. */
import Database from 'better-sqlite3';
import type { Db } from './db.js';
import { conflict, notFound } from './errors.js';

export const DEFAULT_LIMIT = 1000;

/** A JSON column's text (undefined and null become NULL). */
export const jsonText = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
export const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** Where-clause builder for optional equality filters; returns SQL and its parameters. */
export function where(filters: Record<string, string | number | undefined>): { sql: string; params: (string | number)[] } {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [col, v] of Object.entries(filters)) {
    if (v === undefined) continue;
    parts.push(`${col} = ?`);
    params.push(v);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export const pageOf = (q: { limit?: number; offset?: number }): [number, number] => [q.limit ?? DEFAULT_LIMIT, q.offset ?? 0];

/** Throw not_found naming the entity unless `table` has a row with this id. */
export function requireRow(db: Db, table: string, what: string, id: string): void {
  if (!db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id)) throw notFound(what, id);
}

/** Rename a row of a table that has `id` and `name`. */
export function renameRow(db: Db, table: string, what: string, id: string, name: string): void {
  if (db.prepare(`UPDATE ${table} SET name = ? WHERE id = ?`).run(name, id).changes === 0) throw notFound(what, id);
}

/** Delete a row by id, or throw not_found. */
export function deleteRow(db: Db, table: string, what: string, id: string): void {
  if (db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id).changes === 0) throw notFound(what, id);
}

/** Run an insert; a duplicate key becomes a conflict error naming the entity and key. */
export function insertUnique<T>(what: string, key: string, insert: () => T): T {
  try {
    return insert();
  } catch (e) {
    if (e instanceof Database.SqliteError && (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE')) {
      throw conflict(`${what} '${key}' already exists`);
    }
    throw e;
  }
}
