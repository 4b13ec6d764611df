// SAE training: the training graph's gradients against float64 central finite differences; a
// synthetic dictionary (known sparse directions) is recovered; the SAELens folder it writes loads
// back and encodes/decodes as a plain-loop reference says; a resumed run equals an uninterrupted
// one; activations collected from a real model equal a direct capture of the same context.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, type TensorData } from '../../src-main/engine/runtime.js';
import { mulberry32 } from '../../src-main/engine/prng.js';
import { Graph } from '../../src-main/engine/tensor.js';
import { compile } from '../../src-main/engine/onnx-export.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { loadSae } from '../../src-main/models/sae/load.js';
import { saeDecode, saeEncode } from '../../src-main/models/sae/graph.js';
import { SAE_PARAMS, saeParamShapes, saeTrainGraph, type SaeParamName } from '../../src-main/models/sae/train-graph.js';
import { writeSaeLensFolder } from '../../src-main/models/sae/write.js';
import { collectActivations, evaluateSae, initSaeParams, trainSae, type Activations, type SaeTrainCheckpoint } from '../../src-main/lab/train-sae.js';
import { corpusContexts } from '../../src-main/lab/feature-corpus.js';
import { shuffled } from '../../src-main/lab/epoch-order.js';
import { Adam } from '../../src-main/engine/optim.js';
import { randn, relErr } from '../engine/helpers.js';

const MODEL = new URL('../fixtures/stories260k/', import.meta.url).pathname;

/** N samples of D dims, each the sum of ~k of S unit directions with weights in [1, 3]. */
function synthetic(D: number, S: number, N: number, k: number, seed: number): { acts: Activations; dict: number[][] } {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd());
  const dict = Array.from({ length: S }, () => {
    const v = Array.from({ length: D }, gauss);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
  const data = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let s = 0; s < S; s++) {
      if (rnd() >= k / S) continue;
      const c = 1 + 2 * rnd();
      for (let d = 0; d < D; d++) data[i * D + d]! += c * dict[s]![d]!;
    }
  }
  return { acts: { data, n: N, dIn: D }, dict };
}

/** True directions with a decoder row at cosine > 0.9. */
function recovered(dict: number[][], W_dec: Float32Array, D: number): number {
  const S = W_dec.length / D;
  return dict.filter((v) => {
    let best = -1;
    for (let s = 0; s < S; s++) {
      let c = 0;
      let q = 0;
      for (let d = 0; d < D; d++) {
        c += v[d]! * W_dec[s * D + d]!;
        q += W_dec[s * D + d]! ** 2;
      }
      best = Math.max(best, c / Math.sqrt(q));
    }
    return best > 0.9;
  }).length;
}

