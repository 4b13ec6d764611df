/**
 * Training from a prefix cache (lab/prefix-cache.ts, graph `suffixFrom`): the residual stream entering
 * block L, computed once by the plain model, fed to a graph of blocks L..end, gives the same loss and
 * the same training run as the whole model every step (oracle: the whole-model run, float64, 1e-9),
 * for RoPE (llama) and learned positions (gpt2), with left padding. Where the latest start is.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { parseInterventionSet } from '../../src-main/models/interventions.js';
import { suffixStart } from '../../src-main/models/graph.js';
import { trainBias } from '../../src-main/lab/train-bias.js';
import { biasSweep, layerHooks } from '../../src-main/lab/bias-sweep.js';
import { writeTinyCheckpoint } from '../oracles/tiny-checkpoints.js';

const noSink = { step: () => {}, checkpoint: () => {}, progress: () => {} };

describe('prefix cache for training', () => {
  let rt: Runtime;
  let root: string;
  before(() => {
    rt = Runtime.start();
    root = mkdtempSync(join(tmpdir(), 'undertone-prefix-'));
  });
  after(async () => {
    await rt.close();
  });

  for (const kind of ['llama', 'gpt2'] as const) {
    it(`${kind}: a suffix-graph run equals the whole-model run (float64, 1e-9), left-padded batches`, async () => {
      const dir = join(root, kind);
      writeTinyCheckpoint(dir, kind);
      const m = LanguageModel.open(rt, dir, { dtype: 'float64' });
      const V = m.spec.vocab;
      const items = Array.from({ length: 10 }, (_, i) => {
        const n = 4 + (i % 5);
        const ids = Array.from({ length: n }, (_, t) => (1 + 3 * i + 7 * t) % V);
        return { ids, completionMask: ids.map((_, t) => (t >= 2 ? 1 : 0)) };
      });
      const hook = `blocks.${m.spec.nLayers - 2}.hook_resid_post`;
      const cfg = (prefixCache: boolean) => ({
        set: parseInterventionSet({ items: [{ kind: 'resid_bias', hook, trainable: true }] }),
        lr: 0.05, l1: 1e-3, steps: 6, batch: 4, seed: 2, prefixCache,
      });
      const ce = { whole: [] as number[], cached: [] as number[] };
      const whole = await trainBias(m, items, cfg(false), { ...noSink, step: (p) => ce.whole.push(p.ceNats) });
      const cached = await trainBias(m, items, cfg(true), { ...noSink, step: (p) => ce.cached.push(p.ceNats) });
      assert.equal(whole.suffixFrom, 0);
      assert.equal(cached.suffixFrom, m.spec.nLayers - 1);
      ce.whole.forEach((x, i) => assert.ok(Math.abs(x - ce.cached[i]!) < 1e-9, `step ${i + 1}: ${x} vs ${ce.cached[i]}`));
      const a = whole.params[`add:${hook}`]!;
      const b = cached.params[`add:${hook}`]!;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      assert.ok(worst < 1e-9, `max param diff ${worst.toExponential(2)}`);
      // over its memory limit the cache is skipped, and the run says so
      const said: string[] = [];
      const over = await trainBias(m, items, { ...cfg(true), steps: 1, prefixCacheMb: 0 }, { ...noSink, progress: (_f, msg) => said.push(msg) });
      assert.equal(over.suffixFrom, 0);
      assert.match(said[0]!, /prefix cache skipped: it would hold \d+ MiB \(limit 0 MiB\)/);
      await m.close();
    });
  }

  it('a bias sweep holds one layer\'s sessions at a time (each holds its own copy of the weights)', async () => {
    const dir = join(root, 'llama-sweep');
    writeTinyCheckpoint(dir, 'llama');
    const m = LanguageModel.open(rt, dir);
    const items = Array.from({ length: 6 }, (_, i) => ({ ids: [1, 2 + i, 3, 4 + i], completionMask: [0, 0, 1, 1] }));
    const hooks = layerHooks(m.spec.nLayers, 'hook_resid_post');
    let most = 0;
    const atPoint: number[] = [];
    const r = await biasSweep(m, items, hooks, { lr: 0.05, l1: 0, steps: 3, batch: 4, seed: 1 }, {
      progress: () => void (most = Math.max(most, m.openSessions().length)),
      point: () => void atPoint.push(m.openSessions().length),
    });
    assert.equal(r.points.length, hooks.length);
    assert.deepEqual(atPoint, hooks.map(() => 0));
    assert.ok(most >= 1 && most <= 3, `at most ${most} sessions open while training`);
    await m.close();
  });

  it('the latest start: the block of the earliest intervention, after a resid_post, 0 for embeddings or wildcards', async () => {
    const dir = join(root, 'llama-start');
    writeTinyCheckpoint(dir, 'llama');
    const spec = LanguageModel.open(rt, dir).spec;
    assert.equal(suffixStart(spec, { add: [{ hook: 'blocks.1.hook_resid_post', mode: 'broadcast' }] }), 2);
    assert.equal(suffixStart(spec, { add: [{ hook: 'blocks.1.hook_resid_pre', mode: 'broadcast' }] }), 1);
    assert.equal(suffixStart(spec, { add: [{ hook: 'blocks.1.hook_mlp_out', mode: 'broadcast' }, { hook: 'blocks.0.attn.hook_z', mode: 'broadcast' }] }), 0);
    assert.equal(suffixStart(spec, { add: [{ hook: 'hook_embed', mode: 'broadcast' }] }), 0);
    assert.equal(suffixStart(spec, { add: [{ hook: 'blocks.*.hook_resid_post', mode: 'broadcast' }] }), 0);
    assert.equal(suffixStart(spec, { add: [{ hook: 'ln_final.hook_normalized', mode: 'broadcast' }] }), spec.nLayers);
    assert.equal(suffixStart(spec, { lora: { rank: 2, alpha: 4, targets: ['q'], layers: [1] }, add: [{ hook: 'blocks.1.hook_resid_post', mode: 'broadcast' }] }), 1);
    assert.equal(suffixStart(spec, { lora: { rank: 2, alpha: 4, targets: ['q'] } }), 0);
  });
});
