// The whole job loop in a real browser (Debian Chromium) against `serve` on a temporary store:
// Jobs launcher → Runs (live progress to done) → run detail with its loss chart → CSV/SVG/PNG export;
// and the Datasets view's paged samples.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { createContext } from '../../src-main/api/context.js';
import { startServer, type RunningServer } from '../../src-main/serve/server.js';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../../', import.meta.url));
const skip = existsSync(CHROMIUM) ? false : `Debian Chromium not found at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;

// its own renderer build (engine-panel.test.ts builds out/renderer at the same time)
const outDir = `${root}out/.test-ui-${process.pid}`;
const storeDir = mkdtempSync(join(tmpdir(), 'undertone-ui-runs-'));
const ctx = createContext({ storePath: join(storeDir, 'store.db') });
let srv: RunningServer | undefined;
let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  await build({ configFile: `${root}src-renderer/vite.config.ts`, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  srv = await startServer({ ctx, staticDir: outDir, port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await srv?.close();
  await ctx.close();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
});

async function openPage(hash: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
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
  return ((await res.json()) as { result: unknown }).result;
}

/** A PNG's chunks, each CRC checked against zlib's (node:zlib has no crc32 on Node 20: a table CRC-32 here, checked on '123456789'). */
function pngChunks(b: Buffer): { type: string; data: Buffer }[] {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (x: Buffer): number => {
    let c = 0xffffffff;
    for (const v of x) c = table[(c ^ v) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  assert.equal(crc(Buffer.from('123456789')), 0xcbf43926);
  const out: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < b.length; ) {
    const len = b.readUInt32BE(at);
    const type = b.subarray(at + 4, at + 8).toString('latin1');
    assert.equal(b.readUInt32BE(at + 8 + len), crc(b.subarray(at + 4, at + 8 + len)), `CRC of chunk ${type}`);
    out.push({ type, data: b.subarray(at + 8, at + 8 + len) });
    at += 12 + len;
  }
  return out;
}

async function downloadText(page: Page, button: string): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button, exact: true }).click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(path) };
}

test('Jobs launcher → Runs: a demo-train run goes to done live, its loss chart exports as CSV, SVG and PNG', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage('#jobs');
  const kind = page.locator('#job-kind');
  await kind.locator('option[value="demo-train"]').waitFor({ state: 'attached', timeout: 15_000 });
  // the launcher opens on a research kind, its params filled from the defaults and the demo model
  assert.equal(await kind.inputValue(), 'generate-dataset');
  assert.match(await page.locator('#job-params').inputValue(), /"model": ".*resources\/demo\/stories260k"[\s\S]*"n": 100/);
  await kind.selectOption('train-bias');
  assert.match((await page.getByTestId('kind-required').textContent()) ?? '', /Still to fill: set/);
  await kind.selectOption('demo-train');
  assert.equal(await page.getByTestId('kind-required').count(), 0);
  assert.match((await page.getByTestId('kind-description').textContent()) ?? '', /Logistic regression/);
  assert.match(await page.locator('#job-params').inputValue(), /"steps": 200/, 'the params start at the defaults');

  // errors are shown inline, and nothing starts
  const params = page.locator('#job-params');
  await params.fill('{"steps": 0, "bogus": 1');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByTestId('form-error').waitFor();
  await params.fill('{"steps": 0, "bogus": 1}');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByTestId('issues').waitFor();
  const issues = await page.getByTestId('issues').locator('li').allTextContents();
  assert.deepEqual(issues.map((t) => t.split(':')[0]).sort(), ['params.bogus', 'params.steps'], issues.join('\n'));
  assert.equal(await params.getAttribute('aria-invalid'), 'true');
  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/jobs-launcher.png` });
  assert.deepEqual(await api('runs.list', {}), []);

  await params.fill(JSON.stringify({ steps: 150, stepDelayMs: 12, checkpointEvery: 25, seed: 7 }));
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  const link = page.getByTestId('started').getByRole('link');
  await link.waitFor();
  await link.click();

  // Runs: the row updates live; the progress bar is seen part-way, then at done
  const row = page.locator('[data-testid="runs-table"] tbody tr').first();
  await row.waitFor();
  const runId = (await row.getAttribute('data-run-id'))!;
  assert.equal(new URL(page.url()).hash, `#runs/${runId}`);
  const bar = row.locator('progress');
  // (`any`: this file is type-checked without DOM types)
  // part-way with an ETA, read in the same check (the run may finish before a later read; a
  // timeout here means no ETA was ever shown while running)
  const partWay = (tr: any) => {
    const v = tr.querySelector('progress').value;
    const running = v > 0.3 && v < 1 && tr.querySelector('[data-testid=status]').textContent === 'running';
    return running && /ETA \d/.test(tr.textContent) ? tr.textContent : false;
  };
  const seen = String(await (await page.waitForFunction(partWay, await row.elementHandle(), { timeout: 20_000, polling: 20 })).jsonValue());
  await page.screenshot({ path: `${root}test-results/runs-running.png` });
  assert.match(seen, /ETA \d/, 'an ETA while running');
  await row.getByTestId('status').filter({ hasText: 'done' }).waitFor({ timeout: 30_000 });
  assert.equal(await bar.evaluate((el) => (el as unknown as { value: number }).value), 1);
  assert.match((await row.textContent()) ?? '', /100%/);
  assert.match((await row.locator('td').nth(5).textContent()) ?? '', /^undertone@/);

  // the detail pane: chart, vectors, config
  const detail = page.getByTestId('run-detail');
  await detail.getByTestId('status').filter({ hasText: 'done' }).waitFor();
  const line = detail.locator('[data-testid="metric-chart"] path.line');
  await page.waitForFunction((path: any) => path.getAttribute('d').split('L').length === 150, await line.elementHandle(), { timeout: 10_000 });
  assert.equal(await detail.getByTestId('run-vectors').locator('tbody tr').count(), 1);
  assert.equal(JSON.parse((await detail.getByTestId('run-config').textContent())!).steps, 150);
  assert.equal(await detail.getByRole('button', { name: 'Resume' }).count(), 0);
  assert.equal(await detail.getByRole('button', { name: 'Cancel' }).count(), 0);

  // exports
  const [loss] = await api('runs.metrics', { runId });
  const csv = await downloadText(page, 'CSV');
  assert.equal(csv.name, `demo-train-${runId.slice(0, 8)}-loss.csv`);
  // provenance first, as comment lines: the run, its model hash, seed, code version and config
  const all = csv.bytes.toString('utf8').trim().split('\n');
  const run = await api('runs.get', { id: runId });
  const prov = all.filter((l) => l.startsWith('# '));
  assert.ok(prov.includes('# figure: loss') && prov.includes(`# run: ${runId}`) && prov.includes('# kind: demo-train'), prov.join('\n'));
  assert.ok(prov.includes(`# codeVersion: ${run.codeVersion}`) && prov.includes(`# seed: ${run.seed}`));
  assert.ok(prov.includes(`# config: ${JSON.stringify(run.config)}`));
  const lines = all.filter((l) => !l.startsWith('# '));
  // the header names x and carries the curve's unit
  assert.equal(lines[0], `step,loss (${loss.unit})`);
  assert.equal(loss.unit, 'nats');
  assert.deepEqual(lines.slice(1), loss.x.map((x: number, i: number) => `${x},${loss.values[i]}`));
  const svg = await downloadText(page, 'SVG');
  const svgText = svg.bytes.toString('utf8');
  assert.match(svgText, /^<\?xml/);
  assert.match(svgText, /<path[^>]+stroke="rgb\(/, 'the line keeps its colour outside the app');
  const meta = /<metadata id="undertone-provenance">([^<]*)<\/metadata>/.exec(svgText);
  assert.ok(meta, 'the SVG carries its provenance');
  const unxml = (t: string) => t.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  assert.equal(JSON.parse(unxml(meta[1]!)).run, runId);
  assert.match(svgText, /<title>loss<\/title>/);
  const png = await downloadText(page, 'PNG');
  assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  // the PNG's iTXt chunk holds the same JSON; every chunk's CRC is right (a viewer would refuse it otherwise)
  const chunks = pngChunks(png.bytes);
  assert.deepEqual(chunks.map((c) => c.type).slice(0, 3), ['IHDR', 'iTXt', 'iTXt']);
  assert.equal(chunks.at(-1)!.type, 'IEND');
  const it = chunks.find((c) => c.type === 'iTXt' && c.data.toString('latin1').startsWith('undertone:provenance\0'))!;
  assert.equal(JSON.parse(it.data.subarray('undertone:provenance'.length + 5).toString('utf8')).run, runId);
  writeFileSync(`${root}test-results/runs-loss-export.png`, png.bytes);
  await page.screenshot({ path: `${root}test-results/runs-view.png`, fullPage: true });

  // "Run again…" opens the launcher on this run's kind and parameters; starting makes a new run
  await detail.getByRole('link', { name: 'Run again…' }).click();
  await page.getByTestId('from-run').waitFor({ timeout: 10_000 });
  assert.equal(new URL(page.url()).hash, `#jobs/${runId}`);
  assert.equal(await page.locator('#job-kind').inputValue(), 'demo-train');
  assert.deepEqual(JSON.parse(await page.locator('#job-params').inputValue()), run.config);
  await page.locator('#job-params').fill(JSON.stringify({ ...run.config, steps: 5 }));
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  const again = page.getByTestId('started').locator('a');
  await again.waitFor({ timeout: 10_000 });
  const againId = (await again.getAttribute('href'))!.split('/')[1]!;
  assert.notEqual(againId, runId);
  assert.equal((await api('runs.get', { id: againId })).config.steps, 5);
  await page.goto(page.url().replace(/#.*$/, `#runs/${runId}`));
  await detail.waitFor();

  // a finished run can be deleted (asked twice); the view forgets it
  const del = detail.getByTestId('run-delete');
  await del.getByRole('button', { name: 'Delete…' }).click();
  await del.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForFunction(() => (globalThis as any).location.hash === '#runs', undefined, { timeout: 10_000 });
  await page.getByTestId('runs-table').locator(`tr[data-run-id="${runId}"]`).waitFor({ state: 'detached', timeout: 15_000 });
  assert.ok(!(await api('runs.list', {})).some((r: any) => r.id === runId), 'gone from the store');
  // (the refused start above is a 400 that Chromium logs; anything else is a problem)
  const unexpected = problems.filter((p) => !/status of 400 \(Bad Request\)/.test(p));
  assert.deepEqual(unexpected, [], 'no console errors (CSP violations show up here)');
  await page.close();
});

test('Datasets: a generated dataset shows its pass rate and its samples in pages', { skip, timeout: 30_000 }, async () => {
  const run = await api('jobs.start', { kind: 'demo-generate', params: { n: 45, seed: 3 } });
  await ctx.jobs.runner.wait(run.id);
  const [dataset] = await api('datasets.list', { runId: run.id });
  const { page, problems } = await openPage('#datasets');
  const row = page.getByTestId('datasets-table').locator('tbody tr', { hasText: 'demo numbers' });
  await row.waitFor({ timeout: 10_000 });
  assert.match((await row.textContent()) ?? '', new RegExp(`45.*${(dataset.passRate * 100).toFixed(1)}%`));
  await row.getByRole('button').click();
  const range = page.getByTestId('samples-range');
  await range.filter({ hasText: '1–20 of 45' }).waitFor();
  assert.equal(await page.getByTestId('samples').locator('tbody tr').count(), 20);
  await page.getByRole('button', { name: 'Next' }).click();
  await range.filter({ hasText: '21–40 of 45' }).waitFor();
  await page.getByRole('combobox', { name: 'Show' }).selectOption('failed');
  const failed = 45 - dataset.passedCount;
  await range.filter({ hasText: `1–${Math.min(20, failed)} of ${failed}` }).waitFor();
  assert.deepEqual([...new Set(await page.getByTestId('samples').locator('tbody td:last-child').allTextContents())].map((t) => t.trim()), ['fail']);
  await page.getByRole('combobox', { name: 'Show' }).selectOption('all');
  await range.filter({ hasText: '1–20 of 45' }).waitFor();
  // a jump to a row's page
  await page.getByRole('spinbutton', { name: 'go to row' }).fill('41');
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await range.filter({ hasText: '41–45 of 45' }).waitFor();
  await page.getByRole('button', { name: 'Previous' }).click();
  await range.filter({ hasText: '21–40 of 45' }).waitFor();
  await page.screenshot({ path: `${root}test-results/datasets-view.png`, fullPage: true });
  // an empty dataset says so; a 200-character name without spaces does not widen the page
  const empty = ctx.store.datasets.create({ name: `${'L'.repeat(120)}_teacher_seed0_${'N'.repeat(65)}` });
  await page.goto(`${srv!.url}#datasets/${empty.id}`);
  await page.getByTestId('samples-empty').filter({ hasText: 'This dataset has no samples.' }).waitFor({ timeout: 10_000 });
  const widths = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as number[];
  assert.ok(widths[0]! <= widths[1]!, `the page is ${widths[0]} px wide in a ${widths[1]} px window`);
  assert.deepEqual(problems, []);
  await page.close();
});

// a preference evaluation writes each of its numbers once: a table of values, not one-point charts
test('Runs: metrics written once show as a table with their units (CSV too); curves stay charts', { skip, timeout: 30_000 }, async () => {
  const run = ctx.store.runs.create({ kind: 'prefs-eval', config: {}, codeVersion: 'test' });
  ctx.store.runs.claim(run.id);
  ctx.store.metrics.addPoints({ runId: run.id, name: 'pref/owl', unit: '%', points: [{ x: 0, value: 12.5 }] });
  ctx.store.metrics.addPoints({ runId: run.id, name: 'pref/cat', unit: '%', points: [{ x: 0, value: 3 }] });
  ctx.store.metrics.addPoints({ runId: run.id, name: 'loss', unit: 'nats', points: [{ x: 1, value: 2 }, { x: 2, value: 1.5 }] });
  // per-question values: a table by question index, not line charts over "steps"
  ctx.store.metrics.addPoints({ runId: run.id, name: 'pref_q/owl', unit: '%', points: [{ x: 0, value: 25 }, { x: 1, value: 0 }] });
  ctx.store.metrics.addPoints({ runId: run.id, name: 'prob_q/owl', unit: 'probability', points: [{ x: 0, value: 3.4e-5 }, { x: 1, value: 0.002 }] });
  ctx.store.runs.finish(run.id, { status: 'done', result: {} });
  const { page, problems } = await openPage(`#runs/${run.id}`);
  const table = page.getByTestId('run-single-metrics');
  await table.waitFor({ timeout: 10_000 });
  assert.deepEqual(await table.locator('tbody tr').allTextContents(), ['pref/cat3.0000%', 'pref/owl12.5000%']);
  assert.deepEqual(await page.getByTestId('metric-chart').evaluateAll((els) => els.map((e: any) => e.dataset.metric)), ['loss']);
  const perQ = page.getByTestId('run-per-question');
  assert.deepEqual(await perQ.locator('thead th').allTextContents(), ['question', 'pref_q/owl (%)', 'prob_q/owl (probability)']);
  assert.deepEqual(await perQ.locator('tbody tr').allTextContents(), ['025.00000.0000340', '10.00000.0020']);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('group', { name: 'Export metrics' }).getByRole('button', { name: 'CSV' }).click()]);
  assert.match(download.suggestedFilename(), /metrics\.csv$/);
  const text = readFileSync((await download.path())!, 'utf8');
  assert.match(text, /^# figure: metrics\n/);
  assert.equal(text.split('\n').filter((l) => !l.startsWith('# ')).join('\n'), 'metric,value,unit\npref/cat,3,%\npref/owl,12.5,%\n');
  assert.deepEqual(problems, []);
  await page.close();
});

