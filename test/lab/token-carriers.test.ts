// tokenCarriers (src-main/lab/token-carriers.ts) on hand-made scores: per-token differences
// aggregated by id, the concentration shares worked out by hand, mismatched samples left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completionLogprobs, tokenCarriers } from '../../src-main/lab/token-carriers.js';

// an item: prompt tokens (mask 0) then completion tokens (mask 1); tokenLogprobs[t-1] scores ids[t]
const item = (prompt: number[], completion: number[]) => ({ ids: [...prompt, ...completion], completionMask: [...prompt.map(() => 0), ...completion.map(() => 1)] });
const res = (lps: number[]) => ({ tokenLogprobs: Float64Array.from(lps) });
const text = (id: number) => `<${id}>`;

test('completionLogprobs: the completion tokens and the logprobs that score them', () => {
  assert.deepEqual(completionLogprobs(item([1, 2], [7, 8]), res([-9, -1, -2])), { ids: [7, 8], lp: [-1, -2], greedy: null });
  assert.deepEqual(completionLogprobs(item([1, 2], [7, 8]), { tokenLogprobs: Float64Array.of(-9, -1, -2), topLogprobs: Float64Array.of(-1, -1, -0.5) }).greedy, [true, false]);
});

test('tokenCarriers: totals, means and order by token; shares of the gain by hand', () => {
  // sample 0: tokens 7, 8, 7 with d = other − ref = +2, −1, +1; sample 1: tokens 9, 7 with d = +0.5, 0
  const ref = { items: [item([1], [7, 8, 7]), item([1, 3], [9, 7])], results: [res([-3, -1, -2]), res([-5, -2, -1])] };
  const other = { items: [item([1, 4], [7, 8, 7]), item([1, 3], [9, 7])], results: [res([-9, -1, -2, -1]), res([-5, -1.5, -1])] };
  const c = tokenCarriers(ref, other, text);
  assert.deepEqual([c.tokens, c.samples, c.mismatchedSamples], [5, 2, 0]);
  assert.equal(c.meanDiffNats, (2 - 1 + 1 + 0.5 + 0) / 5);
  assert.equal(c.gainNats, 3.5);
  // 5 occurrences: the top 1% and the top 10% are both the single largest, d = 2
  assert.equal(c.top1PctShare, 2 / 3.5);
  assert.equal(c.top10PctShare, 2 / 3.5);
  assert.deepEqual(c.top, [
    { id: 7, text: '<7>', count: 3, totalDiffNats: 3, meanDiffNats: 1, divergent: null },
    { id: 9, text: '<9>', count: 1, totalDiffNats: 0.5, meanDiffNats: 0.5, divergent: null },
  ]);
  assert.deepEqual(c.bottom, [{ id: 8, text: '<8>', count: 1, totalDiffNats: -1, meanDiffNats: -1, divergent: null }]);
  assert.equal(c.divergence, null, 'no greedy logprobs, no divergence');
});

test('tokenCarriers: divergence tokens are greedy under the other configuration and not under the reference', () => {
  // one sample, tokens 7, 8, 7, 9; lp (ref) −1, −2, −3, −0.5; lp (other) −0.5, −2, −1, −1
  // greedy under ref where lp = top: positions 1 (8) and 3 (9); under other: 0 (7), 1 (8), 2 (7)
  const withTop = (lps: number[], tops: number[]) => ({ tokenLogprobs: Float64Array.from(lps), topLogprobs: Float64Array.from(tops) });
  const ref = { items: [item([1], [7, 8, 7, 9])], results: [withTop([-1, -2, -3, -0.5], [-0.2, -2, -0.1, -0.5])] };
  const other = { items: [item([1], [7, 8, 7, 9])], results: [withTop([-0.5, -2, -1, -1], [-0.5, -2, -1, -0.3])] };
  const c = tokenCarriers(ref, other, text);
  // d = +0.5, 0, +2, −0.5: gain 2.5; other-only greedy: positions 0 and 2 (both token 7), carrying 2.5 of it
  assert.deepEqual(c.divergence, { otherOnly: 2, refOnly: 1, both: 1, otherOnlyGainShare: 1 });
  assert.deepEqual(c.top.map((x) => [x.id, x.divergent]), [[7, 2]]);
  assert.deepEqual(c.bottom.map((x) => [x.id, x.divergent]), [[9, 0]]);
  // a side without greedy logprobs: none
  assert.equal(tokenCarriers(ref, { items: other.items, results: [res([-0.5, -2, -1, -1])] }, text).divergence, null);
});

