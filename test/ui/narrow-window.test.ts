// A narrow window (560 px: half of a 1120 px screen) in Debian Chromium against `serve`: no view is
// wider than the window, and the views' links sit in a row above the view instead of a 180 px column.
// Before: Compare was 637 px wide (its two set editors had a 320 px minimum each, beside the column),
// a dataset's sample pager 729 px (its go-to-row form did not wrap), and long select options and
// paths widened Detect and Features.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labHarness, skip } from './lab-harness.js';

const h = labHarness('narrow');

test('at a 560 px window every view fits the window, and the view links run in a row above it', { skip, timeout: 120_000 }, async () => {
  // enough rows for the sample pager's go-to-row form (more than two pages)
  const more = Array.from({ length: 120 }, (_, i) => ({ idx: 12 + i, prompt: `List some numbers, please (${i}).`, completion: `${i}, ${i + 1}, ${i + 2}` }));
  await h.api('datasets.addSamples', { datasetId: h.datasetId, samples: more });
  const views = ['#detect', '#datasets', `#datasets/${h.datasetId}`, '#compare', '#features', '#runs', '#jobs', '#engine'];
  for (const hash of views) {
    const { page, problems } = await h.openPage(hash, 1200);
    await page.setViewportSize({ width: 560, height: 1200 });
    await page.locator('main.content .panel').first().waitFor({ timeout: 10_000 });
    // the engine view's self-check runs ORT sessions: let it finish before the page (and then the store) closes
    if (hash === '#engine') await page.getByTestId('selfcheck').filter({ hasText: /PASS|FAIL/ }).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(300);
    const [scrollW, links] = await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number }; querySelectorAll(s: string): ArrayLike<{ getBoundingClientRect(): { top: number } }> } }).document;
      return [d.documentElement.scrollWidth, Array.from(d.querySelectorAll('.sidenav a')).map((a) => Math.round(a.getBoundingClientRect().top))] as const;
    });
    assert.ok(scrollW <= 560, `${hash}: the page is ${scrollW} px wide in a 560 px window`);
    assert.ok(links.length >= 7 && new Set(links).size <= 2, `${hash}: the view links' tops ${links.join(', ')} (a row, wrapping at most once)`);
    assert.deepEqual(problems, [], hash);
    await page.close();
  }
});
