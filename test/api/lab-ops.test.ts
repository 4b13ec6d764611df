// `models.inspect` and `lab.readout` through the dispatcher on a temporary store, with the model
// copied inside the store's folder (the allowed-paths rule) and a stored vector + SAE annotations.
import assert from 'node:assert/strict';
import { openCheckpoint } from '../../src-main/models/checkpoint.js';
import { modelIdentityHash } from '../../src-main/models/identity.js';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createContext } from '../../src-main/api/context.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { writeSaeLens } from '../sae/fixtures.js';
import { codeVersion } from '../../src-main/jobs/code-version.js';

const dir = mkdtempSync(join(tmpdir(), 'undertone-lab-ops-'));
const model = join(dir, 'stories260k');
cpSync(new URL('../fixtures/stories260k/', import.meta.url).pathname, model, { recursive: true });
const sae = join(dir, 'sae');
writeSaeLens(sae, { arch: 'standard', dIn: 64, dSae: 32, hook: 'blocks.2.hook_resid_post', seed: 2 });
const ctx = createContext({ storePath: join(dir, 'store.db') });
after(async () => {
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
});

test('models.inspect: architecture and the canonical hook list', async () => {
  const r = await dispatch(ctx, 'models.inspect', { path: model });
  assert.ok('result' in r, JSON.stringify(r));
  const m = r.result as { arch: string; nLayers: number; paramCount: number; hooks: { name: string }[]; hasTokenizer: boolean };
  assert.equal(m.arch, 'llama');
  assert.equal(m.nLayers, 5);
  assert.equal(m.paramCount, 260032);
  assert.ok(m.hasTokenizer);
  assert.ok(m.hooks.some((h) => h.name === 'blocks.4.hook_resid_post'));
  // the identity hash runs record for this model
  assert.equal((r.result as { identityHash: string }).identityHash, modelIdentityHash(openCheckpoint(model)));
});

test('lab.readout: a stored feature-space vector ranks its largest entries first, with the SAE labels', async () => {
  const s = ctx.store;
  const saeRow = s.saes.create({ name: 'tiny sae', path: sae, hook: 'blocks.2.hook_resid_post' });
  s.annotations.upsert({ saeId: saeRow.id, featureIndex: 5, source: 'test', label: 'owls' });
  const v = new Float32Array(32);
  v[5] = 3;
  v[9] = 1;
  const vec = s.vectors.create({ name: 'fbias', dtype: 'F32', shape: [32], data: v });
  const r = await dispatch(ctx, 'lab.readout', { vectorId: vec.id, model, sae, k: 2 });
  assert.ok('result' in r, JSON.stringify(r));
  const out = r.result as { space: string; topFeatures: { index: number; label?: string }[]; dla: { top: { token: string | null }[] } };
  assert.equal(out.space, 'features');
  assert.deepEqual(out.topFeatures.map((f) => f.index), [5, 9]);
  assert.equal(out.topFeatures[0]!.label, 'owls');
  assert.equal(out.dla.top.length, 2);
  assert.equal(typeof out.dla.top[0]!.token, 'string');
});

