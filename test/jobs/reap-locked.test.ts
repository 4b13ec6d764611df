// Store reads jobs depend on. Listing runs reaps those of dead processes; it takes a write lock only when there is one to reap,
// and a busy store does not make a listing fail (the next listing reaps them).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src-main/store/index.js';
import { reapDeadRuns } from '../../src-main/jobs/owner.js';
import { storeSetLookups } from '../../src-main/jobs/kinds/lab-inputs.js';
import { tempDir } from '../store/helpers.js';

test('reaping dead runs: no write lock when nothing is dead; a locked store skips the reap instead of failing', () => {
  const path = join(tempDir(), 'reap.db');
  const s = openStore(path);
  const other = new Database(path);
  try {
    s.db.pragma('busy_timeout = 100');
    const alive = s.runs.create({ kind: 'demo-train', config: {}, codeVersion: 'x', owner: { pid: process.pid, token: 'not-a-live-runner-token' } });
    s.runs.finish(alive.id, { status: 'done' });
    // another process holds the write lock (an import, say)
    other.prepare('BEGIN IMMEDIATE').run();
    const t0 = Date.now();
    assert.deepEqual(reapDeadRuns(s), [], 'nothing queued or running: a plain read');
    assert.ok(Date.now() - t0 < 90, 'no wait for the lock');
    other.prepare('COMMIT').run();

    // a run whose process is gone
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const run = s.runs.create({ kind: 'demo-train', config: {}, codeVersion: 'x', owner: { pid: dead, token: 'gone' } });
    other.prepare('BEGIN IMMEDIATE').run();
    assert.deepEqual(reapDeadRuns(s), [], 'locked: skipped, not an error');
    assert.equal(s.runs.get(run.id).status, 'queued');
    other.prepare('COMMIT').run();
    assert.deepEqual(reapDeadRuns(s), [run.id]);
    assert.equal(s.runs.get(run.id).status, 'interrupted');
  } finally {
    other.close();
    s.close();
  }
});

test('a stored vector with non-finite values is refused by name where a job would use it (a diverged run\'s bias)', () => {
  const s = openStore(join(tempDir(), 'nan-vector.db'));
  try {
    const good = s.vectors.create({ name: 'ok', shape: [3], data: [1, 2, 3] });
    const bad = s.vectors.create({ name: 'diverged', shape: [3], data: new Float32Array([1, NaN, Infinity]) });
    const look = storeSetLookups(s);
    assert.deepEqual(Array.from(look.vector(good.id).data), [1, 2, 3]);
    assert.throws(() => look.vector(bad.id), new RegExp(`vector '${bad.id}' holds 2 non-finite values of 3 \\(did its training run diverge\\?\\)`));
  } finally {
    s.close();
  }
});
