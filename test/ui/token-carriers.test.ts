// The loss table's token-carriers figure (src-renderer/src/views/lab/TokenCarriers.svelte) in a real
// browser (Debian Chromium) on loss-table results written straight into the store: the headline says
// what was left out and never claims a gain was looked for when nothing could be compared; the CSV
// quotes a token such as '\r'; a negative bar's value is printed left of the bar, not over it; a
// configuration whose loss is NaN draws no bar; a run from before the carriers were recorded still
// shows its table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barLabelOverlaps } from './text-overlaps.js';
import { labHarness, skip } from './lab-harness.js';

const h = labHarness('carriers');

const tok = (id: number, text: string, count: number, totalDiffNats: number) => ({ id, text, count, totalDiffNats, meanDiffNats: totalDiffNats / count });
const row = (name: string, lossNats: number, carriers: unknown, extra: Record<string, unknown> = {}) => ({
  name, lossNats, stderrNats: 0.1, samples: 12, tokens: 60, pooledNats: lossNats, deltaNats: null, deltaStderrNats: null, ...(carriers === undefined ? {} : { carriers }), ...extra,
});

function lossTableRun(table: unknown[]): string {
  const r = h.ctx.store.runs.create({ kind: 'loss-table', config: { configs: [] }, codeVersion: 'test' });
  h.ctx.store.runs.claim(r.id);
  h.ctx.store.runs.finish(r.id, { status: 'done', result: { table } });
  return r.id;
}

test('token carriers: headline with what was left out, nothing-compared wording, CSV quoting of CR, labels of negative bars', { skip, timeout: 60_000 }, async () => {
  const steered = {
    tokens: 40, samples: 9, mismatchedSamples: 3, nonFiniteTokens: 5, meanDiffNats: 0.25, gainNats: 12, top1PctShare: 0.5, top10PctShare: 0.75,
    top: [tok(10, '\r', 2, 3), tok(11, 'a,"b"', 1, 1)], bottom: [tok(12, ' 1', 4, -2), tok(13, ' 2', 2, -0.5)],
  };
  // every score NaN (a diverged configuration): JSON writes NaN as null
  const broken = { tokens: 0, samples: 9, mismatchedSamples: 0, nonFiniteTokens: 50, meanDiffNats: null, gainNats: 0, top1PctShare: null, top10PctShare: null, top: [], bottom: [] };
  const id = lossTableRun([row('base', 1, null), row('steered', 0.75, steered), row('broken', NaN, broken)]);
  const { page, problems } = await h.openPage(`#runs/${id}`, 1600);
  const figs = page.getByTestId('token-carriers');
  await figs.first().waitFor({ timeout: 10_000 });
  assert.equal(await figs.count(), 2);
  const fig = page.locator('[data-testid=token-carriers][data-config=steered]');
  const head = ((await fig.getByTestId('carriers-headline').textContent()) ?? '').replace(/\s+/g, ' ');
  assert.match(head, /Mean d \+0\.2500 nats\/token over 40 tokens in 9 samples · the 1% of occurrences with the largest d \(1 of 40\) carry 50% of the gain \(12\.000 nats\), the top 10% \(4\) carry 75%\./);
  assert.match(head, /3 samples left out: their completion tokenises differently in the two contexts\./);
  assert.match(head, /5 token occurrences left out: a log-probability is not finite \(NaN or −∞\)\./);

  const bad = page.locator('[data-testid=token-carriers][data-config=broken]');
  const badHead = ((await bad.getByTestId('carriers-headline').textContent()) ?? '').replace(/\s+/g, ' ');
  assert.match(badHead, /No completion token could be compared\./);
  assert.doesNotMatch(badHead, /gains on no token|Mean d/);
  assert.match(badHead, /50 token occurrences left out/);
  assert.equal(await bad.locator('rect.bar').count(), 0);

  // the CSV: a lone CR and a comma/quote are quoted cells (RFC 4180), numbers as stored
  const csv = await h.download(page, fig, 'CSV');
  assert.equal(csv.text, [
    // (a stored result without divergence counts: the last column stays empty)
    'list,rank,token_id,token_text,count,total_diff_nats,mean_diff_nats_per_occurrence,divergence_tokens',
    'gained,1,10,"\r",2,3,1.5,',
    'gained,2,11,"a,""b""",1,1,1,',
    'lost,1,12, 1,4,-2,-0.5,',
    'lost,2,13, 2,2,-0.5,-0.25,',
  ].join('\n') + '\n');

  // each bar's printed value lies past the bar's end, not over its fill
  const geo = await fig.locator('g.bar-row').evaluateAll((gs) => gs.map((g) => {
    const e = g as unknown as { querySelector(s: string): { getBBox(): { x: number; width: number }; textContent: string } };
    const r = e.querySelector('rect').getBBox();
    const t = e.querySelector('text').getBBox();
    return { label: e.querySelector('text').textContent, barLeft: r.x, barRight: r.x + r.width, textLeft: t.x, textRight: t.x + t.width };
  }));
  assert.deepEqual(geo.map((g) => g.label), ['+3.00', '+1.00', '−0.50', '−2.00']);
  // the tokens are named in JSON quotes, so a quote, a space or a carriage return stays readable
  assert.deepEqual(await fig.locator('g.bar-row').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-name'))), ['"\\r"', '"a,\\"b\\""', '" 2"', '" 1"']);
  for (const g of geo) assert.ok(g.textLeft >= g.barRight || g.textRight <= g.barLeft, `a value is printed over its bar: ${JSON.stringify(g)}`);
  // nor over the token names or tick labels (the longest loss reaches the plot's left edge)
  assert.deepEqual(await barLabelOverlaps(fig), []);
  // the loss chart: the NaN configuration's row has its label ('—') and no bar (no NaN geometry: no console errors)
  const lossRows = page.getByTestId('loss-table').locator('g.bar-row');
  assert.equal(await lossRows.count(), 3);
  assert.equal(await lossRows.locator('rect.bar').count(), 2);
  assert.equal(await lossRows.nth(2).locator('text').textContent(), '—');
  assert.deepEqual(problems, []);
  await page.close();
});

test('token carriers: a loss-table run stored before carriers were recorded shows its table and no carriers figure', { skip, timeout: 30_000 }, async () => {
  const id = lossTableRun([row('base', 1, undefined), row('teacher', 0.8, undefined, { deltaNats: -0.2, deltaStderrNats: 0.05 })]);
  const { page, problems } = await h.openPage(`#runs/${id}`);
  await page.getByTestId('lab-results').locator('table tbody tr').nth(1).waitFor({ timeout: 10_000 });
  assert.equal(await page.getByTestId('lab-results').locator('table tbody tr').count(), 2);
  assert.equal(await page.getByTestId('token-carriers').count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});
