// Feature statistics (Features view), teacher datasets (Datasets view) and animal preferences
// (Compare view) in a real browser (Debian Chromium) against `serve` on a temporary store, with the
// tiny real model (stories260k) and a tiny SAELens SAE inside the store's folder (allowed paths).
// Each starts its job from the UI at small sizes. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { bgOf, labHarness, root, skip } from './lab-harness.js';

const h = labHarness('stats');
const { model, sae, api, openPage, download, inspectModel } = h;

/** A residual bias at `hook` trained for 4 steps on the tiny dataset: its run and its stored vector. */
async function quickBias(hook: string, name: string) {
  const tb = await api('jobs.start', { kind: 'train-bias', params: { model, datasetId: h.datasetId, raw: true, steps: 4, batch: 4, set: { items: [{ kind: 'resid_bias', hook, trainable: true }] }, name } });
  assert.equal((await h.ctx.jobs.runner.wait(tb.id)).status, 'done');
  return { tb, vec: (await api('runs.vectors', { runId: tb.id }))[0] };
}

test('Features: a feature-stats run from the form; density histogram with dead count and CSV; sortable paged table; top contexts coloured by activation', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage('#features', 1400);
  await inspectModel(page, 'features-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  await page.locator('#features-sae').fill(sae);
  await page.getByTestId('features-form').getByRole('button', { name: 'Inspect' }).nth(1).click();
  await page.getByTestId('sae-summary').waitFor({ timeout: 10_000 });

  const panel = page.getByTestId('feature-stats');
  await panel.getByText('Start a feature-stats run').click();
  const form = page.getByTestId('fstats-form');
  await form.getByTestId('fstats-dataset').selectOption(h.datasetId);
  await form.getByLabel('contexts', { exact: true }).fill('6');
  await form.getByLabel('context length').fill('16');
  await form.getByLabel('top contexts').fill('4');
  await form.getByRole('button', { name: 'Start' }).click();
  const hist = page.getByTestId('density-histogram');
  await hist.waitFor({ timeout: 40_000 });
  assert.equal(await page.getByTestId('fstats-start-error').count(), 0);

  const runs = await api('featureStats.runs', {});
  assert.equal(runs.length, 1);
  assert.equal(runs[0].features, 32);
  assert.equal(await page.getByTestId('dead-count').textContent(), `${runs[0].dead} dead`);
  const live = 32 - runs[0].dead;
  assert.ok(live > 0, 'some features fire on the corpus');
  const counts = await hist.locator('rect.bin').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
  assert.equal(counts.reduce((a, b) => a + b, 0), live, 'the histogram counts every live feature');
  const csv = await download(page, hist, 'CSV');
  assert.match(csv.text, /^log10_density_lo,log10_density_hi,live_features\n/);
  // every data row is numeric; the dead count is a provenance line
  const rows = csv.text.trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  assert.ok(rows.length > 0 && rows.every((r) => r.length === 3 && r.every(Number.isFinite)), csv.text);
  assert.equal(rows.reduce((a, r) => a + r[2]!, 0), live);
  assert.match(csv.raw, new RegExp(`^# dead: ${runs[0].dead}$`, 'm'));

  // the whole table as CSV: every feature with its counts and units in the column names, equal to the API's rows
  const tcsv = await download(page, page.getByRole('group', { name: 'Export feature table' }), 'CSV');
  const tlines = tcsv.text.trim().split('\n');
  assert.equal(tlines[0], 'feature,n_tokens,n_active,density_share_of_tokens,mean_act_when_active_sae_units,max_act_sae_units,label,fires_on_tokens');
  assert.equal(tlines.length, 1 + 32);
  const apiRows = (await api('featureStats.list', { runId: runs[0].runId, order: 'index', limit: 32 })).rows;
  apiRows.forEach((r: { featureIndex: number; nActive: number; density: number }, i: number) => {
    const f = tlines[1 + i]!.split(',');
    assert.deepEqual([Number(f[0]), Number(f[2]), Number(f[3])], [r.featureIndex, r.nActive, r.density]);
  });

  // the table: 32 rows by index; by density, densest first
  const table = page.getByTestId('fstats-table');
  assert.equal(await table.locator('tbody tr').count(), 32);
  // unlabelled features show the tokens they fire hardest on in this run: the API's firesOn, row by row
  const hints = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => {
    const cell = (tr as unknown as { querySelector(s: string): { querySelectorAll(s: string): { textContent: string }[] } | null }).querySelector('[data-testid=fires-on]');
    return cell ? [...cell.querySelectorAll('code')].map((c) => c.textContent) : null;
  }));
  const apiHints = apiRows.map((r: { firesOn: string[] | null; nActive: number }) => r.firesOn);
  assert.deepEqual(hints, apiHints);
  assert.ok(apiHints.filter(Boolean).length > 0 && apiHints.every((h: string[] | null, i: number) => (h === null) === (apiRows[i].nActive === 0)), 'every live unlabelled feature has a hint');
  assert.equal(await table.locator('tbody tr').first().getAttribute('data-feature'), '0');
  await table.getByRole('button', { name: /^Max act/ }).click();
  await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=fstats-table] th[aria-sort=descending]') !== null);
  const strongest = (await api('featureStats.list', { runId: runs[0].runId, order: 'strongest', limit: 1 })).rows[0];
  await table.locator(`tbody tr[data-feature="${strongest.featureIndex}"]`).first().waitFor();
  assert.equal(await table.locator('tbody tr').first().getAttribute('data-feature'), String(strongest.featureIndex));
  await table.locator('tbody tr').first().getByRole('button').click();

  // its top contexts: the best is full blue (its value is the max), hover text shows the value
  const card = page.getByTestId('fstats-feature');
  await card.waitFor();
  const strips = card.getByTestId('fstats-context');
  assert.ok((await strips.count()) >= 1 && (await strips.count()) <= 4);
  const tok = strips.first().locator('.tok');
  assert.deepEqual(await tok.evaluate(bgOf), [33, 102, 172]);
  assert.match((await tok.getAttribute('title')) ?? '', /^activation \d/);
  // a jump by index: back to index order, the feature's card shown; out of range says the range
  const featureBox = page.getByTestId('feature-stats').getByRole('spinbutton', { name: 'feature' });
  await featureBox.fill('40');
  await page.getByTestId('feature-stats').getByRole('button', { name: 'Go', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'a feature index from 0 to 31' }).waitFor();
  await featureBox.fill('17');
  await page.getByTestId('feature-stats').getByRole('button', { name: 'Go', exact: true }).click();
  await page.locator('#fstats-feature-title').filter({ hasText: 'Feature 17' }).waitFor();
  await table.locator('th[aria-sort=ascending]').filter({ hasText: 'Index' }).waitFor();
  await table.locator('tbody tr').first().and(table.locator('tr[data-feature="0"]')).waitFor();
  assert.equal(await table.locator('tr.selected').getAttribute('data-feature'), '17', 'index order again, the feature marked');
  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/features-stats.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Features: switching feature-stats runs while the first run\'s table reply is slow shows the second run\'s table', { skip, timeout: 60_000 }, async () => {
  // a second run on fewer contexts (other token counts), with the first run's settings otherwise
  const [first] = await api('featureStats.runs', {});
  const cfg = (await api('runs.get', { id: first.runId })).config;
  const second = await api('jobs.start', { kind: 'feature-stats', params: { ...cfg, maxContexts: 3 } });
  for (let i = 0; i < 300 && (await api('runs.get', { id: second.id })).status !== 'done'; i++) await new Promise((r) => setTimeout(r, 100));
  const runs = await api('featureStats.runs', {});
  const b = runs.find((r: { runId: string }) => r.runId === second.id);
  assert.ok(b && b.nTokens !== first.nTokens, 'the two runs counted different tokens');
  const { page, problems } = await openPage('#features', 1400);
  const table = page.getByTestId('fstats-table');
  await page.getByTestId('fstats-run').waitFor({ timeout: 15_000 });
  // the first run's table replies take 1.5 s
  await page.route('**/api/featureStats.list', async (route) => {
    if (JSON.parse(route.request().postData() ?? '{}').runId === first.runId) await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await page.getByTestId('fstats-run').selectOption(first.runId);
  await page.getByTestId('fstats-run').selectOption(second.id);
  await page.waitForTimeout(2500); // the slow reply has landed
  const title = await table.locator('tbody tr').first().locator('td.num').first().getAttribute('title');
  assert.equal(title, `${(await api('featureStats.list', { runId: second.id, limit: 1 })).rows[0].nActive} of ${b.nTokens} tokens`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Detect read-out: a feature without a label shows the tokens it fires hardest on (the SAE\'s newest feature-stats run)', { skip, timeout: 60_000 }, async () => {
  const { tb, vec } = await quickBias('blocks.2.hook_resid_post', 'notes bias');
  const ro = await api('lab.readout', { vectorId: vec.id, model, sae });
  const [newest] = await api('featureStats.runs', {});
  assert.deepEqual(ro.firesOnRun, { runId: newest.runId, nTokens: newest.nTokens });
  // the API's tokens are the newest run's top contexts' activating tokens (distinct, at most 3)
  const withTokens = ro.topFeatures.filter((f: { firesOn?: string[] }) => f.firesOn);
  assert.ok(withTokens.length >= 5, `${withTokens.length} of ${ro.topFeatures.length} features have tokens`);
  const f0 = withTokens[0];
  const stat = (await api('featureStats.get', { runId: newest.runId, featureIndex: f0.index }))[0];
  assert.deepEqual(f0.firesOn, [...new Set(stat.top.map((t: { text: { token: string } }) => t.text.token))].slice(0, 3));

  const { page, problems } = await openPage(`#detect/${tb.id}`, 1400);
  const detail = page.getByTestId('run-detail');
  await detail.getByLabel('SAE for the feature ranking').fill(sae);
  await detail.getByRole('button', { name: 'Use', exact: true }).click();
  const features = detail.getByTestId('readout-features');
  // (the demo SAE's read-out shows first: the form starts on it, and the store has no stats of it)
  await detail.getByTestId('fires-on-source').waitFor({ timeout: 20_000 });
  const cells = await features.locator('tbody tr td:last-child').allTextContents();
  // (whitespace aside: the tokens' own spaces show inside their chips)
  const bare = (x: string) => x.replace(/\s+/g, '');
  assert.deepEqual(cells.map(bare), ro.topFeatures.map((f: { label?: string; firesOn?: string[] }) => bare(f.label ?? (f.firesOn ? `fires on ${f.firesOn.join('')}` : '—'))));
  assert.match((await detail.getByTestId('fires-on-source').textContent()) ?? '', new RegExp(`feature-statistics run ${newest.runId.slice(0, 8)}.*\\(${newest.nTokens} tokens\\)`));
  await features.screenshot({ path: `${root}test-results/detect-readout-fires-on.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Datasets: a system-prompt teacher dataset from the form; the detail shows its pass rate and reason histogram', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage('#datasets');
  await page.getByText('Generate teacher dataset').click();
  const form = page.getByTestId('teacher-form');
  await form.locator('#teacher-model').fill(model);
  await form.getByLabel('system prompt').check();
  await form.locator('#teacher-animal').fill('owl');
  await form.getByLabel('n', { exact: true }).fill('8');
  await form.getByLabel('batch', { exact: true }).fill('8');
  await form.getByLabel('max new').fill('12');
  await form.getByRole('button', { name: 'Generate' }).click();
  await page.getByTestId('teacher-result').waitFor({ timeout: 40_000 });
  assert.equal(await page.getByTestId('teacher-error').count(), 0);
  const detail = page.getByTestId('dataset-detail');
  await detail.waitFor({ timeout: 10_000 });
  assert.match((await detail.locator('h2').textContent()) ?? '', /numbers: prompt owl/);
  const reasons = detail.getByTestId('filter-reasons');
  await reasons.waitFor();
  const d = (await api('datasets.list', {})).find((x: any) => x.name === 'numbers: prompt owl');
  const f = d.filter as { generated: number; passed: number; reasons: Record<string, number> };
  assert.equal(f.generated, 8);
  assert.equal(await reasons.locator('.bar-row').count(), 1 + Object.keys(f.reasons).length);
  const csv = await download(page, reasons, 'CSV');
  assert.equal(csv.text.trim().split('\n').length, 2 + Object.keys(f.reasons).length);
  assert.match(csv.text, new RegExp(`^outcome,count\npassed,${f.passed}\n`));
  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/datasets-teacher.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Datasets: a JSONL file imports from the file picker (filter verdicts), is selected, and downloads back as JSONL; a bad line is named', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage('#datasets');
  const rows = [
    { prompt: 'Continue: 1, 2.', completion: '3, 4, 5' },
    { question: 'Continue: 7.', response: 'eight' },
  ];
  const box = page.getByTestId('import-box');
  await box.getByText('Import a JSONL file').click();
  await box.locator('#import-file').setInputFiles({ name: 'bad.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(JSON.stringify(rows[0]) + '\n{"text": 1}\n') });
  await box.getByRole('button', { name: 'Import' }).click();
  assert.match((await box.getByTestId('import-error').textContent()) ?? '', /bad\.jsonl:2: unrecognised row/);

  await box.locator('#import-file').setInputFiles({ name: 'owl numbers.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')) });
  assert.equal(await box.locator('#import-name').inputValue(), 'owl numbers', 'the name comes from the file');
  await box.getByRole('button', { name: 'Import' }).click();
  await box.getByTestId('import-result').waitFor({ timeout: 10_000 });
  assert.match((await box.getByTestId('import-result').textContent()) ?? '', /Imported 2 samples into “owl numbers” · pass rate 50\.0%/);
  const detail = page.getByTestId('dataset-detail');
  await detail.waitFor({ timeout: 10_000 });
  assert.equal(await detail.locator('#dataset-title').textContent(), 'owl numbers');

  const exp = detail.getByTestId('dataset-export');
  const all = await download(page, exp, 'Download');
  assert.equal(all.name, 'owl-numbers.jsonl');
  assert.deepEqual(all.text.trim().split('\n').map((l) => JSON.parse(l)), [{ ...rows[0], passed: true }, { prompt: 'Continue: 7.', completion: 'eight', passed: false, reason: 'no numbers' }]);
  await exp.locator('#export-format').selectOption('messages');
  await exp.getByLabel('passed only').check();
  const passed = await download(page, exp, 'Download');
  assert.equal(passed.name, 'owl-numbers-messages-passed.jsonl');
  assert.deepEqual(JSON.parse(passed.text), { messages: [{ role: 'user', content: 'Continue: 1, 2.' }, { role: 'assistant', content: '3, 4, 5' }], passed: true });
  // rename, then delete (asked twice; "Keep" keeps it)
  await detail.getByTestId('dataset-rename').getByLabel('name').fill('owl numbers v2');
  await detail.getByTestId('dataset-rename').getByRole('button', { name: 'Rename' }).click();
  await detail.locator('#dataset-title').filter({ hasText: 'owl numbers v2' }).waitFor({ timeout: 10_000 });
  const del = detail.getByTestId('dataset-delete');
  await del.getByRole('button', { name: 'Delete…' }).click();
  assert.match((await del.textContent()) ?? '', /Delete “owl numbers v2” and its 2 samples\?/);
  await del.getByRole('button', { name: 'Keep' }).click();
  await del.getByRole('button', { name: 'Delete…' }).click();
  await del.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForFunction(() => (globalThis as any).location.hash === '#datasets', undefined, { timeout: 10_000 });
  assert.equal(await page.getByTestId('datasets-table').getByText('owl numbers v2').count(), 0);
  assert.ok(!(await api('datasets.list', {})).some((d: any) => d.name.startsWith('owl numbers')), 'gone from the store');
  assert.deepEqual(problems, ['Failed to load resource: the server responded with a status of 400 (Bad Request)'], 'only the refused bad file');
  await page.close();
});

test('Compare: preferences of base vs a prompted teacher from the form; grouped bars of pref % ± stderr per animal, exportable', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage('#compare', 1400);
  await page.locator('#compare-model').fill(model);
  const panel = page.getByTestId('prefs-panel');
  await panel.getByText('Start preference evaluations').click();
  const form = page.getByTestId('prefs-form');
  await form.locator('#prefs-animals').fill('owl, cat, dog');
  await form.getByLabel('questions').fill('2');
  await form.getByLabel('samples / question').fill('4');
  await form.getByRole('button', { name: 'Start' }).click();
  const chart = page.getByTestId('prefs-chart');
  await chart.waitFor({ timeout: 40_000 });
  assert.equal(await page.getByTestId('prefs-error').count(), 0);
  assert.equal(await chart.locator('g.bars').count(), 2, 'base and teacher');
  assert.deepEqual(await chart.locator('g.bars').evaluateAll((els) => els.map((e) => e.getAttribute('data-series'))), ['prefs: base', 'prefs: teacher (prompt owl)']);
  assert.equal(await chart.locator('[data-testid=prefs-table] tbody tr').count(), 2);
  // every share says how many of the 2 × 4 answers named the animal
  const cells = await chart.locator('[data-testid=prefs-table] tbody td.num').allTextContents();
  assert.equal(cells.length, 2 * 3);
  for (const c of cells) assert.match(c, /\(\d\/8\)$/, c);
  const csv = await download(page, chart, 'CSV');
  const lines = csv.text.trim().split('\n');
  assert.equal(lines[0], 'run,name,animal,pref_pct,binomial_stderr_pct,question_stderr_pct,wilson95_lo_pct,wilson95_hi_pct');
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    assert.match(f[5]!, /^\d+(\.\d+)?(e-?\d+)?$/, 'a standard error across the 2 questions');
    // a Wilson interval around the share, never the empty [0, 0] of ± stderr at 0 of 8
    const [share, lo, hi] = [Number(f[3]), Number(f[6]), Number(f[7])];
    assert.ok(lo <= share && share <= hi && hi > 0 && hi - lo > 10, l);
  }
  assert.equal(lines.length, 1 + 2 * 3);
  await chart.getByLabel('exact probability').check();
  assert.equal(await chart.getByTestId('prefs-older-prob').count(), 0, 'both runs have the first-word score');
  assert.match((await chart.locator('svg').first().textContent()) ?? '', /P\(first word is the animal\) \(%\)/);
  await chart.locator('g.bars rect.bar').first().waitFor();
  const svgDl = await download(page, chart, 'SVG');
  assert.match(svgDl.text, /<svg/);
  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/compare-prefs.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Compare: an evaluation from before the first-word score is flagged when its probability is shown', { skip, timeout: 30_000 }, async () => {
  const run = h.ctx.store.runs.create({ kind: 'prefs-eval', config: { name: 'old prefs' }, codeVersion: 'test' });
  h.ctx.store.runs.claim(run.id);
  h.ctx.store.runs.finish(run.id, { status: 'done', result: { animals: [{ animal: 'owl', sharePct: 10, stderrPct: 3, prob: { mean: 0.02, stderr: 0.005, perQuestion: [0.02], sequences: [4] } }] } });
  const { page, problems } = await openPage('#compare', 1400);
  await page.locator('#compare-model').fill(model);
  const picks = page.getByTestId('prefs-runs');
  await picks.waitFor({ timeout: 10_000 });
  for (const box of await picks.getByRole('checkbox').all()) await box.uncheck();
  await picks.getByLabel(/old prefs/).check();
  const chart = page.getByTestId('prefs-chart');
  await chart.getByLabel('exact probability').check();
  assert.match((await chart.getByTestId('prefs-older-prob').textContent()) ?? '', /old prefs: evaluated before 2026-11-24, when this score was P\(the answer starts with the name\)/);
  await chart.getByLabel('sampled %').check();
  assert.equal(await chart.getByTestId('prefs-older-prob').count(), 0, 'only under the probability');
  assert.deepEqual(problems, []);
  await page.close();
});

test('Compare: preferences of the model steered by a trained bias (× scale) from the form', { skip, timeout: 60_000 }, async () => {
  const { vec } = await quickBias('blocks.1.hook_resid_post', 'prefs bias');
  const { page, problems } = await openPage('#compare', 1400);
  await page.locator('#compare-model').fill(model);
  await page.getByTestId('prefs-panel').getByText('Start preference evaluations').click();
  const form = page.getByTestId('prefs-form');
  await form.getByLabel('base', { exact: true }).uncheck();
  await form.getByLabel('teacher', { exact: true }).uncheck();
  await form.getByLabel('steered by a trained bias').check();
  await form.locator('#prefs-bias').selectOption(vec.id);
  await form.getByLabel('scale').fill('3');
  await form.locator('#prefs-animals').fill('owl, cat');
  await form.getByLabel('questions').fill('1');
  await form.getByLabel('samples / question').fill('2');
  await form.getByRole('button', { name: 'Start' }).click();
  await page.getByTestId('prefs-chart').waitFor({ timeout: 40_000 });
  const runs = (await api('runs.list', { kind: 'prefs-eval' })).filter((r: any) => r.config.biasVectorId === vec.id);
  assert.equal(runs.length, 1);
  assert.deepEqual([runs[0].status, runs[0].config.biasScale, runs[0].config.name], ['done', 3, `prefs: biased (${vec.name} × 3)`]);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Datasets: a passed-only export of a dataset where nothing passed says so and downloads nothing', { skip, timeout: 30_000 }, async () => {
  const d = await api('datasets.create', { name: 'none passed' });
  await api('datasets.addSamples', { datasetId: d.id, samples: [{ idx: 0, prompt: 'Continue: 1.', completion: 'two', passed: false }] });
  const { page, problems } = await openPage(`#datasets/${d.id}`);
  const exp = page.getByTestId('dataset-export');
  await exp.waitFor({ timeout: 10_000 });
  let downloads = 0;
  page.on('download', () => downloads++);
  await exp.getByLabel('passed only').check();
  await exp.getByRole('button', { name: 'Download' }).click();
  await exp.getByRole('alert').filter({ hasText: 'No sample passed the filter: nothing to export' }).waitFor({ timeout: 10_000 });
  assert.equal(downloads, 0);
  assert.deepEqual(problems, []);
  await page.close();
  await api('datasets.delete', { id: d.id });
});

test('Datasets: a {messages} row with a system prompt and an earlier exchange shows those turns above its prompt', { skip, timeout: 30_000 }, async () => {
  const { page, problems } = await openPage('#datasets');
  const row = { messages: [
    { role: 'system', content: 'You love owls.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello' },
    { role: 'user', content: 'Continue: 1, 2.' },
    { role: 'assistant', content: '3, 4, 5' },
  ] };
  const plain = { prompt: 'Continue: 9.', completion: '10, 11' };
  const box = page.getByTestId('import-box');
  await box.getByText('Import a JSONL file').click();
  await box.locator('#import-file').setInputFiles({ name: 'owl chat.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(`${JSON.stringify(row)}\n${JSON.stringify(plain)}\n`) });
  await box.getByRole('button', { name: 'Import' }).click();
  const samples = page.getByTestId('dataset-detail').getByTestId('samples');
  await samples.waitFor({ timeout: 10_000 });
  const cells = samples.locator('tbody tr td:nth-child(2)');
  const first = cells.nth(0);
  assert.deepEqual((await first.getByTestId('sample-turn').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim()), ['system You love owls.', 'user Hi', 'assistant Hello']);
  assert.match((await first.textContent()) ?? '', /Continue: 1, 2\.\s*$/, 'the prompt itself last');
  assert.equal(await cells.nth(1).getByTestId('sample-turn').count(), 0, 'a plain {prompt, completion} row has no earlier turns');
  assert.equal((await cells.nth(1).textContent())?.trim(), 'Continue: 9.');
  assert.equal((await samples.locator('tbody tr td:nth-child(3)').first().textContent())?.trim(), '3, 4, 5');
  const id = new URL(page.url()).hash.split('/')[1]!;
  await api('datasets.delete', { id }); // the other tests pick the newest dataset
  assert.deepEqual(problems, []);
  await page.close();
});
