import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { openStore } from '../../src-main/store/index.js';
import { repoRoot, tempDir } from '../store/helpers.js';

const dir = tempDir();
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src-main/cli/main.ts'), ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('CLI: jobs-start, runs, export, import, jobs-resume, jobs-cancel on a --store path', () => {
  const a = join(dir, 'a.db');
  const start = cli('jobs-start', 'demo-generate', '--params', '{"seed":3,"n":12,"checkpointEvery":5}', '--store', a);
  assert.equal(start.code, 0, start.err);
  assert.match(start.out, /run [0-9a-f-]{36} done \{"datasetId":"[0-9a-f-]{36}","samples":12\}/);
  // stdout is a pipe: no \r rewrites; the status lines are whole lines
  assert.equal(start.out.includes('\r'), false, JSON.stringify(start.out.slice(0, 200)));
  assert.match(start.out, /^\[demo-generate [0-9a-f]{8}\] done 100\.0%/m);

  const runs = JSON.parse(cli('runs', '--json', '--store', a).out) as { id: string; status: string }[];
  assert.deepEqual(runs.map((r) => r.status), ['done']);

  const out = join(dir, 'export');
  const exp = cli('export', runs[0]!.id, '--out', out, '--store', a);
  assert.equal(exp.code, 0, exp.err);
  assert.match(exp.out, /runs 1, datasets 1, samples 12/);

  const b = join(dir, 'b.db');
  const imp = cli('import', out, '--store', b);
  assert.equal(imp.code, 0, imp.err);
  const s = openStore(b);
  assert.equal(s.datasets.list()[0]!.sampleCount, 12);
  // two runs left queued and running by a process that died
  const dead = { pid: 999_999_999, token: 'gone' };
  const left = s.runs.create({ kind: 'demo-generate', config: { seed: 3, n: 12, checkpointEvery: 5 }, codeVersion: 'x', owner: dead });
  const other = s.runs.create({ kind: 'demo-train', config: {}, codeVersion: 'x', owner: dead });
  s.runs.claim(other.id);
  s.close();

  const resume = cli('jobs-resume', left.id, '--store', b);
  assert.equal(resume.code, 0, resume.err);
  assert.match(resume.out, /resumes from the start \(no checkpoint\)/);
  assert.match(resume.out, /done \{"datasetId"/);
  const s2 = openStore(b);
  assert.equal(s2.runs.get(other.id).status, 'interrupted', 'the resuming runner marked the dead process\'s other run interrupted');
  assert.equal(s2.datasets.list().length, 2);
  s2.close();

  assert.match(cli('jobs-cancel', other.id, '--store', b).out, /run .* cancelled/);
  const done = cli('jobs-cancel', left.id, '--store', b);
  assert.equal(done.code, 1);
  assert.match(done.err, /is already done/);
  const bad = cli('jobs-cancel', 'no-such-run', '--store', b);
  assert.match(bad.err, /run 'no-such-run' not found/);
  const traversal = cli('import', `${dir}/../x`, '--store', b);
  assert.match(traversal.err, /'\.\.' segment/);
});

test('CLI runs: the newest --limit runs, with a paging line; datasets refuses a mistyped --store instead of creating one', () => {
  const p = join(dir, 'many.db');
  const s = openStore(p);
  const ids: string[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const r = s.runs.create({ kind: 'demo-train', config: { i }, codeVersion: 'x' });
      s.runs.finish(r.id, { status: 'done' });
    }
    // the store's order (created_at, then id: runs made in one millisecond)
    ids.push(...s.runs.list().map((r) => r.id));
  } finally {
    s.close();
  }
  const r = cli('runs', '--limit', '2', '--store', p);
  assert.equal(r.code, 0, r.err);
  const shown = r.out.split('\n').filter((l) => /^[0-9a-f-]{36} /.test(l)).map((l) => l.slice(0, 36));
  assert.deepEqual(shown, ids.slice(3), 'the two newest');
  assert.match(r.out, /2 run\(s\) in .* \(runs 4–5 of 5, oldest first; --offset and --limit page\)/);
  const first = cli('runs', '--limit', '2', '--offset', '0', '--json', '--store', p);
  assert.deepEqual((JSON.parse(first.out) as { id: string }[]).map((x) => x.id), ids.slice(0, 2));
  const typo = join(dir, 'typo-store.db');
  const ds = cli('datasets', '--store', typo);
  assert.notEqual(ds.code, 0);
  assert.ok(!existsSync(typo), 'no empty store created');
});

test('CLI backup: one file holding every committed row, the -wal part included', () => {
  const p = join(dir, 'to-backup.db');
  const s = openStore(p);
  try {
    // rows still in the -wal file (no checkpoint of the WAL while the store is open)
    const d = s.datasets.create({ name: 'numbers' });
    s.samples.add({ datasetId: d.id, samples: Array.from({ length: 300 }, (_, i) => ({ idx: i, prompt: 'p', completion: String(i) })) });
    const out = join(dir, 'backup.db');
    const r = cli('backup', '--out', out, '--store', p);
    assert.equal(r.code, 0, r.err);
    const b = openStore(out);
    try {
      assert.equal(b.samples.list({ datasetId: d.id, limit: 1000 }).length, 300);
      assert.equal(b.integrityCheck(), 'ok');
    } finally {
      b.close();
    }
    assert.notEqual(cli('backup', '--out', out, '--store', p).code, 0, 'an existing file is not overwritten');
  } finally {
    s.close();
  }
});

