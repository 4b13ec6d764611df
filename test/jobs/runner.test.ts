import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { JobRunner, type JobEvent } from '../../src-main/jobs/index.js';
import { openStore, type Run, type Store } from '../../src-main/store/index.js';
import { tempDir } from '../store/helpers.js';

const dir = tempDir();
let n = 0;
const storePath = (): string => join(dir, `j${n++}.db`);

const TRAIN = { seed: 11, dim: 12, steps: 80, checkpointEvery: 10 };
const GEN = { seed: 11, n: 45, checkpointEvery: 10 };

/** What a finished demo-train run produced: the vector's bytes and the loss curve. */
function trainOutput(s: Store, run: Run): { vector: Buffer; x: number[]; loss: number[] } {
  const { vectorId } = run.result as { vectorId: string };
  const c = s.metrics.curve(run.id, 'loss');
  return { vector: s.vectors.bytes(vectorId), x: c.x, loss: c.values };
}
/** What a finished demo-generate run produced, without store-specific ids and times. */
function genOutput(s: Store, run: Run): unknown[] {
  const { datasetId } = run.result as { datasetId: string };
  return s.samples.list({ datasetId }).map(({ datasetId: _d, createdAt: _c, ...rest }) => rest);
}

/** Resolves when `pred` holds for an event of this runner. */
const eventWhere = (runner: JobRunner, pred: (e: JobEvent) => boolean): Promise<JobEvent> =>
  new Promise((resolve) => {
    const on = (e: JobEvent): void => {
      if (pred(e)) {
        runner.off('job', on);
        resolve(e);
      }
    };
    runner.on('job', on);
  });

// Uninterrupted references, shared by the tests below and compared bit for bit.
const ref = await (async () => {
  const runner = new JobRunner({ storePath: storePath() });
  const events: JobEvent[] = [];
  runner.on('job', (e) => events.push(e));
  const t = await runner.submit({ kind: 'demo-train', params: TRAIN });
  const g = await runner.submit({ kind: 'demo-generate', params: GEN });
  const train = await runner.wait(t.id);
  const gen = await runner.wait(g.id);
  const out = { train, gen, trainOut: trainOutput(runner.store, train), genOut: genOutput(runner.store, gen), events, dataset: runner.store.datasets.get((gen.result as { datasetId: string }).datasetId) };
  await runner.close();
  return out;
})();

test('demo-train really optimises: the loss falls, one point per step, the vector and provenance are stored', () => {
  const { train, trainOut } = ref;
  assert.equal(train.status, 'done');
  assert.equal(train.progress, 1);
  assert.deepEqual(trainOut.x, Array.from({ length: TRAIN.steps }, (_, i) => i + 1));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(trainOut.loss[0]! - Math.log(2)) < 1e-12, 'starts at log 2 with zero weights');
  assert.ok(mean(trainOut.loss.slice(-20)) < 0.8 * Math.log(2), `loss fell: ${mean(trainOut.loss.slice(-20))}`);
  assert.equal(trainOut.vector.length, TRAIN.dim * 4);
  assert.equal(train.seed, TRAIN.seed);
  assert.match(train.codeVersion, /^undertone@\d+\.\d+\.\d+/);
  assert.deepEqual((train.config as typeof TRAIN).steps, TRAIN.steps);
  assert.ok(train.startedAt && train.finishedAt && train.elapsedMs >= 0);
});

test('demo-generate writes a dataset with provenance and filter verdicts', () => {
  const { gen, genOut, dataset } = ref;
  assert.equal(gen.status, 'done');
  assert.equal(genOut.length, GEN.n);
  assert.equal(dataset.runId, gen.id);
  assert.equal(dataset.seed, GEN.seed);
  assert.ok(dataset.passRate !== null && dataset.passRate > 0.3 && dataset.passRate < 1, `pass rate ${dataset.passRate}`);
  assert.equal(dataset.filteredCount, GEN.n);
});

test('events: queued, running, progress with an ETA, then done; fraction never exceeds 1', () => {
  const ev = ref.events.filter((e) => e.runId === ref.train.id);
  assert.deepEqual([ev[0]!.status, ev[1]!.status], ['queued', 'running']);
  assert.equal(ev.at(-1)!.status, 'done');
  assert.equal(ev.at(-1)!.fraction, 1);
  const progress = ev.filter((e) => e.status === 'running' && e.message);
  assert.equal(progress.length, TRAIN.steps);
  assert.ok(progress.some((e) => e.etaSec !== null && e.etaSec >= 0));
  assert.ok(ev.every((e) => e.fraction >= 0 && e.fraction <= 1));
});

test('the same seed gives the same output, another seed another', async () => {
  const runner = new JobRunner({ storePath: storePath(), concurrency: 2 });
  try {
    const same = await runner.wait((await runner.submit({ kind: 'demo-train', params: TRAIN })).id);
    const other = await runner.wait((await runner.submit({ kind: 'demo-train', params: { ...TRAIN, seed: 12 } })).id);
    assert.deepEqual(trainOutput(runner.store, same), ref.trainOut);
    assert.notDeepEqual(trainOutput(runner.store, other).vector, ref.trainOut.vector);
  } finally {
    await runner.close();
  }
});

