/**
 * `readout --vector-id … --store … --sae …` prints the store's label of a feature and, for a feature
 * without one, the tokens it fires hardest on in the SAE's newest feature-stats run (the same notes
 * as lab.readout; before, the CLI printed no labels at all).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openStore } from '../../src-main/store/index.js';
import { repoRoot, tempDir } from '../store/helpers.js';
import { writeSaeLens } from '../sae/fixtures.js';

const STORIES = new URL('../fixtures/stories260k/', import.meta.url).pathname;

test('readout from a store: labels, and the tokens an unlabelled feature fires on', () => {
  const dir = tempDir();
  const sae = join(dir, 'sae');
  writeSaeLens(sae, { arch: 'standard', dIn: 64, dSae: 32, hook: 'blocks.2.hook_resid_post', seed: 2 });
  const storePath = join(dir, 'exp.db');
  const s = openStore(storePath);
  let vectorId: string;
  let runId: string;
  try {
    const saeId = s.saes.create({ name: 'sae', path: sae, hook: 'blocks.2.hook_resid_post' }).id;
    s.annotations.upsert({ saeId, featureIndex: 5, source: 'test', label: 'owls' });
    runId = s.runs.create({ kind: 'feature-stats', config: {}, codeVersion: 'x' }).id;
    const top = [' owl', ' bird'].map((token, i) => ({ context: i, doc: i, pos: 1, docPos: 1, value: 2 - i, ids: [1, 2], at: 1, text: { left: '', token, right: '' } }));
    s.featureStats.addMany([{ saeId, featureIndex: 9, runId, nTokens: 300, nActive: 2, density: 2 / 300, meanAct: 1.5, maxAct: 2, top }]);
    const v = new Float32Array(32);
    v[5] = 3;
    v[9] = 1;
    vectorId = s.vectors.create({ name: 'fbias', dtype: 'F32', shape: [32], data: v }).id;
  } finally {
    s.close();
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src-main/cli/main.ts'), 'readout', '--model', STORIES, '--vector-id', vectorId, '--store', storePath, '--sae', sae, '--k', '2'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}#5 {2}3\.0000 {2}owls$/m);
  assert.match(r.stdout, /^ {2}#9 {2}1\.0000 {2}fires on " owl" " bird"$/m);
  assert.ok(r.stdout.includes(`from feature-stats run ${runId} (300 tokens)`), r.stdout);
  // the same vector from a file, with the store: the same notes
  const file = join(dir, 'v.json');
  writeFileSync(file, JSON.stringify(Array.from({ length: 32 }, (_, i) => (i === 5 ? 3 : i === 9 ? 1 : 0))));
  const f = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src-main/cli/main.ts'), 'readout', '--model', STORIES, '--vector-file', file, '--store', storePath, '--sae', sae, '--k', '2'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(f.status, 0, f.stderr);
  assert.match(f.stdout, /^ {2}#5 {2}3\.0000 {2}owls$/m);
  assert.match(f.stdout, /^ {2}#9 {2}1\.0000 {2}fires on " owl" " bird"$/m);
});