test('lab.readout: a feature without a label shows the tokens it fires hardest on, from the SAE\'s newest feature-stats run', async () => {
  const s = ctx.store;
  const saeRow = s.saes.findByPath(sae)!; // registered (and feature 5 labelled 'owls') by the test before
  assert.equal(s.annotations.list({ saeId: saeRow.id, featureIndex: 5 })[0]?.label, 'owls');
  const top = (tokens: [string, number][]) => tokens.map(([token, value], i) => ({ context: i, doc: i, pos: 1, docPos: 1, value, ids: [1, 2], at: 1, text: { left: 'a', token, right: 'b' } }));
  const stat = (runId: string, featureIndex: number, tokens: [string, number][]) => ({ saeId: saeRow.id, featureIndex, runId, nTokens: 500, nActive: tokens.length, density: tokens.length / 500, meanAct: 1, maxAct: 2, top: top(tokens) });
  const older = s.runs.create({ kind: 'feature-stats', config: {}, codeVersion: 'x' }).id;
  s.featureStats.addMany([stat(older, 9, [[' cat', 3]])]);
  await new Promise((r) => setTimeout(r, 5)); // a later created_at
  const run = s.runs.create({ kind: 'feature-stats', config: {}, codeVersion: 'x' }).id;
  // feature 9 fired on ' owl' twice then ' bird' and ' nest' and ' tree': three distinct tokens, strongest first
  s.featureStats.addMany([stat(run, 9, [[' owl', 2], [' owl', 1.5], [' bird', 1], [' nest', 0.9], [' tree', 0.5]]), stat(run, 5, [[' wing', 1]])]);
  const v = new Float32Array(32);
  v[5] = 3;
  v[9] = 1;
  v[2] = 0.5; // no stats row for feature 2 in the run
  const vec = s.vectors.create({ name: 'fbias', dtype: 'F32', shape: [32], data: v });
  const r = await dispatch(ctx, 'lab.readout', { vectorId: vec.id, model, sae, k: 3 });
  assert.ok('result' in r, JSON.stringify(r));
  const out = r.result as { topFeatures: { index: number; label?: string; firesOn?: string[] }[]; firesOnRun: { runId: string; nTokens: number } | null };
  assert.deepEqual(out.topFeatures.map((f) => [f.index, f.label, f.firesOn]), [[5, 'owls', undefined], [9, undefined, [' owl', ' bird', ' nest']], [2, undefined, undefined]]);
  assert.deepEqual(out.firesOnRun, { runId: run, nTokens: 500 });
  // an SAE the store has no record of: no labels, no tokens, no run
  const other = join(dir, 'sae-unregistered');
  writeSaeLens(other, { arch: 'standard', dIn: 64, dSae: 32, hook: 'blocks.2.hook_resid_post', seed: 3 });
  const r2 = await dispatch(ctx, 'lab.readout', { vectorId: vec.id, model, sae: other, k: 2 });
  assert.ok('result' in r2, JSON.stringify(r2));
  const out2 = r2.result as typeof out;
  assert.equal(out2.firesOnRun, null);
  assert.ok(out2.topFeatures.every((f) => f.label === undefined && f.firesOn === undefined));
});

test('lab.readout: a residual vector from another hook than the SAE\'s is read with a warning naming both', async () => {
  const v = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
  const at = (hook: string) => ctx.store.vectors.create({ name: 'bias', hook, dtype: 'F32', shape: [64], data: v }).id;
  const read = async (id: string) => {
    const r = await dispatch(ctx, 'lab.readout', { vectorId: id, model, sae, k: 2 });
    assert.ok('result' in r, JSON.stringify(r));
    return (r.result as { warnings: string[] }).warnings;
  };
  assert.deepEqual(await read(at('blocks.2.hook_resid_post')), []);
  const w = await read(at('blocks.0.hook_resid_post'));
  assert.equal(w.length, 1);
  assert.match(w[0]!, /blocks\.0\.hook_resid_post.*blocks\.2\.hook_resid_post/);
  // a vector whose provenance names another model (or a changed checkpoint) is read with a warning
  const hash = modelIdentityHash(openCheckpoint(model));
  const from = (h: string) => ctx.store.vectors.create({ name: 'bias', hook: 'blocks.2.hook_resid_post', dtype: 'F32', shape: [64], data: v, meta: { modelHash: h } }).id;
  assert.deepEqual(await read(from(hash)), []);
  const other = await read(from(`sha256:${'ab'.repeat(32)}`));
  assert.equal(other.length, 1);
  assert.match(other[0]!, /trained on model sha256:abababababab… and is read with sha256:[0-9a-f]{12}….*another model or a changed checkpoint/);
});

