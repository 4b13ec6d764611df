// featureStats.runs / list / densities / get (src-main/api/ops/ui-feature-stats.ts) through the
// dispatcher, over rows written straight into the store's featureStats repository.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createContext } from '../../src-main/api/context.js';
import { dispatch } from '../../src-main/api/dispatch.js';

const dir = mkdtempSync(join(tmpdir(), 'undertone-ui-fstats-'));
const ctx = createContext({ storePath: join(dir, 'store.db') });
after(async () => {
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
});

const sae = ctx.store.saes.create({ name: 'tiny', path: join(dir, 'sae') });
const run = ctx.store.runs.create({ kind: 'feature-stats', config: {}, codeVersion: 'test' });
const N = 120;
const ctxAt = (value: number, token: string) => ({ context: 0, doc: 1, pos: 3, docPos: 3, value, ids: [1, 2, 3], at: 1, text: { left: 'a ', token, right: ' c' } });
// feature i's top contexts, strongest first: tokens b, b (again), t<i>, d, e — firesOn keeps the first 3 distinct
const top = (i: number) => [ctxAt(i / 10, 'b'), ctxAt(i / 20, 'b'), ctxAt(i / 30, `t${i}`), ctxAt(i / 40, 'd'), ctxAt(i / 50, 'e')];
ctx.store.featureStats.addMany(Array.from({ length: N }, (_, i) => {
  const nActive = i % 4 === 0 ? 0 : i;
  return { saeId: sae.id, featureIndex: i, runId: run.id, nTokens: 1000, nActive, density: nActive / 1000, meanAct: nActive ? 1 + i / 100 : null, maxAct: nActive ? i / 10 : null, top: nActive ? top(i) : [] };
}));
ctx.store.annotations.upsert({ saeId: sae.id, featureIndex: 7, source: 'user', label: 'sevens' });

async function ok<T>(op: string, input: unknown): Promise<T> {
  const r = await dispatch(ctx, op, input);
  assert.ok('result' in r, JSON.stringify(r));
  return r.result as T;
}

test('featureStats.runs and densities: features, dead count, tokens; one density per feature', async () => {
  const runs = await ok<{ runId: string; features: number; dead: number }[]>('featureStats.runs', {});
  assert.deepEqual(runs.map((r) => [r.runId, r.features, r.dead]), [[run.id, N, 30]]);
  assert.deepEqual(await ok('featureStats.runs', { saeId: run.id }), []);
  const d = await ok<{ saeId: string; dead: number; nTokens: number; densities: number[] }>('featureStats.densities', { runId: run.id });
  assert.equal(d.saeId, sae.id);
  assert.equal(d.dead, 30);
  assert.equal(d.nTokens, 1000);
  assert.equal(d.densities.length, N);
  assert.equal(d.densities[5], 0.005);
});

test('featureStats.list: sorted, paged, filtered, with the total and labels; limits bounded', async () => {
  const page = await ok<{ total: number; rows: { featureIndex: number; label: string | null; top: unknown[] }[] }>('featureStats.list', { runId: run.id, order: 'densest', limit: 10, offset: 0 });
  assert.equal(page.total, N);
  assert.deepEqual(page.rows.map((r) => r.featureIndex), [119, 118, 117, 115, 114, 113, 111, 110, 109, 107]);
  assert.ok(page.rows.every((r) => r.top.length === 0), 'no top contexts unless asked');
  const live = await ok<{ total: number; rows: { featureIndex: number; label: string | null; firesOn: string[] | null }[] }>('featureStats.list', { runId: run.id, dead: false, limit: 5, offset: 4 });
  assert.equal(live.total, 90);
  assert.deepEqual(live.rows.map((r) => [r.featureIndex, r.label]), [[6, null], [7, 'sevens'], [9, null], [10, null], [11, null]]);
  // unlabelled features: their top contexts' distinct tokens, strongest first, at most 3; labelled: null
  assert.deepEqual(live.rows.map((r) => r.firesOn), [['b', 't6', 'd'], null, ['b', 't9', 'd'], ['b', 't10', 'd'], ['b', 't11', 'd']]);
  const dead = await ok<{ rows: { firesOn: string[] | null }[] }>('featureStats.list', { runId: run.id, dead: true, limit: 2 });
  assert.deepEqual(dead.rows.map((r) => r.firesOn), [null, null], 'a feature that never fired has no tokens');
  const withTop = await ok<{ rows: { top: unknown[] }[] }>('featureStats.list', { runId: run.id, order: 'strongest', withTop: true, limit: 3 });
  assert.equal(withTop.rows[0]!.top.length, 5);
  for (const bad of [{ runId: run.id, limit: 5000 }, { runId: run.id, withTop: true, limit: 200 }, { runId: run.id, order: 'loudest' }, { runId: run.id, extra: 1 }]) {
    const r = await dispatch(ctx, 'featureStats.list', bad);
    assert.ok('error' in r && r.error.code === 'invalid_input', JSON.stringify(bad));
  }
});

test('featureStats.get: one feature with its top contexts and label, by run or across runs', async () => {
  const [one] = await ok<{ featureIndex: number; label: string; top: { value: number; text: { token: string } }[] }[]>('featureStats.get', { runId: run.id, featureIndex: 7 });
  assert.equal(one!.label, 'sevens');
  assert.deepEqual(one!.top.map((t) => [t.value, t.text.token]), [[0.7, 'b'], [0.35, 'b'], [7 / 30, 't7'], [0.175, 'd'], [0.14, 'e']]);
  assert.equal((await ok<unknown[]>('featureStats.get', { saeId: sae.id, featureIndex: 7 })).length, 1);
  const [lab, unl] = [one as unknown as { firesOn: unknown }, (await ok<{ firesOn: string[] }[]>('featureStats.get', { runId: run.id, featureIndex: 9 }))[0]!];
  assert.deepEqual([lab.firesOn, unl.firesOn], [null, ['b', 't9', 'd']], 'the labelled feature has no hint; an unlabelled one its tokens');
  const missing = await dispatch(ctx, 'featureStats.get', { runId: run.id, featureIndex: 100_000 });
  assert.ok('error' in missing && missing.error.code === 'not_found');
  const both = await dispatch(ctx, 'featureStats.get', { runId: run.id, saeId: sae.id, featureIndex: 1 });
  assert.ok('error' in both && both.error.code === 'invalid_input');
});
