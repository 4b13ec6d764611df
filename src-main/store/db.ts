/** Opening the SQLite file: WAL, busy timeout, foreign keys, then migrations. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations.js';

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
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a killed process (only a power loss may drop the last commits).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** `PRAGMA integrity_check` as one string: 'ok' or the problems found. */
export function integrityCheck(db: Db): string {
  return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
}
