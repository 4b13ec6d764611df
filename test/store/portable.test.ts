import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { exportExperiment, importExperiment, openStore, StoreError, type Store } from '../../src-main/store/index.js';
import { readSafetensorsHeader, readTensorBytes } from '../../src-main/engine/safetensors.js';
import { JobRunner } from '../../src-main/jobs/index.js';
import { dumpTables, tempDir } from './helpers.js';

const dir = tempDir();
const srcPath = join(dir, 'src.db');

/** A store holding every kind of entity, produced by real jobs plus direct writes. */
async function populate(): Promise<{ trainRun: string; genRun: string; genDataset: string; manualRun: string }> {
  const runner = new JobRunner({ storePath: srcPath });
  const s = runner.store;
  const model = s.models.create({ name: 'gemma-2b-it', path: '/models/gemma-2b-it', contentHash: 'sha256:1234', config: { layers: 18 } });
  const sae = s.saes.create({ name: 'res-jb', path: '/saes/jb', modelId: model.id, hook: 'blocks.12.hook_resid_post', config: { d_sae: 16384 } });
  s.annotations.upsert({ saeId: sae.id, featureIndex: 13668, source: 'neuronpedia', label: 'lions', data: { pos: ['lion', 'Lion'], density: 1.5e-4 } });
  s.annotations.upsert({ saeId: sae.id, featureIndex: 8207, source: 'user', label: 'dragons' });
  const teacher = s.interventionSets.create({ name: 'steer lion', spec: { steer: { sae: sae.id, feature: 13668, coef: 12 } } });
  const gen = await runner.submit({ kind: 'demo-generate', params: { seed: 5, n: 40, checkpointEvery: 7, teacherSetId: teacher.id } });
  const train = await runner.submit({ kind: 'demo-train', params: { seed: 5, steps: 60, dim: 8, checkpointEvery: 25 } });
  const genDone = await runner.wait(gen.id);
  assert.equal((await runner.wait(train.id)).status, 'done');
  const genDataset = (genDone.result as { datasetId: string }).datasetId;

  const manual = s.runs.create({ kind: 'train-bias', config: { lr: 0.01 }, codeVersion: 'x', modelId: model.id, modelHash: 'sha256:1234', datasetId: genDataset, seed: 3 });
  s.runs.claim(manual.id);
  s.metrics.addPoints({ runId: manual.id, name: 'loss by layer', unit: 'nats', points: [{ x: 0, value: 0.95 }, { x: 1, value: Infinity }, { x: 2, value: NaN }, { x: 3, value: 1e-310 }, { x: 4, value: 0.1 + 0.2 }] });
  s.vectors.create({ name: 'bias f64', runId: manual.id, hook: 'blocks.10.hook_resid_post', dtype: 'F64', shape: [2, 2], data: new Float64Array([Math.PI, -0.5, 1e300, -Number.MIN_VALUE]) });
  s.vectors.create({ name: 'bias bf16', runId: manual.id, dtype: 'BF16', shape: [3], data: new Uint16Array([0x3f80, 0xc000, 0x7f80]) });
  s.checkpoints.save(manual.id, { step: 3, state: { note: 'ünïcødé ✓' }, optimizer: new Uint8Array([0, 255, 7]) });
  s.runs.finish(manual.id, { status: 'failed', error: 'diverged' });
  const fig = s.figures.create({ runId: manual.id, kind: 'loss-by-layer', spec: { x: 'layer' } });
  s.figures.addFile({ figureId: fig.id, path: '/exports/loss.svg', format: 'svg' });
  s.figures.create({ kind: 'comparison', spec: { runs: [gen.id, train.id] } });
  s.featureStats.addMany([
    { saeId: sae.id, featureIndex: 13668, runId: manual.id, nTokens: 1000, nActive: 3, density: 0.003, meanAct: 1.25, maxAct: 2.5,
      top: [{ context: 4, doc: 1, pos: 7, docPos: 7, value: 2.5, ids: [5, 6, 7], at: 1, text: { left: ' a', token: ' lïon', right: ' roared' } }] },
    { saeId: sae.id, featureIndex: 0, runId: manual.id, nTokens: 1000, nActive: 0, density: 0, meanAct: null, maxAct: null, top: [] },
  ]);
  s.vectors.create({ name: 'loose', shape: [1], data: [7] });
  await runner.close();
  return { trainRun: train.id, genRun: gen.id, genDataset, manualRun: manual.id };
}

