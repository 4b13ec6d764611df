// The `api` CLI command reaches every op through the same dispatcher as the app.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ops } from '../../src-main/api/ops/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ortVersion = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;

function cli(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

test('api CLI: lists every op, runs engine.status, and reports bad input as structured errors', async () => {
  const [list, status, viaStdin, bad, unknown, notJson] = await Promise.all([
    cli(['api']),
    cli(['api', 'engine.status']),
    cli(['api', 'engine.status', '-'], '{}'),
    cli(['api', 'engine.status', JSON.stringify({ verbose: 'x'.repeat(100) })]),
    cli(['api', 'no.such.op', '{}']),
    cli(['api', 'engine.status', '{not json']),
  ]);

  assert.equal(list.code, 0, list.stderr);
  const listed = list.stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]);
  assert.deepEqual(listed, Object.keys(ops));

  for (const r of [status, viaStdin]) {
    assert.equal(r.code, 0, r.stderr);
    const result = ops['engine.status'].output.parse(JSON.parse(r.stdout));
    assert.equal(result.ortVersion, ortVersion);
  }

  assert.equal(bad.code, 2);
  const { error } = JSON.parse(bad.stderr) as { error: { code: string; op: string; issues: { path: string }[] } };
  assert.equal(error.code, 'invalid_input');
  assert.equal(error.op, 'engine.status');
  assert.deepEqual(error.issues.map((i) => i.path), ['verbose']);

  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /"unknown_op"/);

  assert.equal(notJson.code, 1);
  assert.match(notJson.stderr, /input is not JSON/);
});

test('api CLI with --store: store ops, a job run to its end, errors with their codes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'undertone-cli-api-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const store = ['--store', join(dir, 'store.db')];
  const json = (r: { stdout: string }) => JSON.parse(r.stdout);

  // a one-shot CLI call runs the job it starts to the end before it exits
  const start = await cli(['api', 'jobs.start', JSON.stringify({ kind: 'demo-generate', params: { n: 20 } }), ...store]);
  assert.equal(start.code, 0, start.stderr);
  const runId = json(start).id as string;
  const [run, datasets, info, model, missing, outside, badParams] = await Promise.all([
    cli(['api', 'runs.get', JSON.stringify({ id: runId }), ...store]),
    cli(['api', 'datasets.list', '{}', ...store]),
    cli(['api', 'store.info', ...store]),
    cli(['api', 'models.create', JSON.stringify({ name: 'tiny', path: '/models/tiny' }), ...store]),
    cli(['api', 'datasets.get', JSON.stringify({ id: 'nope' }), ...store]),
    cli(['api', 'experiments.export', JSON.stringify({ select: { all: true }, out: '/etc/undertone' }), ...store]),
    cli(['api', 'jobs.start', JSON.stringify({ kind: 'demo-train', params: { steps: -1 } }), ...store]),
  ]);
  assert.equal(json(run).status, 'done', run.stderr);
  const [d] = json(datasets);
  assert.deepEqual([d.runId, d.sampleCount], [runId, 20]);
  assert.equal(json(info).path, join(dir, 'store.db'));
  assert.equal(json(info).counts.samples, 20);
  assert.equal(json(model).name, 'tiny');
  assert.equal(missing.code, 1);
  assert.equal(JSON.parse(missing.stderr).error.code, 'not_found');
  assert.equal(outside.code, 2);
  assert.deepEqual(JSON.parse(outside.stderr).error.issues.map((i: { path: string }) => i.path), ['out']);
  assert.equal(badParams.code, 2);
  assert.deepEqual(JSON.parse(badParams.stderr).error.issues.map((i: { path: string }) => i.path), ['params.steps']);
});

test('datasets CLI: a JSONL file imports with filter verdicts, lists, and exports back; a bad row names file:line', async () => {
  const d = mkdtempSync(join(tmpdir(), 'undertone-cli-datasets-'));
  try {
    const store = ['--store', join(d, 's.db')];
    const rows = [{ prompt: 'Continue: 1, 2.', completion: '3, 4' }, { prompt: 'Continue: 5.', completion: 'six' }];
    writeFileSync(join(d, 'nums.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const imp = await cli(['datasets', 'import', join(d, 'nums.jsonl'), '--filter', ...store]);
    assert.equal(imp.code, 0, imp.stderr);
    const id = /^dataset ([0-9a-f-]{36}) "nums": 2 samples, pass rate 50\.0%$/m.exec(imp.stdout)?.[1];
    assert.ok(id, imp.stdout);
    const list = await cli(['datasets', ...store]);
    assert.match(list.stdout, new RegExp(`^${id}\\s+2 samples\\s+pass\\s+50\\.0%.*nums$`, 'm'));
    const out = join(d, 'out.jsonl');
    const exp = await cli(['datasets', 'export', id, '--out', out, '--passed-only', ...store]);
    assert.equal(exp.code, 0, exp.stderr);
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)), [{ ...rows[0], passed: true }]);
    writeFileSync(join(d, 'bad.jsonl'), JSON.stringify(rows[0]) + '\n{"text": "x"}\n');
    const bad = await cli(['datasets', 'import', join(d, 'bad.jsonl'), ...store]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /bad\.jsonl:2: unrecognised row/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
