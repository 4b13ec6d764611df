/**
 * The feature_stats table (schema v3) and its repository: upgrade from v2 keeps the rows, inserts
 * are validated, queries sort and filter, and a run's or SAE's deletion takes its stats along.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, openStore, StoreError, type FeatureStatInput, type Store } from '../../src-main/store/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
let n = 0;
const fresh = (): Store => openStore(join(dir, `fs${n++}.db`));

const top = (value: number, context = 0) => [{ context, doc: 0, pos: 2, docPos: 2, value, ids: [7, 8, 9], at: 1, text: { left: 'a', token: ' b', right: ' c' } }];

function seed(s: Store): { saeId: string; runId: string; rows: FeatureStatInput[] } {
  const saeId = s.saes.create({ name: 'res', path: '/saes/res', hook: 'blocks.2.hook_resid_post' }).id;
  const runId = s.runs.create({ kind: 'feature-stats', config: {}, codeVersion: 'x' }).id;
  s.runs.finish(runId, { status: 'done' });
  const rows: FeatureStatInput[] = [
    { saeId, featureIndex: 0, runId, nTokens: 100, nActive: 0, density: 0, meanAct: null, maxAct: null, top: [] },
    { saeId, featureIndex: 1, runId, nTokens: 100, nActive: 50, density: 0.5, meanAct: 1.5, maxAct: 2, top: top(2) },
    { saeId, featureIndex: 2, runId, nTokens: 100, nActive: 2, density: 0.02, meanAct: 3, maxAct: 4, top: top(4, 3) },
    { saeId, featureIndex: 3, runId, nTokens: 100, nActive: 90, density: 0.9, meanAct: 0.5, maxAct: 1, top: top(1) },
  ];
  assert.equal(s.featureStats.addMany(rows), 4);
  return { saeId, runId, rows };
}

test('upgrading a v2 store adds feature_stats and keeps the SAEs and runs it refers to', () => {
  const p = join(dir, 'v2.db');
  const old = new Database(p);
  migrate(old, MIGRATIONS.slice(0, 2));
  old.exec(`INSERT INTO saes VALUES ('s1', 'res-jb', '/saes/jb', NULL, '{}', NULL, 'blocks.12.hook_resid_post', '2020-01-01T00:00:00.000Z');
    INSERT INTO runs (id, kind, status, config, code_version, created_at) VALUES ('r1', 'feature-stats', 'done', '{}', 'old', '2020-01-01T00:00:00.000Z');`);
  old.close();
  const s = openStore(p);
  try {
    assert.equal(s.schemaVersion(), MIGRATIONS.length);
    s.featureStats.addMany([{ saeId: 's1', featureIndex: 13668, runId: 'r1', nTokens: 10, nActive: 1, density: 0.1, meanAct: 2, maxAct: 2, top: top(2) }]);
    assert.equal(s.featureStats.get('s1', 13668, 'r1').top[0]!.text.token, ' b');
  } finally {
    s.close();
  }
});

test('round trip: get one, a feature across runs, a run sorted and filtered, run summaries', () => {
  const s = fresh();
  try {
    const { saeId, runId, rows } = seed(s);
    const one = s.featureStats.get(saeId, 2, runId);
    const { createdAt, ...rest } = one;
    assert.match(createdAt, /^\d{4}-/);
    assert.deepEqual(rest, rows[2]);
    const idx = (q: Parameters<Store['featureStats']['list']>[0]) => s.featureStats.list(q).map((r) => r.featureIndex);
    assert.deepEqual(idx({ runId }), [0, 1, 2, 3]);
    assert.deepEqual(idx({ runId, order: 'densest' }), [3, 1, 2, 0]);
    assert.deepEqual(idx({ runId, order: 'sparsest', dead: false }), [2, 1, 3]);
    assert.deepEqual(idx({ runId, order: 'strongest' }), [2, 1, 3, 0]);
    assert.deepEqual(idx({ runId, dead: true }), [0]);
    assert.deepEqual(idx({ runId, minDensity: 0.02, maxDensity: 0.5 }), [1, 2]);
    assert.deepEqual(idx({ runId, order: 'densest', limit: 2, offset: 1 }), [1, 2]);
    assert.deepEqual(s.featureStats.list({ runId })[1]!.top, []);
    assert.deepEqual(s.featureStats.list({ runId, withTop: true })[1]!.top, rows[1]!.top);
    // a second run over the same SAE
    const run2 = s.runs.create({ kind: 'feature-stats', config: {}, codeVersion: 'x' }).id;
    s.featureStats.addMany([{ ...rows[2]!, runId: run2, nTokens: 200, density: 0.01 }]);
    assert.deepEqual(s.featureStats.forFeature(saeId, 2).map((r) => r.runId).sort(), [runId, run2].sort());
    assert.deepEqual(s.featureStats.runs(saeId).map((r) => [r.runId, r.features, r.dead, r.nTokens]).sort(), [[runId, 4, 1, 100], [run2, 1, 0, 200]].sort());
    assert.throws(() => s.featureStats.get(saeId, 9, runId), (e: unknown) => e instanceof StoreError && e.code === 'not_found');
  } finally {
    s.close();
  }
});

test('pages with top contexts: the same rows in the same order as without, each with its own contexts, for every order, filter and page', () => {
  const s = fresh();
  try {
    const { saeId, runId } = seed(s);
    // more rows, with ties on density and max activation, and a second run of the same SAE whose rows must not leak in
    s.featureStats.addMany(Array.from({ length: 20 }, (_, i) => ({
      saeId, featureIndex: 10 + i, runId, nTokens: 100, nActive: i % 5, density: (i % 5) / 100,
      meanAct: i % 5 ? 1 : null, maxAct: i % 5 ? 1 + (i % 3) : null, top: i % 5 ? top(1 + (i % 3), i) : [],
    })));
    const run2 = s.runs.create({ kind: 'feature-stats', config: {}, codeVersion: 'x' }).id;
    s.featureStats.addMany([{ saeId, featureIndex: 1, runId: run2, nTokens: 10, nActive: 1, density: 0.1, meanAct: 9, maxAct: 9, top: top(9, 99) }]);
    for (const order of ['index', 'densest', 'sparsest', 'strongest'] as const) {
      for (const f of [{}, { dead: false }, { dead: true }, { minDensity: 0.02, maxDensity: 0.5 }]) {
        for (const [limit, offset] of [[100, 0], [3, 0], [3, 4], [7, 20], [5, 100]] as const) {
          const q = { runId, order, ...f, limit, offset };
          const want = s.featureStats.list(q).map((r) => ({ ...r, top: s.featureStats.get(saeId, r.featureIndex, runId).top }));
          assert.deepEqual(s.featureStats.list({ ...q, withTop: true }), want, JSON.stringify(q));
        }
        // the count: the filter's matches in this run, by hand from every row of the run (order and page ignored)
        const all = s.featureStats.list({ runId, limit: 1000 });
        const byHand = all.filter((r) => ('dead' in f ? (r.nActive === 0) === f.dead : true)
          && ('minDensity' in f ? r.density >= f.minDensity! && r.density <= f.maxDensity! : true)).length;
        assert.equal(s.featureStats.count({ runId, order, ...f, limit: 3, offset: 4 }), byHand, JSON.stringify(f));
      }
    }
    assert.equal(s.featureStats.count({ runId: run2 }), 1, 'the other run: its own rows only');
  } finally {
    s.close();
  }
});

test('inserts are validated; a duplicate is a conflict and the whole batch rolls back', () => {
  const s = fresh();
  try {
    const { saeId, runId, rows } = seed(s);
    const bad = (r: Partial<FeatureStatInput>, re: RegExp) =>
      assert.throws(() => s.featureStats.addMany([{ ...rows[1]!, featureIndex: 50, ...r }]), (e: unknown) => e instanceof StoreError && re.test(e.message));
    bad({ nActive: 101 }, /nActive must not exceed nTokens/);
    bad({ density: 1.5 }, /density/);
    bad({ meanAct: NaN }, /meanAct/);
    bad({ featureIndex: -1 }, /featureIndex/);
    bad({ saeId: 'nope' }, /SAE 'nope'/);
    bad({ runId: 'nope' }, /run 'nope'/);
    assert.throws(
      () => s.featureStats.addMany([{ ...rows[1]!, featureIndex: 60 }, rows[1]!]),
      (e: unknown) => e instanceof StoreError && e.code === 'conflict' && /feature 1 in run/.test(e.message),
    );
    assert.throws(() => s.featureStats.get(saeId, 60, runId), /not found|no /i, 'the batch rolled back');
  } finally {
    s.close();
  }
});

test("deleting a run or an SAE deletes its stats", () => {
  const s = fresh();
  try {
    const a = seed(s);
    const b = seed(s);
    s.runs.delete(a.runId);
    assert.deepEqual(s.featureStats.list({ runId: a.runId }), []);
    assert.equal(s.featureStats.list({ runId: b.runId }).length, 4);
    s.saes.delete(b.saeId);
    assert.deepEqual(s.featureStats.list({ runId: b.runId }), []);
  } finally {
    s.close();
  }
});
