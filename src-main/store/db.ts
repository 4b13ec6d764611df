/** Opening the SQLite file: WAL, busy timeout, foreign keys, then migrations. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate, refuseNewer } from './migrations.js';

export type Db = Database.Database;

/**
 * How long a writer waits for another process's lock before SQLITE_BUSY. Long enough for one big
 * write elsewhere (an experiment import, a 250k-row dataset import: seconds) to finish; a job's
 * checkpoint then waits instead of failing the run.
 */
export const BUSY_TIMEOUT_MS = 30_000;

export function openDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    refuseNewer(db);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a killed process (only a power loss may drop the last commits).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw damaged(path, e);
  }
}

/**
 * SQLite's "file is not a database" / "database disk image is malformed", with the store named and
 * what to do; other errors unchanged.
 */
export function damaged(path: string, e: unknown): unknown {
  const code = (e as { code?: string }).code;
  if (code !== 'SQLITE_CORRUPT' && code !== 'SQLITE_NOTADB') return e;
  const err = new Error(`the store ${path} is damaged (${(e as Error).message}). Keep a copy of it (with its -wal file), then recover what is readable with \`sqlite3 ${path} .recover | sqlite3 recovered.db\`, or point --store at a backup`);
  (err as { code?: string }).code = code;
  return err;
}

/** `PRAGMA integrity_check` as one string: 'ok' or the problems found. */
export function integrityCheck(db: Db): string {
  return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
}
