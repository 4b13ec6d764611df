/**
 * Signal scan on planted data: a steered teacher's dataset against an unsteered control shows a
 * held-out loss drop well above the control's (large z); two unsteered datasets (different seeds)
 * do not.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { generate } from '../../src-main/models/generate.js';
import { parseInterventionSet, type InterventionSet } from '../../src-main/models/interventions.js';
import type { ScoreItem } from '../../src-main/models/score.js';
import { compareDrops, signalScan, splitHoldout } from '../../src-main/lab/signal-scan.js';
import { writeTinyCheckpoint } from '../oracles/tiny-checkpoints.js';
import { randn } from '../engine/helpers.js';

const HOOK = 'blocks.0.hook_resid_post';

describe('signal scan', () => {
  let rt: Runtime;
  let m: LanguageModel;
  const data: Record<string, ScoreItem[]> = {};
  before(async () => {
    rt = Runtime.start();
    const dir = join(mkdtempSync(join(tmpdir(), 'undertone-scan-')), 'llama');
    writeTinyCheckpoint(dir, 'llama');
    m = LanguageModel.open(rt, dir);
    const raw = Array.from(randn(m.spec.dModel, 42));
    const n = Math.hypot(...raw);
    const teacher = parseInterventionSet({ items: [{ kind: 'steer', hook: HOOK, vector: raw.map((x) => x / n), coef: 6 }] });
    const prompts = Array.from({ length: 64 }, (_, i) => [1, 2 + (i % 7), 3 + (i % 5)]);
    const make = async (set: InterventionSet | undefined, seed: number) =>
      (await generate(m, prompts, { maxNew: 10, temperature: 1, seed, set, stopIds: [] })).map((g, i) => ({
        ids: [...prompts[i]!, ...g.ids], completionMask: [...prompts[i]!.map(() => 0), ...g.ids.map(() => 1)],
      }));
    data.steered = await make(teacher, 3);
    data.control = await make(undefined, 4);
    data.control2 = await make(undefined, 5);
  });
  after(async () => {
    await m.close();
    await rt.close();
  });

  const cfg = { hook: HOOK, lr: 0.05, l1: 1e-4, steps: 60, batch: 16, seed: 1, holdout: 0.25 };

  it('the held-out split is deterministic and disjoint', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    const a = splitHoldout(xs, 0.25, 7);
    assert.deepEqual(splitHoldout(xs, 0.25, 7), a);
    assert.equal(a.test.length, 5);
    assert.equal(new Set([...a.train, ...a.test]).size, 20);
  });

  // by hand: suspect drops 0.5, 0.7, 0.9 and control 0.4, 0.5, 0.9 on the same three prompts.
  // Paired differences 0.1, 0.2, 0 → mean 0.1, sd 0.1, se 0.1/√3. Unpaired: means 0.7 and 0.6,
  // se² = 0.04/3 + 0.07/3 (sample variances 0.04 and 0.07).
  it('the signal\'s error: paired by prompt when both sides answer the same prompts, else independent', () => {
    const prompts = [[1, 5], [1, 6], [1, 7]];
    const s = { drops: [0.5, 0.7, 0.9], prompts };
    const paired = compareDrops(s, { drops: [0.4, 0.5, 0.9], prompts });
    assert.equal(paired.pairs, 3);
    assert.ok(Math.abs(paired.signalNats - 0.1) < 1e-12 && Math.abs(paired.seNats - 0.1 / Math.sqrt(3)) < 1e-12, JSON.stringify(paired));
    const other = compareDrops(s, { drops: [0.4, 0.5, 0.9], prompts: [[1, 5], [1, 6], [1, 8]] });
    assert.equal(other.pairs, 0);
    assert.ok(Math.abs(other.signalNats - 0.1) < 1e-12 && Math.abs(other.seNats - Math.sqrt(0.11 / 3)) < 1e-12, JSON.stringify(other));
    // a sample without completion tokens (NaN drop) leaves its pair out
    const gap = compareDrops({ drops: [0.5, NaN, 0.9], prompts }, { drops: [0.4, 0.5, 0.9], prompts });
    assert.equal(gap.pairs, 2);
    assert.ok(Math.abs(gap.signalNats - 0.05) < 1e-12);
  });

  it('steered vs control: a clear signal; control vs control: none', async (t) => {
    const s = await signalScan(m, data.steered!, data.control!, cfg);
    const c = await signalScan(m, data.control2!, data.control!, cfg);
    t.diagnostic(`steered: signal ${s.signalNats.toFixed(3)} ± ${s.signalStderrNats.toFixed(3)} nats (z ${s.z.toFixed(1)}), drop ${s.suspect.dropNats.toFixed(3)} vs control ${s.control.dropNats.toFixed(3)}; control2: z ${c.z.toFixed(1)}`);
    assert.equal(s.suspect.heldOutSamples, 16);
    // same prompts in the same order: paired, except where either side wrote nothing (EOS at once)
    const has = (it: ScoreItem) => it.completionMask.some(Boolean);
    const [ts, tc] = [splitHoldout(data.steered!, 0.25, cfg.seed).test, splitHoldout(data.control!, 0.25, cfg.seed).test];
    assert.equal(s.pairs, ts.filter((it, i) => has(it) && has(tc[i]!)).length);
    assert.ok(s.pairs >= 12, `pairs ${s.pairs}`);
    assert.ok(s.z > 3, `steered z ${s.z}`);
    assert.ok(Math.abs(c.z) < 3, `control z ${c.z}`);
    assert.ok(s.signalNats > c.signalNats);
  });
});
