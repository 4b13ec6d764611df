// `saes.inspect` (src-main/api/ops/ui-sae.ts) through the dispatcher: what an SAE folder is, and
// which registered SAE (with labels) has its path; the allowed-paths rule applies.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createContext } from '../../src-main/api/context.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { writeSaeLens } from '../sae/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'undertone-ui-sae-'));
const sae = join(dir, 'sae');
writeSaeLens(sae, { arch: 'standard', dIn: 64, dSae: 32, hook: 'blocks.2.hook_resid_post', seed: 2 });
const ctx = createContext({ storePath: join(dir, 'store.db') });
after(async () => {
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
});

test('saes.inspect: format, sizes and hook of a SAELens folder; its registration once registered', async () => {
  const r = await dispatch(ctx, 'saes.inspect', { path: sae });
  assert.ok('result' in r, JSON.stringify(r));
  const info = r.result as { format: string; architecture: string; dIn: number; dSae: number; hook: string; registered: unknown };
  assert.deepEqual([info.format, info.architecture, info.dIn, info.dSae, info.hook, info.registered], ['saelens', 'standard', 64, 32, 'blocks.2.hook_resid_post', null]);
  const row = ctx.store.saes.create({ name: 'tiny', path: sae });
  const again = await dispatch(ctx, 'saes.inspect', { path: sae });
  assert.ok('result' in again);
  assert.deepEqual((again.result as { registered: unknown }).registered, { id: row.id, name: 'tiny' });
});

test('saes.inspect: a path outside the allowed folders, or not an SAE, is an error that says why', async () => {
  const outside = await dispatch(ctx, 'saes.inspect', { path: '/etc' });
  assert.ok('error' in outside);
  assert.equal(outside.error.code, 'invalid_input');
  assert.match(outside.error.message, /outside the allowed folders/);
  mkdirSync(join(dir, 'empty'));
  const notSae = await dispatch(ctx, 'saes.inspect', { path: join(dir, 'empty') });
  assert.ok('error' in notSae);
  assert.match(notSae.error.message, /not an SAE folder/);
});
