// Feature statistics (Features view), teacher datasets (Datasets view) and animal preferences
// (Compare view) in a real browser (Debian Chromium) against `serve` on a temporary store, with the
// tiny real model (stories260k) and a tiny SAELens SAE inside the store's folder (allowed paths).
// Each starts its job from the UI at small sizes. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { createContext } from '../../src-main/api/context.js';
import { startServer, type RunningServer } from '../../src-main/serve/server.js';
import { writeSaeLens } from '../sae/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../../', import.meta.url));
const skip = existsSync(CHROMIUM) ? false : `Debian Chromium not found at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;

const outDir = `${root}out/.test-ui-stats-${process.pid}`;
const storeDir = mkdtempSync(join(tmpdir(), 'undertone-ui-stats-'));
const model = join(storeDir, 'stories260k');
const sae = join(storeDir, 'sae-l2');
const ctx = createContext({ storePath: join(storeDir, 'store.db') });
let srv: RunningServer | undefined;
let browser: Browser | undefined;
let datasetId = '';

before(async () => {
  if (skip) return;
  cpSync(new URL('../fixtures/stories260k/', import.meta.url).pathname, model, { recursive: true });
  writeSaeLens(sae, { arch: 'standard', dIn: 64, dSae: 32, hook: 'blocks.2.hook_resid_post', seed: 5 });
  await build({ configFile: `${root}src-renderer/vite.config.ts`, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  srv = await startServer({ ctx, staticDir: outDir, port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  // a small dataset through the API: story openings and their continuations
  const d = await api('datasets.create', { name: 'tiny stories' });
  datasetId = d.id;
  const openings = ['Once upon a time', 'One day', 'Lily saw a', 'The little dog', 'Tom had a big', 'She was very'];
  const endings = [' there was a cat.', ' she went to the park.', ' bird in the tree.', ' ran to the ball.', ' red ball.', ' happy and smiled.'];
  const samples = openings.flatMap((p, i) => [0, 1].map((j) => ({ idx: i * 2 + j, prompt: p, completion: endings[(i + j) % endings.length]! })));
  assert.deepEqual(await api('datasets.addSamples', { datasetId, samples }), { added: 12 });
});

after(async () => {
  await browser?.close();
  await srv?.close();
  await ctx.close();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
});

async function openPage(hash: string, height = 1000): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height }, acceptDownloads: true });
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${srv!.url}${hash}`);
  return { page, problems };
}

async function api(op: string, input: unknown): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${srv!.port}/api/${op}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${srv!.token}` },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: unknown; error?: unknown };
  if (body.error) throw new Error(`${op}: ${JSON.stringify(body.error)}`);
  return body.result;
}

async function download(page: Page, scope: ReturnType<Page['getByTestId']>, button: string): Promise<{ name: string; text: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), scope.getByRole('button', { name: button, exact: true }).first().click()]);
  const bytes = readFileSync(await d.path());
  return { name: d.suggestedFilename(), text: bytes.toString('utf8'), bytes };
}

/** Type a model path and inspect it (the picker of the view's form). */
async function inspectModel(page: Page, form: string, path: string): Promise<void> {
  const f = page.getByTestId(form);
  await f.locator(`#${form.replace('-form', '')}-model`).fill(path);
  await f.getByRole('button', { name: 'Inspect' }).first().click();
}

/** "(r, g, b)" of an element's computed background. */
const bgOf = (el: any): number[] => (globalThis as any).getComputedStyle(el).backgroundColor.match(/\d+/g)!.slice(0, 3).map(Number);


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
  await form.getByTestId('fstats-dataset').selectOption(datasetId);
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
  assert.match(csv.text, /^log10_density_lo,log10_density_hi,features\n/);
  assert.match(csv.text, new RegExp(`dead,dead,${runs[0].dead}\n$`));

  // the table: 32 rows by index; by density, densest first
  const table = page.getByTestId('fstats-table');
  assert.equal(await table.locator('tbody tr').count(), 32);
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
  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/features-stats.png`, fullPage: true });
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
  const csv = await download(page, chart, 'CSV');
  const lines = csv.text.trim().split('\n');
  assert.equal(lines[0], 'run,name,animal,pref_pct,stderr_pct');
  assert.equal(lines.length, 1 + 2 * 3);
  await chart.getByLabel('next-token probability').check();
  await chart.locator('g.bars rect.bar').first().waitFor();
  const svgDl = await download(page, chart, 'SVG');
  assert.match(svgDl.text, /<svg/);
  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/compare-prefs.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});
