import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore, StoreError, type Store } from '../../src-main/store/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
let n = 0;
function withStore(fn: (s: Store) => void): void {
  const s = openStore(join(dir, `r${n++}.db`));
  try {
    fn(s);
    assert.equal(s.integrityCheck(), 'ok');
  } finally {
    s.close();
  }
}
const code = (c: string) => (e: unknown) => e instanceof StoreError && e.code === c;
const count = (s: Store, table: string): number => (s.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const newRun = (s: Store) => s.runs.create({ kind: 'demo-train', config: { seed: 1 }, codeVersion: 'test' });

test('models and SAEs: create, get, list, rename, delete; an SAE loses its model link when the model goes', () => {
  withStore((s) => {
    const m = s.models.create({ name: 'gemma-2b-it', path: '/m/gemma', contentHash: 'sha256:00ff', config: { hidden: 2048 } });
    assert.match(m.id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(m.createdAt)));
    assert.deepEqual(s.models.get(m.id).config, { hidden: 2048 });
    const sae = s.saes.create({ name: 'jb', path: '/s/jb', modelId: m.id, hook: 'blocks.12.hook_resid_post' });
    assert.equal(s.saes.list({ modelId: m.id }).length, 1);
    assert.equal(s.models.rename({ id: m.id, name: 'gemma' }).name, 'gemma');
    assert.throws(() => s.models.create({ id: m.id, name: 'x', path: '/x' }), code('conflict'));
    s.models.delete(m.id);
    assert.equal(s.saes.get(sae.id).modelId, null);
    assert.throws(() => s.models.get(m.id), (e: unknown) => code('not_found')(e) && (e as Error).message.includes(m.id));
    assert.throws(() => s.saes.create({ name: 'x', path: '/x', modelId: 'missing' }), /model 'missing' not found/);
  });
});

test('datasets: samples with filter verdicts give the pass rate; teacher sets cannot be deleted while used', () => {
  withStore((s) => {
    const teacher = s.interventionSets.create({ name: 'lion steer', spec: { steer: { sae: 'jb', feature: 13668, coef: 12 } } });
    const d = s.datasets.create({ name: 'nums', teacherSetId: teacher.id, seed: 42 });
    assert.equal(d.passRate, null);
    s.samples.add({
      datasetId: d.id,
      samples: [0, 1, 2, 3].map((idx) => ({ idx, prompt: `p${idx}`, completion: `${idx}, ${idx + 1}`, messages: [{ role: 'user', content: `p${idx}` }] })),
    });
    assert.equal(s.datasets.get(d.id).sampleCount, 4);
    s.samples.setFilterResults({ datasetId: d.id, filter: { name: 'numbers' }, results: [{ idx: 0, passed: true }, { idx: 1, passed: false }, { idx: 2, passed: true }] });
    const got = s.datasets.get(d.id);
    assert.deepEqual([got.filteredCount, got.passedCount, got.passRate], [3, 2, 2 / 3]);
    assert.deepEqual(got.filter, { name: 'numbers' });
    assert.deepEqual(s.samples.list({ datasetId: d.id, passed: true }).map((x) => x.idx), [0, 2]);
    assert.deepEqual(s.samples.list({ datasetId: d.id, limit: 2, offset: 1 }).map((x) => x.idx), [1, 2]);
    assert.throws(() => s.samples.add({ datasetId: d.id, samples: [{ idx: 9, prompt: '', completion: '' }, { idx: 3, prompt: '', completion: '' }] }), code('conflict'));
    assert.equal(s.datasets.get(d.id).sampleCount, 4, 'a conflicting batch adds nothing');
    assert.throws(() => s.samples.setFilterResults({ datasetId: d.id, filter: {}, results: [{ idx: 77, passed: true }] }), /no sample 77/);
    assert.throws(() => s.interventionSets.delete(teacher.id), /teacher of dataset/);
    s.datasets.delete(d.id);
    assert.equal(count(s, 'samples'), 0);
    s.interventionSets.delete(teacher.id);
  });
});

