/** The terminal summary of a finished signal scan (one hook, by layer) and bias sweep: lines built from the result's own numbers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultSummary } from '../../src-main/cli/result-summary.js';

test('signal scan: one hook, then by layer with the Bonferroni mark', () => {
  assert.deepEqual(resultSummary('signal-scan', { hook: 'blocks.2.hook_resid_post', signalNats: 0.0123, signalStderrNats: 0.004, z: 3.075, pairs: 32 }), [
    'signal at blocks.2.hook_resid_post: +0.0123 ± 0.0040 nats/token, z +3.08 (32 held-out pairs)',
  ]);
  assert.match(resultSummary('signal-scan', { hook: 'h', signalNats: -0.01, signalStderrNats: 0.02, z: -0.5, pairs: 0 })[0]!, /: -0\.0100 ± 0\.0200 nats\/token, z -0\.50 \(unpaired\)$/);
  const byLayer = {
    hook: 'blocks.3.hook_resid_post', signalNats: 0.05, signalStderrNats: 0.01, z: 5, bonferroniZ: 2.2414,
    layers: [
      { hook: 'blocks.1.hook_resid_post', signalNats: 0.001, signalStderrNats: 0.002, z: 0.5 },
      { hook: 'blocks.3.hook_resid_post', signalNats: 0.05, signalStderrNats: 0.01, z: 5 },
    ],
  };
  assert.deepEqual(resultSummary('signal-scan', byLayer), [
    'signal by layer (suspect drop − control drop, nats/token); |z| must pass 2.24 (two-sided 5%, Bonferroni over 2 layers):',
    '  blocks.1.hook_resid_post  +0.0010 ± 0.0020  z +0.50',
    '  blocks.3.hook_resid_post  +0.0500 ± 0.0100  z +5.00  *',
    'largest z at blocks.3.hook_resid_post; * passes the threshold (1 of 2)',
  ]);
  const none = { ...byLayer, layers: byLayer.layers.map((l) => ({ ...l, z: 1 })) };
  assert.equal(resultSummary('signal-scan', none).at(-1), 'largest z at blocks.3.hook_resid_post; no layer passes the threshold');
});

test('bias sweep: loss by layer with the paired difference, and the lowest layer; other kinds: nothing', () => {
  const r = { heldOut: true, base: { lossNats: 2 }, points: [
    { hook: 'blocks.0.hook_resid_post', lossNats: 1.9, stderrNats: 0.1, deltaNats: -0.1, deltaStderrNats: 0.01 },
    { hook: 'blocks.1.hook_resid_post', lossNats: 1.7, stderrNats: 0.1, deltaNats: -0.3, deltaStderrNats: 0.02 },
  ] };
  assert.deepEqual(resultSummary('bias-sweep', r), [
    'loss by layer (nats/token, held-out samples); base 2.0000:',
    '  blocks.0.hook_resid_post  1.9000 ± 0.1000  Δ -0.1000 ± 0.0100',
    '  blocks.1.hook_resid_post  1.7000 ± 0.1000  Δ -0.3000 ± 0.0200',
    'lowest at blocks.1.hook_resid_post',
  ]);
  assert.deepEqual(resultSummary('generate-dataset', { samples: 3 }), []);
  assert.deepEqual(resultSummary('signal-scan', null), []);
});

test('loss-table summary: a row per configuration with the paired Δ, then the tokens carrying each difference', () => {
  const tok = (text: string, totalDiffNats: number) => ({ id: 1, text, count: 2, totalDiffNats, meanDiffNats: totalDiffNats / 2 });
  const lines = resultSummary('loss-table', { table: [
    { name: 'base', lossNats: 0.8091, stderrNats: 0.01, deltaNats: null, deltaStderrNats: null, carriers: null },
    { name: 'teacher', lossNats: 0.577, stderrNats: 0.009, deltaNats: -0.2321, deltaStderrNats: 0.004, carriers: { tokens: 400, top1PctShare: 0.183, top: [tok(' 087', 4.5), tok(',', 1.25)], bottom: [tok(' 1', -2)], divergence: { otherOnly: 14, refOnly: 3, both: 300, otherOnlyGainShare: 0.4123 } } },
  ] });
  assert.deepEqual(lines, [
    'loss by configuration (nats/token, mean over samples ± stderr; Δ vs base, paired):',
    '  base     0.8091 ± 0.0100',
    '  teacher  0.5770 ± 0.0090  Δ -0.2321 ± 0.0040',
    'tokens carrying teacher − base (Σ logp difference, nats): top 1% of occurrences carry 18% of the gain',
    '  divergence tokens (greedy under teacher, not under base): 3.5% of 400 tokens, carrying 41% of the gain',
    '  likelier: " 087" +4.50, "," +1.25',
    '  less likely: " 1" -2.00',
  ]);
  // samples or occurrences left out are said, with what was compared
  const left = resultSummary('loss-table', { table: [
    { name: 'base', lossNats: 1, stderrNats: 0.1, deltaNats: null, deltaStderrNats: null, carriers: null },
    { name: 'steered', lossNats: 2, stderrNats: 0.1, deltaNats: 1, deltaStderrNats: 0.1, carriers: { tokens: 40, samples: 9, mismatchedSamples: 3, nonFiniteTokens: 5, top1PctShare: null, top: [], bottom: [tok(' 1', -2)] } },
  ] });
  assert.deepEqual(left.slice(3), [
    'tokens carrying steered − base (Σ logp difference, nats): top 1% of occurrences carry — of the gain',
    '  likelier: —',
    '  less likely: " 1" -2.00',
    '  left out: 3 samples (completion tokenised differently), 5 token occurrences (log-probability not finite); compared: 40 tokens in 9 samples',
  ]);
});