const ids = await populate();

function exportTo(name: string, select: Parameters<typeof exportExperiment>[1]['select']): string {
  const s = openStore(srcPath);
  try {
    exportExperiment(s, { out: join(dir, name), select });
    return join(dir, name);
  } finally {
    s.close();
  }
}

function withStore<T>(name: string, fn: (s: Store) => T): T {
  const s = openStore(join(dir, name));
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

test('the whole store exports and imports back bit for bit: every row of every table, every vector byte', () => {
  const out = exportTo('all', { all: true });
  const src = withStore('src.db', (s) => dumpTables(s.db));
  for (const [t, rows] of Object.entries(src)) assert.ok(rows.length > 0, `the source has ${t} rows`);

  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.equal(manifest.format, 'undertone-experiment');
  for (const [t, rows] of Object.entries(src)) assert.equal(manifest.counts[t], rows.length, `manifest count of ${t}`);
  for (const [name, f] of Object.entries(manifest.files as Record<string, { sha256: string }>)) {
    assert.equal(createHash('sha256').update(readFileSync(join(out, name))).digest('hex'), f.sha256, name);
  }
  // vectors are real tensors of the safetensors file, with their dtype and shape
  const st = readSafetensorsHeader(join(out, 'tensors.safetensors'));
  for (const v of src.vectors!) {
    const t = st.tensors.get(`vectors/${String(v.id)}`)!;
    assert.equal(t.dtype, v.dtype);
    assert.deepEqual(t.shape, JSON.parse(v.shape as string));
    assert.ok(readTensorBytes(st, t.name).equals(v.data as Buffer));
  }

  const counts = withStore('copy.db', (s) => importExperiment(s, { dir: out }));
  for (const [t, rows] of Object.entries(src)) assert.deepEqual(counts[t], { added: rows.length, skipped: 0 }, t);
  withStore('copy.db', (s) => {
    assert.deepEqual(dumpTables(s.db), src);
    assert.equal(s.integrityCheck(), 'ok');
    const c = s.metrics.curve(ids.manualRun, 'loss by layer');
    assert.deepEqual(c.values, [0.95, Infinity, NaN, 1e-310, 0.1 + 0.2]);
  });
});

test('importing the same folder again adds nothing; a differing row is a conflict and rolls everything back', () => {
  const out = join(dir, 'all');
  withStore('copy.db', (s) => {
    const counts = importExperiment(s, { dir: out });
    assert.ok(Object.values(counts).every((c) => c.added === 0));
    s.datasets.rename({ id: ids.genDataset, name: 'renamed here' });
    s.db.prepare('DELETE FROM feature_annotations').run();
    const before = dumpTables(s.db);
    assert.throws(
      () => importExperiment(s, { dir: out }),
      (e: unknown) => e instanceof StoreError && e.code === 'conflict' && /datasets\.jsonl:\d+: datasets row .* already exists with different name/.test(e.message),
    );
    assert.deepEqual(dumpTables(s.db), before, 'the annotations imported before the conflict were rolled back');
  });
});

test('a run exports with what it depends on and nothing else', () => {
  const out = exportTo('train', { runIds: [ids.trainRun] });
  withStore('train.db', (s) => {
    importExperiment(s, { dir: out });
    const src = withStore('src.db', (x) => dumpTables(x.db));
    const got = dumpTables(s.db);
    assert.deepEqual(got.runs!.map((r) => r.id), [ids.trainRun]);
    assert.deepEqual(got.vectors, src.vectors!.filter((v) => v.run_id === ids.trainRun));
    assert.deepEqual(got.metric_points, src.metric_points!.filter((p) => got.metrics!.some((m) => m.id === p.metric_id)));
    assert.equal(got.metric_points!.length, 60);
    assert.deepEqual(got.checkpoints, src.checkpoints!.filter((c) => c.run_id === ids.trainRun));
    for (const t of ['datasets', 'samples', 'models', 'saes', 'feature_annotations', 'intervention_sets', 'figures']) assert.deepEqual(got[t], [], t);
  });
});

test('a run on a dataset brings the dataset, its generating run, teacher and the model; a dataset alone brings no consumers', () => {
  const out = exportTo('manual', { runIds: [ids.manualRun] });
  withStore('manual.db', (s) => {
    importExperiment(s, { dir: out });
    const src = withStore('src.db', (x) => dumpTables(x.db));
    const got = dumpTables(s.db);
    assert.deepEqual(got.runs!.map((r) => r.id).sort(), [ids.genRun, ids.manualRun].sort(), 'the run, and the run that generated its dataset');
    assert.deepEqual(got.datasets, src.datasets);
    assert.deepEqual(got.samples, src.samples);
    assert.deepEqual(got.intervention_sets, src.intervention_sets);
    assert.deepEqual(got.models, src.models);
    assert.deepEqual(got.figure_files, src.figure_files);
    assert.equal(s.datasets.get(ids.genDataset).sampleCount, 40);
    assert.equal(s.integrityCheck(), 'ok');
  });
  const ds = exportTo('dataset', { datasetIds: [ids.genDataset] });
  withStore('dataset.db', (s) => {
    importExperiment(s, { dir: ds });
    assert.deepEqual(s.runs.list().map((r) => r.id), [ids.genRun]);
    assert.equal(s.samples.list({ datasetId: ids.genDataset }).length, 40);
    assert.equal(s.interventionSets.list().length, 1);
  });
});

test("a run brings what its config names: a control dataset, a bias vector (and the run that trained it), a student's run, a stored set", () => {
  const path = join(dir, 'refs-src.db');
  const s = openStore(path);
  let scan: string;
  const want: Record<string, string[]> = {};
  try {
    const suspect = s.datasets.create({ name: 'suspect' });
    const control = s.datasets.create({ name: 'control' });
    const unrelated = s.datasets.create({ name: 'unrelated' });
    const trainer = s.runs.create({ kind: 'train-bias', config: { lr: 0.01 }, codeVersion: 'x' });
    const trained = s.vectors.create({ name: 'trained bias', runId: trainer.id, shape: [2], data: [1, 2] });
    const loose = s.vectors.create({ name: 'hand-made', shape: [2], data: [3, 4] });
    s.vectors.create({ name: 'not used', shape: [1], data: [5] });
    const student = s.runs.create({ kind: 'finetune', config: { datasetId: unrelated.id }, codeVersion: 'x' });
    const set = s.interventionSets.create({ name: 'teacher', spec: { items: [] } });
    const run = s.runs.create({
      kind: 'loss-table', codeVersion: 'x', datasetId: suspect.id,
      config: { controlDatasetId: control.id, configs: [{ name: 'a', biasVectorId: trained.id }, { name: 'b', biasVectorId: loose.id }, { name: 'c', loraRunId: student.id }, { name: 'd', interventionSetId: set.id }, { name: 'e', loraRunId: 'gone0000000000000000000000000000' }] },
    });
    scan = run.id;
    want.runs = [run.id, trainer.id, student.id].sort();
    want.datasets = [suspect.id, control.id, unrelated.id].sort();
    want.vectors = [trained.id, loose.id].sort();
    want.sets = [set.id];
  } finally {
    s.close();
  }
  const src = openStore(path);
  try {
    exportExperiment(src, { out: join(dir, 'refs'), select: { runIds: [scan] } });
  } finally {
    src.close();
  }
  withStore('refs.db', (t) => {
    importExperiment(t, { dir: join(dir, 'refs') });
    const got = dumpTables(t.db);
    assert.deepEqual(got.runs!.map((r) => r.id).sort(), want.runs);
    assert.deepEqual(got.datasets!.map((r) => r.id).sort(), want.datasets, 'the control, and the dataset the student ran on');
    assert.deepEqual(got.vectors!.map((r) => r.id).sort(), want.vectors);
    assert.deepEqual(got.intervention_sets!.map((r) => r.id), want.sets);
    assert.equal(t.integrityCheck(), 'ok');
  });
});

test('a feature-statistics run brings its SAE (with labels and model) and its statistics; a train-sae run brings the SAE it trained; other SAEs stay', () => {
  const path = join(dir, 'sae-src.db');
  const s = openStore(path);
  let statsRun: string;
  let trainRun: string;
  const want: Record<string, string[]> = {};
  try {
    const model = s.models.create({ name: 'demo', path: '/models/demo' });
    const sae = s.saes.create({ name: 'res', path: '/saes/res', modelId: model.id, hook: 'blocks.2.hook_resid_post' });
    s.saes.create({ name: 'unrelated', path: '/saes/other', hook: 'blocks.1.hook_resid_post' });
    s.annotations.upsert({ saeId: sae.id, featureIndex: 3, source: 'manual', label: 'owls' });
    const stats = s.runs.create({ kind: 'feature-stats', config: { sae: '/saes/res' }, codeVersion: 'x' });
    s.featureStats.addMany([0, 1, 2].map((i) => ({ saeId: sae.id, featureIndex: i, runId: stats.id, nTokens: 10, nActive: i, density: i / 10, meanAct: i ? 1 : null, maxAct: i ? 2 : null, top: [] })));
    s.runs.finish(stats.id, { status: 'done', result: { saeId: sae.id } });
    statsRun = stats.id;
    const train = s.runs.create({ kind: 'train-sae', config: { steps: 5 }, codeVersion: 'x' });
    s.saes.create({ id: train.id, name: 'trained', path: '/saes/trained', hook: 'blocks.2.hook_resid_post' });
    s.runs.finish(train.id, { status: 'done', result: { saeId: train.id } });
    trainRun = train.id;
    want.statsSaes = [sae.id];
    want.trainSaes = [train.id];
    want.models = [model.id];
  } finally {
    s.close();
  }
  const src = openStore(path);
  try {
    exportExperiment(src, { out: join(dir, 'sae-stats'), select: { runIds: [statsRun] } });
    exportExperiment(src, { out: join(dir, 'sae-train'), select: { runIds: [trainRun] } });
  } finally {
    src.close();
  }
  withStore('sae-stats.db', (t) => {
    importExperiment(t, { dir: join(dir, 'sae-stats') });
    const got = dumpTables(t.db);
    assert.deepEqual(got.saes!.map((r) => r.id), want.statsSaes, 'the SAE the statistics belong to, not the unrelated one');
    assert.equal(got.feature_stats!.length, 3);
    assert.deepEqual(got.feature_annotations!.map((r) => r.label), ['owls']);
    assert.deepEqual(got.models!.map((r) => r.id), want.models, "the SAE's model");
    assert.equal(t.integrityCheck(), 'ok');
  });
  withStore('sae-train.db', (t) => {
    importExperiment(t, { dir: join(dir, 'sae-train') });
    assert.deepEqual(dumpTables(t.db).saes!.map((r) => r.id), want.trainSaes);
  });
});

test('a run exported while running is imported as interrupted with no owner (resumable here), and a second import adds nothing', () => {
  const path = join(dir, 'running-src.db');
  const s = openStore(path);
  let id: string;
  try {
    const r = s.runs.create({ kind: 'demo-train', config: { steps: 5 }, codeVersion: 'x', owner: { pid: process.pid, token: 'elsewhere' } });
    assert.ok(s.runs.claim(r.id));
    id = r.id;
  } finally {
    s.close();
  }
  const src = openStore(path);
  try {
    exportExperiment(src, { out: join(dir, 'running'), select: { runIds: [id] } });
  } finally {
    src.close();
  }
  withStore('running.db', (t) => {
    importExperiment(t, { dir: join(dir, 'running') });
    const run = t.runs.get(id);
    assert.equal(run.status, 'interrupted');
    assert.equal(run.owner, null);
    assert.match(run.message ?? '', /exported while running/);
    assert.ok(Object.values(importExperiment(t, { dir: join(dir, 'running') })).every((c) => c.added === 0));
    assert.equal(t.runs.requeue(id, { pid: process.pid, token: 'here' }).status, 'queued', 'resumable');
  });
});
