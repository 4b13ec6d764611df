/**
 * The `feature-stats` job through the real runner and store (rows equal the lab run; the SAE is
 * registered once by path; sorted and filtered queries), cancel + resume equal to an uninterrupted
 * job, and the CLI command with and without --store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobRunner } from '../../src-main/jobs/index.js';
import type { JobEvent } from '../../src-main/jobs/events.js';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { loadSae } from '../../src-main/models/sae/load.js';
import { corpusContexts } from '../../src-main/lab/feature-corpus.js';
import { featureRecords, featureStats, type FeatureStat as LabStat } from '../../src-main/lab/feature-stats.js';
import { featureStatsCommand } from '../../src-main/cli/commands/feature-stats.js';
import { commands } from '../../src-main/cli/commands/index.js';
import { openStore, type FeatureStat } from '../../src-main/store/index.js';
import { tempDir } from '../store/helpers.js';
import { D_SAE, DEAD, STORIES, storyTexts, writeStatsSae } from './feature-stats-fixtures.js';

const DIR = tempDir();
const SAE = join(DIR, 'sae');
const COMMON = { model: STORIES, sae: SAE, dtype: 'float64' as const, contextLen: 16, topK: 5, window: 3 };

const strip = (r: FeatureStat) => ({ ...r, runId: '', createdAt: '' });

async function capture(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const [log, err, write] = [console.log, console.error, process.stderr.write];
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  console.error = () => {};
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return { code: await f(), out: out.join('\n') };
  } finally {
    console.log = log;
    console.error = err;
    process.stderr.write = write;
  }
}

describe('feature-stats job and CLI', () => {
  let runner: JobRunner;
  let datasetId: string;
  before(() => {
    writeStatsSae(SAE);
    runner = new JobRunner({ storePath: join(DIR, 'store.db') });
    datasetId = runner.store.datasets.create({ name: 'stories' }).id;
    runner.store.samples.add({ datasetId, samples: storyTexts().map((t, i) => ({ idx: i, prompt: t.slice(0, 12), completion: t.slice(12) })) });
  });
  after(async () => {
    await runner.close();
  });

  it('over a stored dataset: one row per feature under the SAE registered by path, equal to the lab run; queries', async () => {
    const run = await runner.submit({ kind: 'feature-stats', params: { ...COMMON, datasetId, raw: true, batch: 4 } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const res = done.result as { saeId: string; dSae: number; nContexts: number; nTokens: number; dead: number; modelHash: string };
    assert.equal(res.dSae, D_SAE);
    assert.equal(res.dead, DEAD.length);
    const s = runner.store;
    const stored = s.saes.get(res.saeId);
    assert.equal(stored.path, SAE);
    assert.equal(stored.hook, 'blocks.2.hook_resid_post');

    // the same computation in this process
    const rt = Runtime.start();
    let want: LabStat[];
    try {
      const m = LanguageModel.open(rt, STORIES, { dtype: 'float64' });
      const tok = m.tokenizer();
      const rows = s.samples.list({ datasetId }).map((x) => ({ messages: [{ role: 'user', content: x.prompt }], completion: x.completion }));
      const ctx = corpusContexts(tok, { rows }, { contextLen: 16, raw: true });
      assert.equal(ctx.n, res.nContexts);
      want = featureRecords(await featureStats(m, await loadSae(SAE), ctx, { batch: 4, topK: 5 }), ctx, { tok, window: 3 });
      await m.close();
    } finally {
      await rt.close();
    }
    const got = s.featureStats.list({ runId: run.id, withTop: true });
    assert.equal(got.length, D_SAE);
    got.forEach((g, i) => {
      const w = want[i]!;
      assert.equal(g.featureIndex, w.index);
      assert.deepEqual([g.nTokens, g.nActive], [w.nTokens, w.nActive]);
      assert.ok(Math.abs(g.density - w.density) < 1e-12);
      assert.ok(w.meanAct === null ? g.meanAct === null : Math.abs(g.meanAct! - w.meanAct) < 1e-9);
      assert.deepEqual(g.top.map((t) => ({ ...t, value: 0 })), w.top.map((t) => ({ ...t, value: 0 })), `feature ${i} top contexts`);
      g.top.forEach((t, j) => assert.ok(Math.abs(t.value - w.top[j]!.value) < 1e-9));
    });

    // queries
    assert.deepEqual(s.featureStats.list({ runId: run.id, dead: true }).map((r) => r.featureIndex), DEAD);
    assert.deepEqual(s.featureStats.list({ runId: run.id, dead: true })[0]!.top, [], 'list leaves the top contexts out unless asked');
    const dense = s.featureStats.list({ runId: run.id, order: 'densest', limit: 5 });
    assert.deepEqual(dense.map((r) => r.featureIndex), [...want].sort((a, b) => b.density - a.density || a.index - b.index).slice(0, 5).map((r) => r.index));
    const sparse = s.featureStats.list({ runId: run.id, order: 'sparsest', dead: false, limit: 1 });
    assert.equal(sparse[0]!.featureIndex, 3, 'the rare feature');
    const strong = s.featureStats.list({ runId: run.id, order: 'strongest' });
    assert.deepEqual(strong.slice(-DEAD.length).map((r) => r.maxAct), [null, null, null], 'dead features last');
    assert.ok(s.featureStats.list({ runId: run.id, minDensity: 0.5 }).every((r) => r.density >= 0.5));
    const one = s.featureStats.get(res.saeId, 7, run.id);
    assert.deepEqual(one, got[7]);
    assert.deepEqual(s.featureStats.forFeature(res.saeId, 7), [one]);
    assert.deepEqual(s.featureStats.runs(res.saeId), [{ runId: run.id, saeId: res.saeId, features: D_SAE, dead: DEAD.length, nTokens: want[0]!.nTokens, createdAt: one.createdAt }]);
  });

  it('cancel stops at a checkpoint; resume finishes like an uninterrupted run; the SAE is found again by path', async () => {
    const corpus = join(DIR, 'corpus.txt');
    const texts = Array.from({ length: 8 }, (_, r) => storyTexts().map((t) => `${r} ${t}`)).flat();
    writeFileSync(corpus, texts.join('\n\n'));
    const params = { ...COMMON, corpusFile: corpus, batch: 1, checkpointEvery: 2, dtype: 'float32' as const };
    const full = await runner.wait((await runner.submit({ kind: 'feature-stats', params })).id);
    assert.equal(full.status, 'done', full.error ?? '');

    const run = await runner.submit({ kind: 'feature-stats', params });
    await new Promise<void>((resolve) => {
      const on = (e: JobEvent): void => {
        if (e.runId === run.id && e.fraction >= 0.05) {
          runner.off('job', on);
          runner.cancel(run.id);
          resolve();
        }
      };
      runner.on('job', on);
    });
    const cancelled = await runner.wait(run.id);
    assert.equal(cancelled.status, 'cancelled', 'the job was cancelled before its end');
    const ck = runner.store.checkpoints.get(run.id);
    const nContexts = (full.result as { nContexts: number }).nContexts;
    assert.ok(ck && ck.step >= 2 && ck.step < nContexts, `checkpoint at batch ${ck?.step} of ${nContexts}`);
    assert.deepEqual(runner.store.featureStats.list({ runId: run.id }), [], 'nothing written before the end');
    const done = await runner.wait(runner.resume(run.id).id);
    assert.equal(done.status, 'done', done.error ?? '');
    assert.deepEqual(done.result, full.result);
    const a = runner.store.featureStats.list({ runId: full.id, withTop: true }).map(strip);
    const b = runner.store.featureStats.list({ runId: done.id, withTop: true }).map(strip);
    assert.deepEqual(b, a);
    assert.equal(runner.store.saes.list().length, 1, 'one SAE row for both runs');
  });

  it('CLI: summary (dead features, density in words, top contexts); --store stores the run', async () => {
    assert.ok(commands.includes(featureStatsCommand));
    const corpus = join(DIR, 'cli.txt');
    writeFileSync(corpus, storyTexts().join('\n\n'));
    const args = ['--model', STORIES, '--sae', SAE, '--corpus', corpus, '--context', '16', '--top', '4', '--show', '2'];
    const r = await capture(() => featureStatsCommand.run(args));
    assert.equal(r.code, 0);
    assert.match(r.out, /d_sae 48, \d+ contexts, \d+ counted tokens/);
    assert.match(r.out, /dead\s+3 of 48 features \(6\.3%\) never activate/);
    assert.match(r.out, /density\s+3 dead, .*\d+ dense \(≥ 0\.1\)/);
    assert.match(r.out, /strongest 2 features/);
    assert.equal((r.out.match(/^ {5}\d+\.\d{3}  doc \d+ tok \d+  ".*\[.+\].*"$/gm) ?? []).length, 6);
    const storePath = join(DIR, 'cli.db');
    const s = await capture(() => featureStatsCommand.run([...args, '--store', storePath]));
    assert.equal(s.code, 0);
    const runId = /stored\s+run (\S+) in /.exec(s.out)![1]!;
    assert.equal(s.out.split('\n').slice(0, -1).join('\n'), r.out, 'the same summary from the stored rows');
    const st = openStore(storePath);
    try {
      assert.equal(st.featureStats.list({ runId }).length, D_SAE);
      assert.equal(st.runs.get(runId).kind, 'feature-stats');
    } finally {
      st.close();
    }
    const j = JSON.parse((await capture(() => featureStatsCommand.run([...args, '--json']))).out) as { dead: number; deadFeatures: number[]; strongest: unknown[] };
    assert.deepEqual(j.deadFeatures, DEAD);
    assert.equal(j.strongest.length, 2);
    await assert.rejects(featureStatsCommand.run(['--model', STORIES]), /usage: feature-stats/);
    await assert.rejects(featureStatsCommand.run([...args, '--top', '0']), /--top must be a positive integer/);
  });
});