test('CLI jobs-cancel --force: a run held "running" by a live but unrelated pid becomes interrupted and resumable', () => {
  const p = join(dir, 'stuck.db');
  const s = openStore(p);
  let id: string;
  try {
    // pid 1 is alive forever: a reused pid
    const r = s.runs.create({ kind: 'demo-train', config: { steps: 5 }, codeVersion: 'x', owner: { pid: 1, token: 'long-gone' } });
    s.runs.claim(r.id);
    id = r.id;
  } finally {
    s.close();
  }
  assert.match(cli('runs', '--store', p).out, /running/);
  const f = cli('jobs-cancel', id, '--force', '--store', p);
  assert.equal(f.code, 0, f.err);
  const after = openStore(p);
  try {
    const run = after.runs.get(id);
    assert.deepEqual([run.status, run.owner], ['interrupted', null]);
  } finally {
    after.close();
  }
  const resumed = cli('jobs-resume', id, '--store', p);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, /done/);
});

test('CLI --store: a folder, a missing folder or a file as the parent is a one-line error naming the path, not SQLite\'s "unable to open database file"', () => {
  const folder = join(dir, 'a-folder');
  mkdirSync(folder);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const oneLine = (r: { code: number | null; out: string; err: string }, re: RegExp) => {
    assert.equal(r.code, 1, r.out);
    assert.equal(r.err.trim().split('\n').length, 1, `one line, no stack trace: ${r.err}`);
    assert.match(r.err.trim(), re);
  };
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const isFolder = new RegExp(`^error: --store ${esc(folder)}: is a folder; pass a \\.db file path \\(e\\.g\\. ${esc(join(folder, 'undertone.db'))}\\)$`);
  for (const args of [['runs'], ['backup', '--out', join(dir, 'bk.db')], ['jobs-start', 'demo-train', '--params', '{"steps":1}'], ['import', dir]]) {
    oneLine(cli(...args, '--store', folder), isFolder);
  }
  assert.deepEqual(readdirSync(folder), [], 'nothing was written into the folder');
  const missing = join(dir, 'no-such-folder', 'exp.db');
  oneLine(cli('runs', '--store', missing), new RegExp(`^error: no store at ${esc(missing)} \\(--store\\): the folder ${esc(join(dir, 'no-such-folder'))} does not exist`));
  const under = join(file, 'sub', 'exp.db');
  oneLine(cli('jobs-start', 'demo-train', '--params', '{"steps":1}', '--store', under), new RegExp(`^error: --store ${esc(under)}: ${esc(file)} is a file, not a folder$`));
  oneLine(cli('runs', '--store', join(file, 'exp.db')), new RegExp(`${esc(file)} is a file, not a folder$`));
});

test('CLI jobs-start/jobs-resume --json: stdout is one JSON object (run id, kind, status, result, vector ids); progress goes to stderr', () => {
  const p = join(dir, 'json.db');
  const r = cli('jobs-start', 'demo-train', '--params', '{"steps":5}', '--store', p, '--json');
  assert.equal(r.code, 0, r.err);
  const end = JSON.parse(r.out) as { runId: string; kind: string; status: string; result: unknown; error: unknown; vectorIds: string[]; store: string };
  assert.equal(r.out.trim().split('\n').length, 1, 'one line on stdout');
  assert.match(r.err, /\[demo-train [0-9a-f]{8}\] done 100\.0% step 5\/5/, 'progress on stderr');
  assert.match(r.err, /^run [0-9a-f-]{36} \(demo-train\) in /);
  const s = openStore(p);
  try {
    const run = s.runs.get(end.runId);
    const vectors = s.vectors.list({ runId: run.id });
    assert.equal(vectors.length, 1);
    assert.deepEqual(end, { runId: run.id, kind: 'demo-train', status: 'done', result: run.result, error: null, vectorIds: [vectors[0]!.id], store: p });
    assert.equal((run.result as { vectorId: string }).vectorId, vectors[0]!.id);
  } finally {
    s.close();
  }

  // a run that fails: still one object on stdout, with its error, and exit code 1; jobs-resume --json likewise
  const notModel = join(dir, 'not-a-model');
  mkdirSync(notModel);
  const f = cli('jobs-start', 'prefs-eval', '--params', JSON.stringify({ model: notModel, animals: ['cat'] }), '--store', p, '--json');
  assert.equal(f.code, 1, f.err);
  const failed = JSON.parse(f.out) as { runId: string; kind: string; status: string; result: unknown; error: string; vectorIds: string[] };
  assert.equal(failed.kind, 'prefs-eval');
  assert.equal(failed.status, 'failed');
  assert.equal(failed.result, null);
  assert.match(failed.error, /not a Hugging Face model folder/);
  assert.deepEqual(failed.vectorIds, []);
  assert.match(f.err, new RegExp(`jobs-resume ${failed.runId} --store`));
  const again = cli('jobs-resume', failed.runId, '--store', p, '--json');
  assert.equal(again.code, 1, again.err);
  assert.deepEqual((JSON.parse(again.out) as { runId: string; status: string }), { ...failed, store: p });
  assert.match(again.err, /resumes from the start/);
});
