// `serve`: loopback only, token on every API call and on the event socket, Host and Origin checked.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { createContext } from '../../src-main/api/context.js';
import { startServer, type RunningServer } from '../../src-main/serve/server.js';

const fakeStatus = { ortVersion: '9.9.9-test', providers: ['cpu'], selfcheck: { ok: true, detail: 'fake', ms: 3 } };
const ctx = createContext({ factories: { engine: () => ({ status: async () => fakeStatus }) } });
const staticDir = mkdtempSync(join(tmpdir(), 'undertone-serve-'));
let srv: RunningServer;

before(async () => {
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  srv = await startServer({ ctx, staticDir, port: 0, maxBodyBytes: 4096 });
});
after(async () => {
  await srv.close();
  rmSync(staticDir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: srv.port, path, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const json = { 'Content-Type': 'application/json' };
const authed = (token = srv.token) => ({ ...json, Authorization: `Bearer ${token}` });

test('binds 127.0.0.1 only and prints a URL carrying the token', () => {
  const addr = srv.server.address() as AddressInfo;
  assert.equal(addr.address, '127.0.0.1');
  assert.notEqual(addr.address, '0.0.0.0');
  assert.equal(srv.url, `http://127.0.0.1:${srv.port}/?token=${srv.token}`);
  assert.ok(srv.token.length >= 32, 'token is long and random');
});

test('API: no token or a wrong token is 401; the right token gets the JSON result', async () => {
  const body = '{}';
  assert.equal((await http('/api/engine.status', { method: 'POST', headers: json, body })).status, 401);
  const wrong = await http('/api/engine.status', { method: 'POST', headers: authed(srv.token.slice(0, -1) + (srv.token.endsWith('A') ? 'B' : 'A')), body });
  assert.equal(wrong.status, 401);
  assert.equal((await http('/api/engine.status', { method: 'POST', headers: authed('short'), body })).status, 401);
  const inQuery = await http(`/api/engine.status?token=${srv.token}`, { method: 'POST', headers: json, body });
  assert.equal(inQuery.status, 401, 'API calls carry the token in the header, not the URL');
  const ok = await http('/api/engine.status', { method: 'POST', headers: authed(), body });
  assert.equal(ok.status, 200, ok.body);
  assert.match(String(ok.headers['content-type']), /^application\/json/);
  assert.deepEqual(JSON.parse(ok.body), { result: fakeStatus });
  const empty = await http('/api/engine.status', { method: 'POST', headers: authed() });
  assert.deepEqual(JSON.parse(empty.body), { result: fakeStatus }, 'an empty body is no input');
});

test('API: bad input is a 400 with the structured error; other misuse is refused plainly', async () => {
  const bad = await http('/api/engine.status', { method: 'POST', headers: authed(), body: '{"extra":1}' });
  assert.equal(bad.status, 400);
  assert.deepEqual(JSON.parse(bad.body).error.issues, [{ path: 'extra', message: 'unknown field' }]);
  const unknown = await http('/api/nope', { method: 'POST', headers: authed(), body: '{}' });
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).error.code, 'unknown_op');
  assert.equal((await http('/api/engine.status', { method: 'POST', headers: authed(), body: '{oops' })).status, 400);
  const big = JSON.stringify({ pad: 'x'.repeat(5000) });
  assert.equal((await http('/api/engine.status', { method: 'POST', headers: authed(), body: big })).status, 413);
  // an op that carries a file (a dataset import) has its own, larger limit
  const file = Array.from({ length: 200 }, (_, i) => JSON.stringify({ prompt: `p${i}`, completion: `${i}, ${i + 1}` })).join('\n');
  const imported = await http('/api/datasets.importJsonl', { method: 'POST', headers: authed(), body: JSON.stringify({ name: 'big', text: file }) });
  assert.equal(imported.status, 200, imported.body);
  assert.equal(JSON.parse(imported.body).result.added, 200);
  const form = { ...authed(), 'Content-Type': 'text/plain' };
  assert.equal((await http('/api/engine.status', { method: 'POST', headers: form, body: '{}' })).status, 415);
  assert.equal((await http('/api/engine.status', { headers: authed() })).status, 405);
});

test('DNS-rebinding and cross-origin guards: foreign Host or Origin is refused even with the token', async () => {
  const evilHost = await http('/api/engine.status', { method: 'POST', headers: { ...authed(), Host: 'evil.example:80' }, body: '{}' });
  assert.equal(evilHost.status, 421);
  const rebound = await http('/', { headers: { Host: `attacker.test:${srv.port}` } });
  assert.equal(rebound.status, 421);
  const evilOrigin = await http('/api/engine.status', {
    method: 'POST',
    headers: { ...authed(), Origin: 'http://evil.example' },
    body: '{}',
  });
  assert.equal(evilOrigin.status, 403);
  const sameOrigin = await http('/api/engine.status', {
    method: 'POST',
    headers: { ...authed(), Origin: `http://localhost:${srv.port}`, Host: `localhost:${srv.port}` },
    body: '{}',
  });
  assert.equal(sameOrigin.status, 200);
  // over `ssh -L 9000:127.0.0.1:<port>` the browser names the forwarded port: loopback, any port
  const forwarded = await http('/api/engine.status', {
    method: 'POST',
    headers: { ...authed(), Origin: 'http://localhost:9000', Host: 'localhost:9000' },
    body: '{}',
  });
  assert.equal(forwarded.status, 200);
  assert.equal((await http('/', { headers: { Host: 'localhost:9000' } })).status, 200);
  // the Origin must be the request's own host and port
  const otherPort = await http('/api/engine.status', {
    method: 'POST',
    headers: { ...authed(), Origin: 'http://localhost:9001', Host: 'localhost:9000' },
    body: '{}',
  });
  assert.equal(otherPort.status, 403);
  for (const host of ['localhost.evil.example:9000', '127.0.0.1.nip.io', 'localhost:9000:1']) {
    assert.equal((await http('/', { headers: { Host: host } })).status, 421, `Host '${host}'`);
  }
});

test('static files: the page has the CSP header; nothing outside the renderer folder is served', async () => {
  const page = await http('/');
  assert.equal(page.status, 200);
  const csp = String(page.headers['content-security-policy']);
  for (const d of ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), csp);
  assert.ok(!csp.includes('unsafe'), csp);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%E0%A4%A', '/missing.js']) {
    assert.equal((await http(p)).status, 404, p);
  }
});

function openSocket(query: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api/events${query}`, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.once('error', () => resolve({}));
  });
}

test('event socket: refused without the right token or from a foreign origin; pushes job events when authorised', async () => {
  assert.equal((await openSocket('')).status, 401);
  assert.equal((await openSocket('?token=wrong')).status, 401);
  assert.equal((await openSocket(`?token=${srv.token}`, { Origin: 'http://evil.example' })).status, 403);
  const { ws } = await openSocket(`?token=${srv.token}`, { Origin: `http://127.0.0.1:${srv.port}` });
  assert.ok(ws, 'authorised socket opens');
  const received = new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
  const payload = { runId: 'j1', kind: 'demo-train', status: 'running', fraction: 0.5, etaSec: 1, message: 'step 5/10' } as const;
  ctx.events.emit('jobs.events', payload);
  assert.deepEqual(await received, { event: 'jobs.events', payload });
  ws.close();
});
