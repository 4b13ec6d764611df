import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore } from '../../src-main/store/index.js';
import { exited, spawnTs, tempDir, waitForLine } from './helpers.js';

const dir = tempDir();

test('two processes writing to one store at once (WAL + busy timeout) lose no rows', async () => {
  const path = join(dir, 'shared.db');
  const store = openStore(path);
  const d = store.datasets.create({ name: 'shared' });
  const r = store.runs.create({ kind: 'demo-train', config: {}, codeVersion: 'test' });
  const N = 1500;
  const child = spawnTs(join(import.meta.dirname, 'fixtures', 'writer.ts'), [path, d.id, r.id, String(N), String(N)]);
  await waitForLine(child, /ready/);
  const windowLine = waitForLine(child, /window (\d+) (\d+)/);
  child.stdin!.end('go\n');
  const t0 = Date.now();
  // Same tables, same dataset, same metric, interleaved with the child's commits.
  for (let i = 0; i < N; i++) {
    store.samples.add({ datasetId: d.id, samples: [{ idx: i, prompt: `parent ${i}`, completion: String(i) }] });
    store.metrics.addPoints({ runId: r.id, name: 'loss', points: [{ x: i, value: i / 7 }] });
    if (i % 100 === 0) await new Promise((res) => setImmediate(res));
  }
  const t1 = Date.now();
  const [, c0, c1] = await windowLine;
  assert.equal(await exited(child), 0);
  assert.ok(Number(c0) < t1 && t0 < Number(c1), `the two writers overlapped in time (parent ${t0}-${t1}, child ${c0}-${c1})`);

  assert.equal(store.datasets.get(d.id).sampleCount, 2 * N);
  const idx = store.samples.list({ datasetId: d.id, limit: 10_000 }).map((s) => s.idx);
  assert.deepEqual(idx, Array.from({ length: 2 * N }, (_, i) => i));
  const c = store.metrics.curve(r.id, 'loss');
  assert.deepEqual(c.x, Array.from({ length: 2 * N }, (_, i) => i));
  assert.deepEqual(c.values, c.x.map((x) => x / 7));
  assert.equal(store.integrityCheck(), 'ok');
  store.close();
});
