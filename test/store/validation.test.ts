import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  exportExperiment, importExperiment, openStore, resolveInside, resolveStorePath, defaultStorePath, StoreError, MAX_NAME, MAX_TEXT,
} from '../../src-main/store/index.js';
import { JobRunner } from '../../src-main/jobs/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const store = openStore(join(dir, 'v.db'));

/** Assert `fn` throws an 'invalid' (or given code) StoreError whose message matches every pattern. */
function rejects(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('unknown fields are named', () => {
  rejects(() => store.models.create({ name: 'm', path: '/m', colour: 'red' } as never), /invalid model/, /Unrecognized key.*colour/);
  rejects(() => store.samples.add({ datasetId: 'd', samples: [{ idx: 0, prompt: '', completion: '', score: 1 }] } as never), /samples\.0/, /score/);
  rejects(() => store.runs.list({ statuss: 'done' } as never), /statuss/);
});

test('wrong types name the field and the expected type', () => {
  rejects(() => store.models.create({ name: 5, path: '/m' } as never), /name: .*expected string/);
  rejects(() => store.datasets.create({ name: 'd', seed: 1.5 }), /seed: .*expected int/);
  rejects(() => store.datasets.create({ name: 'd', seed: -1 }), /seed: .*>=0/);
  rejects(() => store.runs.list({ status: 'sleeping' as never }), /status/);
  rejects(() => store.interventionSets.create({ name: 's', spec: { f: () => 1 } as never }), /spec/);
  rejects(() => store.vectors.create({ name: 'v', shape: [3], data: new Float32Array(2) }), /data: data has 8 bytes but F32\[3\] needs 12/);
  rejects(() => store.vectors.create({ name: 'v', dtype: 'F16', shape: [2], data: [1, 2] }), /only accepted for F32 or F64/);
  rejects(() => store.models.get('not an id!'), /model 'not an id!' not found/);
  rejects(() => store.metrics.list('a b'), /run id/, /must be an id/);
});

test('oversized strings and JSON are refused with the limit', () => {
  rejects(() => store.models.create({ name: 'x'.repeat(MAX_NAME + 1), path: '/m' }), /name: Too big.*<=200/);
  const d = store.datasets.create({ name: 'big' });
  rejects(() => store.samples.add({ datasetId: d.id, samples: [{ idx: 0, prompt: 'p', completion: 'x'.repeat(MAX_TEXT + 1) }] }), /samples\.0\.completion: Too big/);
  rejects(() => store.interventionSets.create({ name: 's', spec: { blob: 'x'.repeat(1_000_001) } }), /spec: JSON value is larger than 1000000 bytes/);
  rejects(() => store.models.create({ name: 'm', path: '/m'.repeat(3000) }), /path: Too big/);
  assert.equal(store.datasets.get(d.id).sampleCount, 0);
});

test('path traversal is refused in path fields and in relative paths under a base', () => {
  rejects(() => store.models.create({ name: 'm', path: '/models/../../etc/passwd' }), /path: path contains a '\.\.' segment/);
  rejects(() => store.figures.addFile({ figureId: 'f', path: '..\\..\\x.svg', format: 'svg' }), /path traversal/);
  rejects(() => store.figures.addFile({ figureId: 'f', path: 'a\0b', format: 'svg' }), /NUL/);
  rejects(() => resolveInside('/base', '../outside', 'file'), /escapes \/base/);
  rejects(() => resolveInside('/base', 'a/../../outside', 'file'), /escapes/);
  rejects(() => resolveInside('/base', '/etc/passwd', 'file'), /must be a relative path/);
  assert.equal(resolveInside('/base', 'a/./b.jsonl', 'file'), '/base/a/b.jsonl');
  rejects(() => resolveStorePath('/data/../../x.db'), /--store/, /'\.\.' segment/);
  rejects(() => exportExperiment(store, { out: '/tmp/../etc', select: { all: true } }), /out: path contains a '\.\.' segment/);
});

test('store location: --store, then UNDERTONE_STORE, then the OS app-data folder', () => {
  assert.equal(resolveStorePath('/a/b.db', { UNDERTONE_STORE: '/c.db' }), '/a/b.db');
  assert.equal(resolveStorePath(undefined, { UNDERTONE_STORE: '/c.db' }), '/c.db');
  assert.match(defaultStorePath('linux', {}), /\.config\/undertone\/undertone\.db$/);
  assert.match(defaultStorePath('darwin', {}), /Library\/Application Support\/Undertone\/undertone\.db$/);
  assert.match(defaultStorePath('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }), /Roaming.Undertone.undertone\.db$/);
});

test('missing paths and bad export folders get errors naming the path', () => {
  rejects(() => importExperiment(store, { dir: join(dir, 'nope') }), /import folder '.*nope' not found/);
  mkdirSync(join(dir, 'empty'));
  rejects(() => importExperiment(store, { dir: join(dir, 'empty') }), /manifest file '.*manifest\.json' not found/);
  const full = join(dir, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'x'), '');
  rejects(() => exportExperiment(store, { out: full, select: { all: true } }), /export folder .*full is not empty/);
  rejects(() => exportExperiment(store, { out: join(dir, 'e0'), select: { runIds: ['nope'] } }), /run 'nope' not found/);
  rejects(() => exportExperiment(store, { out: join(dir, 'e0'), select: {} }), /select at least one run or dataset, or all/);
});

test('a tampered or malformed export folder is refused, naming the file, and imports nothing', () => {
  const src = openStore(join(dir, 'src.db'));
  const d = src.datasets.create({ name: 'nums' });
  src.samples.add({ datasetId: d.id, samples: [{ idx: 0, prompt: 'p', completion: '1, 2' }] });
  const out = join(dir, 'exp');
  exportExperiment(src, { out, select: { datasetIds: [d.id] } });
  src.close();
  const copy = (name: string): string => {
    const p = join(dir, name);
    cpSync(out, p, { recursive: true });
    return p;
  };
  const target = openStore(join(dir, 'target.db'));
  const before = target.datasets.list().length;

  const tampered = copy('tampered');
  writeFileSync(join(tampered, 'samples.jsonl'), readFileSync(join(tampered, 'samples.jsonl'), 'utf8').replace('1, 2', '1, 3'));
  rejects(() => importExperiment(target, { dir: tampered }), /samples\.jsonl: sha256 .* does not match the manifest/);

  // a FIFO in place of a listed file used to block the whole process on the read (serve froze)
  if (process.platform !== 'win32') {
    const fifo = copy('fifo');
    rmSync(join(fifo, 'samples.jsonl'));
    execFileSync('mkfifo', [join(fifo, 'samples.jsonl')]);
    rejects(() => importExperiment(target, { dir: fifo }), /exported file .*samples\.jsonl is not a regular file/);
  }
  const longer = copy('longer');
  writeFileSync(join(longer, 'samples.jsonl'), readFileSync(join(longer, 'samples.jsonl'), 'utf8') + ' ');
  rejects(() => importExperiment(target, { dir: longer }), /samples\.jsonl: \d+ bytes, the manifest says \d+/);

  const evil = copy('evil');
  const m = JSON.parse(readFileSync(join(evil, 'manifest.json'), 'utf8'));
  m.files['../escape.jsonl'] = m.files['samples.jsonl'];
  writeFileSync(join(evil, 'manifest.json'), JSON.stringify(m));
  rejects(() => importExperiment(target, { dir: evil }), /unexpected file '\.\.\/escape\.jsonl'/);

  const extra = copy('extra');
  const m2 = JSON.parse(readFileSync(join(extra, 'manifest.json'), 'utf8'));
  m2.signedBy = 'me';
  writeFileSync(join(extra, 'manifest.json'), JSON.stringify(m2));
  rejects(() => importExperiment(target, { dir: extra }), /manifest .*Unrecognized key.*signedBy/);

  const badRow = copy('badrow');
  const lines = readFileSync(join(badRow, 'datasets.jsonl'), 'utf8').replace('"name":"nums"', '"name":"nums","owner":"x"');
  writeFileSync(join(badRow, 'datasets.jsonl'), lines);
  const m3 = JSON.parse(readFileSync(join(badRow, 'manifest.json'), 'utf8'));
  m3.files['datasets.jsonl'] = { sha256: createHash('sha256').update(lines).digest('hex'), bytes: Buffer.byteLength(lines) };
  writeFileSync(join(badRow, 'manifest.json'), JSON.stringify(m3));
  rejects(() => importExperiment(target, { dir: badRow }), /datasets\.jsonl:1: unknown column\(s\) owner/);

  assert.equal(target.datasets.list().length, before);
  assert.equal(target.integrityCheck(), 'ok');
  target.close();
});

test('job starts are validated before a run is created', async () => {
  const runner = new JobRunner({ storePath: join(dir, 'jobs.db') });
  try {
    await assert.rejects(runner.submit({ kind: 'nope', params: {} }), /unknown job kind 'nope' \(known: demo-train, demo-generate/);
    await assert.rejects(runner.submit({ kind: 'demo-train', params: { steps: 'many' } }), /params of job 'demo-train'.*steps: .*expected number, received string/);
    await assert.rejects(runner.submit({ kind: 'demo-train', params: { lr: 0.1, turbo: true } }), /Unrecognized key.*turbo/);
    await assert.rejects(runner.submit({ kind: 'demo-train', params: {}, priority: 1 } as never), /job start.*priority/);
    await assert.rejects(runner.submit({ kind: 'demo-generate', params: { name: 'n'.repeat(201) } }), /name: Too big/);
    assert.throws(() => runner.resume('missing-run'), /run 'missing-run' not found/);
    assert.deepEqual(runner.store.runs.list(), []);
  } finally {
    await runner.close();
  }
});

test('reading commands refuse an explicit store path where no store exists (a typo is not an empty store)', async () => {
  const { existingStorePath } = await import('../../src-main/store/index.js');
  const { mkdtempSync, writeFileSync, existsSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const d = mkdtempSync(join(tmpdir(), 'undertone-paths-'));
  const missing = join(d, 'exp2.db');
  assert.throws(() => existingStorePath(missing, {}), /no store at .*exp2\.db \(--store\): check the path/);
  assert.throws(() => existingStorePath(undefined, { UNDERTONE_STORE: missing }), /\(UNDERTONE_STORE\)/);
  assert.equal(existsSync(missing), false, 'nothing was created');
  writeFileSync(join(d, 'exp.db'), '');
  assert.equal(existingStorePath(join(d, 'exp.db'), {}), join(d, 'exp.db'));
  assert.match(existingStorePath(undefined, { HOME: d }), /undertone\.db$/, 'the default store is not required to exist');
});
