// runs.stamp: the runs list's fingerprint changes exactly when what the list shows changes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src-main/store/index.js';
import { tempDir } from './helpers.js';

test('the runs fingerprint: stable while nothing changes; changes on a new run, claim, progress, failure, requeue, finish and delete; its shape ignores progress', () => {
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
    const shape = s.runs.stamps().shape;
    s.runs.setProgress(run.id, 0.5, 'step 1');
    changed('progress');
    s.runs.setProgress(run.id, 0.5, 'step 2');
    changed('a new message');
    assert.equal(s.runs.stamps().shape, shape, 'progress and messages leave the shape as it was');
    assert.equal(s.runs.stamps().stamp, s.runs.stamp());
    s.runs.finish(run.id, { status: 'failed', error: 'boom' });
    changed('failed');
    assert.notEqual(s.runs.stamps().shape, shape, 'a status change changes the shape');
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
