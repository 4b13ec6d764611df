// Text that fits its figure (Debian Chromium, results written straight into the store, windows of
// 360–1024 px: a phone-narrow window up to a small one; below 760 px the views' links go in a row above
// the view). No two texts of a figure may overlap
// (svgTextOverlaps: a slanted label by its slanted box), and none may reach past its SVG's width ×
// height (svgTextOutside): the page shows such text (overflow: visible) but the exported SVG and PNG cut it off.
// - Legend: the loss-by-layer legend (three entries, ~700 px in one row) ran past the right edge of
//   a 538 px figure at an 800 px window; it wraps now, the figure growing by a row.
// - Layer ticks: 24 layers (each printed) at a 640 px window (half a 1280 px screen): '10'…'23' overlapped; every k-th is printed now.
// - Animal names under grouped bars: 15 animals at a 1024 px window ('hippopotamus' × 'rhinoceros', …);
//   they are slanted now, each name whole.
// - Token names and the x axis title of the token-carriers figure: a 40-character token began 37 px
//   left of the figure at an 800 px window and the title (with a long configuration name) ended past its
//   right edge; both are cut in the middle now, the full text in a <title>. At a 600 px window a 62-character
//   token took a fixed 200 px for the names and left the bars 67 px of a 338 px figure; the names now get
//   what the y axis reserves (at most 45% of the width), cut in the middle.
// - Bar value labels: the loss table's '1.600 ± 0.020' ended 12 px past a 538 px figure; the chart
//   keeps room right of the plot for them now.
// - Signal by layer, 26 layers at a 640 px window: positive signals had their values sent left of zero
//   and printed over the hook names ('blocks.1.hook_resid_post' × '+0.0064  z 1.20', 8 rows); they use
//   the room kept right of the plot now.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { barLabelOverlaps, svgTextOutside, svgTextOverlaps } from './text-overlaps.js';
import { labHarness, root, skip } from './lab-harness.js';
import { storeScanRun, storeSweepRun } from './stored-runs.js';

const h = labHarness('textfit');

/** The window resized to `width`, once every chart has taken its new width. */
async function atWidth(page: Page, width: number): Promise<void> {
  await page.setViewportSize({ width, height: 1400 });
  await page.waitForFunction(() => {
    const doc = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ clientWidth: number; querySelector(s: string): { getAttribute(a: string): string | null } | null }> } };
    const charts = Array.from(doc.document.querySelectorAll('.chart'));
    return charts.length > 0 && charts.every((c) => c.querySelector('svg')?.getAttribute('width') === String(c.clientWidth));
  });
}

/** The figure's SVG as exported (the SVG button), opened on a page of its own: texts past its box. */
async function exportedOutside(page: Page, fig: Locator): Promise<string[]> {
  const svg = await h.download(page, fig, 'SVG');
  const view = await page.context().browser()!.newPage();
  await view.setContent(svg.text.replace(/^<\?xml[^>]*>\s*/, ''));
  const out = await svgTextOutside(view.locator('body'));
  await view.close();
  return out;
}

