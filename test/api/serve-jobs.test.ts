// `serve` with a real store: a job started over HTTP reports progress over the WebSocket until done;
// the store's errors come back with their HTTP statuses.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { createContext } from '../../src-main/api/context.js';
import type { JobEvent } from '../../src-main/api/contract-types.js';
import { startServer, type RunningServer } from '../../src-main/serve/server.js';

const dir = mkdtempSync(join(tmpdir(), 'undertone-serve-jobs-'));
const ctx = createContext({ storePath: join(dir, 'store.db') });
let srv: RunningServer;

before(async () => {
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  srv = await startServer({ ctx, staticDir: dir, port: 0 });
});
after(async () => {
  await srv.close();
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
});

async function api(op: string, input: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${srv.port}/api/${op}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${srv.token}` },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: await res.json() };
}

test('demo-train started over HTTP streams progress over the WebSocket until done; its loss curve is stored', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api/events?token=${srv.token}`);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const events: JobEvent[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'done' event in 30 s: ${JSON.stringify(events.slice(-3))}`)), 30_000);
    ws.on('message', (data) => {
      const { event, payload } = JSON.parse(String(data)) as { event: string; payload: JobEvent };
      assert.equal(event, 'jobs.events');
      events.push(payload);
      if (payload.status === 'done') (clearTimeout(timer), resolve());
    });
  });

  const started = await api('jobs.start', { kind: 'demo-train', params: { steps: 60, checkpointEvery: 20, stepDelayMs: 2 } });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const runId: string = started.body.result.id;
  await done;
  ws.close();

  const mine = events.filter((e) => e.runId === runId);
  assert.equal(mine[0]!.status, 'queued');
  const progress = mine.filter((e) => e.status === 'running' && e.message?.startsWith('step '));
  assert.equal(progress.length, 60, 'one progress event per step');
  assert.deepEqual(progress.map((e) => e.fraction), Array.from({ length: 60 }, (_, i) => (i + 1) / 60));
  assert.ok(progress.some((e) => e.etaSec !== null), 'an ETA once progress can be timed');
  assert.equal(mine.at(-1)!.fraction, 1);

  const run = await api('runs.get', { id: runId });
  assert.equal(run.status, 200);
  assert.equal(run.body.result.status, 'done');
  assert.equal(run.body.result.kind, 'demo-train');
  assert.match(run.body.result.codeVersion, /^undertone@/);
  const metrics = await api('runs.metrics', { runId });
  const [loss] = metrics.body.result;
  assert.equal(loss.name, 'loss');
  assert.equal(loss.unit, 'nats');
  assert.deepEqual(loss.x, Array.from({ length: 60 }, (_, i) => i + 1));
  assert.ok(loss.values.every((v: unknown) => typeof v === 'number' && v > 0));
  assert.ok(loss.values.at(-1) < loss.values[0], 'the loss goes down');
  const vectors = await api('runs.vectors', { runId });
  assert.equal(vectors.body.result.length, 1);
  const values = await api('vectors.get', { id: vectors.body.result[0].id });
  assert.equal(values.body.result.values.length, 16);
});

test('store errors keep their HTTP statuses: 404 not found, 409 conflict, 400 invalid (paths outside the allowed roots)', async () => {
  const missing = await api('runs.get', { id: 'no-such-run' });
  assert.deepEqual([missing.status, missing.body.error.code], [404, 'not_found']);
  assert.equal((await api('models.create', { id: 'm', name: 'm', path: '/m' })).status, 200);
  const dup = await api('models.create', { id: 'm', name: 'm', path: '/m' });
  assert.deepEqual([dup.status, dup.body.error.code], [409, 'conflict']);
  const outside = await api('experiments.export', { select: { all: true }, out: '/etc/undertone-export' });
  assert.deepEqual([outside.status, outside.body.error.issues], [400, [{ path: 'out', message: outside.body.error.issues[0].message }]]);
  assert.match(outside.body.error.message, /outside the allowed folders/);
  const traversal = await api('experiments.import', { dir: `${dir}/../../etc` });
  assert.deepEqual([traversal.status, traversal.body.error.issues[0].path], [400, 'dir']);
  const relative = await api('experiments.import', { dir: 'etc' });
  assert.deepEqual([relative.status, relative.body.error.code], [400, 'invalid_input']);
  const badParams = await api('jobs.start', { kind: 'demo-train', params: { steps: 'many' } });
  assert.deepEqual([badParams.status, badParams.body.error.issues[0].path], [400, 'params.steps']);
});
