// The `api` CLI command reaches every op through the same dispatcher as the app.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';
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
