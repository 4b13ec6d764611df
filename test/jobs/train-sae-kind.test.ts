/**
 * `train-sae` through the real runner and store on stories260k: a SAELens folder is written next to
 * the store (or at `out`), registered as an SAE, loads back at the hook, and its curves are stored;
 * the embedded demo SAE reconstructs the demo model's activations on its own corpus.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobRunner } from '../../src-main/jobs/index.js';
import { Runtime } from '../../src-main/engine/runtime.js';
import { compile } from '../../src-main/engine/onnx-export.js';
import { Graph } from '../../src-main/engine/tensor.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { checkSaeAgainstModel, loadSae } from '../../src-main/models/sae/load.js';
import { saeDecode, saeEncode } from '../../src-main/models/sae/graph.js';
import { corpusContexts, readCorpusFile } from '../../src-main/lab/feature-corpus.js';
import { collectActivations } from '../../src-main/lab/train-sae.js';
import { demoCorpusPath, demoModelPath, demoSaePath } from '../../src-main/api/demo.js';
import { tempDir } from '../store/helpers.js';

const MODEL = new URL('../fixtures/stories260k/', import.meta.url).pathname;

describe('train-sae job', () => {
  const dir = tempDir();
  let runner: JobRunner;
  let corpus: string;
  before(() => {
    runner = new JobRunner({ storePath: join(dir, 'store.db') });
    corpus = join(dir, 'stories.txt');
    const openings = ['Once upon a time there was a cat.', 'Tom ran to the park with his big dog.', 'Lily saw a bird in the tree and smiled.', 'Mom said it was time to sleep.'];
    writeFileSync(corpus, Array.from({ length: 12 }, (_, i) => openings[i % 4]).join('\n\n'));
  });
  after(async () => {
    await runner.close();
  });

  it('writes a SAELens folder next to the store, registers it, stores its curves; the folder loads at the hook', async () => {
    const run = await runner.submit({ kind: 'train-sae', params: { model: MODEL, corpusFile: corpus, hook: 'blocks.1.hook_resid_post', expansion: 2, steps: 40, batch: 64, checkpointEvery: 20 } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const r = done.result as { saeId: string; path: string; dIn: number; dSae: number; tokens: number; evaluation: { explainedVariance: number; tokens: number } };
    assert.deepEqual([r.dIn, r.dSae], [64, 128]);
    assert.ok(r.path.startsWith(join(dir, 'saes')), r.path);
    assert.ok(r.evaluation.tokens >= 1 && Number.isFinite(r.evaluation.explainedVariance));
    const stored = runner.store.saes.get(r.saeId);
    assert.deepEqual([stored.path, stored.hook], [r.path, 'blocks.1.hook_resid_post']);
    const sae = await loadSae(r.path);
    assert.deepEqual([sae.hook, sae.dIn, sae.dSae, sae.architecture], ['blocks.1.hook_resid_post', 64, 128, 'standard']);
    const cfg = JSON.parse(readFileSync(join(r.path, 'cfg.json'), 'utf8')) as { undertone_training: { run: string; steps: number; modelHash: string } };
    assert.equal(cfg.undertone_training.run, run.id);
    assert.match(cfg.undertone_training.modelHash, /^sha256:/);
    assert.equal(runner.store.runs.get(run.id).modelHash, cfg.undertone_training.modelHash, "the run's provenance names the weights it ran");
    const curves = runner.store.metrics.list(run.id).map((m) => m.name).sort();
    assert.deepEqual(curves, ['sae/dead_fraction', 'sae/explained_variance', 'sae/l0', 'sae/mse']);
    const ev = runner.store.metrics.curve(run.id, 'sae/explained_variance');
    assert.equal(ev.x.at(-1), 40);

    const out = join(dir, 'my-sae');
    const run2 = await runner.submit({ kind: 'train-sae', params: { model: MODEL, corpusFile: corpus, steps: 5, batch: 32, out } });
    const done2 = await runner.wait(run2.id);
    assert.equal(done2.status, 'done', done2.error ?? '');
    assert.ok(existsSync(join(out, 'sae_weights.safetensors')));
    assert.equal((await loadSae(out)).hook, 'blocks.2.hook_resid_post', 'the default hook is the middle layer’s resid_post');

    // a second run into the same folder is refused before training: run2's registered SAE keeps its weights
    const before = readFileSync(join(out, 'sae_weights.safetensors'));
    const run3 = await runner.submit({ kind: 'train-sae', params: { model: MODEL, corpusFile: corpus, steps: 5, batch: 32, out, hook: 'blocks.1.hook_resid_post' } });
    const done3 = await runner.wait(run3.id);
    assert.equal(done3.status, 'failed');
    assert.match(done3.error ?? '', new RegExp(`already holds the SAE of run ${run2.id}; give an empty or new folder`));
    assert.ok(readFileSync(join(out, 'sae_weights.safetensors')).equals(before), 'the first SAE is untouched');
    assert.deepEqual(readdirSync(out).sort(), ['cfg.json', 'sae_weights.safetensors'], 'no temporary files left');
  });

  it('the embedded demo SAE reconstructs the demo model at its hook: explained variance > 0.8 and L0 < 30 on its corpus', async () => {
    const rt = Runtime.start();
    const m = LanguageModel.open(rt, demoModelPath()!);
    const sae = await loadSae(demoSaePath()!);
    checkSaeAgainstModel(sae, m.spec);
    const src = readCorpusFile(demoCorpusPath()!, 40);
    const acts = await collectActivations(m, corpusContexts(m.tokenizer(), src, { contextLen: 128 }), sae.hook);
    const g = new Graph();
    const x = g.input('x', 'float32', ['n', sae.dIn]);
    const f = saeEncode(g, sae, x);
    const s = await rt.load(compile({ outputs: { f, xhat: saeDecode(g, sae, f, { input: x }) } }));
    const r = await s.run({ x: { dtype: 'float32', dims: [acts.n, acts.dIn], data: acts.data } });
    const xh = r.xhat!.data as Float32Array;
    const fa = r.f!.data as Float32Array;
    const D = acts.dIn;
    const mean = new Float64Array(D);
    for (let i = 0; i < acts.n; i++) for (let d = 0; d < D; d++) mean[d]! += acts.data[i * D + d]! / acts.n;
    let se = 0;
    let sv = 0;
    for (let i = 0; i < acts.n * D; i++) {
      se += (xh[i]! - acts.data[i]!) ** 2;
      sv += (acts.data[i]! - mean[i % D]!) ** 2;
    }
    const l0 = fa.reduce((a, v) => a + (v > 0 ? 1 : 0), 0) / acts.n;
    assert.ok(acts.n > 1000, `${acts.n} tokens`);
    assert.ok(1 - se / sv > 0.8, `explained variance ${1 - se / sv}`);
    assert.ok(l0 > 1 && l0 < 30, `L0 ${l0}`);
    await s.release();
    await m.close();
    await rt.close();
  });
});
