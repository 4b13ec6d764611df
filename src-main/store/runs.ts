/**
 * Runs: one row per job, with status, progress, timings, provenance (code version, model, dataset,
 * seed) and the process that owns it while queued or running. Status changes are guarded updates,
 * so two processes on one store cannot both claim a run.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db.js';
import { newId, nowIso } from './ids.js';
import { conflict, invalid, notFound } from './errors.js';
import type { RUN_STATUSES } from './migrations.js';
import { insertUnique, pageOf, parseJson, requireRow, where } from './rows.js';
import { parseInput, runCreateSchema, runListQuerySchema, type RunCreate, type RunListQuery } from './schemas.js';

export type RunStatus = (typeof RUN_STATUSES)[number];
/** Statuses from which `resume` may restart a run from its last checkpoint. */
export const RESUMABLE: readonly RunStatus[] = ['interrupted', 'failed', 'cancelled'];

/** The runner holding a queued or running run: its process id and a token per runner. */
export interface RunOwner { pid: number; token: string }

export interface Run {
  id: string;
  kind: string;
  status: RunStatus;
  config: unknown;
  progress: number;
  message: string | null;
  result: unknown;
  error: string | null;
  codeVersion: string;
  modelId: string | null;
  modelHash: string | null;
  datasetId: string | null;
  seed: number | null;
  cancelRequested: boolean;
  owner: RunOwner | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  elapsedMs: number;
}

interface Row {
  id: string; kind: string; status: RunStatus; config: string; progress: number; message: string | null;
  result: string | null; error: string | null; code_version: string; model_id: string | null; model_hash: string | null;
  dataset_id: string | null; seed: number | null; cancel_requested: number;
  owner_pid: number | null; owner_token: string | null; created_at: string; started_at: string | null;
  finished_at: string | null; elapsed_ms: number;
}

const toRun = (r: Row): Run => ({
  id: r.id, kind: r.kind, status: r.status, config: parseJson(r.config), progress: r.progress, message: r.message,
  result: parseJson(r.result), error: r.error, codeVersion: r.code_version, modelId: r.model_id, modelHash: r.model_hash,
  datasetId: r.dataset_id, seed: r.seed, cancelRequested: r.cancel_requested === 1,
  owner: r.owner_pid !== null && r.owner_token !== null ? { pid: r.owner_pid, token: r.owner_token } : null,
  createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at, elapsedMs: r.elapsed_ms,
});

