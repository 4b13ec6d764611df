// The Electron build, checked without Electron's binary: electron-vite builds main, worker, preload
// and renderer; the built main runs against a stub `electron`; the built preload runs in a bare VM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { ops } from '../../src-main/api/ops/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// inside the project, so the built main resolves its external dependencies from node_modules
const outDir = `${root}out/.test-electron-${process.pid}`;
const ortVersion = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;

before(() => {
  const r = spawnSync(
    process.execPath,
    [`${root}node_modules/electron-vite/bin/electron-vite.js`, 'build', '--outDir', outDir, '--logLevel', 'error'],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, `electron-vite build failed:\n${r.stdout}\n${r.stderr}`);
});
const storeDir = mkdtempSync(join(tmpdir(), 'undertone-electron-'));
after(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
});

test('the build has main, the engine worker, a CommonJS preload, and a renderer page carrying the CSP', () => {
  for (const f of ['main/index.js', 'main/worker.js', 'preload/index.cjs', 'renderer/index.html']) {
    assert.ok(existsSync(`${outDir}/${f}`), `${f} missing`);
  }
  for (const f of ['main/index.js', 'main/worker.js']) {
    const check = spawnSync(process.execPath, ['--check', `${outDir}/${f}`], { encoding: 'utf8' });
    const hint = /'require' has already been declared/.test(check.stderr)
      ? "\n(a top-level binding named `require` clashes with electron-vite's ESM shim: call it e.g. `requireCjs`)"
      : '';
    assert.equal(check.status, 0, `${f} does not parse:\n${check.stderr}${hint}`);
  }
  const html = readFileSync(`${outDir}/renderer/index.html`, 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'/);
});

test('built main: sandboxed, isolated window; one IPC handler per op; engine.status and a job work end to end', () => {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('electron-stub/run-main.mjs', import.meta.url)), `${outDir}/main/index.js`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, UNDERTONE_STORE: join(storeDir, 'store.db') },
  });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(report.sandboxEnabled, true);
  const prefs = report.webPreferences;
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.preload, `${outDir}/preload/index.cjs`);
  assert.deepEqual(prefs.additionalArguments, [`--undertone-ops=${Object.keys(ops).join(',')}`]);
  assert.equal(report.loaded, `${outDir}/renderer/index.html`);
  assert.deepEqual(report.windowOpen, { action: 'deny' });
  assert.equal(report.permission, false);
  assert.deepEqual(report.channels.sort(), Object.keys(ops).map((op) => `undertone:op:${op}`).sort());
  assert.equal(report.status.result?.ortVersion, ortVersion, JSON.stringify(report.status));
  assert.equal(report.bad.error.code, 'invalid_input');
  assert.match(report.untrusted, /untrusted sender/);
  assert.match(report.untrustedFrame, /untrusted sender/, 'a frame of our window that is not the app page (navigated, iframe) is refused');
  // the built jobs worker ran demo-train; its events reached the window; its loss curve is stored
  assert.equal(report.started.result?.status, 'queued', JSON.stringify(report.started));
  assert.equal(report.events[0], 'queued');
  assert.ok(report.events.includes('running'), JSON.stringify(report.events));
  assert.equal(report.events.at(-1), 'done', JSON.stringify(report.events));
  assert.deepEqual(report.metrics, [{ name: 'loss', points: 20 }]);
});

test('built preload: needs only `electron`, exposes a bridge derived from the op names, never raw IPC', async () => {
  const required: string[] = [];
  const exposed: Record<string, any> = {};
  const invoked: unknown[][] = [];
  const relays: ((...args: unknown[]) => void)[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => (invoked.push(args), { result: 'ok' }),
      on: (_channel: string, fn: (...args: unknown[]) => void) => relays.push(fn),
      removeListener: (_channel: string, fn: (...args: unknown[]) => void) => relays.splice(relays.indexOf(fn), 1),
    },
  };
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require '${name}'`);
  };
  vm.runInNewContext(readFileSync(`${outDir}/preload/index.cjs`, 'utf8'), {
    require: sandboxRequire,
    module: { exports: {} },
    exports: {},
    process: { argv: ['electron', `--undertone-ops=${Object.keys(ops).join(',')}`] },
  });
  assert.deepEqual(required, ['electron']);
  assert.deepEqual(Object.keys(exposed), ['undertone']);
  const bridge = exposed['undertone'];
  assert.deepEqual(Object.keys(bridge).sort(), ['invoke', 'on', 'ops']);
  assert.deepEqual([...bridge.ops], Object.keys(ops));

  assert.deepEqual(await bridge.invoke('engine.status', {}), { result: 'ok' });
  assert.deepEqual(invoked, [['undertone:op:engine.status', {}]]);
  const refused = await bridge.invoke('fs.readFile', { path: '/etc/passwd' });
  assert.equal(refused.error.code, 'unknown_op');
  assert.equal(invoked.length, 1, 'an unknown op never reaches IPC');

  const got: unknown[] = [];
  const off = bridge.on('jobs.events', (payload: unknown) => got.push(payload));
  const event = { runId: 'a', kind: 'demo-train', status: 'done', fraction: 1, etaSec: null, message: null };
  relays[0]!({}, 'jobs.events', event);
  relays[0]!({}, 'other.events', { ignored: true });
  off();
  assert.equal(relays.length, 0);
  assert.deepEqual(JSON.parse(JSON.stringify(got)), [event]);
  assert.throws(() => bridge.on('ipc.raw', () => {}), /unknown event/);
});
