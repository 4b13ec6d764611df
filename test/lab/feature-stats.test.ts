/**
 * Feature statistics (lab): contexts from a corpus, the bounded top-k, and the engine run (forward to
 * the SAE's hook, SAE encode and reductions in the graph) against a plain-loop reference (float64
 * oracle forward + reference SAE encode on the same contexts); resume after a cancel equals an
 * uninterrupted run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { loadSae, type Sae } from '../../src-main/models/sae/load.js';
import { buildContexts, contextIds, corpusContexts, readCorpusFile, type Contexts } from '../../src-main/lab/feature-corpus.js';
import { FeatureTopK } from '../../src-main/lab/feature-top-k.js';
import { densityHistogram, featureRecords, featureStats, windowText, type FeatureStatsCheckpoint, type FeatureStatsResult } from '../../src-main/lab/feature-stats.js';
import type { RefSae } from '../sae/reference.js';
import { rng } from '../engine/helpers.js';
import { tempDir } from '../store/helpers.js';
import { writeFileSync } from 'node:fs';
import { D_SAE, DEAD, STORIES, refStats, storyTexts, writeStatsSae, type RefStats } from './feature-stats-fixtures.js';

const DIR = tempDir();
const TOP = 5;

function assertMatchesRef(res: FeatureStatsResult, ref: RefStats, tol: { value: number; count: number; exactOrder: boolean }): void {
  assert.equal(res.nTokens, ref.nTokens);
  for (let s = 0; s < D_SAE; s++) {
    assert.ok(Math.abs(res.count[s]! - ref.count[s]!) <= tol.count, `feature ${s}: ${res.count[s]} active tokens, reference ${ref.count[s]}`);
    assert.ok(Math.abs(res.sum[s]! - ref.sum[s]!) <= tol.value * Math.max(1, ref.count[s]!), `feature ${s}: sum ${res.sum[s]} vs ${ref.sum[s]}`);
    const got = res.top.sorted(s);
    const want = ref.ranked[s]!.slice(0, TOP);
    assert.equal(got.length, want.length, `feature ${s}: ${got.length} top contexts, reference ${want.length}`);
    got.forEach((g, i) => {
      const w = want[i]!;
      assert.ok(Math.abs(g.value - w.value) <= tol.value, `feature ${s} top ${i}: ${g.value} vs ${w.value}`);
      if (tol.exactOrder) assert.deepEqual([g.context, g.pos], [w.context, w.pos], `feature ${s} top ${i}: context/position`);
    });
  }
}

describe('feature stats (lab)', () => {
  let rt: Runtime;
  let m64: LanguageModel;
  let m32: LanguageModel;
  let sae: Sae;
  let refSae: RefSae;
  let ctx: Contexts;
  let ref: RefStats;
  before(async () => {
    refSae = writeStatsSae(join(DIR, 'sae'));
    sae = await loadSae(join(DIR, 'sae'));
    rt = Runtime.start();
    m64 = LanguageModel.open(rt, STORIES, { dtype: 'float64' });
    m32 = LanguageModel.open(rt, STORIES);
    ctx = corpusContexts(m64.tokenizer(), { texts: storyTexts() }, { contextLen: 16 });
    ref = refStats(ctx, refSae);
  });
  after(async () => {
    await m64.close();
    await m32.close();
    await rt.close();
  });

  it('contexts: documents cut into windows, BOS again before each continuation, BOS and inserted tokens not counted', () => {
    const docs = [{ ids: [1, 10, 11, 12, 13, 14, 15] }, { ids: [1, 20] }, { ids: [1] }, { ids: [1, 30, 31, 32], count: [0, 0, 1, 1] }];
    const c = buildContexts(docs, { contextLen: 4, prefixIds: [1], skipIds: new Set([1]) });
    const all = Array.from({ length: c.n }, (_, i) => Array.from(contextIds(c, i)));
    // doc 2 ([BOS] alone) has nothing to count and gives no context
    assert.deepEqual(all, [[1, 10, 11, 12], [1, 13, 14, 15], [1, 20], [1, 30, 31, 32]]);
    assert.deepEqual([...c.doc], [0, 0, 1, 3]);
    assert.deepEqual([...c.docStart], [0, 4, 0, 0]);
    assert.deepEqual([...c.inserted], [0, 1, 0, 0]);
    assert.deepEqual([...c.count], [0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1]);
    assert.equal(c.countedTokens, 9);
    assert.equal(buildContexts(docs, { contextLen: 4, prefixIds: [1], maxContexts: 3 }).n, 3);
    assert.throws(() => buildContexts(docs, { contextLen: 1 }), /contextLen must be an integer ≥ 2/);
    // the real corpus: every context is at most 16 tokens, starts with BOS, and its first token is never counted
    assert.ok(ctx.n > storyTexts().length, 'long stories span several contexts');
    for (let i = 0; i < ctx.n; i++) {
      const ids = contextIds(ctx, i);
      assert.ok(ids.length <= 16 && ids[0] === 1 && ctx.count[ctx.offsets[i]!] === 0);
    }
  });

  it('corpus files: blank-line paragraphs, {"text"} JSONL, dataset JSONL; mixing kinds is an error naming the line', () => {
    writeFileSync(join(DIR, 'c.txt'), 'One day.\nTom ran.\n\n\nLily sang.\n');
    assert.deepEqual(readCorpusFile(join(DIR, 'c.txt')), { texts: ['One day.\nTom ran.', 'Lily sang.'] });
    writeFileSync(join(DIR, 't.jsonl'), '{"text":"a"}\n\n{"text":"b"}\n');
    assert.deepEqual(readCorpusFile(join(DIR, 't.jsonl')), { texts: ['a', 'b'] });
    writeFileSync(join(DIR, 'd.jsonl'), '{"prompt":"p","completion":"c"}\n');
    assert.deepEqual(readCorpusFile(join(DIR, 'd.jsonl')), { rows: [{ messages: [{ role: 'user', content: 'p' }], completion: 'c' }] });
    writeFileSync(join(DIR, 'm.jsonl'), '{"text":"a"}\n{"prompt":"p","completion":"c"}\n');
    assert.throws(() => readCorpusFile(join(DIR, 'm.jsonl')), /m\.jsonl:2: mixes \{"text"\} rows with dataset rows/);
    // dataset rows, completion tokens only: only completion positions are counted
    const tok = m64.tokenizer();
    const c = corpusContexts(tok, { rows: [{ messages: [{ role: 'user', content: 'Once upon a time' }], completion: ' there was a cat.' }] }, { contextLen: 64, completionOnly: true });
    const n = tok.encode('Once upon a time').length;
    assert.deepEqual([...c.count].slice(0, n), new Array<number>(n).fill(0));
    assert.ok(c.countedTokens > 0 && c.countedTokens === c.count.length - n);
  });

  it('top-k per feature: the k best by value, ties to the earlier context then position; bytes round trip', () => {
    const r = rng(7);
    const n = 6;
    const k = 4;
    const t = new FeatureTopK(n, k);
    const all: { value: number; context: number; pos: number }[][] = Array.from({ length: n }, () => []);
    for (let c = 0; c < 60; c++) {
      for (let f = 0; f < n; f++) {
        if (f === 5) continue; // never offered
        const value = Math.round(r() * 8) / 2; // many exact ties
        const pos = Math.floor(r() * 5);
        t.offer(f, value, c, pos);
        all[f]!.push({ value, context: c, pos });
      }
    }
    for (let f = 0; f < n; f++) {
      const want = all[f]!.sort((a, b) => b.value - a.value || a.context - b.context || a.pos - b.pos).slice(0, k);
      assert.deepEqual(t.sorted(f), want, `feature ${f}`);
    }
    const back = FeatureTopK.fromBytes(n, k, t.toBytes());
    for (let f = 0; f < n; f++) assert.deepEqual(back.sorted(f), t.sorted(f));
    assert.throws(() => FeatureTopK.fromBytes(n, k + 1, t.toBytes()), /expected .* bytes/);
  });

  it('float64: densities, mean activations and top contexts equal the plain-loop reference (exact contexts and positions)', async () => {
    const progress: number[] = [];
    const res = await featureStats(m64, sae, ctx, { batch: 3, topK: TOP }, { progress: (f) => progress.push(f) });
    assert.equal(progress.length, Math.ceil(ctx.n / 3));
    assert.equal(progress.at(-1), 1);
    assertMatchesRef(res, ref, { value: 1e-4, count: 0, exactOrder: true });
    for (const f of DEAD) assert.equal(res.count[f], 0, `feature ${f} is dead`);
    assert.ok(res.count[3]! > 0 && res.count[3]! / res.nTokens < 0.1, `feature 3 is rare: ${res.count[3]} of ${res.nTokens}`);
    const recs = featureRecords(res, ctx, { tok: m64.tokenizer(), window: 3 });
    assert.equal(recs.length, D_SAE);
    for (const f of DEAD) assert.deepEqual({ ...recs[f]!, index: 0 }, { index: 0, nTokens: ref.nTokens, nActive: 0, density: 0, meanAct: null, maxAct: null, top: [] });
    const h = densityHistogram(recs.map((r) => r.density));
    assert.equal(h.dead, DEAD.length);
    assert.equal(Object.values(h).reduce((a, b) => a + b, 0), D_SAE);
    for (const r of recs.filter((x) => x.nActive > 0)) {
      assert.ok(Math.abs(r.density - ref.count[r.index]! / ref.nTokens) < 1e-12);
      assert.ok(Math.abs(r.meanAct! - ref.sum[r.index]! / ref.count[r.index]!) < 1e-4);
      assert.equal(r.maxAct, r.top[0]!.value);
    }
  });

  it('float32 (the default dtype) agrees with the reference within 1e-4', async () => {
    const res = await featureStats(m32, sae, ctx, { batch: 8, topK: TOP });
    assertMatchesRef(res, ref, { value: 1e-4, count: 2, exactOrder: false });
  });

  it('records: a token window around each top activation, text split at the token, no inserted BOS', async () => {
    const tok = m64.tokenizer();
    const res = await featureStats(m64, sae, ctx, { batch: 4, topK: TOP });
    const recs = featureRecords(res, ctx, { tok, window: 3 });
    let continuation = 0;
    for (const r of recs) {
      for (const t of r.top) {
        const ids = contextIds(ctx, t.context);
        const from = t.pos - t.at;
        assert.deepEqual(t.ids, Array.from(ids.subarray(from, from + t.ids.length)));
        assert.equal(t.ids[t.at], ids[t.pos]);
        assert.ok(t.at <= 3 && t.ids.length - t.at - 1 <= 3);
        assert.equal(t.doc, ctx.doc[t.context]);
        // the token's place in its document
        const doc = tok.encode(storyTexts()[t.doc]!);
        assert.equal(doc[t.docPos], ids[t.pos]);
        if (ctx.inserted[t.context]) {
          continuation++;
          assert.ok(from >= 1, 'the inserted BOS is not part of the window');
        }
        assert.equal(t.text.left + t.text.token + t.text.right, tok.decode(t.ids));
      }
    }
    assert.ok(continuation > 0, 'some top contexts are continuation windows');
    assert.deepEqual(windowText(tok, tok.encode('Once upon a time', { addSpecialTokens: false }), 1), { left: 'Once', token: ' upon', right: ' a time' });
  });

  it('resume after a cancel equals an uninterrupted run; a changed corpus is refused', async () => {
    const cfg = { batch: 2, topK: TOP, checkpointEvery: 3 };
    const full = await featureStats(m64, sae, ctx, cfg);
    const ac = new AbortController();
    let saved: FeatureStatsCheckpoint | null = null;
    let seen = 0;
    await assert.rejects(
      featureStats(m64, sae, ctx, cfg, {
        checkpoint: (c) => {
          // as the store keeps it: JSON state + a byte copy
          saved = { state: JSON.parse(JSON.stringify(c.state)) as FeatureStatsCheckpoint['state'], bytes: Uint8Array.from(c.bytes) };
          if (++seen === 2) ac.abort(new Error('cancelled by the test'));
        },
      }, { signal: ac.signal }),
      /cancelled by the test/,
    );
    assert.equal(saved!.state.batchesDone, 6);
    assert.equal(saved!.state.contextsDone, 12);
    const resumed = await featureStats(m64, sae, ctx, cfg, {}, { resume: saved });
    assert.deepEqual(resumed.count, full.count);
    assert.deepEqual(resumed.sum, full.sum);
    assert.equal(resumed.nTokens, full.nTokens);
    for (let f = 0; f < D_SAE; f++) assert.deepEqual(resumed.top.sorted(f), full.top.sorted(f));
    const other = corpusContexts(m64.tokenizer(), { texts: storyTexts(10) }, { contextLen: 16 });
    await assert.rejects(featureStats(m64, sae, other, cfg, {}, { resume: saved }), /corpus, context settings, SAE or dtype differ from the checkpoint/);
    await assert.rejects(featureStats(m64, sae, ctx, { ...cfg, batch: 3 }, {}, { resume: saved }), /checkpoint batch 2 differs from this run's 3/);
    await assert.rejects(featureStats(m32, sae, ctx, cfg, {}, { resume: saved }), /differ from the checkpoint/, 'another dtype');
  });
});
