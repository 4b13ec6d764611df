/**
 * Mean activation over the positions that predict completion tokens, on the real tiny Llama
 * (stories260k). Oracle: at blocks.0.hook_resid_pre a Llama's activation is its token's embedding
 * row, so the mean is a plain-loop average of embedding rows read straight from the safetensors file,
 * over the tokens chosen by hand (each counted position's own token). Then: batching and left padding
 * do not change the mean, and the job writes the means, their difference and the cosine with a vector.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { JobRunner } from '../../src-main/jobs/index.js';
import { Runtime } from '../../src-main/engine/runtime.js';
import { readSafetensorsHeader, readTensorF32 } from '../../src-main/engine/safetensors.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import type { ScoreItem } from '../../src-main/models/score.js';
import { cosine, meanActivation } from '../../src-main/lab/mean-activation.js';
import { tempDir } from '../store/helpers.js';

const DIR = tempDir();
const MODEL = new URL('../fixtures/stories260k/', import.meta.url).pathname;

/** max |a − b| */
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('mean activation', () => {
  let rt: Runtime;
  let m: LanguageModel;
  // prompt tokens (mask 0) then completion tokens (mask 1); lengths differ, so batches are left-padded
  const items: ScoreItem[] = [
    { ids: [1, 403, 407, 261, 300, 301], completionMask: [0, 0, 0, 1, 1, 1] },
    { ids: [1, 20, 30], completionMask: [0, 0, 1] },
    { ids: [1, 5, 6, 7, 8, 9, 10, 11, 12], completionMask: [0, 0, 0, 0, 0, 1, 1, 0, 1] },
    { ids: [1, 2], completionMask: [0, 0] },
  ];
  before(() => {
    rt = Runtime.start();
    m = LanguageModel.open(rt, MODEL);
  });
  after(async () => {
    await m.close();
    await rt.close();
  });

  it('at blocks.0.hook_resid_pre it is the mean embedding row of the tokens at the counted positions (float32 ≤ 1e-6)', async () => {
    const E = readTensorF32(readSafetensorsHeader(join(MODEL, 'model.safetensors')), 'model.embed_tokens.weight'); // [V, D]
    const D = m.spec.dModel;
    // by hand: a position counts when the NEXT token is a completion token; its activation is its own token's row
    const counted = [[407, 261, 300], [20], [8, 9, 11]].flat();
    const want = new Float64Array(D);
    for (const t of counted) for (let d = 0; d < D; d++) want[d]! += E[t * D + d]! / counted.length;
    const got = await meanActivation(m, items, 'blocks.0.hook_resid_pre', { batch: 3 });
    assert.equal(got.tokens, counted.length);
    assert.equal(got.samples, 3, 'the item without completion tokens adds nothing');
    assert.ok(maxDiff(got.mean, want) <= 1e-6, `max |Δ| ${maxDiff(got.mean, want)}`);
  });

  it('batching and left padding leave the mean unchanged (deep hook; batch 1 vs 4, float32 ≤ 1e-5)', async () => {
    const one = await meanActivation(m, items, 'blocks.3.hook_resid_post', { batch: 1 });
    const four = await meanActivation(m, items, 'blocks.3.hook_resid_post', { batch: 4 });
    assert.equal(one.tokens, four.tokens);
    assert.ok(maxDiff(one.mean, four.mean) <= 1e-5, `max |Δ| ${maxDiff(one.mean, four.mean)}`);
    // not trivially equal to the embedding mean: the blocks changed it
    const emb = await meanActivation(m, items, 'blocks.0.hook_resid_pre');
    assert.ok(maxDiff(one.mean, emb.mean) > 1e-2);
  });

  it('no completion tokens: an error that says so', async () => {
    await assert.rejects(meanActivation(m, [items[3]!], 'blocks.0.hook_resid_pre'), /no completion tokens in 1 sample/);
  });
});

describe('mean-activation job', () => {
  let runner: JobRunner;
  before(() => {
    runner = new JobRunner({ storePath: join(DIR, 'store.db') });
  });
  after(async () => {
    await runner.close();
  });

  it('stores the dataset mean, the control mean and their difference; the cosine with a vector is that of the stored vectors', async () => {
    const s = runner.store;
    const teacher = s.datasets.create({ name: 'teacher' });
    s.samples.add({ datasetId: teacher.id, samples: ['Once upon a time', 'One day', 'Lily saw'].map((p, idx) => ({ idx, prompt: p, completion: ' a big red ball.' })) });
    const control = s.datasets.create({ name: 'control' });
    s.samples.add({ datasetId: control.id, samples: ['Once upon a time', 'One day', 'Lily saw'].map((p, idx) => ({ idx, prompt: p, completion: ' she went home.' })) });
    const hook = 'blocks.2.hook_resid_post';
    const probe = s.vectors.create({ name: 'probe', hook, dtype: 'F32', shape: [64], data: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i + 1)) });
    const run = await runner.wait((await runner.submit({ kind: 'mean-activation', params: { model: MODEL, datasetId: teacher.id, controlDatasetId: control.id, raw: true, hook, vectorId: probe.id } })).id);
    assert.equal(run.status, 'done', run.error ?? '');
    const r = run.result as { vectorIds: { dataset: string; control: string; difference: string }; compared: { cosine: number; with: string }; dataset: { tokens: number }; control: { tokens: number } };
    const vs = s.vectors.list({ runId: run.id });
    assert.deepEqual(vs.map((v) => v.name).sort(), [`mean activation (control) ${hook}`, `mean activation (dataset) ${hook}`, `mean difference (dataset − control) ${hook}`]);
    const a = s.vectors.f32(r.vectorIds.dataset);
    const b = s.vectors.f32(r.vectorIds.control);
    const d = s.vectors.f32(r.vectorIds.difference);
    assert.ok(maxDiff(d, Float32Array.from(a, (x, i) => x - b[i]!)) <= 1e-6, 'difference = dataset − control');
    assert.equal(r.compared.with, 'difference');
    assert.ok(Math.abs(r.compared.cosine - cosine(d, s.vectors.f32(probe.id))) <= 1e-6);
    assert.ok(r.dataset.tokens > 0 && r.control.tokens > 0);
    // the means match the lab function on the same items (the job reads the datasets as the other kinds do)
    const meta = s.vectors.get(r.vectorIds.difference).meta as { modelHash: string; codeVersion: string };
    assert.match(meta.modelHash, /^sha256:/);
    assert.ok(meta.codeVersion);
  });

  it('refuses a hook the model does not have, naming it', async () => {
    const ds = runner.store.datasets.create({ name: 'x' });
    runner.store.samples.add({ datasetId: ds.id, samples: [{ idx: 0, prompt: 'One day', completion: ' a cat.' }] });
    const run = await runner.wait((await runner.submit({ kind: 'mean-activation', params: { model: MODEL, datasetId: ds.id, raw: true, hook: 'blocks.9.hook_resid_post' } })).id);
    assert.equal(run.status, 'failed');
    assert.match(run.error ?? '', /hook 'blocks\.9\.hook_resid_post' is not a hook of this llama model/);
  });
});
