/**
 * models/next-token.ts: the decode graph's next-token distribution after whole sequences, batched
 * with left padding. Oracles: llama2.c's last-position logits of stories260k (reference.json: the
 * top-5 ids and the ratios of their probabilities), and the score graph's full-forward logits of
 * each sequence scored alone (softmax here, in float64), without and with a steering vector, in
 * float32 and float64, on a RoPE model (stories260k) and one with learned positions (tiny-random-gpt2).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { batchFeeds } from '../../src-main/models/score.js';
import { nextTokenProbs } from '../../src-main/models/next-token.js';
import { EMPTY_SET, parseInterventionSet, type InterventionSet } from '../../src-main/models/interventions.js';

const STORIES = new URL('../fixtures/stories260k/', import.meta.url).pathname;
const REF = JSON.parse(readFileSync(join(STORIES, 'reference.json'), 'utf8')) as { prompt_ids: number[]; last_position_top5: [number, number][] };

/** P(next | ids) from the score graph's logits of `ids` alone (no padding), softmax in float64. */
async function scoreGraphNext(m: LanguageModel, ids: number[], set: InterventionSet): Promise<Float64Array> {
  const bound = await m.bind('score', set);
  const { feeds } = batchFeeds(m, [{ ids, completionMask: ids.map(() => 0) }], 'all');
  const lg = (await bound.session.run({ ...feeds, ...bound.feeds() }, { outputs: ['logits'] })).logits!.data as Float32Array | Float64Array;
  const V = m.spec.vocab;
  const row = lg.subarray((ids.length - 1) * V, ids.length * V);
  let mx = -Infinity;
  for (const x of row) mx = Math.max(mx, x);
  let z = 0;
  for (const x of row) z += Math.exp(x - mx);
  return Float64Array.from(row, (x) => Math.exp(x - mx) / z);
}

async function all(m: LanguageModel, seqs: number[][], set: InterventionSet, batchSize: number): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  await nextTokenProbs(m, seqs, { set, batchSize }, (i, p) => {
    out[i] = Float64Array.from(p);
  });
  return out;
}

describe('next-token distribution (decode graph prefill, left-padded batches)', () => {
  let rt: Runtime;
  before(() => {
    rt = Runtime.start();
  });
  after(async () => {
    await rt.close();
  });

  it("stories260k: the top 5 and their probability ratios are llama2.c's", async () => {
    const m = LanguageModel.open(rt, STORIES);
    // the reference prompt last and longest, behind shorter rows that pad it on the left of theirs
    const seqs = [REF.prompt_ids.slice(0, 3), REF.prompt_ids.slice(0, 7), REF.prompt_ids];
    const [, , p] = await all(m, seqs, EMPTY_SET, 3);
    const top = [...p!.keys()].sort((a, b) => p![b]! - p![a]!).slice(0, 5);
    assert.deepEqual(top, REF.last_position_top5.map(([id]) => id));
    const [id0, l0] = REF.last_position_top5[0]!;
    for (const [id, l] of REF.last_position_top5.slice(1)) {
      assert.ok(Math.abs(Math.log(p![id]! / p![id0]!) - (l - l0)) < 1e-4, `log p(${id})/p(${id0}) = ${Math.log(p![id]! / p![id0]!)} vs ${l - l0}`);
    }
    await m.close();
  });

  // stories260k (RoPE: a row's positions may shift by a constant without changing anything) and
  // tiny-random-gpt2 (learned absolute positions: the padded rows' positions must start at 0)
  const GPT2 = new URL('../fixtures/tiny-random-gpt2/', import.meta.url).pathname;
  for (const [name, dir, dtype] of [['stories260k', STORIES, 'float32'], ['stories260k', STORIES, 'float64'], ['tiny-random-gpt2', GPT2, 'float32']] as const) {
    it(`${name} ${dtype}: a padded batch equals the score graph's last-position softmax of each row alone, plain and steered`, async () => {
      const m = LanguageModel.open(rt, dir, { dtype });
      const tok = m.tokenizer();
      const seqs = ['Once upon a time there was an owl', 'Hi', 'The cat sat on the mat and then it', 'A big dog'].map((t) => tok.encode(t));
      assert.ok(new Set(seqs.map((s) => s.length)).size >= 3, 'rows of different lengths: the batch is padded');
      const D = m.spec.dModel;
      const steer = parseInterventionSet({ items: [{ kind: 'steer', hook: `blocks.${m.spec.nLayers - 1}.hook_resid_post`, vector: Array.from({ length: D }, (_, i) => Math.cos(0.7 * i)), coef: 4 }] });
      const tol = dtype === 'float64' ? 1e-12 : 1e-6;
      const bySet: Float64Array[][] = [];
      for (const set of [EMPTY_SET, steer]) {
        const batched = await all(m, seqs, set, 4);
        const single = await all(m, seqs, set, 1);
        for (const [i, ids] of seqs.entries()) {
          const want = await scoreGraphNext(m, ids, set);
          let worst = 0;
          let sum = 0;
          for (let v = 0; v < want.length; v++) {
            worst = Math.max(worst, Math.abs(batched[i]![v]! - want[v]!), Math.abs(single[i]![v]! - want[v]!));
            sum += batched[i]![v]!;
          }
          assert.ok(worst < tol, `${set.items.length ? 'steered' : 'plain'} row ${i}: worst |p − oracle| ${worst}`);
          assert.ok(Math.abs(sum - 1) < (dtype === 'float64' ? 1e-12 : 1e-5), `Σp = ${sum}`);
        }
        bySet.push(batched);
      }
      // the steering feeds reach the decode graph: the distributions move (total variation distance)
      for (const [i] of seqs.entries()) {
        const tv = bySet[0]![i]!.reduce((a, p, v) => a + Math.abs(p - bySet[1]![i]![v]!), 0) / 2;
        assert.ok(tv > 0.02, `row ${i}: steering moved ${tv} of the probability`);
      }
      await m.close();
    });
  }
});
