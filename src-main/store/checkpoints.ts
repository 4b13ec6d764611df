/** The last checkpoint of a run: step, JSON state and an optional binary optimiser state. */
import type { Db } from './db.js';
import { nowIso } from './ids.js';
import { parseJson, requireRow } from './rows.js';
import { checkpointSaveSchema, parseInput, type CheckpointSave } from './schemas.js';

export interface Checkpoint {
  runId: string;
  step: number;
  state: unknown;
  optimizer: Uint8Array | null;
  createdAt: string;
}

interface Row { run_id: string; step: number; state: string; optimizer: Buffer | null; created_at: string }

export function checkpointsRepo(db: Db) {
  return {
    /** Replace the run's checkpoint. Call inside the transaction that writes the rows it covers. */
    save(runId: string, input: CheckpointSave): void {
      const c = parseInput(checkpointSaveSchema, input, 'checkpoint');
      requireRow(db, 'runs', 'run', runId);
      const opt = c.optimizer ? Buffer.from(c.optimizer.buffer, c.optimizer.byteOffset, c.optimizer.byteLength) : null;
      db.prepare(`INSERT INTO checkpoints (run_id, step, state, optimizer, created_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (run_id) DO UPDATE SET step = excluded.step, state = excluded.state, optimizer = excluded.optimizer,
          created_at = excluded.created_at`).run(runId, c.step, JSON.stringify(c.state), opt, nowIso());
    },
    get(runId: string): Checkpoint | null {
      const r = db.prepare('SELECT * FROM checkpoints WHERE run_id = ?').get(runId) as Row | undefined;
      if (!r) return null;
      return { runId: r.run_id, step: r.step, state: parseJson(r.state), optimizer: r.optimizer ? new Uint8Array(r.optimizer) : null, createdAt: r.created_at };
    },
  };
}

export type CheckpointsRepo = ReturnType<typeof checkpointsRepo>;
