// Electron's IPC wiring, without Electron: one handler per op, validated, refused for untrusted senders.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EVENT_CHANNEL, opChannel } from '../../src-main/api/bridge.js';
import { createContext } from '../../src-main/api/context.js';
import type { Envelope } from '../../src-main/api/dispatch.js';
import { ops } from '../../src-main/api/ops/index.js';
import { forwardEvents, registerIpc, type IpcHost } from '../../src-main/app/ipc.js';
import { isAppPage } from '../../src-main/app/trusted-sender.js';

interface FakeEvent {
  trusted: boolean;
}

function fakeIpc() {
  const handlers = new Map<string, (event: FakeEvent, input: unknown) => Promise<Envelope>>();
  const ipc: IpcHost<FakeEvent> = {
    handle: (channel, listener) => {
      assert.ok(!handlers.has(channel), `second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  return { ipc, handlers };
}

const fakeStatus = { ortVersion: '0.0.1', providers: ['cpu'], selfcheck: { ok: true, detail: 'fake', ms: 0 } };
const ctx = createContext({ factories: { engine: () => ({ status: async () => fakeStatus }) } });

test('one IPC handler per op; inputs validated; untrusted senders refused; unregister removes all', async () => {
  const { ipc, handlers } = fakeIpc();
  const unregister = registerIpc(ipc, ctx, (e) => e.trusted);
  assert.deepEqual([...handlers.keys()].sort(), Object.keys(ops).map(opChannel).sort());

  const status = handlers.get(opChannel('engine.status'))!;
  assert.deepEqual(await status({ trusted: true }, {}), { result: fakeStatus });
  const bad = await status({ trusted: true }, { a: 1 });
  assert.ok('error' in bad && bad.error.code === 'invalid_input' && bad.error.issues?.[0]?.path === 'a');
  await assert.rejects(status({ trusted: false }, {}), /untrusted sender/);

  unregister();
  assert.equal(handlers.size, 0);
});

test('job events are forwarded to the window on the event channel until stopped', () => {
  const sent: unknown[][] = [];
  const stop = forwardEvents(ctx, (...args) => sent.push(args));
  const payload = { runId: 'j2', kind: 'demo-train', status: 'running', fraction: 0, etaSec: null, message: null } as const;
  ctx.events.emit('jobs.events', payload);
  stop();
  ctx.events.emit('jobs.events', payload);
  assert.deepEqual(sent, [[EVENT_CHANNEL, 'jobs.events', payload]]);
});

test("IPC trusts the app's own page only: its file:// URL (any query or fragment), or the dev server's origin in development", () => {
  const page = 'file:///opt/undertone/out/renderer/index.html';
  assert.ok(isAppPage(page, page));
  assert.ok(isAppPage(`${page}?token=1#/runs`, page));
  assert.ok(!isAppPage('file:///opt/undertone/out/renderer/other.html', page));
  assert.ok(!isAppPage('file:///tmp/evil/index.html', page));
  assert.ok(!isAppPage('https://evil.example/', page));
  assert.ok(!isAppPage('data:text/html,<script>1</script>', page));
  assert.ok(!isAppPage(undefined, page));
  assert.ok(!isAppPage('not a url', page));
  assert.ok(isAppPage('http://localhost:5173/#/detect', page, 'http://localhost:5173'));
  assert.ok(!isAppPage('http://localhost:5174/', page, 'http://localhost:5173'));
  assert.ok(!isAppPage('http://localhost:5173/', page), 'no dev server: http pages are never trusted');
});