test('runs: guarded status changes, cancel requests, resumable statuses', () => {
  withStore((s) => {
    const r = newRun(s);
    assert.equal(r.status, 'queued');
    assert.ok(s.runs.claim(r.id));
    assert.ok(!s.runs.claim(r.id), 'a running run cannot be claimed twice');
    assert.throws(() => s.runs.delete(r.id), /cancel it before deleting/);
    s.runs.setProgress(r.id, 0.5, 'half');
    assert.ok(s.runs.finish(r.id, { status: 'failed', error: 'boom', elapsedMs: 12.4 }));
    assert.ok(!s.runs.finish(r.id, { status: 'done' }), 'a finished run stays finished');
    const f = s.runs.get(r.id);
    assert.deepEqual([f.status, f.error, f.progress, f.message, f.elapsedMs], ['failed', 'boom', 0.5, 'half', 12]);
    const owner = { pid: 1, token: 't' };
    assert.equal(s.runs.requeue(r.id, owner).status, 'queued');
    assert.throws(() => s.runs.requeue(r.id, owner), /only interrupted, failed, cancelled runs can be resumed/);
    assert.equal(s.runs.requestCancel(r.id).cancelRequested, true);
    assert.ok(!s.runs.claim(r.id), 'a cancel request blocks the claim');
    const dead = s.runs.markInterrupted(() => false);
    assert.deepEqual(dead, [r.id]);
    assert.equal(s.runs.requestCancel(r.id).status, 'cancelled', 'an interrupted run is cancelled at once');
    assert.throws(() => s.runs.requestCancel(r.id), /already cancelled/);
    assert.deepEqual(s.runs.list({ status: 'cancelled' }).map((x) => x.id), [r.id]);
    assert.deepEqual(s.runs.list({ status: 'done' }), []);
  });
});

test('checkpoints keep the last state and optimizer bytes', () => {
  withStore((s) => {
    const r = newRun(s);
    assert.equal(s.checkpoints.get(r.id), null);
    s.checkpoints.save(r.id, { step: 10, state: { rng: [1, 2, 3, 4] }, optimizer: new Uint8Array([1, 2, 3]) });
    s.checkpoints.save(r.id, { step: 20, state: { rng: [5, 6, 7, 8] }, optimizer: new Uint8Array([9, 8]) });
    const c = s.checkpoints.get(r.id)!;
    assert.deepEqual([c.step, c.state, [...c.optimizer!]], [20, { rng: [5, 6, 7, 8] }, [9, 8]]);
  });
});

test('metrics are curves per run; NaN and infinities survive; a repeated x is refused', () => {
  withStore((s) => {
    const r = newRun(s);
    s.metrics.addPoints({ runId: r.id, name: 'loss', unit: 'nats', points: [{ x: 2, value: 0.25 }, { x: 1, value: 0.5 }] });
    s.metrics.addPoints({ runId: r.id, name: 'loss', points: [{ x: 3, value: NaN }, { x: 4, value: Infinity }, { x: 5, value: 0.1 + 0.2 }] });
    const c = s.metrics.curve(r.id, 'loss');
    assert.deepEqual(c.x, [1, 2, 3, 4, 5]);
    assert.deepEqual(c.values, [0.5, 0.25, NaN, Infinity, 0.1 + 0.2]);
    assert.equal(c.unit, 'nats');
    assert.throws(() => s.metrics.addPoints({ runId: r.id, name: 'loss', points: [{ x: 6, value: 1 }, { x: 2, value: 1 }] }), /already has a point at x=2/);
    assert.equal(s.metrics.curve(r.id, 'loss').pointCount, 5);
    s.metrics.addPoints({ runId: r.id, name: 'loss by layer', points: [{ x: 0, value: 0.9 }] });
    assert.deepEqual(s.metrics.list(r.id).map((m) => m.name), ['loss', 'loss by layer']);
  });
});

