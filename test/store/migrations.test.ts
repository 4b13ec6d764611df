import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION, migrate, openStore, StoreError } from '../../src-main/store/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
let n = 0;
const freshPath = (): string => join(dir, `m${n++}.db`);

const schemaOf = (db: Database.Database): string[] =>
  (db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`).all() as { type: string; name: string; sql: string }[]).map(
    (r) => `${r.type} ${r.name}: ${r.sql}`,
  );

/** Rows an old build would have written at schema version `v` (raw SQL: no repository of today). */
function seedAt(db: Database.Database, v: number): void {
  if (v >= 1) {
    db.exec(`
      INSERT INTO models VALUES ('m1', 'gemma', '/models/gemma', 'sha256:ab', '{"layers":18}', '2020-01-01T00:00:00.000Z');
      INSERT INTO saes VALUES ('s1', 'res-jb', '/saes/jb', NULL, '{"d_sae":16384}', 'm1', 'blocks.12.hook_resid_post', '2020-01-01T00:00:00.000Z');
      INSERT INTO intervention_sets VALUES ('i1', 'lion', '{"steer":13668}', '2020-01-01T00:00:00.000Z');
      INSERT INTO runs (id, kind, status, config, code_version, created_at) VALUES ('r1', 'demo-train', 'done', '{}', 'old', '2020-01-01T00:00:00.000Z');
      INSERT INTO datasets VALUES ('d1', 'nums', 'i1', 7, 'r1', NULL, '2020-01-01T00:00:00.000Z');
      INSERT INTO samples VALUES ('d1', 0, 'p', 'c', NULL, 1, NULL, '2020-01-01T00:00:00.000Z');
      INSERT INTO metrics VALUES ('mt1', 'r1', 'loss', 'nats', '2020-01-01T00:00:00.000Z');
      INSERT INTO metric_points VALUES ('mt1', 1, 0.5, '2020-01-01T00:00:00.000Z');
    `);
    db.prepare(`INSERT INTO vectors VALUES ('v1', 'bias', 'r1', 'blocks.3.hook_resid_post', 'F32', '[2]', ?, NULL, '2020-01-01T00:00:00.000Z')`).run(
      Buffer.from(new Float32Array([1.5, -2]).buffer),
    );
  }
  if (v >= 2) {
    db.exec(`
      INSERT INTO feature_annotations VALUES ('s1', 13668, 'neuronpedia', 'lions', NULL, '2020-01-01T00:00:00.000Z');
      INSERT INTO figures VALUES ('f1', 'r1', 'loss-curve', '{}', '2020-01-01T00:00:00.000Z');
      INSERT INTO figure_files VALUES ('f1', 'loss.svg', 'svg', '2020-01-01T00:00:00.000Z');
    `);
  }
}

test('keeps at least two migration steps, so an upgrade path exists', () => {
  assert.ok(SCHEMA_VERSION >= 2);
  assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
});

test('migrates an empty database to the latest version, with WAL, foreign keys and a busy timeout', () => {
  const store = openStore(freshPath());
  try {
    assert.equal(store.schemaVersion(), SCHEMA_VERSION);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
    assert.ok((store.db.pragma('busy_timeout', { simple: true }) as number) >= 1000);
    assert.equal(store.integrityCheck(), 'ok');
  } finally {
    store.close();
  }
});

test('migrates from every earlier version, keeping the rows, to the same schema as a fresh store', () => {
  const fresh = openStore(freshPath());
  const want = schemaOf(fresh.db);
  fresh.close();
  for (let v = 0; v < SCHEMA_VERSION; v++) {
    const p = freshPath();
    const old = new Database(p);
    old.pragma('foreign_keys = ON');
    assert.equal(migrate(old, MIGRATIONS.slice(0, v)), v);
    seedAt(old, v);
    old.close();

    const store = openStore(p);
    try {
      assert.equal(store.schemaVersion(), SCHEMA_VERSION, `from v${v}`);
      assert.deepEqual(schemaOf(store.db), want, `schema after upgrading from v${v}`);
      assert.equal(store.integrityCheck(), 'ok');
      assert.deepEqual(store.db.pragma('foreign_key_check'), []);
      if (v >= 1) {
        assert.equal(store.models.get('m1').path, '/models/gemma');
        assert.deepEqual(store.saes.get('s1').config, { d_sae: 16384 });
        const d = store.datasets.get('d1');
        assert.equal(d.teacherSetId, 'i1');
        assert.equal(d.passRate, 1);
        assert.deepEqual([...store.vectors.f32('v1')], [1.5, -2]);
        assert.deepEqual(store.metrics.curve('r1', 'loss').values, [0.5]);
        // the upgraded store takes the new version's rows too
        store.annotations.upsert({ saeId: 's1', featureIndex: 8207, source: 'user', label: 'dragons' });
        store.figures.create({ runId: 'r1', kind: 'bar', spec: {} });
      }
      if (v >= 2) assert.equal(store.annotations.list({ saeId: 's1', featureIndex: 13668 })[0]?.label, 'lions');
    } finally {
      store.close();
    }
  }
});

test('refuses a store written by a newer version, untouched', () => {
  const p = freshPath();
  openStore(p).close();
  const db = new Database(p);
  db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
  db.close();
  assert.throws(
    () => openStore(p),
    (e: unknown) => e instanceof StoreError && e.code === 'conflict' && e.message.includes(`schema version ${SCHEMA_VERSION + 5}, newer than this build`),
  );
  const again = new Database(p);
  assert.equal(again.pragma('user_version', { simple: true }), SCHEMA_VERSION + 5);
  again.close();
});

test('a newer store is not even switched to WAL; a damaged file is named, with what to do', () => {
  const p = freshPath();
  const db = new Database(p);
  db.pragma('journal_mode = DELETE');
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openStore(p), /newer than this build/);
  const again = new Database(p);
  assert.equal(again.pragma('journal_mode', { simple: true }), 'delete');
  again.close();

  const junk = freshPath();
  writeFileSync(junk, Buffer.alloc(8192, 0x5a));
  assert.throws(() => openStore(junk), (e: unknown) => e instanceof Error && e.message.includes(`the store ${junk} is damaged`) && /\.recover/.test(e.message));
});

test('a failing step rolls back entirely and names the version', () => {
  const db = new Database(freshPath());
  const steps = [...MIGRATIONS, 'CREATE TABLE half_done (a INTEGER); CREATE TABLE broken ('];
  assert.throws(() => migrate(db, steps), new RegExp(`migration to schema version ${SCHEMA_VERSION + 1} failed`));
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.deepEqual(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half_done'`).all(), []);
  db.close();
});