test('tokenCarriers: a sample whose completion tokens differ is left out and counted; no gain gives null shares; k caps the lists', () => {
  const ref = { items: [item([1], [7, 8]), item([1], [5])], results: [res([-1, -1]), res([-2])] };
  const other = { items: [item([1], [7, 9]), item([1], [5])], results: [res([-1, -1]), res([-3])] };
  const c = tokenCarriers(ref, other, text);
  assert.deepEqual([c.tokens, c.samples, c.mismatchedSamples, c.gainNats], [1, 1, 1, 0]);
  assert.equal(c.top1PctShare, null);
  assert.deepEqual(c.top, []);
  assert.deepEqual(c.bottom.map((x) => x.id), [5]);
  // 30 distinct tokens with d = 1..30: k = 4 keeps the 4 largest; the top 10% (3 of 30) carry (30+29+28)/465
  const ids = Array.from({ length: 30 }, (_, i) => 100 + i);
  const many = tokenCarriers(
    { items: [item([1], ids)], results: [res(ids.map(() => -5))] },
    { items: [item([1], ids)], results: [res(ids.map((_, i) => -5 + (i + 1)))] }, text, 4,
  );
  assert.deepEqual(many.top.map((x) => x.id), [129, 128, 127, 126]);
  assert.ok(Math.abs(many.top10PctShare! - (30 + 29 + 28) / 465) < 1e-12);
  assert.ok(Math.abs(many.top1PctShare! - 30 / 465) < 1e-12);
  assert.throws(() => tokenCarriers({ items: [], results: [] }, { items: [item([1], [2])], results: [res([-1])] }, text), /0 reference samples but 1/);
});

test('tokenCarriers: occurrences whose d is not finite are left out and counted; an empty completion is no mismatch; nothing finite gives no mean', () => {
  // sample 0: tokens 7, 8, 9 with ref logprobs −∞ at 7 and other NaN at 9: only token 8 (d = +0.5) is compared
  // sample 1: no completion tokens in either context (same tokens: none), compared with 0 occurrences
  const ref = { items: [item([1], [7, 8, 9]), item([1, 2], [])], results: [res([-Infinity, -2, -1]), res([-1])] };
  const other = { items: [item([1], [7, 8, 9]), item([1, 2], [])], results: [res([-1, -1.5, NaN]), res([-1])] };
  const c = tokenCarriers(ref, other, text);
  assert.deepEqual([c.tokens, c.samples, c.mismatchedSamples, c.nonFiniteTokens], [1, 2, 0, 2]);
  assert.equal(c.meanDiffNats, 0.5);
  assert.equal(c.gainNats, 0.5);
  assert.deepEqual(c.top.map((x) => [x.id, x.count, x.totalDiffNats]), [[8, 1, 0.5]]);
  // a configuration whose scores are all NaN (a diverged bias): no occurrence compared, none gained, each counted
  const nan = tokenCarriers(ref, { ...other, results: [res([NaN, NaN, NaN]), res([NaN])] }, text);
  assert.deepEqual([nan.tokens, nan.samples, nan.nonFiniteTokens, nan.gainNats, nan.top1PctShare, nan.top.length, nan.bottom.length], [0, 2, 3, 0, null, 0, 0]);
  assert.ok(Number.isNaN(nan.meanDiffNats));
});