// switching runs: the detail shows the new run's data or none, never the last run's under the new title
test('Runs: another run picked while its data load fails shows no curve of the run before', { skip, timeout: 30_000 }, async () => {
  const mk = (n: number) => {
    const r = ctx.store.runs.create({ kind: 'demo-train', config: { n }, codeVersion: 'test' });
    ctx.store.metrics.addPoints({ runId: r.id, name: 'loss', unit: 'nats', points: Array.from({ length: n }, (_, i) => ({ x: i + 1, value: 3 - i / n })) });
    ctx.store.runs.finish(r.id, { status: 'done', result: {} });
    return r;
  };
  const a = mk(3);
  const b = mk(7);
  const { page, problems } = await openPage(`#runs/${a.id}`);
  const detail = page.getByTestId('run-detail');
  const caption = detail.getByTestId('metric-chart').locator('figcaption');
  await caption.filter({ hasText: '3 points' }).waitFor({ timeout: 10_000 });
  // b's metrics cannot be read (a dropped connection, a server error)
  await page.route('**/api/runs.metrics', (route) => (JSON.parse(route.request().postData() ?? '{}').runId === b.id ? route.abort() : route.continue()));
  await page.locator(`tr[data-run-id="${b.id}"]`).getByRole('button').click();
  await page.locator(`[data-testid="run-detail"][data-run-id="${b.id}"]`).waitFor({ timeout: 10_000 });
  await detail.getByRole('alert').filter({ hasText: 'Could not load the run' }).waitFor({ timeout: 10_000 });
  assert.equal(await detail.getByTestId('metric-chart').count(), 0, `the detail of ${b.id.slice(0, 8)} shows a curve: ${await caption.allTextContents()}`);
  assert.equal(await page.getByRole('group', { name: 'Export loss' }).count(), 0, 'nothing of the run before to export under the new run');
  // readable again: picking it once more shows its own 7 points
  await page.unroute('**/api/runs.metrics');
  await page.locator(`tr[data-run-id="${a.id}"]`).getByRole('button').click();
  await caption.filter({ hasText: '3 points' }).waitFor({ timeout: 10_000 });
  await page.locator(`tr[data-run-id="${b.id}"]`).getByRole('button').click();
  await caption.filter({ hasText: '7 points' }).waitFor({ timeout: 10_000 });
  assert.equal(await detail.getByRole('alert').count(), 0);
  // (the aborted request is logged as a console error by the browser)
  assert.deepEqual(problems.filter((p) => !/ERR_FAILED|Failed to fetch|Failed to load resource/.test(p)), []);
  await page.close();
});

