/**
 * Read-out warnings against facts checked independently of the read-out:
 * - blocks.{l}.hook_resid_pre and blocks.{l−1}.hook_resid_post are one point of the residual stream
 *   (a bias added at either gives the same log-probabilities), so a vector at one read with an SAE
 *   at the other gets no "different points" warning; a vector at another point does;
 * - an SAE that normalises its input per position (constant_norm_rescale, layer_norm) makes the
 *   change of a feature's pre-activation depend on the input: v @ W_enc is not it (checked here by
 *   a plain loop on two inputs), and the read-out says so.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime } from '../../src-main/engine/runtime.js';
import { openCheckpoint } from '../../src-main/models/checkpoint.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { parseInterventionSet } from '../../src-main/models/interventions.js';
import { scoreItems } from '../../src-main/models/score.js';
import { loadSae, readSaeValues } from '../../src-main/models/sae/load.js';
import { readVector } from '../../src-main/lab/readouts.js';
import { tempDir } from '../store/helpers.js';
import { randn } from '../engine/helpers.js';

const STORIES = new URL('../../resources/demo/stories260k/', import.meta.url).pathname;
const DEMO_SAE = new URL('../../resources/demo/sae-blocks.2.hook_resid_post/', import.meta.url).pathname;
const DIR = tempDir();
const D = 64;

/** The demo SAE's weights under another normalize_activations. */
function saeWithNorm(norm: string): string {
  const dir = join(DIR, `sae-${norm}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(DEMO_SAE, 'sae_weights.safetensors'), join(dir, 'sae_weights.safetensors'));
  const cfg = JSON.parse(readFileSync(join(DEMO_SAE, 'cfg.json'), 'utf8')) as Record<string, unknown>;
  cfg.normalize_activations = norm;
  if (norm !== 'expected_average_only_in') delete cfg.norm_scaling_factor;
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg));
  return dir;
}

describe('read-out warnings', () => {
  let rt: Runtime;
  before(() => {
    rt = Runtime.start();
  });
  after(async () => {
    await rt.close();
  });

  it('a vector at blocks.3.hook_resid_pre is at the point an SAE at blocks.2.hook_resid_post reads: no hook warning', async () => {
    const v = Array.from(randn(D, 21), (x) => 0.5 * x);
    // the fact the read-out relies on: a bias at either name changes the model identically
    const m = LanguageModel.open(rt, STORIES);
    try {
      const items = [{ ids: [1, 403, 261, 378, 280, 287, 345, 13], completionMask: [0, 0, 0, 1, 1, 1, 1, 1] }];
      const at = async (hook: string) => (await scoreItems(m, items, { set: parseInterventionSet({ items: [{ kind: 'resid_bias', hook, values: v }] }) }))[0]!.tokenLogprobs;
      const post2 = await at('blocks.2.hook_resid_post');
      const pre3 = await at('blocks.3.hook_resid_pre');
      const pre2 = await at('blocks.2.hook_resid_pre');
      post2.forEach((x, i) => assert.ok(Math.abs(x - pre3[i]!) < 1e-5, `token ${i}: ${x} vs ${pre3[i]}`));
      assert.ok(post2.some((x, i) => Math.abs(x - pre2[i]!) > 1e-3), 'blocks.2.hook_resid_pre is another point');
    } finally {
      await m.close();
    }
    const ck = openCheckpoint(STORIES);
    const sae = await loadSae(DEMO_SAE);
    assert.equal(sae.hook, 'blocks.2.hook_resid_post');
    const vec = Float32Array.from(v);
    const same = await readVector(rt, ck, vec, { sae, k: 3, vectorHook: 'blocks.3.hook_resid_pre' });
    assert.deepEqual(same.warnings, []);
    const exact = await readVector(rt, ck, vec, { sae, k: 3, vectorHook: 'blocks.2.hook_resid_post' });
    assert.deepEqual(exact.warnings, []);
    for (const other of ['blocks.2.hook_resid_pre', 'blocks.1.hook_resid_post', 'blocks.2.hook_resid_mid']) {
      const r = await readVector(rt, ck, vec, { sae, k: 3, vectorHook: other });
      assert.equal(r.warnings.length, 1, other);
      assert.match(r.warnings[0]!, /different points/);
    }
  });
});

describe('read-out warnings: SAEs that normalise their input per position', () => {
  let rt: Runtime;
  before(() => {
    rt = Runtime.start();
  });
  after(async () => {
    await rt.close();
  });

  it('constant_norm_rescale: the pre-activation change of v depends on the input (plain loop), and the read-out warns', async () => {
    const dir = saeWithNorm('constant_norm_rescale');
    const sae = await loadSae(dir);
    const Wenc = readSaeValues(sae, 'W_enc');
    const bdec = readSaeValues(sae, 'b_dec');
    const S = sae.dSae;
    const v = Array.from(randn(D, 31), (x) => 0.3 * x);
    // SAELens: pre(x) = (√D/‖x‖ · x − b_dec) @ W_enc + b_enc
    const pre = (x: number[], j: number): number => {
      const c = Math.sqrt(D) / Math.hypot(...x);
      let s = 0;
      for (let i = 0; i < D; i++) s += (c * x[i]! - bdec[i]!) * Wenc[i * S + j]!;
      return s;
    };
    const delta = (x: number[], j: number): number => pre(x.map((xi, i) => xi + v[i]!), j) - pre(x, j);
    const x1 = Array.from(randn(D, 32));
    const x2 = Array.from(randn(D, 33), (x) => 4 * x);
    const ratios = [0, 1, 2].map((j) => delta(x1, j) / delta(x2, j));
    assert.ok(ratios.some((r) => Math.abs(r - 1) > 0.5), `the change depends on the input: ratios ${ratios}`);
    const ck = openCheckpoint(STORIES);
    const r = await readVector(rt, ck, Float32Array.from(v), { sae, k: 3 });
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /constant_norm_rescale/);
    assert.match(r.warnings[0]!, /encoder projections/);
    const f = await readVector(rt, ck, Float32Array.from(randn(S, 34)), { sae, k: 3 });
    assert.equal(f.space, 'features');
    assert.match(f.warnings.join('\n'), /decode scale/);
  });

  it('layer_norm warns too; expected_average_only_in (a constant factor) and none do not', async () => {
    const ck = openCheckpoint(STORIES);
    const v = Float32Array.from(randn(D, 35));
    const ln = await readVector(rt, ck, v, { sae: await loadSae(saeWithNorm('layer_norm')), k: 3 });
    assert.equal(ln.warnings.length, 1);
    assert.match(ln.warnings[0]!, /layer_norm, which also removes the mean/);
    for (const norm of ['expected_average_only_in', 'none']) {
      const r = await readVector(rt, ck, v, { sae: await loadSae(saeWithNorm(norm)), k: 3 });
      assert.deepEqual(r.warnings, [], norm);
    }
  });
});
