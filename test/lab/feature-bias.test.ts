/**
 * The headline result for steered teachers (REFERENCE §1): a teacher steered by coef × W_dec[f]
 * writes a dataset; a feature bias trained on the base model (projected to the residual as
 * bias @ W_dec, with L1) surfaces feature f at the top. Uses stories260k (a real pretrained tiny
 * Llama) and a random SAE at blocks.2.hook_resid_post.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { generate } from '../../src-main/models/generate.js';
import { parseInterventionSet } from '../../src-main/models/interventions.js';
import { fbiasInputName } from '../../src-main/models/intervened.js';
import { trainBias } from '../../src-main/lab/train-bias.js';
import { writeSaeLens } from '../sae/fixtures.js';
import { tempDir } from '../store/helpers.js';

const STORIES = new URL('../fixtures/stories260k/', import.meta.url).pathname;
const HOOK = 'blocks.2.hook_resid_post';
const FEATURE = 37;
const DIR = tempDir();

describe('feature bias surfaces the steered feature', () => {
  let rt: Runtime;
  let m: LanguageModel;
  let sae: string;
  before(() => {
    rt = Runtime.start();
    m = LanguageModel.open(rt, STORIES);
    sae = join(DIR, 'sae');
    writeSaeLens(sae, { arch: 'standard', dIn: 64, dSae: 128, hook: HOOK, seed: 3 });
  });
  after(async () => {
    await m.close();
    await rt.close();
  });

  it('projected feature bias: the steered feature ranks first', async (t) => {
    const tok = m.tokenizer();
    const teacher = parseInterventionSet({ items: [{ kind: 'steer_sae', sae, feature: FEATURE, coef: 3 }] });
    const starts = ['Once upon a time', 'The little dog', 'Lily and Tom', 'One sunny day', 'The old man', 'A bird'];
    const prompts = Array.from({ length: 48 }, (_, i) => tok.encode(starts[i % starts.length]!));
    const outs = await generate(m, prompts, { maxNew: 16, temperature: 1, seed: 11, set: teacher });
    const items = outs.map((o, i) => ({ ids: [...prompts[i]!, ...o.ids], completionMask: [...prompts[i]!.map(() => 0), ...o.ids.map(() => 1)] }));
    const set = parseInterventionSet({ items: [{ kind: 'feature_bias', sae, mode: 'projected', trainable: true }] });
    const r = await trainBias(m, items, { set, lr: 0.02, l1: 2e-3, steps: 80, batch: 16, seed: 1 }, { step: () => {}, checkpoint: () => {}, progress: () => {} });
    const bias = r.params[fbiasInputName(sae, HOOK)]!;
    const ranked = Array.from(bias, (v, i) => [i, v] as const).sort((a, b) => b[1] - a[1]);
    t.diagnostic(`top features ${ranked.slice(0, 5).map(([i, v]) => `${i}:${v.toFixed(3)}`).join(' ')}`);
    assert.equal(ranked[0]![0], FEATURE);
  });
});
