/** Metrics as curves: a named series of (x, value) points per run, e.g. loss per step or loss per layer. NaN is stored as NULL. */
import type { Db } from './db.js';
import { newId, nowIso } from './ids.js';
import { conflict, notFound } from './errors.js';
import { requireRow } from './rows.js';
import { idSchema, metricPointsAddSchema, parseInput, type MetricPointsAdd } from './schemas.js';

export interface Metric {
  id: string;
  runId: string;
  name: string;
  unit: string | null;
  createdAt: string;
  pointCount: number;
}

export interface Curve extends Metric {
  x: number[];
  values: number[];
}

interface Row { id: string; run_id: string; name: string; unit: string | null; created_at: string; n: number }
const toMetric = (r: Row): Metric => ({ id: r.id, runId: r.run_id, name: r.name, unit: r.unit, createdAt: r.created_at, pointCount: r.n });

const SELECT = 'SELECT m.*, (SELECT count(*) FROM metric_points p WHERE p.metric_id = m.id) AS n FROM metrics m';

export function metricsRepo(db: Db) {
  const insertPoint = db.prepare('INSERT INTO metric_points (metric_id, x, value, created_at) VALUES (?, ?, ?, ?)');
  const hasPoint = db.prepare('SELECT 1 FROM metric_points WHERE metric_id = ? AND x = ?');
  return {
    /** Append points to the run's curve `name` (created on first use), in one transaction. A repeated x is a conflict. */
    addPoints(input: MetricPointsAdd): Metric {
      const a = parseInput(metricPointsAddSchema, input, 'metric points');
      requireRow(db, 'runs', 'run', a.runId);
      return db.transaction(() => {
        let m = db.prepare(`${SELECT} WHERE m.run_id = ? AND m.name = ?`).get(a.runId, a.name) as Row | undefined;
        if (!m) {
          const id = newId();
          db.prepare('INSERT INTO metrics (id, run_id, name, unit, created_at) VALUES (?, ?, ?, ?, ?)').run(id, a.runId, a.name, a.unit ?? null, nowIso());
          m = db.prepare(`${SELECT} WHERE m.id = ?`).get(id) as Row;
        }
        const at = nowIso();
        for (const p of a.points) {
          if (hasPoint.get(m.id, p.x)) throw conflict(`metric '${a.name}' of run '${a.runId}' already has a point at x=${p.x}`);
          insertPoint.run(m.id, p.x, Number.isNaN(p.value) ? null : p.value, at);
        }
        return toMetric(db.prepare(`${SELECT} WHERE m.id = ?`).get(m.id) as Row);
      }).immediate();
    },
    list(runId: string): Metric[] {
      parseInput(idSchema, runId, 'run id');
      return (db.prepare(`${SELECT} WHERE m.run_id = ? ORDER BY m.name`).all(runId) as Row[]).map(toMetric);
    },
    /** The run's curve `name`, points ordered by x. */
    curve(runId: string, name: string): Curve {
      const m = db.prepare(`${SELECT} WHERE m.run_id = ? AND m.name = ?`).get(runId, name) as Row | undefined;
      if (!m) throw notFound(`metric of run '${runId}'`, name);
      const pts = db.prepare('SELECT x, value FROM metric_points WHERE metric_id = ? ORDER BY x').all(m.id) as { x: number; value: number | null }[];
      return { ...toMetric(m), x: pts.map((p) => p.x), values: pts.map((p) => p.value ?? NaN) };
    },
  };
}

export type MetricsRepo = ReturnType<typeof metricsRepo>;
