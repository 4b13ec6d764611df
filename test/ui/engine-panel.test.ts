// The renderer in a real browser (Debian Chromium), served by `npm run cli -- serve`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../../', import.meta.url));
const skip = existsSync(CHROMIUM) ? false : `Debian Chromium not found at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;

let serve: ChildProcess | undefined;
let browser: Browser | undefined;
let url = '';
const storeDir = mkdtempSync(join(tmpdir(), 'undertone-ui-'));

function startServe(): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', 'src-main/cli/main.ts', 'serve', '--port', '0', '--store', join(storeDir, 'store.db'), '--no-open'];
    serve = spawn(process.execPath, args, { cwd: root });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    serve.stdout!.on('data', onData);
    serve.stderr!.on('data', onData);
    serve.on('exit', (code) => reject(new Error(`serve exited (${code}):\n${out}`)));
  });
}

before(async () => {
  if (skip) return;
  // a fresh renderer build, so the test sees the current sources (serve only builds when missing)
  await build({ configFile: `${root}src-renderer/vite.config.ts`, logLevel: 'error' });
  url = await startServe();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  serve?.kill('SIGTERM');
  rmSync(storeDir, { recursive: true, force: true });
});

async function expectedStatus(): Promise<{ ortVersion: string; providers: string[] }> {
  const u = new URL(url);
  const res = await fetch(new URL('/api/engine.status', u), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${u.searchParams.get('token')}` },
    body: '{}',
  });
  return ((await res.json()) as { result: { ortVersion: string; providers: string[] } }).result;
}

async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1100, height: 640 } });
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  return { page, problems };
}

test('engine panel shows what engine.status returns, under the strict CSP', { skip, timeout: 60_000 }, async () => {
  const expected = await expectedStatus();
  const { page, problems } = await openPage();
  await page.goto(`${url}#engine`);
  await page.getByTestId('ort-version').waitFor({ timeout: 30_000 });

  assert.equal(await page.getByTestId('ort-version').textContent(), expected.ortVersion);
  const chips = await page.locator('.chip').allTextContents();
  assert.deepEqual(chips, expected.providers);
  assert.match((await page.getByTestId('selfcheck').textContent()) ?? '', /^\s*(PASS|FAIL)\s+\d+ ms\s+\S/);
  assert.equal(new URL(page.url()).searchParams.get('token'), null, 'the token is taken out of the address bar');

  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/engine-panel.png` });

  // a reload keeps working (token in sessionStorage), and the event socket connects under the CSP
  await page.reload();
  await page.getByTestId('ort-version').waitFor({ timeout: 30_000 });
  assert.equal(new URL(page.url()).hash, '#engine');
  // (a string: this file is type-checked without DOM types)
  const socket = await page.evaluate<string>(`new Promise((resolve) => {
    const token = sessionStorage.getItem('undertone.token') ?? '';
    const ws = new WebSocket('ws://' + location.host + '/api/events?token=' + encodeURIComponent(token));
    ws.onopen = () => resolve('open');
    ws.onerror = () => resolve('error');
  })`);
  assert.equal(socket, 'open');
  assert.deepEqual(problems, [], 'no console errors (CSP violations show up here)');
  await page.close();
});

test('a new store opens on Detect with the demo model and the example experiment open; the nav runs in a researcher\'s order', { skip, timeout: 30_000 }, async () => {
  const { page, problems } = await openPage();
  await page.goto(url);
  await page.getByRole('heading', { name: 'Detect', exact: true, level: 2 }).waitFor({ timeout: 10_000 });
  const example = page.getByTestId('example-experiment');
  await example.getByRole('button', { name: 'Run the example' }).waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await example.getAttribute('open'), '', 'the details element is open');
  assert.match(await page.getByTestId('detect-form').getByRole('textbox').first().inputValue(), /resources\/demo\/stories260k$/);
  assert.deepEqual(await page.locator('nav a').allTextContents(), ['Detect', 'Datasets', 'Compare', 'Features', 'Runs', 'Jobs', 'Engine']);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the lab views (Detect, Compare, Features) open from the nav', { skip, timeout: 30_000 }, async () => {
  const { page, problems } = await openPage();
  await page.goto(`${url}#engine`);
  for (const name of ['Detect', 'Compare', 'Features']) {
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { name, exact: true, level: 2 }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByText('coming in a later issue').count(), 0);
  }
  await page.getByRole('link', { name: /Engine/ }).click();
  await page.getByTestId('ort-version').waitFor({ timeout: 30_000 });
  assert.deepEqual(problems, []);
  await page.close();
});
