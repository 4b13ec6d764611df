/**
 * Versioned, forward-only schema migrations. Step i (0-based) takes the schema from version i to
 * version i+1; `PRAGMA user_version` holds the version. Never edit a step that has shipped: append one.
 * Tables are STRICT so that wrong types are refused by SQLite itself (imports rely on that).
 */
import type { Database } from 'better-sqlite3';
import { StoreError } from './errors.js';

const json = (col: string, nullable = false): string =>
  nullable ? `${col} TEXT CHECK (${col} IS NULL OR json_valid(${col}))` : `${col} TEXT NOT NULL CHECK (json_valid(${col}))`;

export const RUN_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export const VECTOR_DTYPES = ['F32', 'F64', 'F16', 'BF16'] as const;

/** v1: core tables. v2: feature annotations and figures. v3: per-feature corpus statistics (feature-stats runs). */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE models (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    content_hash TEXT,
    ${json('config')},
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE saes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    content_hash TEXT,
    ${json('config')},
    model_id TEXT REFERENCES models(id) ON DELETE SET NULL,
    hook TEXT,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX saes_model ON saes(model_id);
  CREATE TABLE intervention_sets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    ${json('spec')},
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${RUN_STATUSES.map((s) => `'${s}'`).join(', ')})),
    ${json('config')},
    progress REAL NOT NULL DEFAULT 0,
    message TEXT,
    ${json('result', true)},
    error TEXT,
    code_version TEXT NOT NULL,
    model_id TEXT REFERENCES models(id) ON DELETE SET NULL,
    model_hash TEXT,
    dataset_id TEXT REFERENCES datasets(id) ON DELETE SET NULL,
    seed INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    owner_pid INTEGER,
    owner_token TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    elapsed_ms INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE INDEX runs_status ON runs(status);
  CREATE INDEX runs_dataset ON runs(dataset_id);
  CREATE TABLE checkpoints (
    run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    ${json('state')},
    optimizer BLOB,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    teacher_set_id TEXT REFERENCES intervention_sets(id) ON DELETE RESTRICT,
    seed INTEGER,
    run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
    ${json('filter', true)},
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX datasets_run ON datasets(run_id);
  CREATE INDEX datasets_teacher ON datasets(teacher_set_id);
  CREATE TABLE samples (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL CHECK (idx >= 0),
    prompt TEXT NOT NULL,
    completion TEXT NOT NULL,
    ${json('messages', true)},
    passed INTEGER CHECK (passed IN (0, 1)),
    ${json('meta', true)},
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, idx)
  ) STRICT;
  CREATE TABLE metrics (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    unit TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (run_id, name)
  ) STRICT;
  CREATE TABLE metric_points (
    metric_id TEXT NOT NULL REFERENCES metrics(id) ON DELETE CASCADE,
    x REAL NOT NULL,
    value REAL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (metric_id, x)
  ) STRICT;
  CREATE TABLE vectors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
    hook TEXT,
    dtype TEXT NOT NULL CHECK (dtype IN (${VECTOR_DTYPES.map((s) => `'${s}'`).join(', ')})),
    ${json('shape')},
    data BLOB NOT NULL,
    ${json('meta', true)},
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX vectors_run ON vectors(run_id);
  `,
  `
  CREATE TABLE feature_annotations (
    sae_id TEXT NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
    feature_index INTEGER NOT NULL CHECK (feature_index >= 0),
    source TEXT NOT NULL,
    label TEXT NOT NULL,
    ${json('data', true)},
    created_at TEXT NOT NULL,
    PRIMARY KEY (sae_id, feature_index, source)
  ) STRICT;
  CREATE TABLE figures (
    id TEXT PRIMARY KEY,
    run_id TEXT REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ${json('spec')},
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX figures_run ON figures(run_id);
  CREATE TABLE figure_files (
    figure_id TEXT NOT NULL REFERENCES figures(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    format TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (figure_id, path)
  ) STRICT;
  `,
  `
  CREATE TABLE feature_stats (
    sae_id TEXT NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
    feature_index INTEGER NOT NULL CHECK (feature_index >= 0),
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    n_tokens INTEGER NOT NULL CHECK (n_tokens >= 0),
    n_active INTEGER NOT NULL CHECK (n_active >= 0 AND n_active <= n_tokens),
    density REAL NOT NULL CHECK (density >= 0 AND density <= 1),
    mean_act REAL,
    max_act REAL,
    ${json('top')},
    created_at TEXT NOT NULL,
    PRIMARY KEY (sae_id, feature_index, run_id)
  ) STRICT;
  CREATE INDEX feature_stats_run ON feature_stats(run_id, density);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Bring the schema up to `steps.length`. Each step runs in its own IMMEDIATE transaction that
 * re-reads the version, so two processes opening a new store at once apply each step once.
 * A store newer than this build is refused rather than touched.
 */
/** Refuse a store made by a newer Undertone before anything (even WAL mode) touches it. */
export function refuseNewer(db: Database, steps: readonly string[] = MIGRATIONS): void {
  const v = schemaVersion(db);
  if (v > steps.length) {
    throw new StoreError('conflict', `store ${db.name} has schema version ${v}, newer than this build of Undertone knows (${steps.length}); upgrade Undertone`);
  }
}

export function migrate(db: Database, steps: readonly string[] = MIGRATIONS): number {
  for (;;) {
    const applied = db
      .transaction((): boolean => {
        const v = schemaVersion(db);
        if (v > steps.length) {
          throw new StoreError(
            'conflict',
            `store ${db.name} has schema version ${v}, newer than this build of Undertone knows (${steps.length}); upgrade Undertone`,
          );
        }
        if (v === steps.length) return false;
        try {
          db.exec(steps[v]!);
        } catch (e) {
          throw new Error(`migration to schema version ${v + 1} failed: ${(e as Error).message}`);
        }
        db.pragma(`user_version = ${v + 1}`);
        return true;
      })
      .immediate();
    if (!applied) return schemaVersion(db);
  }
}
