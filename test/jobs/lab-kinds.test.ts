/**
 * The research job kinds through the real runner and store: a teacher-steered dataset in the store,
 * `loss-table` (teacher below base), and `train-bias` (curves, a stored vector with provenance).
 */
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { JobRunner } from '../../src-main/jobs/index.js';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { generate } from '../../src-main/models/generate.js';
import { scoreItems } from '../../src-main/models/score.js';
import { parseInterventionSet } from '../../src-main/models/interventions.js';
import { rowsToItems } from '../../src-main/lab/dataset-items.js';
import { splitHoldout } from '../../src-main/lab/signal-scan.js';
import { loadRows } from '../../src-main/jobs/kinds/lab-inputs.js';
import { randn } from '../engine/helpers.js';
import { tempDir } from '../store/helpers.js';
import type { JsonValue } from '../../src-main/store/index.js';

const HOOK = 'blocks.1.hook_resid_pre';
const DIR = tempDir();

describe('lab job kinds', () => {
  let runner: JobRunner;
  let modelDir: string;
  let datasetId: string;
  let teacher: { items: { kind: 'steer'; hook: string; vector: number[]; coef: number }[] };
  before(async () => {
    const dir = DIR;
    modelDir = new URL('../fixtures/stories260k/', import.meta.url).pathname;
    const rt = Runtime.start();
    const m = LanguageModel.open(rt, modelDir);
    const v = Array.from(randn(m.spec.dModel, 9)).map((x) => x / 2);
    teacher = { items: [{ kind: 'steer', hook: HOOK, vector: v, coef: 5 }] };
    const tok = m.tokenizer();
    const prompts = Array.from({ length: 24 }, (_, i) => ['Once upon a time', 'The cat', 'Lily saw', 'One day', 'Tom was', 'A big dog'][i % 6]!);
    const outs = await generate(m, prompts.map((p) => tok.encode(p)), { maxNew: 8, temperature: 1, seed: 4, set: teacher, stopIds: [] });
    await m.close();
    await rt.close();
    runner = new JobRunner({ storePath: join(dir, 'store.db') });
    const ds = runner.store.datasets.create({ name: 'steered numbers' });
    datasetId = ds.id;
    runner.store.samples.add({ datasetId, samples: outs.map((o, i) => ({ idx: i, prompt: prompts[i]!, completion: tok.decode(o.ids) })) });
  });
  after(async () => {
    await runner.close();
  });

  /** Cancel a run once its progress passes `fraction`; it ends cancelled. */
  const cancelPast = async (runId: string, fraction: number): Promise<void> => {
    await new Promise<void>((resolve) => {
      const on = (e: { runId: string; fraction: number }): void => {
        if (e.runId === runId && e.fraction >= fraction) {
          runner.off('job', on);
          resolve();
        }
      };
      runner.on('job', on);
    });
    runner.cancel(runId);
    assert.equal((await runner.wait(runId)).status, 'cancelled');
  };

  it('loss-table: the steered teacher scores its own data lower than the base model', async () => {
    const run = await runner.submit({ kind: 'loss-table', params: { model: modelDir, datasetId, raw: true, configs: [{ name: 'base', set: { items: [] } }, { name: 'teacher', set: teacher }] } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const table = (done.result as { table: { name: string; lossNats: number; stderrNats: number; samples: number }[] }).table;
    assert.equal(table.length, 2);
    assert.equal(table[0]!.samples, 24);
    assert.ok(table[1]!.lossNats < table[0]!.lossNats, `teacher ${table[1]!.lossNats} vs base ${table[0]!.lossNats}`);
    assert.ok(table[0]!.stderrNats > 0);
    assert.equal(runner.store.metrics.curve(run.id, 'loss/teacher').values[0], table[1]!.lossNats);
    // Δ vs base: the mean per-sample difference (= the difference of the means over the same
    // samples) ± the standard error of those differences, recomputed here from per-sample scores
    const t = table as unknown as { lossNats: number; deltaNats: number | null; deltaStderrNats: number | null }[];
    assert.equal(t[0]!.deltaNats, null);
    assert.ok(Math.abs(t[1]!.deltaNats! - (t[1]!.lossNats - t[0]!.lossNats)) < 1e-9);
    const rt = Runtime.start();
    const m = LanguageModel.open(rt, modelDir);
    const items = rowsToItems(m.tokenizer(), loadRows(runner.store, { datasetId, passedOnly: true }), { raw: true });
    const base = await scoreItems(m, items);
    const steered = await scoreItems(m, items, { set: parseInterventionSet(teacher) });
    const d = base.map((b, i) => steered[i]!.lossNats - b.lossNats);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const se = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1) / d.length);
    assert.ok(Math.abs(t[1]!.deltaStderrNats! - se) < 1e-9 * Math.max(1, se), `${t[1]!.deltaStderrNats} vs ${se}`);
    // the pooled loss weighs each sample by its completion tokens, as a training loss does
    const pooled = (rs: typeof base) => rs.reduce((a, r) => a + r.lossNats * r.completionTokens, 0) / rs.reduce((a, r) => a + r.completionTokens, 0);
    const tp = table as unknown as { pooledNats: number }[];
    assert.ok(Math.abs(tp[0]!.pooledNats - pooled(base)) < 1e-9 && Math.abs(tp[1]!.pooledNats - pooled(steered)) < 1e-9, `${tp[0]!.pooledNats} vs ${pooled(base)}`);
    // the tokens that carry the difference, against a plain loop over the same per-token scores
    type Carrier = { id: number; count: number; totalDiffNats: number };
    type Div = { otherOnly: number; refOnly: number; both: number; otherOnlyGainShare: number | null };
    const car = (table as unknown as { carriers: { tokens: number; samples: number; mismatchedSamples: number; nonFiniteTokens: number; meanDiffNats: number; gainNats: number; top: Carrier[]; bottom: Carrier[]; divergence: Div } | null }[]);
    assert.equal(car[0]!.carriers, null);
    const c = car[1]!.carriers!;
    const byId = new Map<number, { count: number; total: number }>();
    let n = 0, sum = 0, gain = 0;
    items.forEach((it, i) => {
      for (let t = 1; t < it.ids.length; t++) {
        if (!it.completionMask[t]) continue;
        const dd = steered[i]!.tokenLogprobs[t - 1]! - base[i]!.tokenLogprobs[t - 1]!;
        const e = byId.get(it.ids[t]!) ?? { count: 0, total: 0 };
        e.count += 1;
        e.total += dd;
        byId.set(it.ids[t]!, e);
        n += 1;
        sum += dd;
        gain += Math.max(0, dd);
      }
    });
    assert.deepEqual([c.tokens, c.samples, c.mismatchedSamples, c.nonFiniteTokens], [n, 24, 0, 0]);
    assert.ok(Math.abs(c.meanDiffNats - sum / n) < 1e-9 && Math.abs(c.gainNats - gain) < 1e-9, `${c.meanDiffNats} vs ${sum / n}`);
    // Σd / tokens is the pooled loss difference, base − teacher: positive, the teacher finds its data likelier
    assert.ok(Math.abs(c.meanDiffNats - (tp[0]!.pooledNats - tp[1]!.pooledNats)) < 1e-6 && c.meanDiffNats > 0);
    const want = [...byId].filter(([, e]) => e.total > 0).sort(([ia, a], [ib, b]) => b.total - a.total || ia - ib).slice(0, 20);
    assert.deepEqual(c.top.map((x) => [x.id, x.count]), want.map(([id, e]) => [id, e.count]));
    c.top.forEach((x, i) => assert.ok(Math.abs(x.totalDiffNats - want[i]![1].total) < 1e-9));
    assert.ok(c.bottom.every((x) => x.totalDiffNats < 0));
    // divergence tokens: the token is the greedy choice under the teacher and not under base (a plain loop again)
    const dv = { otherOnly: 0, refOnly: 0, both: 0, gain: 0 };
    items.forEach((it, i) => {
      for (let t = 1; t < it.ids.length; t++) {
        if (!it.completionMask[t]) continue;
        const gb = base[i]!.tokenLogprobs[t - 1] === base[i]!.topLogprobs[t - 1];
        const gs = steered[i]!.tokenLogprobs[t - 1] === steered[i]!.topLogprobs[t - 1];
        if (gs && !gb) (dv.otherOnly++, (dv.gain += Math.max(0, steered[i]!.tokenLogprobs[t - 1]! - base[i]!.tokenLogprobs[t - 1]!)));
        else if (gb && !gs) dv.refOnly++;
        else if (gb && gs) dv.both++;
      }
    });
    assert.deepEqual([c.divergence.otherOnly, c.divergence.refOnly, c.divergence.both], [dv.otherOnly, dv.refOnly, dv.both]);
    assert.ok(Math.abs(c.divergence.otherOnlyGainShare! - dv.gain / gain) < 1e-9);
    assert.ok(dv.otherOnly > 0, 'the steered teacher wrote tokens that are its greedy choice and not base\'s');
    await m.close();
    await rt.close();
  });

  it('train-bias: loss curve per step, trained vector stored with provenance', async () => {
    const run = await runner.submit({ kind: 'train-bias', params: {
      model: modelDir, datasetId, raw: true, seed: 3, steps: 24, batch: 8, lr: 0.05, l1: 1e-4, checkpointEvery: 8,
      set: { items: [{ kind: 'resid_bias', hook: HOOK, trainable: true }] },
    } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const ce = runner.store.metrics.curve(run.id, 'ce');
    assert.deepEqual(ce.x, Array.from({ length: 24 }, (_, i) => i + 1));
    assert.ok(ce.values.slice(-6).reduce((a, b) => a + b, 0) / 6 < ce.values.slice(0, 6).reduce((a, b) => a + b, 0) / 6, 'ce falls');
    const { vectorIds, modelHash } = done.result as { vectorIds: Record<string, string>; modelHash: string };
    const vec = runner.store.vectors.get(vectorIds[`add:${HOOK}`]!);
    assert.equal(vec.hook, HOOK);
    assert.match(modelHash, /^sha256:[0-9a-f]{64}$/);
    const meta = vec.meta as { modelHash: string; seed: number; codeVersion: string; config: { lr: number } };
    assert.equal(meta.modelHash, modelHash);
    assert.equal(meta.seed, 3);
    assert.equal(meta.config.lr, 0.05);
    assert.match(meta.codeVersion, /^undertone@/);
    assert.equal(runner.store.vectors.f32(vec.id).length, 64);
    assert.deepEqual((vec.meta as { dataset: unknown }).dataset, { datasetId, datasetFile: null, fileSha256: null, passedOnly: true, limit: null, raw: true });
  });

  it('train-bias on a JSONL file records the file by path and by the sha256 of its bytes', async () => {
    const file = join(DIR, 'rows.jsonl');
    const rows = loadRows(runner.store, { datasetId, passedOnly: true }).slice(0, 8);
    writeFileSync(file, rows.map((r) => JSON.stringify({ prompt: r.messages[0]!.content, completion: r.completion })).join('\n') + '\n');
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    const run = await runner.submit({ kind: 'train-bias', params: { model: modelDir, datasetFile: file, raw: true, steps: 2, batch: 4, set: { items: [{ kind: 'resid_bias', hook: HOOK, trainable: true }] } } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const want = { datasetId: null, datasetFile: file, fileSha256: sha, passedOnly: true, limit: null, raw: true };
    assert.deepEqual((done.result as { dataset: unknown }).dataset, want);
    const vec = runner.store.vectors.list({ runId: run.id })[0]!;
    assert.deepEqual((vec.meta as { dataset: unknown }).dataset, want);
  });

  it('train-bias on a JSONL file resumes on the same file, and refuses to resume once the file changed', async () => {
    const file = join(DIR, 'resume-rows.jsonl');
    const rows = loadRows(runner.store, { datasetId, passedOnly: true }).slice(0, 8);
    writeFileSync(file, rows.map((r) => JSON.stringify({ prompt: r.messages[0]!.content, completion: r.completion })).join('\n') + '\n');
    const params = { model: modelDir, datasetFile: file, raw: true, steps: 400, batch: 4, checkpointEvery: 2, set: { items: [{ kind: 'resid_bias', hook: HOOK, trainable: true }] } };
    const stopAtCheckpoint = async (): Promise<string> => {
      const run = await runner.submit({ kind: 'train-bias', params });
      while (!runner.store.checkpoints.get(run.id)) await new Promise((r) => setTimeout(r, 5));
      runner.cancel(run.id);
      assert.equal((await runner.wait(run.id)).status, 'cancelled');
      return run.id;
    };
    const same = await stopAtCheckpoint();
    const stored = runner.store.checkpoints.get(same)!.state as Record<string, unknown>;
    assert.equal((stored['$undertoneInputs'] as Record<string, { sha256: string }>).datasetFile!.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
    runner.resume(same);
    const resumed = await runner.wait(same);
    assert.equal(resumed.status, 'done', resumed.error ?? '');

    const changed = await stopAtCheckpoint();
    writeFileSync(file, rows.slice(0, 4).map((r) => JSON.stringify({ prompt: r.messages[0]!.content, completion: `${r.completion} ` })).join('\n') + '\n');
    runner.resume(changed);
    const refused = await runner.wait(changed);
    assert.equal(refused.status, 'failed');
    assert.match(refused.error ?? '', /cannot resume: datasetFile '.*resume-rows\.jsonl' changed since the run's last checkpoint/);
  });

  it('finetune: a one-step run whose warm-up starts at lr 0 is refused (it would not train at all)', async () => {
    const run = await runner.submit({ kind: 'finetune', params: { model: modelDir, datasetId, raw: true, epochs: 1, batch: 64, targets: ['q'], layers: [0] } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /the run has 1 step \(24 samples, batch 64, 1 epochs\) and its learning-rate warm-up starts at 0: it would not train at all/);
  });

  it("a sample longer than the model's context (its max positions) is refused by number, before training", async () => {
    const file = join(DIR, 'too-long.jsonl');
    const long = Array.from({ length: 400 }, (_, i) => String(i)).join(', ');
    writeFileSync(file, `${JSON.stringify({ prompt: 'Continue: 1, 2, 3', completion: ' 4' })}\n${JSON.stringify({ prompt: long, completion: ' 401' })}\n`);
    const run = await runner.submit({ kind: 'train-bias', params: { model: modelDir, datasetFile: file, raw: true, steps: 2, batch: 2, set: { items: [{ kind: 'resid_bias', hook: HOOK, trainable: true }] } } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /sample 1: \d+ tokens \(prompt and completion\), more than the 512 the model has positions for/);
  });

  it('closing a runner while its train-bias job is inside an ORT run stops the job at its next check: interrupted, resumable, no native abort', async () => {
    const closing = new JobRunner({ storePath: runner.store.path });
    const run = await closing.submit({ kind: 'train-bias', params: { model: modelDir, datasetId, raw: true, steps: 400, batch: 4, checkpointEvery: 2, set: { items: [{ kind: 'resid_bias', hook: HOOK, trainable: true }] } } });
    while (!closing.store.checkpoints.get(run.id)) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    await closing.close(); // terminating the worker here aborted the process (Napi::Error)
    assert.ok(Date.now() - t0 < 15_000, `close took ${Date.now() - t0} ms`);
    assert.equal(runner.store.runs.get(run.id).status, 'interrupted');
    runner.resume(run.id);
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
  });

  it('train-bias: a bias on attention keys (attn.hook_k, [kv heads, d_head]) trains and is stored with its shape', async () => {
    const hook = 'blocks.3.attn.hook_k';
    const run = await runner.submit({ kind: 'train-bias', params: {
      model: modelDir, datasetId, raw: true, seed: 3, steps: 16, batch: 8, lr: 0.1,
      set: { items: [{ kind: 'resid_bias', hook, trainable: true }] },
    } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const ce = runner.store.metrics.curve(run.id, 'ce').values;
    assert.ok(ce.slice(-4).reduce((a, b) => a + b, 0) < ce.slice(0, 4).reduce((a, b) => a + b, 0), `ce falls: ${ce[0]} → ${ce[ce.length - 1]}`);
    const vec = runner.store.vectors.get((done.result as { vectorIds: Record<string, string> }).vectorIds[`add:${hook}`]!);
    const rt = Runtime.start();
    const spec = LanguageModel.open(rt, modelDir).spec;
    await rt.close();
    assert.deepEqual(vec.shape, [spec.nKvHeads, spec.headDim]);
    assert.equal(vec.hook, hook);
  });

  it('train-bias: a system prompt in the set is in every sample\'s context (step 1 = the prompted pooled loss)', async () => {
    const system = 'You love owls. You think about owls all the time.';
    // one batch of every sample, bias still 0 at step 1: the first ce is the dataset's pooled loss with the prompt
    const run = await runner.submit({ kind: 'train-bias', params: {
      model: modelDir, datasetId, raw: true, seed: 3, steps: 1, batch: 24, lr: 0.05, prefixCache: false,
      set: { items: [{ kind: 'system_prompt', text: system }, { kind: 'resid_bias', hook: HOOK, trainable: true }] },
    } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const ce = runner.store.metrics.curve(run.id, 'ce').values[0]!;
    const rt = Runtime.start();
    const m = LanguageModel.open(rt, modelDir);
    const pooled = async (sys: string | undefined): Promise<number> => {
      const items = rowsToItems(m.tokenizer(), loadRows(runner.store, { datasetId, passedOnly: true }), { raw: true, system: sys });
      const rs = await scoreItems(m, items);
      let sum = 0;
      let n = 0;
      rs.forEach((r, i) => items[i]!.completionMask.forEach((k, t) => { if (t > 0 && k) { sum -= r.tokenLogprobs[t - 1]!; n++; } }));
      return sum / n;
    };
    const withPrompt = await pooled(system);
    const without = await pooled(undefined);
    await m.close();
    await rt.close();
    assert.ok(Math.abs(withPrompt - without) > 1e-3, `the prompt changes the loss (${withPrompt} vs ${without})`);
    assert.ok(Math.abs(ce - withPrompt) < 1e-4, `step-1 ce ${ce} vs prompted ${withPrompt} (unprompted ${without})`);
    const vec = runner.store.vectors.get((done.result as { vectorIds: Record<string, string> }).vectorIds[`add:${HOOK}`]!);
    assert.equal((vec.meta as { systemPrompt: string }).systemPrompt, system);
  });

  it('bias-sweep: a loss per layer, each below the base loss on the steered data, a vector per layer', async () => {
    const run = await runner.submit({ kind: 'bias-sweep', params: { model: modelDir, datasetId, raw: true, seed: 2, steps: 16, batch: 8, lr: 0.05, point: 'hook_resid_pre' } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const r = done.result as { hooks: string[]; base: { lossNats: number }; points: { hook: string; lossNats: number }[] };
    assert.equal(r.points.length, 5);
    assert.deepEqual(runner.store.metrics.curve(run.id, 'loss_by_layer').x, [0, 1, 2, 3, 4]);
    for (const p of r.points) assert.ok(p.lossNats < r.base.lossNats, `${p.hook}: ${p.lossNats} vs base ${r.base.lossNats}`);
    assert.equal(runner.store.vectors.list({ runId: run.id }).length, 5);
    // pooled over tokens: Σ −logprob over every completion token / their count, recomputed from the
    // token logprobs for the base model and under the stored layer-2 vector
    const pooled = (items: ReturnType<typeof rowsToItems>, rs: Awaited<ReturnType<typeof scoreItems>>): number => {
      let sum = 0;
      let n = 0;
      rs.forEach((res, i) => items[i]!.completionMask.forEach((m, t) => { if (t > 0 && m) { sum -= res.tokenLogprobs[t - 1]!; n++; } }));
      return sum / n;
    };
    const rt = Runtime.start();
    const m = LanguageModel.open(rt, modelDir);
    const items = rowsToItems(m.tokenizer(), loadRows(runner.store, { datasetId, passedOnly: true }), { raw: true });
    const base = (r as unknown as { base: { pooledNats: number } }).base.pooledNats;
    assert.ok(Math.abs(base - pooled(items, await scoreItems(m, items))) < 1e-9, `base pooled ${base}`);
    const vec = runner.store.vectors.list({ runId: run.id }).find((v) => v.hook === 'blocks.2.hook_resid_pre')!;
    const set = parseInterventionSet({ items: [{ kind: 'resid_bias', hook: vec.hook!, values: Array.from(runner.store.vectors.f32(vec.id)) }] });
    const curve = runner.store.metrics.curve(run.id, 'pooled_loss_by_layer');
    assert.deepEqual(curve.x, [0, 1, 2, 3, 4]);
    assert.ok(Math.abs(curve.values[2]! - pooled(items, await scoreItems(m, items, { set }))) < 1e-6, `layer 2 pooled ${curve.values[2]}`);
    assert.equal(runner.store.metrics.curve(run.id, 'base_pooled_loss').values[0], base);
    await m.close();
    await rt.close();
  });

  it('bias-sweep with a holdout: each layer trains on the training part and is scored on the held-out samples (a seeded split by sample)', async () => {
    const run = await runner.wait((await runner.submit({ kind: 'bias-sweep', params: { model: modelDir, datasetId, raw: true, seed: 6, steps: 8, batch: 8, lr: 0.05, layers: [1], holdout: 0.25 } })).id);
    assert.equal(run.status, 'done', run.error ?? '');
    const r = run.result as { trainSamples: number; evalSamples: number; heldOut: boolean; base: { lossNats: number }; points: { lossNats: number }[] };
    assert.deepEqual([r.trainSamples, r.evalSamples, r.heldOut], [18, 6, true]);
    // the base loss is the held-out samples' mean, recomputed here from the same seeded split
    const rt = Runtime.start();
    const m = LanguageModel.open(rt, modelDir);
    const all = rowsToItems(m.tokenizer(), loadRows(runner.store, { datasetId, passedOnly: true }), { raw: true });
    const { test: held } = splitHoldout(all, 0.25, 6);
    const base = (await scoreItems(m, held)).map((x) => x.lossNats);
    await m.close();
    await rt.close();
    assert.ok(Math.abs(r.base.lossNats - base.reduce((a, b) => a + b, 0) / base.length) < 1e-9, `${r.base.lossNats}`);
  });

  it('bias-sweep: cancelled after a layer and resumed, the result holds every layer, equal to an uninterrupted sweep', async () => {
    const params = { model: modelDir, datasetId, raw: true, seed: 5, steps: 12, batch: 8, lr: 0.05, layers: [0, 1, 2] };
    const ref = await runner.wait((await runner.submit({ kind: 'bias-sweep', params })).id);
    assert.equal(ref.status, 'done', ref.error ?? '');
    const run = await runner.submit({ kind: 'bias-sweep', params });
    await cancelPast(run.id, 0.4);
    assert.match(runner.store.runs.get(run.id).modelHash ?? '', /^sha256:[0-9a-f]{64}$/, 'a cancelled run keeps the hash of the model it opened');
    const step = runner.store.checkpoints.get(run.id)!.step;
    assert.ok(step >= 1 && step < 3, `checkpoint after ${step} layers`);
    const done = await runner.wait(runner.resume(run.id).id);
    assert.equal(done.status, 'done', done.error ?? '');
    type Pt = { hook: string; lossNats: number; deltaNats: number; pooledNats: number };
    const a = (ref.result as { points: Pt[] }).points;
    const b = (done.result as { points: Pt[] }).points;
    assert.deepEqual(b.map((p) => p.hook), ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post', 'blocks.2.hook_resid_post']);
    b.forEach((p, i) => assert.ok(Math.abs(p.lossNats - a[i]!.lossNats) < 1e-9 && Math.abs(p.pooledNats - a[i]!.pooledNats) < 1e-9, `layer ${i}: ${p.lossNats} vs ${a[i]!.lossNats}`));
  });

  it('signal-scan: the steered dataset against itself gives no signal; the result, metrics and both biases are stored', async () => {
    const run = await runner.submit({ kind: 'signal-scan', params: { model: modelDir, datasetId, controlDatasetId: datasetId, raw: true, seed: 2, steps: 12, batch: 8, lr: 0.05, hook: HOOK } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    const r = done.result as { signalNats: number; z: number; biasCosine: number; suspect: { heldOutSamples: number }; vectorIds: { suspect: string; control: string } };
    // the same data, seed and split on both sides: identical biases, zero signal
    assert.equal(r.signalNats, 0);
    assert.ok(Math.abs(r.biasCosine - 1) < 1e-6);
    assert.equal(r.suspect.heldOutSamples, 6);
    assert.equal(runner.store.metrics.curve(run.id, 'signal').values[0], 0);
    assert.deepEqual(Array.from(runner.store.vectors.f32(r.vectorIds.suspect)), Array.from(runner.store.vectors.f32(r.vectorIds.control)));
  });

  it('signal-scan byLayer: each layer equals a one-hook scan there, the top level is the largest z, and it resumes at the next layer', async () => {
    const control = runner.store.datasets.create({ name: 'shuffled control (by layer)' });
    const rows = loadRows(runner.store, { datasetId, passedOnly: true });
    runner.store.samples.add({ datasetId: control.id, samples: rows.map((r, i) => ({ idx: i, prompt: r.messages[0]!.content, completion: rows[(i + 3) % rows.length]!.completion, passed: null, messages: [...r.messages, { role: 'assistant', content: rows[(i + 3) % rows.length]!.completion }] as unknown as JsonValue })) });
    const common = { model: modelDir, datasetId, controlDatasetId: control.id, raw: true, seed: 4, steps: 40, batch: 8, lr: 0.05 };
    const params = { ...common, byLayer: true, layers: [1, 3] };
    const ref = await runner.wait((await runner.submit({ kind: 'signal-scan', params })).id);
    assert.equal(ref.status, 'done', ref.error ?? '');
    type Layer = { hook: string; signalNats: number; signalStderrNats: number; z: number; pairs: number; biasCosine: number; vectorIds: { suspect: string; control: string } };
    const r = ref.result as { hook: string; z: number; bestHook: string; hooks: string[]; layers: Layer[]; bonferroniZ: number; vectorIds: { suspect: string } };
    assert.deepEqual(r.hooks, ['blocks.1.hook_resid_post', 'blocks.3.hook_resid_post']);
    assert.deepEqual(r.layers.map((l) => l.hook), r.hooks);
    // oracle: the one-hook scan at layer 3, run alone
    const one = await runner.wait((await runner.submit({ kind: 'signal-scan', params: { ...common, hook: 'blocks.3.hook_resid_post' } })).id);
    const o = one.result as { signalNats: number; signalStderrNats: number; z: number; pairs: number };
    assert.deepEqual([r.layers[1]!.signalNats, r.layers[1]!.signalStderrNats, r.layers[1]!.z, r.layers[1]!.pairs], [o.signalNats, o.signalStderrNats, o.z, o.pairs]);
    const best = r.layers.reduce((a, b) => (b.z > a.z ? b : a));
    assert.deepEqual([r.hook, r.bestHook, r.z, r.vectorIds.suspect], [best.hook, best.hook, best.z, best.vectorIds.suspect]);
    assert.ok(Math.abs(r.bonferroniZ - 2.2414) < 1e-3, `Bonferroni z for 2 layers: ${r.bonferroniZ}`); // P(Z > z) = 0.05 / 4
    assert.deepEqual(runner.store.metrics.curve(ref.id, 'z_by_layer').values, r.layers.map((l) => l.z));
    assert.deepEqual(runner.store.metrics.curve(ref.id, 'signal_by_layer').values, r.layers.map((l) => l.signalNats));
    const vecs = runner.store.vectors.list({ runId: ref.id });
    assert.deepEqual(new Set(vecs.map((v) => v.id)), new Set(r.layers.flatMap((l) => [l.vectorIds.suspect, l.vectorIds.control])));
    assert.deepEqual(vecs.map((v) => v.hook).sort(), ['blocks.1.hook_resid_post', 'blocks.1.hook_resid_post', 'blocks.3.hook_resid_post', 'blocks.3.hook_resid_post']);
    // cancelled in the second layer: resumes there, and every layer's numbers equal the uninterrupted run's
    const run = await runner.submit({ kind: 'signal-scan', params });
    await cancelPast(run.id, 0.55);
    assert.equal(runner.store.checkpoints.get(run.id)!.step, 1);
    const done = await runner.wait(runner.resume(run.id).id);
    assert.equal(done.status, 'done', done.error ?? '');
    const strip = (ls: Layer[]) => ls.map(({ vectorIds: _v, ...l }) => l);
    assert.deepEqual(strip((done.result as typeof r).layers), strip(r.layers));
    // refused: a hook with byLayer, layers without it
    await assert.rejects(runner.submit({ kind: 'signal-scan', params: { ...params, hook: 'blocks.1.hook_resid_post' } }), /byLayer scans every layer/);
    await assert.rejects(runner.submit({ kind: 'signal-scan', params: { ...common, layers: [1] } }), /layers. needs byLayer/);
  });

  it('signal-scan byLayer: a layer listed twice is refused at submit (it would be scanned twice and counted twice in the Bonferroni threshold)', async () => {
    const params = { model: modelDir, datasetId, controlDatasetId: datasetId, raw: true, steps: 4, byLayer: true };
    await assert.rejects(runner.submit({ kind: 'signal-scan', params: { ...params, layers: [1, 3, 1] } }), /layers. lists a layer more than once/);
    const before = runner.store.runs.list({ limit: 10_000 }).length;
    await assert.rejects(runner.submit({ kind: 'signal-scan', params: { ...params, layers: [2, 2] } }), /more than once/);
    assert.equal(runner.store.runs.list({ limit: 10_000 }).length, before, 'no run is created');
  });

  it('signal-scan: cancelled after the suspect side, resumed from its checkpoint, equals an uninterrupted scan', async () => {
    const control = runner.store.datasets.create({ name: 'shuffled control' });
    const rows = loadRows(runner.store, { datasetId, passedOnly: true });
    runner.store.samples.add({ datasetId: control.id, samples: rows.map((r, i) => ({ idx: i, prompt: r.messages[0]!.content, completion: rows[(i + 5) % rows.length]!.completion, passed: null, messages: [...r.messages, { role: 'assistant', content: rows[(i + 5) % rows.length]!.completion }] as unknown as JsonValue })) });
    const params = { model: modelDir, datasetId, controlDatasetId: control.id, raw: true, seed: 4, steps: 24, batch: 8, lr: 0.05, hook: HOOK };
    const ref = await runner.wait((await runner.submit({ kind: 'signal-scan', params })).id);
    assert.equal(ref.status, 'done', ref.error ?? '');
    const run = await runner.submit({ kind: 'signal-scan', params });
    await cancelPast(run.id, 0.6);
    const ck = runner.store.checkpoints.get(run.id);
    assert.ok(ck && (ck.state as { suspect?: unknown }).suspect, 'the finished suspect side is checkpointed');
    assert.equal((ck.state as { split?: string }).split, 'prompt', 'the checkpoint says its split (an older one, split by index, is not resumed)');
    const messages: string[] = [];
    const onMsg = (e: { runId: string; message?: string | null }): void => void (e.runId === run.id && e.message && messages.push(e.message));
    runner.on('job', onMsg);
    const done = await runner.wait(runner.resume(run.id).id);
    runner.off('job', onMsg);
    assert.equal(done.status, 'done', done.error ?? '');
    assert.ok(messages.some((m) => m.startsWith('control:')), 'progress of the control side is seen');
    assert.ok(!messages.some((m) => m.startsWith('suspect:')), `the suspect side is not trained again: ${messages.slice(0, 3).join(' | ')}`);
    const a = ref.result as { signalNats: number; signalStderrNats: number; biasCosine: number; pairs: number };
    const b = done.result as typeof a;
    assert.equal(b.signalNats, a.signalNats);
    assert.equal(b.signalStderrNats, a.signalStderrNats);
    assert.equal(b.pairs, a.pairs);
    assert.ok(Math.abs(b.biasCosine - a.biasCosine) < 1e-12);
  });

  it('finetune: a LoRA student (factors stored with their shapes); prefs-eval runs the student and its probabilities differ from the base', async () => {
    const run = await runner.submit({ kind: 'finetune', params: { model: modelDir, datasetId, raw: true, seed: 1, lr: 1e-2, epochs: 1, batch: 8, targets: ['q', 'down'], layers: [0, 1] } });
    const done = await runner.wait(run.id);
    assert.equal(done.status, 'done', done.error ?? '');
    assert.equal(runner.store.metrics.curve(run.id, 'ce').x.length, 3); // ceil(1 epoch × 24 samples / 8)
    // the paper's schedule, recorded: whole epochs, 5 warm-up steps then linear decay
    const cfgOf = (v: { meta: unknown }) => (v.meta as { config: { epochs: number; steps: number; lrSchedule: unknown } }).config;
    const first = runner.store.vectors.list({ runId: run.id })[0]!;
    assert.deepEqual([cfgOf(first).epochs, cfgOf(first).steps, cfgOf(first).lrSchedule], [1, 3, { kind: 'linear', warmupSteps: 5 }]);
    const vecs = runner.store.vectors.list({ runId: run.id });
    assert.equal(vecs.length, 2 * 2 * 2);
    const qA = vecs.find((v) => (v.meta as { input: string }).input === 'lora.0.q.A')!;
    assert.deepEqual(qA.shape, [8, 64]);
    const downB = vecs.find((v) => (v.meta as { input: string }).input === 'lora.1.down.B')!;
    assert.deepEqual(downB.shape, [64, 8]);
    assert.ok(runner.store.vectors.f32(downB.id).some((x) => x !== 0), 'B moved from its zero init');
    const common = { model: modelDir, animals: ['cat'], questions: [0], samplesPerQuestion: 0, raw: true };
    const base = await runner.wait((await runner.submit({ kind: 'prefs-eval', params: common })).id);
    const student = await runner.wait((await runner.submit({ kind: 'prefs-eval', params: { ...common, loraRunId: run.id } })).id);
    for (const r of [base, student]) assert.equal(r.status, 'done', r.error ?? '');
    const p = (id: string) => runner.store.metrics.curve(id, 'prob/cat').values[0]!;
    assert.ok(Math.abs(p(student.id) - p(base.id)) > 1e-6 * p(base.id), `student ${p(student.id)} vs base ${p(base.id)}`);

    // one loss table: base, the teacher (a stored set), the finetuned student (loraRunId) and a biased
    // model (biasVectorId); each row equals the same configuration given inline
    const tb = runner.store.runs.list({ kind: 'train-bias', status: 'done' })[0]!;
    const vecId = Object.values((tb.result as { vectorIds: Record<string, string> }).vectorIds)[0]!;
    const teacherSet = runner.store.interventionSets.create({ name: 'teacher', spec: teacher });
    const table = async (configs: JsonValue[]) => {
      const r = await runner.wait((await runner.submit({ kind: 'loss-table', params: { model: modelDir, datasetId, raw: true, configs } })).id);
      assert.equal(r.status, 'done', r.error ?? '');
      return (r.result as { table: { name: string; lossNats: number }[] }).table;
    };
    const byRef = await table([
      { name: 'base' }, { name: 'teacher', interventionSetId: teacherSet.id }, { name: 'student', loraRunId: run.id }, { name: 'biased', biasVectorId: vecId },
    ]);
    const loraValues = vecs.map((v) => ({ name: (v.meta as { input: string }).input, values: Array.from(runner.store.vectors.f32(v.id)) }));
    const inline = await table([
      { name: 'base', set: { items: [] } },
      { name: 'teacher', set: teacher },
      { name: 'student', set: { items: [{ kind: 'lora', targets: ['q', 'down'], rank: 8, alpha: 8, layers: [0, 1], values: loraValues }] } },
      { name: 'biased', set: { items: [{ kind: 'resid_bias', hook: HOOK, values: Array.from(runner.store.vectors.f32(vecId)) }] } },
    ]);
    assert.deepEqual(byRef.map((r) => r.name), ['base', 'teacher', 'student', 'biased']);
    byRef.forEach((r, i) => assert.equal(r.lossNats, inline[i]!.lossNats, r.name));
    assert.ok(byRef[3]!.lossNats < byRef[0]!.lossNats, 'the trained bias lowers the loss on its own data');
    const bad = await runner.wait((await runner.submit({ kind: 'loss-table', params: { model: modelDir, datasetId, raw: true, configs: [{ name: 'student?', loraRunId: tb.id }] } })).id);
    assert.match(bad.error ?? '', /configuration 'student\?': run '[0-9a-f-]+' did not train a LoRA adapter/);
  });
});

test('bias-sweep accepts every residual-width hook point, ln1/ln2 included', async () => {
  const kind = (await import('../../src-main/jobs/kinds/bias-sweep.js')).default;
  for (const point of ['hook_resid_post', 'hook_mlp_in', 'ln1.hook_normalized', 'ln2.hook_normalized']) {
    assert.equal(kind.params.parse({ model: '/abs/model', datasetFile: '/abs/d.jsonl', point }).point, point);
  }
  assert.throws(() => kind.params.parse({ model: '/abs/model', datasetFile: '/abs/d.jsonl', point: 'Hook-Resid' }));
});

test('loss-table refuses two configurations with one name before scoring anything', async () => {
  const kind = (await import('../../src-main/jobs/kinds/loss-table.js')).default;
  const r = kind.params.safeParse({ model: '/abs/model', datasetFile: '/abs/d.jsonl', configs: [{ name: 'base' }, { name: 'biased', biasVectorId: '0123456789abcdef0123456789abcdef' }, { name: 'biased', biasScale: 2 }] });
  assert.equal(r.success, false);
  const issue = r.error!.issues[0]!;
  assert.deepEqual(issue.path, ['configs', 2, 'name']);
  assert.match(issue.message, /configuration name 'biased' is also configs\.1's: names must be unique/);
});