test('cancel stops a run at a checkpoint boundary; resume finishes it exactly like an uninterrupted run', async () => {
  const runner = new JobRunner({ storePath: storePath() });
  try {
    const run = await runner.submit({ kind: 'demo-train', params: { ...TRAIN, stepDelayMs: 5 } });
    await eventWhere(runner, (e) => e.runId === run.id && e.fraction >= 0.3);
    runner.cancel(run.id);
    const cancelled = await runner.wait(run.id);
    assert.equal(cancelled.status, 'cancelled');
    const ck = runner.store.checkpoints.get(run.id)!;
    assert.ok(ck.step >= 20 && ck.step < TRAIN.steps, `checkpoint at ${ck.step}`);
    assert.equal(runner.store.metrics.curve(run.id, 'loss').pointCount, ck.step, 'points after the last checkpoint were dropped');
    const done = await runner.wait(runner.resume(run.id).id);
    assert.equal(done.status, 'done');
    assert.deepEqual(trainOutput(runner.store, done), ref.trainOut);
    assert.equal(runner.store.integrityCheck(), 'ok');
  } finally {
    await runner.close();
  }
});

test('a cancel requested through the store (another process) reaches the worker', async () => {
  const path = storePath();
  const runner = new JobRunner({ storePath: path });
  const other = openStore(path);
  try {
    const run = await runner.submit({ kind: 'demo-generate', params: { ...GEN, n: 2000, stepDelayMs: 2 } });
    await eventWhere(runner, (e) => e.runId === run.id && e.fraction > 0.01);
    other.runs.requestCancel(run.id);
    const end = await runner.wait(run.id);
    assert.equal(end.status, 'cancelled');
    assert.ok(end.progress < 0.5);
  } finally {
    other.close();
    await runner.close();
  }
});

test('concurrency: one at a time by default, overlapping with concurrency 2; cancelling a queued run', async () => {
  for (const concurrency of [1, 2]) {
    const runner = new JobRunner({ storePath: storePath(), concurrency });
    try {
      const a = await runner.submit({ kind: 'demo-generate', params: { ...GEN, stepDelayMs: 3 } });
      const b = await runner.submit({ kind: 'demo-generate', params: { ...GEN, stepDelayMs: 3 } });
      const c = await runner.submit({ kind: 'demo-generate', params: GEN });
      if (concurrency === 1) assert.equal(runner.cancel(c.id).status, 'cancelled', 'a queued run is cancelled at once');
      const [ra, rb] = [await runner.wait(a.id), await runner.wait(b.id)];
      const overlap = Date.parse(rb.startedAt!) < Date.parse(ra.finishedAt!);
      assert.equal(overlap, concurrency === 2, `concurrency ${concurrency}: a ${ra.startedAt}-${ra.finishedAt}, b ${rb.startedAt}-${rb.finishedAt}`);
      assert.deepEqual(genOutput(runner.store, rb), ref.genOut);
      if (concurrency === 2) assert.equal((await runner.wait(c.id)).status, 'done');
    } finally {
      await runner.close();
    }
  }
});

test('a failing job is marked failed with its error, writes nothing after its last checkpoint, and can be resumed', async () => {
  const runner = new JobRunner({ storePath: storePath() });
  try {
    const run = await runner.submit({ kind: 'demo-generate', params: { ...GEN, teacherSetId: 'no-such-set' } });
    const failed = await runner.wait(run.id);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!, /intervention set 'no-such-set' not found/);
    assert.deepEqual(runner.store.datasets.list(), []);
    const again = await runner.wait(runner.resume(run.id).id);
    assert.equal(again.status, 'failed', 'resumed, it fails again the same way');
    const ok = await runner.wait((await runner.submit({ kind: 'demo-generate', params: { n: 1 } })).id);
    assert.throws(() => runner.resume(ok.id), /is done; only interrupted, failed, cancelled runs can be resumed/);
  } finally {
    await runner.close();
  }
});

test('a runner that starts beside a live one leaves its runs alone; closing interrupts them, resumable elsewhere', async () => {
  const path = storePath();
  const a = new JobRunner({ storePath: path });
  const run = await a.submit({ kind: 'demo-train', params: { ...TRAIN, stepDelayMs: 20 } });
  await eventWhere(a, (e) => e.runId === run.id && e.fraction >= 0.3);
  const b = new JobRunner({ storePath: path });
  try {
    assert.deepEqual(b.interrupted, []);
    assert.equal(b.store.runs.get(run.id).status, 'running');
    await a.close();
    assert.equal(b.store.runs.get(run.id).status, 'interrupted');
    const done = await b.wait(b.resume(run.id).id);
    assert.deepEqual(trainOutput(b.store, done), ref.trainOut);
  } finally {
    await b.close();
  }
});
