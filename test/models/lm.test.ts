/**
 * Loaded models end to end: stories260k (a real pretrained tiny Llama) reproduces llama2.c's greedy
 * ids and top-5 logits; KV-cache logits equal full-forward logits; left-padded batched scoring equals
 * one-by-one scoring; the same seed gives the same samples whatever the batch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, type TensorData } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { scoreItems } from '../../src-main/models/score.js';
import { generate } from '../../src-main/models/generate.js';
import { encodePrompt, encodeRow } from '../../src-main/models/encode-rows.js';
import { writeTinyCheckpoint } from '../oracles/tiny-checkpoints.js';

const STORIES = new URL('../fixtures/stories260k/', import.meta.url).pathname;
const REF = JSON.parse(readFileSync(join(STORIES, 'reference.json'), 'utf8')) as {
  prompt_ids: number[]; greedy_ids_from_bos: number[]; greedy_text: string; last_position_top5: [number, number][];
};
const i64 = (rows: number[][]): TensorData => ({ dtype: 'int64', dims: [rows.length, rows[0]!.length], data: BigInt64Array.from(rows.flat().map(BigInt)) });

describe('language model: stories260k and tiny checkpoints', () => {
  let rt: Runtime;
  let root: string;
  before(() => {
    rt = Runtime.start();
    root = mkdtempSync(join(tmpdir(), 'undertone-lm-'));
  });
  after(async () => {
    await rt.close();
  });

  it('stories260k: greedy decoding from BOS reproduces llama2.c ids exactly (64 tokens)', async () => {
    const m = LanguageModel.open(rt, STORIES);
    const [g] = await generate(m, [[1]], { temperature: 0, maxNew: 64 });
    assert.deepEqual(g!.ids, REF.greedy_ids_from_bos);
    assert.equal(g!.text, REF.greedy_text);
    await m.close();
  });

  // the stored text of a sample must re-encode, after its prompt, to the tokens the model wrote:
  // decoding the new ids alone drops the first piece's space ('▁named' → 'named'), and
  // 'girl' + 'named' encodes as other tokens
  it('stories260k: a generated completion re-encodes after its prompt to the generated ids', async () => {
    const m = LanguageModel.open(rt, STORIES);
    const tok = m.tokenizer();
    const msgs = [{ role: 'user', content: 'Once upon a time, there was a little girl' }];
    const prompt = encodePrompt(tok, msgs);
    const outs = await generate(m, Array.from({ length: 6 }, () => prompt), { maxNew: 12, seed: 3 });
    let startsWithSpace = 0;
    for (const g of outs) {
      const row = encodeRow(tok, msgs, g.text!);
      const gen = g.ids.filter((t) => !m.spec.eosIds.includes(t));
      assert.deepEqual(row.ids.filter((_, i) => row.completionMask[i]), [...gen, ...tok.suffixIds], `completion ${JSON.stringify(g.text)}`);
      if (g.text!.startsWith(' ')) startsWithSpace++;
    }
    assert.ok(startsWithSpace > 0, 'some completion starts with a word piece, keeping its space');
    await m.close();
  });

  it('stories260k: top-5 logits at the last prompt position within 1e-4 of llama2.c', async () => {
    const m = LanguageModel.open(rt, STORIES);
    const s = await m.session('decode');
    const P = REF.prompt_ids;
    const K = m.spec.nKvHeads;
    const empty: TensorData = { dtype: 'float32', dims: [1, K, 0, m.spec.headDim], data: new Float32Array(0) };
    const past = Object.fromEntries(Array.from({ length: m.spec.nLayers }, (_, l) => [[`past.${l}.k`, empty], [`past.${l}.v`, empty]]).flat());
    const r = await s.run({ ids: i64([P]), positions: i64([P.map((_, i) => i)]), attn_mask: i64([P.map(() => 1)]), ...past }, { outputs: ['logits'] });
    const lg = r.logits!.data as Float32Array;
    const top = Array.from(lg, (v, i) => [i, v] as [number, number]).sort((a, b) => b[1] - a[1]).slice(0, 5);
    top.forEach(([id, v], k) => {
      assert.equal(id, REF.last_position_top5[k]![0]);
      assert.ok(Math.abs(v - REF.last_position_top5[k]![1]) < 1e-4, `top-${k + 1} logit ${v} vs ${REF.last_position_top5[k]![1]}`);
    });
    await m.close();
  });

  for (const kind of ['llama', 'gemma2', 'gpt2'] as const) {
    it(`${kind}: KV-cache step logits equal full-forward logits (1e-5)`, async () => {
      const dir = join(root, `kv-${kind}`);
      writeTinyCheckpoint(dir, kind);
      const m = LanguageModel.open(rt, dir);
      const ids = [5, 9, 2, 14, 7, 3, 11, 8, 6, 12].map((x) => x % m.spec.vocab);
      // full forward: per-position logits through the scoring graph
      const full = await m.session('score');
      const T = ids.length;
      const fr = await full.run({
        ids: i64([ids]), positions: i64([ids.map((_, i) => i)]), attn_mask: i64([ids.map(() => 1)]),
        targets: i64([ids]), loss_mask: { dtype: 'float32', dims: [1, T], data: new Float32Array(T) },
      }, { outputs: ['logits'] });
      const fl = fr.logits!.data as Float32Array;
      // incremental: prefill 4 tokens, then one token at a time with the cache kept in the worker
      const dec = await m.session('decode');
      const V = m.spec.vocab;
      const K = m.spec.nKvHeads;
      const empty: TensorData = { dtype: 'float32', dims: [1, K, 0, m.spec.headDim], data: new Float32Array(0) };
      const keep = (s: number) => Object.fromEntries(Array.from({ length: m.spec.nLayers }, (_, l) => [[`present.${l}.k`, `t${kind}${s}.${l}.k`], [`present.${l}.v`, `t${kind}${s}.${l}.v`]]).flat());
      const past = (s: number | null) => Object.fromEntries(Array.from({ length: m.spec.nLayers }, (_, l) => [
        [`past.${l}.k`, s === null ? empty : { held: `t${kind}${s}.${l}.k` }], [`past.${l}.v`, s === null ? empty : { held: `t${kind}${s}.${l}.v` }],
      ]).flat());
      let worst = 0;
      let r = await dec.run({ ids: i64([ids.slice(0, 4)]), positions: i64([[0, 1, 2, 3]]), attn_mask: i64([[1, 1, 1, 1]]), ...past(null) }, { outputs: ['logits'], keep: keep(3) });
      const cmp = (t: number, got: Float32Array) => {
        for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(got[v]! - fl[t * V + v]!));
      };
      cmp(3, r.logits!.data as Float32Array);
      for (let t = 4; t < T; t++) {
        r = await dec.run({ ids: i64([[ids[t]!]]), positions: i64([[t]]), attn_mask: i64([ids.slice(0, t + 1).map(() => 1)]), ...past(t - 1) }, { outputs: ['logits'], keep: keep(t) });
        cmp(t, r.logits!.data as Float32Array);
      }
      assert.ok(worst < 1e-5, `max abs diff ${worst.toExponential(2)}`);
      await m.close();
    });
  }

  it('left-padded batched scoring equals one-by-one scoring (llama, gpt2)', async () => {
    for (const kind of ['llama', 'gpt2'] as const) {
      const dir = join(root, `score-${kind}`);
      writeTinyCheckpoint(dir, kind);
      const m = LanguageModel.open(rt, dir);
      const V = m.spec.vocab;
      const items = [
        { ids: [1, 5, 9, 2, 7], completionMask: [0, 0, 0, 1, 1] },
        { ids: [1, 4, 3, 8, 8, 6, 2, 9, 10], completionMask: [0, 0, 0, 0, 1, 1, 1, 1, 1] },
        { ids: [1, 2, 3], completionMask: [0, 1, 1] },
      ].map((it) => ({ ...it, ids: it.ids.map((x) => x % V) }));
      const batched = await scoreItems(m, items, { batchSize: 3 });
      const single: Awaited<ReturnType<typeof scoreItems>> = [];
      for (const it of items) single.push((await scoreItems(m, [it]))[0]!);
      batched.forEach((b, i) => {
        const s = single[i]!;
        assert.equal(b.completionTokens, s.completionTokens);
        assert.ok(Math.abs(b.lossNats - s.lossNats) < 1e-5, `${kind} item ${i}: ${b.lossNats} vs ${s.lossNats}`);
        for (let t = 0; t < s.tokenLogprobs.length; t++) assert.ok(Math.abs(b.tokenLogprobs[t]! - s.tokenLogprobs[t]!) < 1e-5);
      });
      await m.close();
    }
  });

  it('stories260k: the greedy logprob at each position marks llama2.c\'s greedy tokens exactly, and equals the max of the log-softmax', async () => {
    const m = LanguageModel.open(rt, STORIES);
    const ids = [1, ...REF.greedy_ids_from_bos.slice(0, 32)]; // BOS then llama2.c's greedy tokens
    const other = [1, ...ids.slice(1, 12).map((x) => (x + 7) % m.spec.vocab)]; // not greedy
    const [g, o2] = await scoreItems(m, [ids, other].map((x) => ({ ids: x, completionMask: x.map((_, i) => (i ? 1 : 0)) })), { batchSize: 2 });
    for (let t = 1; t < ids.length; t++) assert.equal(g!.tokenLogprobs[t - 1], g!.topLogprobs[t - 1], `position ${t}: llama2.c's greedy token is the top-1`);
    // the non-greedy sequence: the top logprob, against a plain loop over the logits of the same prefix
    const bound = await m.bind('score');
    const V = m.spec.vocab;
    const T = other.length;
    const r = await bound.session.run({ ids: i64([other]), positions: i64([other.map((_, i) => i)]), attn_mask: i64([other.map(() => 1)]), targets: i64([other]), loss_mask: { dtype: 'float32', dims: [1, T], data: new Float32Array(T) } }, { outputs: ['logits'] });
    const lg = r.logits!.data as Float32Array;
    let notTop = 0;
    for (let t = 1; t < T; t++) {
      const row = lg.subarray((t - 1) * V, t * V);
      let mx = -Infinity;
      for (const x of row) mx = Math.max(mx, x);
      let z = 0;
      for (const x of row) z += Math.exp(x - mx);
      assert.ok(Math.abs(o2!.topLogprobs[t - 1]! - -Math.log(z)) < 1e-5, `position ${t}: ${o2!.topLogprobs[t - 1]} vs ${-Math.log(z)}`);
      assert.ok(o2!.topLogprobs[t - 1]! >= o2!.tokenLogprobs[t - 1]!);
      if (o2!.tokenLogprobs[t - 1]! < o2!.topLogprobs[t - 1]!) notTop++;
    }
    assert.ok(notTop >= 9, `shifted tokens are mostly not the greedy choice (${notTop} of ${T - 1})`);
    await m.close();
  });

  it('sampling: the same seed gives the same samples, alone or in a batch; different seeds differ', async () => {
    const m = LanguageModel.open(rt, STORIES);
    const opts = { temperature: 1, topP: 0.9, maxNew: 24, seed: 7 };
    const alone = await generate(m, [[1, 403]], opts);
    const batch = await generate(m, [[1, 403], [1, 403, 407, 261]], opts);
    assert.deepEqual(batch[0]!.ids, alone[0]!.ids);
    const other = await generate(m, [[1, 403]], { ...opts, seed: 8 });
    assert.notDeepEqual(other[0]!.ids, alone[0]!.ids);
    // the temperature reaches the sampler: near 0 it is greedy decoding
    const greedy = await generate(m, [[1, 403]], { temperature: 0, maxNew: 24 });
    const cold = await generate(m, [[1, 403]], { temperature: 0.01, maxNew: 24, seed: 7 });
    assert.deepEqual(cold[0]!.ids, greedy[0]!.ids);
    assert.notDeepEqual(alone[0]!.ids, greedy[0]!.ids);
    await m.close();
  });

  it('sampling: a batch of 9 (the two-thread session) gives row 0 the same samples as alone', async () => {
    const m = LanguageModel.open(rt, STORIES);
    assert.equal(m.optionsFor('decode', 1).threads, 1);
    assert.equal(m.optionsFor('decode', 9).threads, undefined); // the default two threads
    const opts = { temperature: 0.8, topK: 40, maxNew: 24, seed: 3 };
    const alone = await generate(m, [[1, 403]], opts);
    const batch = await generate(m, [[1, 403], ...Array.from({ length: 8 }, (_, i) => [1, 403, 407 + i])], opts);
    assert.deepEqual(batch[0]!.ids, alone[0]!.ids);
    await m.close();
  });

  it('decode probabilities equal softmax(logits / T) (1e-6), T fed or left at its default of 1', async () => {
    const m = LanguageModel.open(rt, STORIES);
    const s = await m.session('decode');
    const P = REF.prompt_ids;
    const K = m.spec.nKvHeads;
    const empty: TensorData = { dtype: 'float32', dims: [1, K, 0, m.spec.headDim], data: new Float32Array(0) };
    const past = Object.fromEntries(Array.from({ length: m.spec.nLayers }, (_, l) => [[`past.${l}.k`, empty], [`past.${l}.v`, empty]]).flat());
    const feeds = { ids: i64([P]), positions: i64([P.map((_, i) => i)]), attn_mask: i64([P.map(() => 1)]), ...past };
    for (const T of [1, 0.7]) {
      const r = await s.run(T === 1 ? feeds : { ...feeds, inv_temperature: { dtype: 'float32', dims: [], data: Float32Array.of(1 / T) } }, { outputs: ['logits', 'probs'] });
      const lg = Array.from(r.logits!.data as Float32Array);
      const mx = Math.max(...lg);
      const e = lg.map((l) => Math.exp((l - mx) / T));
      const z = e.reduce((a, b) => a + b, 0);
      const pr = r.probs!.data as Float32Array;
      let worst = 0;
      e.forEach((x, i) => (worst = Math.max(worst, Math.abs(x / z - pr[i]!))));
      assert.ok(worst < 1e-6, `T=${T}: max abs diff ${worst.toExponential(2)}`);
    }
    await m.close();
  });

  it('generation stops at max new tokens and reports progress; cancel stops it', async () => {
    const m = LanguageModel.open(rt, STORIES);
    const steps: number[] = [];
    const [g] = await generate(m, [[1]], { temperature: 0, maxNew: 5, progressEvery: 1, onProgress: (p) => steps.push(p.step) });
    assert.equal(g!.ids.length, 5);
    assert.equal(g!.finish, 'length');
    assert.deepEqual(steps, [1, 2, 3, 4, 5]);
    const ac = new AbortController();
    await assert.rejects(generate(m, [[1]], { maxNew: 50, signal: ac.signal, progressEvery: 1, onProgress: (p) => p.step === 3 && ac.abort() }), /cancelled/);
    await m.close();
  });
});

describe('stop strings', () => {
  it('stop at a stop string: the text is cut before it and the finish reason says so', async () => {
    const rt = Runtime.start();
    const m = LanguageModel.open(rt, STORIES);
    const [g] = await generate(m, [[1]], { temperature: 0, maxNew: 64, stopStrings: [' girl'] });
    assert.equal(g!.finish, 'stop_string');
    assert.equal(g!.text, REF.greedy_text.slice(0, REF.greedy_text.indexOf(' girl')));
    await m.close();
    await rt.close();
  });
});
