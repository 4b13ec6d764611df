// Text layout in real figures (Debian Chromium), on results written straight into the store.
// - Bar value labels: the example experiment's scan on the demo model had negative drops whose whiskers
//   reach the plot's left edge, and their values were printed over the dataset names ('−0.0080 ± 0.0063'
//   over 'suspect'). Each label must cover neither its bar nor any axis text, and still read the stored value.
// - The y axis: the same example's loss-by-layer figure has ticks like '−0.020', and the rotated axis title
//   was drawn over them. No two texts of a figure may overlap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barLabelOverlaps, svgTextOverlaps } from './text-overlaps.js';
import { labHarness, root, skip } from './lab-harness.js';
import { storeSweepRun } from './stored-runs.js';

const h = labHarness('textlayout');

const side = (dropNats: number, dropStderrNats: number) => ({ trainSamples: 96, heldOutSamples: 32, baseLossNats: 1.55, biasedLossNats: 1.55 - dropNats, dropNats, dropStderrNats });

function scanRun(result: Record<string, unknown>): string {
  const r = h.ctx.store.runs.create({ kind: 'signal-scan', config: {}, codeVersion: 'test' });
  h.ctx.store.runs.claim(r.id);
  h.ctx.store.runs.finish(r.id, { status: 'done', result });
  return r.id;
}

const scan = {
  hook: 'blocks.2.hook_resid_post', signalNats: -0.0017, signalStderrNats: 0.0078, z: -0.22, biasCosine: 0.37, pairs: 32,
  suspect: side(-0.008, 0.0063), control: side(-0.0063, 0.0039), vectorIds: { suspect: null, control: null },
};

test('signal scan: negative drops with whiskers to the plot\'s edge print their values clear of the bars and the dataset names', { skip, timeout: 60_000 }, async () => {
  const id = scanRun(scan);
  const { page, problems } = await h.openPage(`#runs/${id}`, 1200);
  const fig = page.getByTestId('signal-scan');
  await fig.locator('g.bar-row').first().waitFor({ timeout: 10_000 });
  assert.deepEqual(await fig.locator('g.bar-row text').allTextContents(), ['−0.0080 ± 0.0063', '−0.0063 ± 0.0039']);
  assert.deepEqual(await barLabelOverlaps(fig), []);
  assert.deepEqual(await svgTextOverlaps(fig), []);
  await fig.screenshot({ path: `${root}test-results/bar-labels-signal-scan.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test('signal scan by layer: negative signals print their values clear of the bars and the hook names', { skip, timeout: 60_000 }, async () => {
  const layers = [
    { hook: 'blocks.0.hook_resid_post', signalNats: -0.012, signalStderrNats: 0.009, z: -1.33, pairs: 32, biasCosine: 0.2, suspectDropNats: -0.02, controlDropNats: -0.008 },
    { hook: 'blocks.1.hook_resid_post', signalNats: -0.004, signalStderrNats: 0.003, z: -1.33, pairs: 32, biasCosine: 0.3, suspectDropNats: -0.01, controlDropNats: -0.006 },
    { hook: 'blocks.2.hook_resid_post', signalNats: 0.001, signalStderrNats: 0.002, z: 0.5, pairs: 32, biasCosine: 0.4, suspectDropNats: -0.005, controlDropNats: -0.006 },
  ];
  const id = scanRun({ ...scan, hook: 'blocks.2.hook_resid_post', signalNats: 0.001, signalStderrNats: 0.002, z: 0.5, bonferroniZ: 2.39, layers });
  const { page, problems } = await h.openPage(`#runs/${id}`, 1400);
  for (const testId of ['signal-by-layer', 'signal-scan']) {
    const fig = page.getByTestId(testId);
    await fig.locator('g.bar-row').first().waitFor({ timeout: 10_000 });
    assert.deepEqual(await barLabelOverlaps(fig), [], testId);
    assert.deepEqual(await svgTextOverlaps(fig), [], testId);
    await fig.screenshot({ path: `${root}test-results/bar-labels-${testId}-by-layer.png` });
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('loss by layer: ticks such as −0.020 leave room for the rotated axis title (it was drawn over them); no two texts overlap', { skip, timeout: 60_000 }, async () => {
  // a finished 5-layer sweep whose biases lower the loss by 0.012–0.017 nats/token (the demo example's scale)
  const id = storeSweepRun(h.ctx, [-0.0173, -0.0149, -0.0132, -0.0118, -0.0121]);
  const { page, problems } = await h.openPage(`#runs/${id}`, 1200);
  const fig = page.getByTestId('loss-by-layer');
  await fig.locator('.axis text.label').first().waitFor({ timeout: 10_000 });
  const ticks = await fig.locator('.axis text:not(.label)').allTextContents();
  assert.ok(ticks.includes('−0.020'), ticks.join(' '));
  assert.deepEqual(await svgTextOverlaps(fig), []);
  await fig.screenshot({ path: `${root}test-results/figure-text-layout-loss-by-layer.png` });
  assert.deepEqual(problems, []);
  await page.close();
});
