// runs.stamp: the runs list's fingerprint changes exactly when what the list shows changes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src-main/store/index.js';
import { tempDir } from './helpers.js';

test('the runs fingerprint: stable while nothing changes; changes on a new run, claim, progress, failure, requeue, finish and delete', () => {
  const s = openStore(join(tempDir(), 'stamp.db'));
  try {
    const seen = new Set<string>();
    const changed = (what: string): void => {
      const st = s.runs.stamp();
      assert.ok(!seen.has(st), `${what}: the fingerprint did not change`);
      seen.add(st);
      assert.equal(s.runs.stamp(), st, `${what}: stable when read again`);
    };
    changed('empty store');
    const run = s.runs.create({ kind: 'demo-train', config: { steps: 3 }, codeVersion: 'undertone@test' });
    changed('a new run');
    assert.ok(s.runs.claim(run.id));
    changed('claimed');
    s.runs.setProgress(run.id, 0.5, 'step 1');
    changed('progress');
    s.runs.setProgress(run.id, 0.5, 'step 2');
    changed('a new message');
    s.runs.finish(run.id, { status: 'failed', error: 'boom' });
    changed('failed');
    s.runs.requeue(run.id, { pid: process.pid, token: 't' });
    changed('requeued');
    s.runs.finish(run.id, { status: 'done' });
    changed('done');
    s.runs.delete(run.id);
    assert.equal(s.runs.stamp(), [...seen][0], 'deleted: the list is the empty one again');
  } finally {
    s.close();
  }
});
