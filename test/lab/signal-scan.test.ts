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
import { compareDrops, promptIds, promptKeys, signalScan, splitByPrompt, splitHoldout } from '../../src-main/lab/signal-scan.js';
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
    const prompts = Array.from({ length: 128 }, (_, i) => [1, 2 + (i % 7), 3 + (i % 5), 4 + (i % 3)]);
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

  const cfg = { hook: HOOK, lr: 0.05, l1: 1e-4, steps: 60, batch: 16, seed: 1, holdout: 0.5 };

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
  it('the signal\'s error: paired by prompt (in any order) when most held-out samples share a prompt, else independent', () => {
    const prompts = [[1, 5], [1, 6], [1, 7]];
    const s = { drops: [0.5, 0.7, 0.9], prompts };
    const paired = compareDrops(s, { drops: [0.4, 0.5, 0.9], prompts });
    assert.equal(paired.pairs, 3);
    assert.ok(Math.abs(paired.signalNats - 0.1) < 1e-12 && Math.abs(paired.seNats - 0.1 / Math.sqrt(3)) < 1e-12, JSON.stringify(paired));
    // the control in another order pairs the same way
    const shuffled = compareDrops(s, { drops: [0.9, 0.4, 0.5], prompts: [[1, 7], [1, 5], [1, 6]] });
    assert.deepEqual(shuffled, paired);
    // two of three prompts shared: the two pairs' differences 0.1 and 0.2 → mean 0.15, sd 0.0707, se 0.05
    const most = compareDrops(s, { drops: [0.4, 0.5, 0.9], prompts: [[1, 5], [1, 6], [1, 8]] });
    assert.equal(most.pairs, 2);
    assert.ok(Math.abs(most.signalNats - 0.15) < 1e-12 && Math.abs(most.seNats - 0.05) < 1e-12, JSON.stringify(most));
    // one of three shared: independent samples
    const other = compareDrops(s, { drops: [0.4, 0.5, 0.9], prompts: [[1, 5], [1, 9], [1, 8]] });
    assert.equal(other.pairs, 0);
    assert.ok(Math.abs(other.signalNats - 0.1) < 1e-12 && Math.abs(other.seNats - Math.sqrt(0.11 / 3)) < 1e-12, JSON.stringify(other));
    // a sample without completion tokens (NaN drop) leaves its pair out
    const gap = compareDrops({ drops: [0.5, NaN, 0.9], prompts }, { drops: [0.4, 0.5, 0.9], prompts });
    assert.equal(gap.pairs, 2);
    assert.ok(Math.abs(gap.signalNats - 0.05) < 1e-12);
    // a prompt asked twice pairs its first occurrence with the other side's first
    const twice = compareDrops({ drops: [0.5, 0.7], prompts: [[2], [2]] }, { drops: [0.1, 0.2], prompts: [[2], [2]] });
    assert.equal(twice.pairs, 2);
    assert.ok(Math.abs(twice.signalNats - 0.45) < 1e-12 && Math.abs(twice.seNats - 0.05) < 1e-12, JSON.stringify(twice));
    assert.deepEqual(promptKeys([[2], [3], [2]]), ['2#0', '3#0', '2#1']);
    // completions without prompts do not pair by position: independent samples (means 2.5 and 0)
    const bare = compareDrops({ drops: [1, 2, 3, 4], prompts: [[], [], [], []] }, { drops: [0, 0], prompts: [[], []] });
    assert.equal(bare.pairs, 0);
    assert.ok(Math.abs(bare.signalNats - 2.5) < 1e-12, JSON.stringify(bare));
  });

  it('the split holds out the same prompts on both sides, whatever was filtered out or reordered', () => {
    const item = (p: number[], k: number): ScoreItem => ({ ids: [...p, 100 + k], completionMask: [...p.map(() => 0), 1] });
    const suspect = Array.from({ length: 80 }, (_, i) => item([1, i], i));
    // the control lost a third of the prompts (as if filtered) and is reversed
    const control = suspect.filter((_, i) => i % 3 !== 0).reverse().map((it, k) => item(promptIds(it), 500 + k));
    const sp = splitByPrompt(suspect, control, promptIds, 0.25, 3);
    assert.ok(sp.byPrompt);
    const key = (it: ScoreItem) => promptIds(it).join(',');
    const heldS = new Set(sp.suspect.test.map(key));
    // every control prompt held out is held out on the suspect side too, and none of its training prompts is
    for (const it of sp.control.test) assert.ok(heldS.has(key(it)), key(it));
    for (const it of sp.control.train) assert.ok(!heldS.has(key(it)), key(it));
    assert.equal(sp.suspect.train.length + sp.suspect.test.length, 80);
    assert.equal(sp.suspect.test.length, 20); // 80 distinct prompts in all, a quarter held out
    assert.ok(sp.control.test.length >= 8 && sp.control.test.length <= 20, `${sp.control.test.length}`);
    assert.deepEqual(splitByPrompt(suspect, control, promptIds, 0.25, 3), sp);
    // the index split pairs far fewer: it holds out ~a quarter of each side independently
    const [a, b] = [splitHoldout(suspect, 0.25, 3).test, splitHoldout(control, 0.25, 3).test];
    const drops = (xs: ScoreItem[]) => ({ drops: xs.map(() => 1), prompts: xs.map(promptIds) });
    const byIndex = new Set(a.map(key));
    assert.ok(b.filter((it) => byIndex.has(key(it))).length < sp.control.test.length);
    assert.equal(compareDrops(drops(sp.suspect.test), drops(sp.control.test)).pairs, sp.control.test.length);
    // too few samples to split by prompt on one side: both sides by index
    const tiny = splitByPrompt(suspect, control.slice(0, 2), promptIds, 0.25, 3);
    assert.equal(tiny.byPrompt, false);
  });

  it('steered vs control: a clear signal; control vs control: none', async (t) => {
    const s = await signalScan(m, data.steered!, data.control!, cfg);
    const c = await signalScan(m, data.control2!, data.control!, cfg);
    t.diagnostic(`steered: signal ${s.signalNats.toFixed(3)} ± ${s.signalStderrNats.toFixed(3)} nats (z ${s.z.toFixed(1)}), drop ${s.suspect.dropNats.toFixed(3)} vs control ${s.control.dropNats.toFixed(3)}; control2: z ${c.z.toFixed(1)}`);
    assert.equal(s.suspect.heldOutSamples, 64); // 128 prompt keys (105 distinct prompts, 23 asked twice), half held out
    // same prompts in the same order: paired, except where either side wrote nothing (EOS at once)
    const has = (it: ScoreItem) => it.completionMask.some(Boolean);
    const sp = splitByPrompt(data.steered!, data.control!, promptIds, cfg.holdout, cfg.seed);
    assert.ok(s.splitByPrompt && sp.byPrompt);
    const [ts, tc] = [sp.suspect.test, sp.control.test];
    assert.deepEqual(ts.map(promptIds), tc.map(promptIds));
    assert.equal(s.pairs, ts.filter((it, i) => has(it) && has(tc[i]!)).length);
    assert.ok(s.pairs >= 56, `pairs ${s.pairs}`);
    // the control filtered (a third of its samples gone) and reordered: still paired, by prompt
    const filtered = data.control!.filter((_, i) => i % 3 !== 0).reverse();
    const f = await signalScan(m, data.steered!, filtered, cfg);
    const fs = splitByPrompt(data.steered!, filtered, promptIds, cfg.holdout, cfg.seed);
    const heldS = new Map(promptKeys(fs.suspect.test.map(promptIds)).map((k, i) => [k, fs.suspect.test[i]!]));
    const fc = fs.control.test;
    const fKeys = promptKeys(fc.map(promptIds));
    assert.equal(f.pairs, fc.filter((it, i) => has(it) && heldS.has(fKeys[i]!) && has(heldS.get(fKeys[i]!)!)).length);
    assert.ok(f.pairs >= 30, `filtered pairs ${f.pairs} of ${fc.length}`);
    t.diagnostic(`filtered control: ${f.pairs} pairs of ${fc.length} held-out control samples, z ${f.z.toFixed(1)}`);
    assert.ok(s.z > 3, `steered z ${s.z}`);
    assert.ok(Math.abs(c.z) < 3, `control z ${c.z}`);
    assert.ok(s.signalNats > c.signalNats);
  });
});