export function runsRepo(db: Db) {
  const find = (id: string): Run | null => {
    const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return r ? toRun(r) : null;
  };
  const get = (id: string): Run => {
    const r = find(id);
    if (!r) throw notFound('run', id);
    return r;
  };
  /**
   * Fingerprints of the runs list: `stamp` changes with anything the list shows; `shape` only when a
   * run is added, deleted or changes status, not when an active run reports progress (then only the
   * active runs need rereading).
   */
  const stamps = (): { stamp: string; shape: string } => {
    const totals = db.prepare(`SELECT count(*) AS n, max(created_at) AS c, max(started_at) AS s, max(finished_at) AS f FROM runs`).get();
    const byStatus = db.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status ORDER BY status').all();
    const active = db.prepare(`SELECT id, status, progress, message FROM runs WHERE status IN ('queued', 'running') ORDER BY id`).all() as { id: string; status: string }[];
    const hash = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('base64url').slice(0, 22);
    return { stamp: hash([totals, byStatus, active]), shape: hash([totals, byStatus, active.map((r) => [r.id, r.status])]) };
  };
  return {
    /** A new run in status `queued`. */
    create(input: RunCreate): Run {
      const c = parseInput(runCreateSchema, input, 'run');
      if (c.modelId) requireRow(db, 'models', 'model', c.modelId);
      if (c.datasetId) requireRow(db, 'datasets', 'dataset', c.datasetId);
      const id = c.id ?? newId();
      insertUnique('run', id, () =>
        db.prepare(`INSERT INTO runs (id, kind, status, config, code_version, model_id, model_hash, dataset_id, seed,
            owner_pid, owner_token, created_at) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
          id, c.kind, JSON.stringify(c.config), c.codeVersion, c.modelId ?? null, c.modelHash ?? null, c.datasetId ?? null,
          c.seed ?? null, c.owner?.pid ?? null, c.owner?.token ?? null, nowIso(),
        ),
      );
      return get(id);
    },
    get,
    find,
    list(query: RunListQuery = {}): Run[] {
      const q = parseInput(runListQuerySchema, query, 'run list query');
      const w = where({ status: q.status, kind: q.kind, dataset_id: q.datasetId });
      const rows = db.prepare(`SELECT * FROM runs ${w.sql} ORDER BY created_at, id LIMIT ? OFFSET ?`).all(...w.params, ...pageOf(q));
      return (rows as Row[]).map(toRun);
    },
    /**
     * A short fingerprint of what a runs list shows: it changes when a run is added, deleted, starts,
     * finishes, changes status, or reports progress. Lets a view poll cheaply and reload the list
     * (configs and results included) only when something changed.
     */
    stamp: (): string => stamps().stamp,
    stamps,
    /** How many runs match the list filters (status, kind, datasetId), ignoring limit and offset. */
    count(query: Omit<RunListQuery, 'limit' | 'offset'> = {}): number {
      const q = parseInput(runListQuerySchema, query, 'run count query');
      const w = where({ status: q.status, kind: q.kind, dataset_id: q.datasetId });
      return (db.prepare(`SELECT count(*) AS n FROM runs ${w.sql}`).get(...w.params) as { n: number }).n;
    },
    /** queued → running, unless another process claimed it or a cancel was requested. */
    claim(id: string): boolean {
      return db.prepare(`UPDATE runs SET status = 'running', started_at = ?, message = NULL
          WHERE id = ? AND status = 'queued' AND cancel_requested = 0`).run(nowIso(), id).changes === 1;
    },
    setProgress(id: string, fraction: number, message: string | null): void {
      db.prepare(`UPDATE runs SET progress = ?, message = ? WHERE id = ? AND status = 'running'`).run(fraction, message, id);
    },
    /** The identity hash of the weights a run opened, as soon as it is known (a cancelled or failed run keeps it too). */
    setModelHash(id: string, hash: string): void {
      if (!/^sha256:[0-9a-f]{64}$/.test(hash)) throw invalid(`model hash '${hash}' is not sha256:<64 hex>`);
      db.prepare('UPDATE runs SET model_hash = coalesce(model_hash, ?) WHERE id = ?').run(hash, id);
    },
    setElapsed(id: string, elapsedMs: number): void {
      db.prepare('UPDATE runs SET elapsed_ms = ? WHERE id = ?').run(Math.round(elapsedMs), id);
    },
    /**
     * running|queued → a final status. Returns false if the run was no longer running or queued.
     * A result's `modelHash` (the identity hash a job computed of the weights it ran) fills the
     * run's provenance column when the params gave none.
     */
    finish(id: string, f: {
      status: 'done' | 'failed' | 'cancelled'; result?: unknown; error?: string | null; elapsedMs?: number;
      /** the last progress report, kept on the row */
      progress?: { fraction: number; message: string | null };
    }): boolean {
      const fraction = f.status === 'done' ? 1 : (f.progress?.fraction ?? null);
      const hash = (f.result as { modelHash?: unknown } | null | undefined)?.modelHash;
      return db.prepare(`UPDATE runs SET status = ?, result = ?, error = ?, finished_at = ?, progress = coalesce(?, progress),
            message = CASE WHEN ? THEN ? ELSE message END, elapsed_ms = coalesce(?, elapsed_ms), model_hash = coalesce(model_hash, ?)
          WHERE id = ? AND status IN ('queued', 'running')`).run(
        f.status, f.result === undefined ? null : JSON.stringify(f.result), f.error ?? null, nowIso(), fraction,
        f.progress ? 1 : 0, f.progress?.message ?? null, f.elapsedMs === undefined ? null : Math.round(f.elapsedMs),
        typeof hash === 'string' && /^sha256:[0-9a-f]{64}$/.test(hash) ? hash : null, id,
      ).changes === 1;
    },
    /** Runs left queued or running by an owner that is gone become `interrupted`. Returns their ids. */
    markInterrupted(isOwnerAlive: (owner: RunOwner | null) => boolean): string[] {
      // a plain read first: listing runs takes no write lock unless some owner is gone
      const active = (db.prepare(`SELECT * FROM runs WHERE status IN ('queued', 'running')`).all() as Row[]).map(toRun);
      if (!active.some((r) => !isOwnerAlive(r.owner))) return [];
      return db.transaction(() => {
        const rows = (db.prepare(`SELECT * FROM runs WHERE status IN ('queued', 'running')`).all() as Row[]).map(toRun);
        const dead = rows.filter((r) => !isOwnerAlive(r.owner));
        const upd = db.prepare(`UPDATE runs SET status = 'interrupted', message = 'interrupted: its process ended while it was ' || status WHERE id = ?`);
        for (const r of dead) upd.run(r.id);
        return dead.map((r) => r.id);
      }).immediate();
    },
    /** interrupted|failed|cancelled → queued under a new owner, keeping its checkpoint. */
    requeue(id: string, owner: RunOwner): Run {
      const r = get(id);
      if (!RESUMABLE.includes(r.status)) throw conflict(`run '${id}' is ${r.status}; only ${RESUMABLE.join(', ')} runs can be resumed`);
      const ok = db.prepare(`UPDATE runs SET status = 'queued', error = NULL, finished_at = NULL, cancel_requested = 0,
          owner_pid = ?, owner_token = ? WHERE id = ? AND status = ?`).run(owner.pid, owner.token, id, r.status).changes;
      if (ok !== 1) throw conflict(`run '${id}' changed status while being resumed`);
      return get(id);
    },
    /**
     * Ask a run to stop. A queued or running run gets a flag its worker polls (from any process);
     * an interrupted run has no worker and becomes cancelled at once.
     */
    requestCancel(id: string): Run {
      const r = get(id);
      if (r.status === 'queued' || r.status === 'running') db.prepare('UPDATE runs SET cancel_requested = 1 WHERE id = ?').run(id);
      else if (r.status === 'interrupted') db.prepare(`UPDATE runs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'interrupted'`).run(nowIso(), id);
      else throw conflict(`run '${id}' is already ${r.status}`);
      return get(id);
    },
    /**
     * Mark a queued or running run interrupted (resumable) without its worker's agreement: for a run
     * whose process is gone but whose pid now belongs to another live process. A worker that is in
     * fact alive finds at its next write that it no longer owns the run, and stops.
     */
    forceInterrupt(id: string, message = 'interrupted by hand (jobs-cancel --force)'): Run {
      const r = get(id);
      if (r.status !== 'queued' && r.status !== 'running') throw conflict(`run '${id}' is ${r.status}, not queued or running`);
      db.prepare(`UPDATE runs SET status = 'interrupted', message = ?, owner_pid = NULL, owner_token = NULL
          WHERE id = ? AND status IN ('queued', 'running')`).run(message, id);
      return get(id);
    },
    isCancelRequested(id: string): boolean {
      const r = db.prepare('SELECT cancel_requested FROM runs WHERE id = ?').get(id) as { cancel_requested: number } | undefined;
      return r?.cancel_requested === 1;
    },
    /** Deletes the run with its checkpoint, metrics and figures; its vectors and datasets stay, unlinked. */
    delete(id: string): void {
      const r = get(id);
      if (r.status === 'queued' || r.status === 'running') throw conflict(`run '${id}' is ${r.status}; cancel it before deleting`);
      db.prepare('DELETE FROM runs WHERE id = ?').run(id);
    },
  };
}

export type RunsRepo = ReturnType<typeof runsRepo>;