describe('train-sae', () => {
  let rt: Runtime;
  let dir: string;
  before(() => {
    rt = Runtime.start();
    dir = mkdtempSync(join(tmpdir(), 'undertone-sae-train-'));
  });
  after(async () => {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the training graph: gradients of mse + l1·Σf w.r.t. W_enc, b_enc, W_dec, b_dec match float64 finite differences (rel err < 1e-6)', async () => {
    const D = 4;
    const S = 6;
    const N = 5;
    const s = await rt.load(saeTrainGraph(D, S, 'float64'));
    const shapes = saeParamShapes(D, S);
    const vals = Object.fromEntries(SAE_PARAMS.map((n, i) => [n, randn(shapes[n].reduce((a, b) => a * b, 1), 30 + i, 0.7)])) as Record<SaeParamName, Float64Array>;
    const x = randn(N * D, 40, 1);
    const feeds = (v: Record<SaeParamName, Float64Array>): Record<string, TensorData> => ({
      x: { dtype: 'float64', dims: [N, D], data: x },
      l1: { dtype: 'float64', dims: [], data: Float64Array.of(0.3) },
      ...Object.fromEntries(SAE_PARAMS.map((n) => [n, { dtype: 'float64' as const, dims: shapes[n], data: v[n] }])),
    });
    const r = await s.run(feeds(vals), { grad: true });
    // the loss against a plain-loop reference
    let mse = 0;
    let l1 = 0;
    for (let i = 0; i < N; i++) {
      const f = Array.from({ length: S }, (_, j) => Math.max(0, Array.from({ length: D }, (_, d) => (x[i * D + d]! - vals.b_dec[d]!) * vals.W_enc[d * S + j]!).reduce((a, b) => a + b, 0) + vals.b_enc[j]!));
      for (let d = 0; d < D; d++) mse += (f.reduce((a, fj, j) => a + fj * vals.W_dec[j * D + d]!, 0) + vals.b_dec[d]! - x[i * D + d]!) ** 2 / N;
      l1 += f.reduce((a, b) => a + b, 0) / N;
    }
    assert.ok(Math.abs((r.loss!.data as Float64Array)[0]! - (mse + 0.3 * l1)) < 1e-12, 'loss = mse + l1·Σf');
    const h = 1e-6;
    for (const n of SAE_PARAMS) {
      const ana = r[`grad:${n}`]!.data as Float64Array;
      const num = Float64Array.from(ana, (_, i) => 0);
      for (let i = 0; i < ana.length; i++) {
        const up = { ...vals, [n]: Float64Array.from(vals[n]) };
        const dn = { ...vals, [n]: Float64Array.from(vals[n]) };
        up[n][i]! += h;
        dn[n][i]! -= h;
        const lu = ((await s.run(feeds(up))).loss!.data as Float64Array)[0]!;
        const ld = ((await s.run(feeds(dn))).loss!.data as Float64Array)[0]!;
        num[i] = (lu - ld) / (2 * h);
      }
      const e = relErr(ana, num);
      assert.ok(e < 1e-6, `${n}: rel err ${e.toExponential(2)}`);
    }
    await s.release();
  });

  it('recovers a synthetic sparse dictionary: ≥ 20 of 32 directions at cosine > 0.9 (untrained: < 5), explained variance > 0.8, L0 < 8', async () => {
    const { acts, dict } = synthetic(16, 32, 8192, 3, 7);
    const steps: number[] = [];
    const res = await trainSae(rt, acts, { dSae: 32, l1: 1, lr: 3e-3, steps: 3000, batch: 256, seed: 1 }, { step: (m) => steps.push(m.step) });
    assert.equal(steps.length, 3000);
    const untrained = initSaeParams(acts, 32, res.scale, 1);
    assert.ok(recovered(dict, untrained.W_dec, 16) < 5, 'random decoder rows do not match the dictionary');
    const got = recovered(dict, res.params.W_dec, 16);
    assert.ok(got >= 20, `recovered ${got} of 32`);
    const ev = await evaluateSae(rt, acts, res.params, res.scale, 32);
    assert.ok(ev.explainedVariance > 0.8, `explained variance ${ev.explainedVariance}`);
    assert.ok(ev.l0 < 8 && ev.l0 > 1, `L0 ${ev.l0}`);
    for (let s = 0; s < 32; s++) {
      const q = Array.from({ length: 16 }, (_, d) => res.params.W_dec[s * 16 + d]! ** 2).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(q - 1) < 1e-5, `decoder row ${s} has unit norm (${q})`);
    }
  });

  // the step graph (gradients, Adam and the decoder renorm in ORT, state held in the worker) against
  // the gradient graph with engine/optim.ts's Adam and a plain-loop renorm in JS, same batches
  it('in-graph Adam steps equal the gradient graph + the JS Adam + a plain-loop renorm (20 steps, rel 1e-4)', async () => {
    const { acts } = synthetic(8, 12, 600, 2, 5);
    const cfg = { dSae: 12, l1: 0.5, lr: 3e-3, steps: 20, batch: 32, seed: 6, l1WarmupSteps: 0 };
    const got = await trainSae(rt, acts, cfg);
    const params = initSaeParams(acts, 12, got.scale, 6);
    const opt = new Adam({ lr: cfg.lr });
    const shapes = saeParamShapes(8, 12);
    const s = await rt.load(saeTrainGraph(8, 12), {});
    let [order, rng] = shuffled(acts.n, 6);
    let cursor = 0;
    for (let step = 0; step < 20; step++) {
      const x = new Float32Array(32 * 8);
      for (let i = 0; i < 32; i++) {
        if (cursor >= order.length) {
          [order, rng] = shuffled(acts.n, rng);
          cursor = 0;
        }
        const t = order[cursor++]!;
        for (let d = 0; d < 8; d++) x[i * 8 + d] = acts.data[t * 8 + d]! * got.scale;
      }
      const feeds: Record<string, TensorData> = { x: { dtype: 'float32', dims: [32, 8], data: x }, l1: { dtype: 'float32', dims: [], data: Float32Array.of(0.5) } };
      for (const n of SAE_PARAMS) feeds[n] = { dtype: 'float32', dims: shapes[n], data: params[n] };
      const r = await s.run(feeds, { grad: true });
      opt.step(params, Object.fromEntries(SAE_PARAMS.map((n) => [n, r[`grad:${n}`]!.data as Float32Array])));
      for (let f = 0; f < 12; f++) {
        const q = Math.hypot(...params.W_dec.subarray(f * 8, f * 8 + 8));
        for (let d = 0; d < 8; d++) params.W_dec[f * 8 + d]! /= q;
      }
    }
    await s.release();
    for (const n of SAE_PARAMS) {
      const e = relErr(got.params[n], params[n]);
      assert.ok(e < 1e-4, `${n}: rel err ${e.toExponential(2)}`);
    }
    assert.ok(relErr(got.params.W_enc, initSaeParams(acts, 12, got.scale, 6).W_enc) > 1e-3, 'the weights moved');
  });

  it('a resumed run (checkpoint at step 40) ends with the same weights as an uninterrupted one', async () => {
    const { acts } = synthetic(8, 12, 2000, 2, 3);
    const cfg = { dSae: 12, l1: 0.5, lr: 1e-3, steps: 80, batch: 64, seed: 4, checkpointEvery: 40 };
    const full = await trainSae(rt, acts, cfg);
    let ck: SaeTrainCheckpoint | null = null;
    const ac = new AbortController();
    await assert.rejects(trainSae(rt, acts, cfg, { checkpoint: (c) => { ck = c; ac.abort(); } }, { signal: ac.signal }), /cancelled/);
    assert.equal(ck!.state.step, 40);
    const resumed = await trainSae(rt, acts, cfg, {}, { resume: ck });
    for (const n of SAE_PARAMS) assert.deepEqual(resumed.params[n], full.params[n], n);
    await assert.rejects(trainSae(rt, acts, { ...cfg, batch: 32 }, {}, { resume: ck }), /other activations or settings/);
  });

  it('the SAELens folder it writes loads back; encode and decode (with the norm scaling) equal a plain-loop reference', async () => {
    const { acts } = synthetic(8, 10, 500, 2, 9);
    const res = await trainSae(rt, acts, { dSae: 10, l1: 0.5, lr: 1e-3, steps: 30, batch: 64, seed: 2 });
    const folder = join(dir, 'sae');
    writeSaeLensFolder(folder, res.params, { dIn: 8, dSae: 10, hook: 'blocks.1.hook_resid_post', normScalingFactor: res.scale, modelName: 'synthetic', extra: { training: { steps: 30 } } });
    const sae = await loadSae(folder);
    assert.deepEqual([sae.architecture, sae.dIn, sae.dSae, sae.hook, sae.normalize, sae.normScalingFactor], ['standard', 8, 10, 'blocks.1.hook_resid_post', 'expected_average_only_in', res.scale]);
    const g = new Graph();
    const x = g.input('x', 'float64', ['n', 8]);
    const f = saeEncode(g, sae, x);
    const s = await rt.load(compile({ outputs: { f, xhat: saeDecode(g, sae, f, { input: x }) } }));
    const xs = Float64Array.from(acts.data.subarray(0, 3 * 8));
    const r = await s.run({ x: { dtype: 'float64', dims: [3, 8], data: xs } });
    const P = res.params;
    const k = res.scale;
    const fRef: number[] = [];
    const xRef: number[] = [];
    for (let i = 0; i < 3; i++) {
      const fi = Array.from({ length: 10 }, (_, j) => Math.max(0, Array.from({ length: 8 }, (_, d) => (xs[i * 8 + d]! * k - P.b_dec[d]!) * P.W_enc[d * 10 + j]!).reduce((a, b) => a + b, 0) + P.b_enc[j]!));
      fRef.push(...fi);
      for (let d = 0; d < 8; d++) xRef.push((fi.reduce((a, fj, j) => a + fj * P.W_dec[j * 8 + d]!, 0) + P.b_dec[d]!) / k);
    }
    assert.ok(relErr(r.f!.data as Float64Array, fRef) < 1e-9, 'features');
    assert.ok(relErr(r.xhat!.data as Float64Array, xRef) < 1e-9, 'reconstruction, scaled back');
    await s.release();
  });

  it('activations from stories260k: every counted token once, equal to a direct capture of the same context', async () => {
    const m = LanguageModel.open(rt, MODEL);
    const tok = m.tokenizer();
    const ctx = corpusContexts(tok, { texts: ['Once upon a time there was a little cat.', 'Tom ran to the park with his dog.'] }, { contextLen: 8 });
    const hook = 'blocks.2.hook_resid_post';
    const acts = await collectActivations(m, ctx, hook, { batch: 3 });
    assert.equal(acts.n, ctx.countedTokens);
    assert.equal(acts.dIn, 64);
    const cap = await m.captureSession([hook]);
    const ids = Array.from(ctx.ids.subarray(ctx.offsets[1]!, ctx.offsets[2]!));
    const i64 = (v: number[]): TensorData => ({ dtype: 'int64', dims: [1, v.length], data: BigInt64Array.from(v.map(BigInt)) });
    const r = await cap.run({ ids: i64(ids), positions: i64(ids.map((_, t) => t)), attn_mask: i64(ids.map(() => 1)) });
    await cap.release();
    // rows of context 1 start after context 0's counted tokens
    const before = Array.from(ctx.count.subarray(ctx.offsets[0]!, ctx.offsets[1]!)).reduce((a, b) => a + b, 0);
    const direct = r[hook]!.data as Float32Array;
    let row = before;
    for (let t = 0; t < ids.length; t++) {
      if (!ctx.count[ctx.offsets[1]! + t]) continue;
      assert.ok(relErr(acts.data.subarray(row * 64, row * 64 + 64), direct.subarray(t * 64, t * 64 + 64)) < 1e-5, `token ${t}`);
      row++;
    }
    const few = await collectActivations(m, ctx, hook, { maxTokens: 5 });
    assert.equal(few.n, 5);
    assert.deepEqual(few.data, acts.data.subarray(0, 5 * 64));
    await assert.rejects(collectActivations(m, ctx, 'blocks.9.hook_resid_post'), /no hook 'blocks\.9\.hook_resid_post'/);
    await assert.rejects(collectActivations(m, ctx, 'blocks.0.attn.hook_pattern'), /has shape \[batch, n_heads, seq, seq_k\]; an SAE trains on a \[batch, seq, width\] hook/);
    await m.close();
  });
});