const sweep = (deltas: number[]): string => storeSweepRun(h.ctx, deltas);
test('loss by layer at an 800 px window: the legend wraps inside the figure (it ran past its right edge) and clear of every other text', { skip, timeout: 60_000 }, async () => {
  const id = sweep([-0.0173, -0.0149, -0.0132, -0.0118, -0.0121]);
  const { page, problems } = await h.openPage(`#runs/${id}`);
  await atWidth(page, 800);
  const fig = page.getByTestId('loss-by-layer');
  await fig.locator('.legend text').first().waitFor({ timeout: 10_000 });
  // every entry, whole
  assert.deepEqual(await fig.locator('.legend text').allTextContents(), ['loss with the bias − base loss', '± 1 standard error of the paired difference', 'base model (Δ = 0)']);
  assert.deepEqual(await svgTextOutside(fig), []);
  assert.deepEqual(await svgTextOverlaps(fig), []);
  // the legend stays above the plot: its last row ends above the highest y gridline
  const [legendBottom, plotTop] = await fig.evaluate((el) => {
    type R = { getBoundingClientRect(): { top: number; bottom: number } };
    const e = el as unknown as { querySelector(s: string): R; querySelectorAll(s: string): ArrayLike<R> };
    return [e.querySelector('.legend').getBoundingClientRect().bottom, Math.min(...Array.from(e.querySelectorAll('.axis line.grid')).map((g) => g.getBoundingClientRect().top))];
  });
  assert.ok(legendBottom <= plotTop, `legend ends at ${legendBottom}, plot starts at ${plotTop}`);
  assert.deepEqual(await exportedOutside(page, fig), []);
  await fig.screenshot({ path: `${root}test-results/figure-text-fit-legend-800.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test('loss by layer, 24 layers at a 440 px window: layer ticks are thinned to every k-th so that no two overlap (at 640 px beside the views\' side column, \'10\'…\'23\' did)', { skip, timeout: 60_000 }, async () => {
  const id = sweep(Array.from({ length: 24 }, (_, l) => -0.01 - 0.005 * Math.sin(l / 3)));
  const { page, problems } = await h.openPage(`#runs/${id}`);
  await atWidth(page, 440);
  const fig = page.getByTestId('loss-by-layer');
  await fig.locator('.axis text.label').first().waitFor({ timeout: 10_000 });
  assert.deepEqual(await svgTextOverlaps(fig), []);
  assert.deepEqual(await svgTextOutside(fig), []);
  // a tick mark for each of the 24 layers; the printed ones every k-th from layer 0, k > 1
  const xAxis = fig.locator('g.axis').filter({ has: page.locator('text.label', { hasText: 'layer (' }) });
  assert.equal(await xAxis.locator('line.tick').count(), 24);
  const printed = (await xAxis.locator('text:not(.label)').allTextContents()).map(Number);
  const k = printed[1]! - printed[0]!;
  assert.ok(k > 1, printed.join(' '));
  assert.deepEqual(printed, Array.from({ length: Math.ceil(24 / k) }, (_, i) => i * k));
  await fig.screenshot({ path: `${root}test-results/figure-text-fit-24-layers-440.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test('preferences, 15 animals at a 1024 px window: the names under the grouped bars are slanted clear of each other, each whole', { skip, timeout: 60_000 }, async () => {
  const animals = ['owl', 'cat', 'lion', 'dog', 'eagle', 'dragon', 'bear', 'wolf', 'hippopotamus', 'rhinoceros', 'chimpanzee', 'hummingbird', 'salamander', 'crocodile', 'butterfly'];
  const names = ['prefs: base', 'prefs: teacher (prompt owl)', 'prefs: student (a1b2c3d4)'];
  for (const [k, name] of names.entries()) {
    const r = h.ctx.store.runs.create({ kind: 'prefs-eval', config: { name }, codeVersion: 'test' });
    h.ctx.store.runs.claim(r.id);
    h.ctx.store.runs.finish(r.id, { status: 'done', result: { name, animals: animals.map((animal, i) => ({ animal, sharePct: ((i * 7 + k * 3) % 20) + 1, stderrPct: 1, prob: null })) } });
  }
  const { page, problems } = await h.openPage('#compare');
  const boxes = page.getByTestId('prefs-runs').locator('input[type=checkbox]');
  await boxes.first().waitFor({ timeout: 10_000 });
  for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
  const fig = page.getByTestId('prefs-chart');
  await fig.locator('g.bars').first().waitFor({ timeout: 10_000 });
  await atWidth(page, 1024);
  const xAxis = fig.locator('g.axis').nth(1);
  assert.deepEqual(await xAxis.locator('text').allTextContents(), animals);
  assert.deepEqual(await svgTextOverlaps(fig), []);
  assert.deepEqual(await svgTextOutside(fig), []);
  assert.deepEqual(await exportedOutside(page, fig), []);
  await fig.screenshot({ path: `${root}test-results/figure-text-fit-prefs-15-animals-1024.png` });
  // the table of values under the chart scrolls inside its own box rather than running past the panel
  const widths = await page.getByTestId('prefs-panel').evaluate((el) => {
    const panel = el as unknown as { clientWidth: number; scrollWidth: number; querySelector(s: string): { clientWidth: number; scrollWidth: number } };
    const box = panel.querySelector('[data-testid=prefs-table-scroll]');
    return { panel: panel.clientWidth, panelScroll: panel.scrollWidth, box: box.clientWidth, boxScroll: box.scrollWidth };
  });
  assert.ok(widths.boxScroll > widths.box, `15 animals' columns are wider than the panel at 1024 px: ${JSON.stringify(widths)}`);
  assert.ok(widths.panelScroll <= widths.panel, `the table runs past the panel: ${JSON.stringify(widths)}`);
  // each value with its ± reads on one line (they were stacked '7.0' / '±' / '1.0' in narrow columns)
  const cell = page.getByTestId('prefs-table').locator('tbody tr').first().locator('td.num').first();
  const lines = await cell.evaluate((el) => {
    const e = el as unknown as { getClientRects(): ArrayLike<unknown>; firstChild: unknown; ownerDocument: { createRange(): { selectNodeContents(n: unknown): void; getClientRects(): ArrayLike<unknown> } } };
    const r = e.ownerDocument.createRange();
    r.selectNodeContents(e.firstChild);
    return r.getClientRects().length;
  });
  assert.equal(lines, 1, 'a value and its ± on one line');
  assert.deepEqual(problems, []);
  await page.close();
});

const tok = (id: number, text: string, totalDiffNats: number) => ({ id, text, count: 3, totalDiffNats, meanDiffNats: totalDiffNats / 3 });

test('token carriers at an 800 px window: a 40-character token and a long axis title stay inside the figure, cut in the middle with the full text in a <title>', { skip, timeout: 60_000 }, async () => {
  const long = 'x'.repeat(40);
  const top = [tok(1, long, 5), ...Array.from({ length: 9 }, (_, i) => tok(2 + i, ` ${i * 7}`, 4.6 - i * 0.4))];
  const bottom = Array.from({ length: 10 }, (_, i) => tok(100 + i, ` ${i}`, -3 + i * 0.2));
  const carriers = { tokens: 400, samples: 40, mismatchedSamples: 0, nonFiniteTokens: 0, meanDiffNats: 0.1, gainNats: 20, top1PctShare: 0.2, top10PctShare: 0.6, top, bottom };
  const config = 'sae-feature-bias blocks.12.hook_resid_post f1234 × 4.0';
  const row = (name: string, lossNats: number, c: unknown) => ({ name, lossNats, stderrNats: 0.02, samples: 40, tokens: 400, pooledNats: lossNats, deltaNats: null, deltaStderrNats: null, carriers: c });
  const r = h.ctx.store.runs.create({ kind: 'loss-table', config: { configs: [] }, codeVersion: 'test' });
  h.ctx.store.runs.claim(r.id);
  h.ctx.store.runs.finish(r.id, { status: 'done', result: { table: [row('base', 1.6, null), row(config, 1.5, carriers)] } });
  const { page, problems } = await h.openPage(`#runs/${r.id}`);
  await atWidth(page, 800);
  const fig = page.getByTestId('token-carriers');
  await fig.locator('g.bar-row').first().waitFor({ timeout: 10_000 });
  assert.deepEqual(await svgTextOutside(fig), []);
  assert.deepEqual(await svgTextOverlaps(fig), []);
  // the long token's name: both ends kept, the whole of it on hover
  const yAxis = fig.locator('g.axis').nth(1);
  const first = (await yAxis.locator('text').first().textContent()) ?? '';
  assert.match(first, /^"x+…x+"$/);
  assert.ok(first.length < 42, first);
  assert.equal(await yAxis.locator('title').first().textContent(), JSON.stringify(long));
  // the x axis title likewise
  const title = `Σ d (nats): likelier under ${config} →`;
  const xLabel = (await fig.locator('text.label').textContent()) ?? '';
  assert.notEqual(xLabel, title);
  assert.ok(xLabel.startsWith('Σ d (nats): likelier under sae-') && xLabel.endsWith(' × 4.0 →') && xLabel.includes('…'), xLabel);
  assert.equal(await fig.locator('g.axis').first().locator('title').textContent(), title);
  assert.deepEqual(await exportedOutside(page, fig), []);
  await fig.screenshot({ path: `${root}test-results/figure-text-fit-token-carriers-800.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test('token carriers at a 600 px window with a 62-character token: the plot keeps a quarter of the figure (the token names took 200 px and left the bars 67 px of 338)', { skip, timeout: 60_000 }, async () => {
  const long = 'y'.repeat(62);
  const top = [tok(1, long, 5), ...Array.from({ length: 4 }, (_, i) => tok(2 + i, ` ${i * 7}`, 4.6 - i * 0.4))];
  const bottom = Array.from({ length: 5 }, (_, i) => tok(100 + i, ` ${i}`, -3 + i * 0.2));
  const carriers = { tokens: 400, samples: 40, mismatchedSamples: 0, nonFiniteTokens: 0, meanDiffNats: 0.1, gainNats: 20, top1PctShare: 0.2, top10PctShare: 0.6, top, bottom };
  const row = (name: string, lossNats: number, c: unknown) => ({ name, lossNats, stderrNats: 0.02, samples: 40, tokens: 400, pooledNats: lossNats, deltaNats: null, deltaStderrNats: null, carriers: c });
  const r = h.ctx.store.runs.create({ kind: 'loss-table', config: { configs: [] }, codeVersion: 'test' });
  h.ctx.store.runs.claim(r.id);
  h.ctx.store.runs.finish(r.id, { status: 'done', result: { table: [row('base', 1.6, null), row('teacher', 1.5, carriers)] } });
  const { page, problems } = await h.openPage(`#runs/${r.id}`);
  await atWidth(page, 600);
  const fig = page.getByTestId('token-carriers');
  await fig.locator('g.bar-row').first().waitFor({ timeout: 10_000 });
  // every bar inside the SVG, and the plot at least a quarter of its width (the zero line to the widest bar's far end)
  const [svgW, bars] = await fig.evaluate((el) => {
    type R = { getBoundingClientRect(): { left: number; right: number; width: number } };
    const svg = (el as unknown as { querySelector(s: string): R }).querySelector('svg');
    const box = svg.getBoundingClientRect();
    const rects = Array.from((el as unknown as { querySelectorAll(s: string): ArrayLike<R> }).querySelectorAll('g.bar-row rect')).map((r) => r.getBoundingClientRect());
    return [box.width, rects.map((b) => [b.left - box.left, b.right - box.left])] as const;
  });
  assert.ok(bars.length >= 10, `${bars.length} bars`);
  for (const [l, r] of bars) assert.ok(l >= 0 && r <= svgW, `bar from x ${l.toFixed(1)} to ${r.toFixed(1)} in a ${svgW} px figure`);
  const span = Math.max(...bars.map(([, r]) => r)) - Math.min(...bars.map(([l]) => l));
  assert.ok(span >= svgW / 4, `bars span ${span.toFixed(1)} px of ${svgW}`);
  assert.deepEqual(await svgTextOutside(fig), []);
  assert.deepEqual(await svgTextOverlaps(fig), []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('loss table at an 800 px window: the bars\' value labels end inside the figure (\'1.600 ± 0.020\' ended 12 px past its right edge)', { skip, timeout: 60_000 }, async () => {
  const row = (name: string, lossNats: number) => ({ name, lossNats, stderrNats: 0.02, samples: 40, tokens: 400, pooledNats: lossNats, deltaNats: null, deltaStderrNats: null });
  const r = h.ctx.store.runs.create({ kind: 'loss-table', config: { configs: [] }, codeVersion: 'test' });
  h.ctx.store.runs.claim(r.id);
  h.ctx.store.runs.finish(r.id, { status: 'done', result: { table: [row('base', 1.6), row('sae-feature-bias blocks.12.hook_resid_post f1234 × 4.0', 1.5)] } });
  const { page, problems } = await h.openPage(`#runs/${r.id}`);
  await atWidth(page, 800);
  const table = page.getByTestId('loss-table');
  await table.locator('g.bar-row').first().waitFor({ timeout: 10_000 });
  assert.deepEqual(await table.locator('g.bar-row text').allTextContents(), ['1.600 ± 0.020', '1.500 ± 0.020']);
  assert.deepEqual(await svgTextOutside(table), []);
  assert.deepEqual(await svgTextOverlaps(table), []);
  assert.deepEqual(await barLabelOverlaps(table), []);
  assert.deepEqual(await exportedOutside(page, table), []);
  await table.screenshot({ path: `${root}test-results/figure-text-fit-loss-table-800.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test('signal by layer, 26 layers at a 640 px window: positive signals print their values right of their bars, not over the hook names', { skip, timeout: 60_000 }, async () => {
  // Gemma 2 2B's 26 layers; signals between −0.012 and +0.008 nats/token
  const id = storeScanRun(h.ctx, { suspect: [0.0234, 0.0031], control: [0.0114, 0.0029], layers: 26 });
  const { page, problems } = await h.openPage(`#runs/${id}`);
  await atWidth(page, 640);
  const fig = page.getByTestId('signal-by-layer');
  await fig.locator('g.bar-row').first().waitFor({ timeout: 10_000 });
  // (layer 1's signal: 0.01 · sin 1 − 0.002 = +0.0064)
  assert.equal(await fig.locator('g.bar-row').nth(1).locator('text').textContent(), '+0.0064  z 1.20');
  assert.deepEqual(await barLabelOverlaps(fig), []);
  assert.deepEqual(await svgTextOverlaps(fig), []);
  assert.deepEqual(await svgTextOutside(fig), []);
  await fig.screenshot({ path: `${root}test-results/figure-text-fit-signal-by-layer-640.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test('signal by layer at a 440 px window: the plot keeps a quarter of the figure (a fixed 190 px of hook names left it 8 px of 298 at 560 px beside the views\' side column) and the rows keep their layer numbers', { skip, timeout: 60_000 }, async () => {
  const layers = Array.from({ length: 12 }, (_, l) => l);
  const id = storeScanRun(h.ctx, { suspect: [0.0234, 0.0031], control: [0.0114, 0.0029], layers: layers.length });
  const { page, problems } = await h.openPage(`#runs/${id}`);
  await atWidth(page, 440);
  const fig = page.getByTestId('signal-by-layer');
  await fig.locator('g.bar-row').first().waitFor({ timeout: 10_000 });
  // the plot: from the left end of the x axis' gridlines to their right end
  const [svgW, plotW] = await fig.evaluate((el) => {
    type R = { getBoundingClientRect(): { left: number; right: number; width: number } };
    const q = el as unknown as { querySelector(s: string): R; querySelectorAll(s: string): ArrayLike<R> };
    const xs = Array.from(q.querySelectorAll('g.axis line.grid')).map((l) => l.getBoundingClientRect().left);
    return [q.querySelector('svg').getBoundingClientRect().width, Math.max(...xs) - Math.min(...xs)] as const;
  });
  assert.ok(plotW >= svgW / 4, `plot gridlines span ${plotW.toFixed(1)} px of ${svgW}`);
  // the names keep what tells the rows apart (a middle cut made every row 'blocks....d_post'); the full name on hover
  const yAxis = fig.locator('g.axis').nth(1);
  assert.deepEqual(await yAxis.locator('text').allTextContents(), layers.map((_, l) => `blocks.${l}`));
  assert.equal(await yAxis.locator('title').first().textContent(), 'blocks.0.hook_resid_post');
  await fig.screenshot({ path: `${root}test-results/figure-text-fit-signal-by-layer-440.png` });
  assert.deepEqual(await barLabelOverlaps(fig), []);
  assert.deepEqual(await svgTextOverlaps(fig), []);
  assert.deepEqual(await svgTextOutside(fig), []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('signal scan with two negative drops (the demo example\'s) at 560 and 720 px windows: the values sent right of zero end inside the figure (they ran 6–41 px past it)', { skip, timeout: 60_000 }, async () => {
  const id = storeScanRun(h.ctx, { suspect: [-0.008, 0.0063], control: [-0.0063, 0.0039] });
  const { page, problems } = await h.openPage(`#runs/${id}`);
  for (const w of [720, 560]) {
    await atWidth(page, w);
    const fig = page.getByTestId('signal-scan');
    await fig.locator('g.bar-row').first().waitFor({ timeout: 10_000 });
    assert.deepEqual(await fig.locator('g.bar-row text').allTextContents(), ['−0.0080 ± 0.0063', '−0.0063 ± 0.0039']);
    assert.deepEqual(await svgTextOutside(fig), [], `${w} px`);
    assert.deepEqual(await barLabelOverlaps(fig), [], `${w} px`);
    assert.deepEqual(await svgTextOverlaps(fig), [], `${w} px`);
    assert.deepEqual(await exportedOutside(page, fig), [], `${w} px, exported`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('the scan and loss tables at a 360 px window scroll inside their figure (at 560 px beside the views\' side column they ran past its right edge)', { skip, timeout: 60_000 }, async () => {
  const scan = { id: storeScanRun(h.ctx, { suspect: [-0.008, 0.0063], control: [-0.0063, 0.0039] }) };
  const row = (name: string, lossNats: number) => ({ name, lossNats, stderrNats: 0.02, samples: 40, tokens: 400, pooledNats: lossNats, deltaNats: name === 'base' ? null : -0.016, deltaStderrNats: name === 'base' ? null : 0.004 });
  const lt = h.ctx.store.runs.create({ kind: 'loss-table', config: { configs: [] }, codeVersion: 'test' });
  h.ctx.store.runs.claim(lt.id);
  h.ctx.store.runs.finish(lt.id, { status: 'done', result: { table: [row('base', 1.606), row('owl teacher', 1.59)] } });
  for (const [id, figId, scroll] of [[scan.id, 'signal-scan', 'scan-table-scroll'], [lt.id, 'loss-table', 'loss-table-rows-scroll']] as const) {
    const { page, problems } = await h.openPage(`#runs/${id}`);
    await atWidth(page, 360);
    const fig = page.getByTestId(figId);
    const box = fig.getByTestId(scroll);
    await box.waitFor({ timeout: 10_000 });
    const [figRight, boxRight, scrollW, clientW] = await box.evaluate((el) => {
      type E = { getBoundingClientRect(): { right: number }; scrollWidth: number; clientWidth: number; closest(s: string): E };
      const e = el as unknown as E;
      return [e.closest('figure').getBoundingClientRect().right, e.getBoundingClientRect().right, e.scrollWidth, e.clientWidth];
    });
    assert.ok(boxRight <= figRight + 0.5, `${figId}: the table's box ends at ${boxRight}, the figure at ${figRight}`);
    assert.ok(scrollW > clientW, `${figId}: at this width the table is wider than its box (${scrollW} vs ${clientW}) and scrolls`);
    assert.deepEqual(problems, []);
    await page.close();
  }
});
