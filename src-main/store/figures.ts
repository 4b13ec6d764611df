/** Figures: a kind and a JSON spec (what the renderer draws), optionally of a run, with the files it was exported to. */
import type { Db } from './db.js';
import { newId, nowIso } from './ids.js';
import { notFound } from './errors.js';
import { deleteRow, insertUnique, pageOf, parseJson, requireRow, where } from './rows.js';
import {
  byRunListQuerySchema, figureCreateSchema, figureFileAddSchema, parseInput,
  type ByRunListQuery, type FigureCreate, type FigureFileAdd,
} from './schemas.js';

export interface FigureFile { path: string; format: string; createdAt: string }

export interface Figure {
  id: string;
  runId: string | null;
  kind: string;
  spec: unknown;
  createdAt: string;
  files: FigureFile[];
}

interface Row { id: string; run_id: string | null; kind: string; spec: string; created_at: string }
interface FileRow { path: string; format: string; created_at: string }

export function figuresRepo(db: Db) {
  const files = db.prepare('SELECT path, format, created_at FROM figure_files WHERE figure_id = ? ORDER BY created_at, path');
  const toFigure = (r: Row): Figure => ({
    id: r.id, runId: r.run_id, kind: r.kind, spec: parseJson(r.spec), createdAt: r.created_at,
    files: (files.all(r.id) as FileRow[]).map((f) => ({ path: f.path, format: f.format, createdAt: f.created_at })),
  });
  const get = (id: string): Figure => {
    const r = db.prepare('SELECT * FROM figures WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw notFound('figure', id);
    return toFigure(r);
  };
  return {
    create(input: FigureCreate): Figure {
      const f = parseInput(figureCreateSchema, input, 'figure');
      if (f.runId) requireRow(db, 'runs', 'run', f.runId);
      const id = f.id ?? newId();
      insertUnique('figure', id, () =>
        db.prepare('INSERT INTO figures (id, run_id, kind, spec, created_at) VALUES (?, ?, ?, ?, ?)').run(id, f.runId ?? null, f.kind, JSON.stringify(f.spec), nowIso()),
      );
      return get(id);
    },
    get,
    list(query: ByRunListQuery = {}): Figure[] {
      const q = parseInput(byRunListQuerySchema, query, 'figure list query');
      const w = where({ run_id: q.runId });
      return (db.prepare(`SELECT * FROM figures ${w.sql} ORDER BY created_at, id LIMIT ? OFFSET ?`).all(...w.params, ...pageOf(q)) as Row[]).map(toFigure);
    },
    /** Record a file the figure was exported to (re-exporting to the same path replaces the format). */
    addFile(input: FigureFileAdd): Figure {
      const a = parseInput(figureFileAddSchema, input, 'figure file');
      requireRow(db, 'figures', 'figure', a.figureId);
      db.prepare(`INSERT INTO figure_files (figure_id, path, format, created_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (figure_id, path) DO UPDATE SET format = excluded.format`).run(a.figureId, a.path, a.format, nowIso());
      return get(a.figureId);
    },
    delete(id: string): void {
      deleteRow(db, 'figures', 'figure', id);
    },
  };
}

export type FiguresRepo = ReturnType<typeof figuresRepo>;