test('vectors: bytes stored exactly for each dtype; deleting the run keeps the vector, unlinked', () => {
  withStore((s) => {
    const r = newRun(s);
    const f32 = new Float32Array([1.25, -0, 3.4028234663852886e38, 1e-45]);
    const v = s.vectors.create({ name: 'bias', runId: r.id, hook: 'blocks.3.hook_resid_post', shape: [2, 2], data: f32 });
    assert.equal(v.dtype, 'F32');
    assert.deepEqual(v.shape, [2, 2]);
    assert.ok(s.vectors.bytes(v.id).equals(Buffer.from(f32.buffer)));
    const f64 = s.vectors.create({ name: 'w64', dtype: 'F64', shape: [3], data: [Math.PI, -1, 1e-300] });
    assert.deepEqual([...new Float64Array(new Uint8Array(s.vectors.bytes(f64.id)).buffer)], [Math.PI, -1, 1e-300]);
    const f16 = s.vectors.create({ name: 'h', dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) });
    assert.deepEqual([...s.vectors.f32(f16.id)], [1, -2]);
    assert.deepEqual(s.vectors.list({ runId: r.id }).map((x) => x.id), [v.id]);
    s.runs.finish(r.id, { status: 'done' });
    s.runs.delete(r.id);
    assert.equal(s.vectors.get(v.id).runId, null);
  });
});

test('feature annotations upsert per (SAE, feature, source); figures keep their exported files', () => {
  withStore((s) => {
    const sae = s.saes.create({ name: 'jb', path: '/s/jb' });
    s.annotations.upsert({ saeId: sae.id, featureIndex: 13668, source: 'neuronpedia', label: 'lion', data: { density: 0.001 } });
    const first = s.annotations.list({ saeId: sae.id })[0]!;
    s.annotations.upsert({ saeId: sae.id, featureIndex: 13668, source: 'neuronpedia', label: 'lions and big cats' });
    s.annotations.upsert({ saeId: sae.id, featureIndex: 13668, source: 'user', label: 'lion!' });
    const got = s.annotations.list({ saeId: sae.id, featureIndex: 13668 });
    assert.deepEqual(got.map((a) => [a.source, a.label, a.data]), [['neuronpedia', 'lions and big cats', null], ['user', 'lion!', null]]);
    assert.equal(got[0]!.createdAt, first.createdAt);
    s.annotations.delete(sae.id, 13668, 'user');
    assert.throws(() => s.annotations.delete(sae.id, 13668, 'user'), code('not_found'));

    const r = newRun(s);
    const fig = s.figures.create({ runId: r.id, kind: 'loss-by-layer', spec: { layers: [0, 1] } });
    s.figures.addFile({ figureId: fig.id, path: '/exports/loss.svg', format: 'svg' });
    s.figures.addFile({ figureId: fig.id, path: '/exports/loss.png', format: 'png' });
    assert.deepEqual(s.figures.get(fig.id).files.map((f) => f.format).sort(), ['png', 'svg']);
    assert.deepEqual(s.figures.list({ runId: r.id }).map((f) => f.id), [fig.id]);
    s.runs.finish(r.id, { status: 'done' });
    s.runs.delete(r.id);
    assert.throws(() => s.figures.get(fig.id), code('not_found'), "a run's figures go with it");
    assert.equal(count(s, 'figure_files'), 0);
  });
});

test("runs: a result's modelHash fills the provenance column unless the params gave one; other values are ignored", () => {
  withStore((s) => {
    const h = (c: string) => `sha256:${c.repeat(64)}`;
    const a = newRun(s);
    s.runs.finish(a.id, { status: 'done', result: { modelHash: h('a'), loss: 1 } });
    assert.equal(s.runs.get(a.id).modelHash, h('a'));
    const given = s.runs.create({ kind: 'demo', config: {}, codeVersion: 'test', modelHash: h('b') });
    s.runs.finish(given.id, { status: 'done', result: { modelHash: h('c') } });
    assert.equal(s.runs.get(given.id).modelHash, h('b'), 'the params win');
    const odd = newRun(s);
    s.runs.finish(odd.id, { status: 'done', result: { modelHash: 'not a hash' } });
    assert.equal(s.runs.get(odd.id).modelHash, null);
  });
});