// a generated dataset's pass rate: x counts samples generated (not training steps), the value is a fraction
test('Runs: a pass-rate curve says what x counts; its axis runs 0 to 1; its CSV header names x and the unit', { skip, timeout: 30_000 }, async () => {
  const run = ctx.store.runs.create({ kind: 'generate-dataset', config: {}, codeVersion: 'test' });
  ctx.store.runs.claim(run.id);
  // nothing passed: a constant 0 (the demo model's usual result)
  ctx.store.metrics.addPoints({ runId: run.id, name: 'filter/pass_rate', unit: 'fraction', points: [{ x: 64, value: 0 }, { x: 128, value: 0 }] });
  ctx.store.runs.finish(run.id, { status: 'done', result: {} });
  const { page, problems } = await openPage(`#runs/${run.id}`);
  const chart = page.getByTestId('metric-chart');
  await chart.waitFor({ timeout: 10_000 });
  const axisLabels = await chart.locator('svg text.label').allTextContents();
  assert.deepEqual(axisLabels.sort(), ['filter/pass_rate (fraction)', 'samples generated']);
  // y tick labels: the chart's second axis group (AxisY is drawn first)
  const yTicks = (await chart.locator('svg g.axis').first().locator('text:not(.label)').allTextContents()).map((t) => Number(t.replace('−', '-')));
  assert.equal(Math.min(...yTicks), 0, `y ticks ${yTicks.join(' ')}: a fraction has no negative values`);
  assert.equal(Math.max(...yTicks), 1, `y ticks ${yTicks.join(' ')}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('group', { name: 'Export filter/pass_rate' }).getByRole('button', { name: 'CSV' }).click()]);
  assert.equal(download.suggestedFilename(), `generate-dataset-${run.id.slice(0, 8)}-filter_pass_rate.csv`);
  const rows = readFileSync((await download.path())!, 'utf8').split('\n').filter((l) => l && !l.startsWith('# '));
  assert.deepEqual(rows, ['samples_generated,filter/pass_rate (fraction)', '64,0', '128,0']);
  assert.deepEqual(problems, []);
  await page.close();
});

// hundreds of runs: the list polls a fingerprint, not the whole list; a finished run's detail is
// not reloaded by polls; a long curve is drawn from its extremes and exported whole
test('Runs at scale: idle polls fetch only the fingerprint, the shown run is not reloaded, a run written by another process appears, a long curve exports every point', { skip, timeout: 120_000 }, async () => {
  for (let i = 0; i < 120; i++) {
    const r = ctx.store.runs.create({ kind: 'demo-train', config: { note: 'x'.repeat(200), i }, codeVersion: 'test' });
    ctx.store.runs.finish(r.id, { status: 'done', result: { i } });
  }
  const long = ctx.store.runs.create({ kind: 'demo-train', config: { steps: 30_000 }, codeVersion: 'test' });
  const n = 30_000;
  ctx.store.metrics.addPoints({ runId: long.id, name: 'loss', unit: 'nats', points: Array.from({ length: n }, (_, i) => ({ x: i + 1, value: i === 12_345 ? 99 : 2 - i / n })) });
  ctx.store.runs.finish(long.id, { status: 'done', result: {} });
  const { page, problems } = await openPage(`#runs/${long.id}`);
  await page.getByTestId('run-detail').waitFor({ timeout: 10_000 });
  await page.getByTestId('metric-chart').waitFor({ timeout: 10_000 });
  // the list sits in its own box: the detail starts within one screen of the page top
  const detailTop = await page.getByTestId('run-detail').evaluate((e) => e.getBoundingClientRect().top + (globalThis as unknown as { scrollY: number }).scrollY);
  assert.ok(detailTop < 1000, `the run detail starts ${detailTop} px down`);
  // the caption says the chart shows extremes; the spike is among the drawn points
  assert.match((await page.getByTestId('metric-chart').locator('figcaption').textContent()) ?? '', /30000 points \(showing \d+: each stretch's min and max\)/);

  const calls: string[] = [];
  page.on('request', (r) => r.url().includes('/api/') && calls.push(r.url().replace(/^.*\/api\//, '')));
  await page.waitForTimeout(11_000); // two polls
  assert.ok(calls.filter((c) => c === 'runs.stamp').length >= 2, calls.join(' '));
  assert.deepEqual(calls.filter((c) => c !== 'runs.stamp'), [], 'idle: no list reload, no detail reload');

  // another process adds a run: the next poll reloads the list
  const other = ctx.store.runs.create({ kind: 'demo-train', config: {}, codeVersion: 'other-process' });
  await page.locator(`tr[data-run-id="${other.id}"]`).waitFor({ timeout: 8_000 });
  assert.ok(calls.includes('runs.list'));

  // another process runs a job (a live pid that is not ours): its progress reaches the list through
  // rereads of the running runs only, not reloads of the whole list
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    const job = ctx.store.runs.create({ kind: 'demo-train', config: {}, codeVersion: 'other-process', owner: { pid: child.pid!, token: 'otherproc' } });
    assert.ok(ctx.store.runs.claim(job.id));
    const row = page.locator(`tr[data-run-id="${job.id}"]`);
    await row.waitFor({ timeout: 8_000 });
    const lists: string[] = [];
    const progressCalls: string[] = [];
    page.on('request', (r) => r.url().endsWith('/api/runs.list') && lists.push(r.postData() ?? ''));
    page.on('request', (r) => r.url().includes('/api/') && progressCalls.push(r.url().replace(/^.*\/api\//, '')));
    ctx.store.runs.setProgress(job.id, 0.25, 'step 1');
    await row.filter({ hasText: '25%' }).waitFor({ timeout: 8_000 });
    ctx.store.runs.setProgress(job.id, 0.5, 'step 2');
    await row.filter({ hasText: '50%' }).waitFor({ timeout: 8_000 });
    assert.ok(lists.length >= 2, `progress rereads: ${lists.length}`);
    assert.ok(lists.every((b) => JSON.parse(b).status === 'running'), `only the running runs are reread: ${lists.join(' | ')}`);
    // the same runs with new progress: the filter's dataset names (datasets.list, every dataset) are not reread
    assert.deepEqual(progressCalls.filter((c) => c !== 'runs.stamp' && c !== 'runs.list'), [], progressCalls.join(' '));
  } finally {
    child.kill();
  }

  // the CSV has every step, the spike included
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('group', { name: 'Export loss' }).getByRole('button', { name: 'CSV' }).click()]);
  const rows = readFileSync((await download.path())!, 'utf8').split('\n').filter((l) => l && !l.startsWith('# '));
  assert.equal(rows.length, 1 + n, 'header + every point');
  assert.ok(rows.includes('12346,99'), 'the one-step spike (step 12346) is in the CSV');
  assert.deepEqual(problems, []);
  await page.close();
});

test('Runs filter: by kind, by status, and by text that finds a run by its dataset\'s name; the count says how many are shown', { skip, timeout: 30_000 }, async () => {
  const ds = ctx.store.datasets.create({ name: 'pelican teacher numbers' });
  const mk = (kind: string, config: Record<string, string>, status: 'done' | 'failed') => {
    const r = ctx.store.runs.create({ kind, config, codeVersion: 'test' });
    ctx.store.runs.claim(r.id);
    ctx.store.runs.finish(r.id, status === 'done' ? { status, result: {} } : { status, error: 'boom' });
    return r.id;
  };
  const scan = mk('signal-scan', { datasetId: ds.id, hook: 'blocks.3.hook_resid_post' }, 'done');
  const sweep = mk('bias-sweep', { datasetId: ds.id, point: 'hook_resid_post' }, 'failed');
  const other = mk('signal-scan', { datasetId: 'someother', hook: 'blocks.1.hook_resid_post' }, 'failed');
  const total = ctx.store.runs.list({ limit: 10_000 }).length;
  const { page, problems } = await openPage('#runs');
  const rows = page.getByTestId('runs-table').locator('tbody tr');
  await page.locator(`tr[data-run-id="${other}"]`).waitFor({ timeout: 10_000 });
  const shownIds = () => rows.evaluateAll((trs) => trs.map((t) => (t as unknown as { dataset: Record<string, string> }).dataset.runId));
  const count = page.getByTestId('runs-count');

  await page.getByRole('combobox', { name: 'kind' }).selectOption('signal-scan');
  const scans = ctx.store.runs.list({ limit: 10_000 }).filter((r) => r.kind === 'signal-scan').map((r) => r.id).reverse();
  await count.filter({ hasText: `${scans.length} of ${total} runs` }).waitFor({ timeout: 5_000 });
  assert.deepEqual(await shownIds(), scans, 'every signal-scan, newest first, and nothing else');

  await page.getByRole('combobox', { name: 'status' }).selectOption('failed');
  await count.filter({ hasText: `1 of ${total}` }).waitFor({ timeout: 5_000 });
  assert.deepEqual(await shownIds(), [other]);

  // the dataset's name is not in any config: it is found through the dataset id
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByRole('searchbox', { name: 'search runs' }).fill('pelican TEACHER');
  await count.filter({ hasText: `2 of ${total}` }).waitFor({ timeout: 5_000 });
  assert.deepEqual((await shownIds()).sort(), [sweep, scan].sort());
  await page.getByRole('searchbox', { name: 'search runs' }).fill('pelican blocks.3');
  await count.filter({ hasText: `1 of ${total}` }).waitFor({ timeout: 5_000 });
  assert.deepEqual(await shownIds(), [scan]);
  await page.getByRole('searchbox', { name: 'search runs' }).fill('no-such-run-anywhere');
  await page.getByTestId('runs-none-match').waitFor({ timeout: 5_000 });

  await page.getByRole('button', { name: 'Clear' }).click();
  await count.filter({ hasText: new RegExp(`^\\s*${total} runs`) }).waitFor({ timeout: 5_000 });
  assert.equal(await rows.count(), total);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Runs filter: a filter that hides every run stays on screen with its Clear button when runs are deleted down to one', { skip, timeout: 30_000 }, async () => {
  // start from an empty list: finish whatever earlier tests left queued or running, delete everything
  for (const r of ctx.store.runs.list({ limit: 10_000 })) {
    if (r.status === 'queued') ctx.store.runs.claim(r.id);
    if (r.status === 'queued' || r.status === 'running') ctx.store.runs.finish(r.id, { status: 'failed', error: 'test cleanup' });
    ctx.store.runs.delete(r.id);
  }
  const mk = (status: 'done' | 'failed') => {
    const r = ctx.store.runs.create({ kind: 'demo-train', config: {}, codeVersion: 'test' });
    ctx.store.runs.claim(r.id);
    ctx.store.runs.finish(r.id, status === 'done' ? { status, result: {} } : { status, error: 'boom' });
    return r.id;
  };
  const kept = mk('done');
  const failed = mk('failed');
  const { page, problems } = await openPage('#runs');
  await page.locator(`tr[data-run-id="${failed}"]`).waitFor({ timeout: 10_000 });
  const status = page.getByRole('combobox', { name: 'status' });
  await status.selectOption('failed');
  await page.getByTestId('runs-count').filter({ hasText: '1 of 2 runs' }).waitFor({ timeout: 5_000 });
  // another process deletes the failed run: the next poll leaves one run, which the filter hides
  ctx.store.runs.delete(failed);
  await page.getByTestId('runs-count').filter({ hasText: '0 of 1 run' }).waitFor({ timeout: 8_000 });
  await page.getByTestId('runs-none-match').waitFor({ timeout: 5_000 });
  assert.ok(await status.isVisible(), 'the filter that hides the run is still shown');
  assert.equal(await status.inputValue(), 'failed');
  assert.equal((await status.locator('option:checked').textContent())?.trim(), 'failed (0)', 'the menu shows the value it filters by, with no runs left');
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.locator(`tr[data-run-id="${kept}"]`).waitFor({ timeout: 5_000 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Runs filter: when the dataset names cannot be read, the filter says its search matches dataset ids only', { skip, timeout: 30_000 }, async () => {
  const ds = ctx.store.datasets.create({ name: 'heron teacher numbers' });
  const r = ctx.store.runs.create({ kind: 'bias-sweep', config: { datasetId: ds.id }, codeVersion: 'test' });
  ctx.store.runs.finish(r.id, { status: 'done', result: {} });
  const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.route('**/api/datasets.list', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'internal', message: 'disk on fire' } }) }));
  await page.goto(`${srv!.url}#runs`);
  const warn = page.getByTestId('runs-names-error');
  await warn.waitFor({ timeout: 10_000 });
  assert.match((await warn.textContent()) ?? '', /Dataset names could not be read \(.*disk on fire.*\): the search matches dataset ids only\./);
  // by id it is still found; by name it is not
  await page.getByRole('searchbox', { name: 'search runs' }).fill(ds.id);
  await page.locator(`tr[data-run-id="${r.id}"]`).waitFor({ timeout: 5_000 });
  await page.getByRole('searchbox', { name: 'search runs' }).fill('heron teacher');
  await page.getByTestId('runs-none-match').waitFor({ timeout: 5_000 });
  assert.deepEqual(problems, []);
  await page.close();
});