test('lab.readout: a model path outside the allowed folders is refused', async () => {
  const r = await dispatch(ctx, 'lab.readout', { vectorId: 'x', model: '/etc' });
  assert.ok('error' in r);
  assert.match(JSON.stringify(r.error), /outside the allowed folders/);
});

test('lab.tokenDiff: per-token logprob differences between a steered and the base model; zero for identical sets', async () => {
  const steer = { items: [{ kind: 'steer' as const, hook: 'blocks.2.hook_resid_post', vector: new Array(64).fill(0.3), coef: 2 }] };
  const r = await dispatch(ctx, 'lab.tokenDiff', { model, prompt: 'Once upon a time', completion: ' there was a cat.', a: steer, b: { items: [] }, raw: true });
  assert.ok('result' in r, JSON.stringify(r));
  const d = r.result as { tokens: { text: string }[]; diff: number[]; logprobA: number[]; logprobB: number[]; codeVersion: string };
  assert.ok(d.tokens.length >= 4);
  assert.equal(d.codeVersion, codeVersion(), 'a token-difference figure records the code that computed it');
  assert.equal(d.diff.length, d.tokens.length);
  d.diff.forEach((x, i) => assert.ok(Math.abs(x - (d.logprobA[i]! - d.logprobB[i]!)) < 1e-9));
  assert.ok(d.diff.some((x) => Math.abs(x) > 1e-3));
  const same = await dispatch(ctx, 'lab.tokenDiff', { model, prompt: 'Once upon a time', completion: ' there was a cat.', a: { items: [] }, b: { items: [] }, raw: true });
  assert.ok('result' in same);
  for (const x of (same.result as { diff: number[] }).diff) assert.equal(x, 0);
});

test('jobs.start: paths inside job params (model, SAE in an intervention item) follow the allowed-paths rule', async () => {
  const bad = await dispatch(ctx, 'jobs.start', { kind: 'train-bias', params: { model: '/etc', datasetFile: join(dir, 'x.jsonl'), set: { items: [{ kind: 'resid_bias', hook: 'blocks.0.hook_resid_post', trainable: true }] } } });
  assert.ok('error' in bad);
  assert.equal(bad.error.code, 'invalid_input');
  assert.match(JSON.stringify(bad.error), /params\.model: '\/etc' is outside the allowed folders/);
  const badSae = await dispatch(ctx, 'jobs.start', { kind: 'train-bias', params: { model, datasetFile: join(dir, 'x.jsonl'), set: { items: [{ kind: 'feature_bias', sae: '/etc/sae', mode: 'projected', trainable: true }] } } });
  assert.ok('error' in badSae);
  assert.match(JSON.stringify(badSae.error), /params\.set\.items\.0\.sae: '\/etc\/sae' is outside the allowed folders/);
});

test('app.demo: the embedded demo model exists, is an allowed path, and inspects as stories260k', async () => {
  const d = await dispatch(ctx, 'app.demo', {});
  assert.ok('result' in d, JSON.stringify(d));
  const path = (d.result as { modelPath: string | null }).modelPath;
  assert.ok(path && path.endsWith('resources/demo/stories260k'), String(path));
  const r = await dispatch(ctx, 'models.inspect', { path: path! });
  assert.ok('result' in r, JSON.stringify(r));
  assert.equal((r.result as { paramCount: number }).paramCount, 260032);
  // the demo SAE and its corpus: allowed paths; the SAE inspects at its hook
  const { saePath, corpusPath } = d.result as { saePath: string; corpusPath: string };
  assert.ok(saePath.endsWith('resources/demo/sae-blocks.2.hook_resid_post') && corpusPath.endsWith('resources/demo/stories-corpus.txt'));
  const si = await dispatch(ctx, 'saes.inspect', { path: saePath });
  assert.ok('result' in si, JSON.stringify(si));
  assert.deepEqual([(si.result as { hook: string }).hook, (si.result as { dSae: number }).dSae], ['blocks.2.hook_resid_post', 256]);
});
