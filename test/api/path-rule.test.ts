// The allowed-paths rule reaches every path an API call would open, not only top-level fields:
// a signal scan's control file, SAEs inside intervention sets (inline, stored, or given to lab
// calls), and the config of a run resumed after an import. Each refusal names the field, and no
// run is created. Also: an execution provider that is not installed is refused at start.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { createContext } from '../../src-main/api/context.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { allowedRoots, checkAllowedPath } from '../../src-main/api/allowed-paths.js';
import { providersAvailable } from '../../src-main/engine/providers.js';

const dir = mkdtempSync(join(tmpdir(), 'undertone-path-rule-'));
const ctx = createContext({ storePath: join(dir, 'store.db') });
const model = join(dir, 'model'); // inside the store's folder: allowed (never opened: the rule refuses first)
after(async () => {
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
});

type Refusal = { error: { code: string; message: string; issues: { path: string }[] } };
function refused(r: unknown, path: string): void {
  assert.ok(r && typeof r === 'object' && 'error' in r, `expected a refusal, got ${JSON.stringify(r).slice(0, 300)}`);
  const e = (r as Refusal).error;
  assert.equal(e.code, 'invalid_input');
  assert.match(e.message, /outside the allowed folders/);
  assert.equal(e.issues[0]!.path, path);
}
const runCount = (): number => ctx.store.runs.list({ limit: 10_000 }).length;

test("signal-scan: a control dataset file outside the allowed folders is refused before a run exists (its first line used to come back in the run's error)", async () => {
  const before = runCount();
  const r = await dispatch(ctx, 'jobs.start', { kind: 'signal-scan', params: { model, datasetFile: join(dir, 'a.jsonl'), controlDatasetFile: '/etc/passwd' } });
  refused(r, 'params.controlDatasetFile');
  assert.equal(runCount(), before);
});

test('an SAE inside an inline set, inside a stored set (as an import leaves it), or given to lab.tokenDiff is checked', async () => {
  const outside = { items: [{ kind: 'sae_splice', sae: '/etc/undertone-sae', withError: true }] };
  refused(await dispatch(ctx, 'jobs.start', { kind: 'generate-dataset', params: { model, name: 'd', set: outside } }), 'params.set.items.0.sae');
  refused(await dispatch(ctx, 'interventionSets.create', { name: 'evil', spec: outside }), 'spec.items.0.sae');
  // a stored set that did not come through the API (an imported experiment)
  const stored = ctx.store.interventionSets.create({ name: 'imported', spec: outside });
  const before = runCount();
  const r = await dispatch(ctx, 'jobs.start', { kind: 'generate-dataset', params: { model, name: 'd', interventionSetId: stored.id } });
  refused(r, `params.interventionSetId (intervention set '${stored.id}').items.0.sae`);
  assert.equal(runCount(), before);
  refused(await dispatch(ctx, 'lab.tokenDiff', { model, prompt: 'p', completion: 'c', a: { items: [] }, b: outside }), 'b.items.0.sae');
  // inside the allowed folders the rule lets it through (the set is stored)
  const ok = await dispatch(ctx, 'interventionSets.create', { name: 'fine', spec: { items: [{ kind: 'sae_splice', sae: join(dir, 'sae'), withError: true }] } });
  assert.ok('result' in ok, JSON.stringify(ok));
});

test('jobs.resume re-checks the paths of a run whose config came from elsewhere (an imported train-sae writing outside)', async () => {
  const run = ctx.store.runs.create({ kind: 'train-sae', config: { model, corpusFile: join(dir, 'c.txt'), out: '/etc/undertone-pwned' }, codeVersion: 'undertone@test' });
  ctx.store.runs.finish(run.id, { status: 'failed', error: 'imported' });
  refused(await dispatch(ctx, 'jobs.resume', { runId: run.id }), 'config.out');
  assert.equal(ctx.store.runs.get(run.id).status, 'failed', 'not requeued');
  // a config that no longer fits the kind is refused by name too
  const odd = ctx.store.runs.create({ kind: 'train-sae', config: { model, corpusFile: join(dir, 'c.txt'), steps: 'many' }, codeVersion: 'undertone@test' });
  ctx.store.runs.finish(odd.id, { status: 'failed', error: 'imported' });
  const r = await dispatch(ctx, 'jobs.resume', { runId: odd.id });
  assert.ok('error' in r);
  assert.match((r as Refusal).error.message, /cannot resume: its config does not fit job 'train-sae' \(config\.steps/);
});

test('UNDERTONE_ALLOW adds folders (models on a server\'s /data); the filesystem root is never a root, even for a store in /', () => {
  const extra = mkdtempSync(join(tmpdir(), 'undertone-allow-'));
  try {
    const roots = allowedRoots(join(dir, 'store.db'), { UNDERTONE_ALLOW: `${extra}${delimiter}relative/ignored${delimiter}` });
    assert.ok(roots.includes(realpathSync(extra)), roots.join(', '));
    assert.ok(!roots.some((r) => r.endsWith('ignored')), 'relative entries are ignored');
    assert.equal(checkAllowedPath(join(extra, 'model'), roots, 'model'), join(realpathSync(extra), 'model'));
    assert.throws(() => checkAllowedPath(join(extra, 'model'), allowedRoots(join(dir, 'store.db'), {}), 'model'), /name more folders in UNDERTONE_ALLOW/);
    const rootStore = allowedRoots('/store.db', {});
    assert.ok(!rootStore.includes('/'), rootStore.join(', '));
    assert.throws(() => checkAllowedPath('/etc/passwd', rootStore, 'path'), /outside the allowed folders/);
  } finally {
    rmSync(extra, { recursive: true, force: true });
  }
});

test('jobs.start refuses an execution provider that is not installed, with how to install it, before a run exists', { skip: providersAvailable().includes('cuda') && 'CUDA is installed here' }, async () => {
  const before = runCount();
  const r = await dispatch(ctx, 'jobs.start', { kind: 'train-bias', params: { model, datasetFile: join(dir, 'a.jsonl'), ep: 'cuda', set: { items: [] } } });
  assert.ok('error' in r);
  const e = (r as Refusal).error;
  assert.equal(e.issues[0]!.path, 'params.ep');
  assert.match(e.message, /ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node/);
  assert.match(e.message, /"ep": "cpu"/);
  assert.equal(runCount(), before);
});

test('a link inside home that leads outside: the refusal names where it leads and how to allow it', () => {
  const home = mkdtempSync(join(tmpdir(), 'undertone-home-'));
  const outside = mkdtempSync(join(tmpdir(), 'undertone-data-'));
  try {
    symlinkSync(outside, join(home, 'models'));
    const roots = [realpathSync(home)];
    assert.throws(() => checkAllowedPath(join(home, 'models', 'x'), roots, 'model'), (e: Error) =>
      e.message.includes(`(through a symbolic link it is ${join(realpathSync(outside), 'x')})`) && e.message.includes(`UNDERTONE_ALLOW=${realpathSync(outside)} npm run cli -- serve`));
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});
