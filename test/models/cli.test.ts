/** CLI `info` and `tokenize` on the stories260k fixture (facts from its README / reference.json). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { infoCommand } from '../../src-main/cli/commands/info.js';
import { tokenizeCommand } from '../../src-main/cli/commands/tokenize.js';

const STORIES = new URL('../fixtures/stories260k/', import.meta.url).pathname;

async function capture(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  try {
    const code = await f();
    return { code, out: lines.join('\n') };
  } finally {
    console.log = orig;
  }
}

test('info: architecture summary, 260,032 parameters, hook list with shapes', async () => {
  const { code, out } = await capture(() => infoCommand.run([STORIES]));
  assert.equal(code, 0);
  assert.match(out, /arch\s+llama \(LlamaForCausalLM\)/);
  assert.match(out, /layers 5, d_model 64, heads 8 \(kv 4\), head_dim 8, d_mlp 172, vocab 512/);
  assert.match(out, /params\s+260,032 \(F32/);
  assert.match(out, /blocks\.\{l\}\.attn\.hook_k\s+\[batch, seq, n_kv_heads=4, d_head=8\]\s+l = 0\.\.4/);
  assert.match(out, /ln_final\.hook_normalized\s+\[batch, seq, d_model=64\]/);
  const all = await capture(() => infoCommand.run([STORIES, '--all-hooks']));
  assert.match(all.out, /blocks\.4\.hook_resid_post\s+\[batch, seq, d_model=64\]/);
  const json = JSON.parse((await capture(() => infoCommand.run([STORIES, '--json']))).out) as { paramCount: number; hooks: { name: string }[] };
  assert.equal(json.paramCount, 260032);
  assert.equal(json.hooks.length, 1 + 5 * 17 + 1);
});

test('tokenize: ids and pieces; --json ids equal reference prompt_ids', async () => {
  const ref = JSON.parse(readFileSync(join(STORIES, 'reference.json'), 'utf8')) as { prompt_ids: number[] };
  const text = 'Once upon a time, there was a little girl named Lily. She';
  const { code, out } = await capture(() => tokenizeCommand.run([STORIES, '--text', text, '--json']));
  assert.equal(code, 0);
  const j = JSON.parse(out) as { ids: number[]; pieces: string[] };
  assert.deepEqual(j.ids, ref.prompt_ids);
  assert.equal(j.pieces[0], '<s>');
  const plain = await capture(() => tokenizeCommand.run([STORIES, '--text', 'Once', '--no-special']));
  assert.match(plain.out, /^ids \(1\): 403\n/);
  await assert.rejects(() => tokenizeCommand.run([STORIES]), /usage: tokenize/);
});

test('readout: a vector along one decoder row (2·W_dec[7]) prints feature 7 first and one feature explaining 100.0% of it', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { writeSaeLens } = await import('../sae/fixtures.js');
  const { loadSae, readSaeValues } = await import('../../src-main/models/sae/load.js');
  const { readoutCommand } = await import('../../src-main/cli/commands/readout.js');
  const dir = mkdtempSync(join(tmpdir(), 'undertone-cli-readout-'));
  writeSaeLens(join(dir, 'sae'), { arch: 'standard', dIn: 64, dSae: 48, hook: 'blocks.2.hook_resid_post', seed: 3 });
  const W = readSaeValues(await loadSae(join(dir, 'sae')), 'W_dec');
  writeFileSync(join(dir, 'v.json'), JSON.stringify(Array.from(W.subarray(7 * 64, 8 * 64), (x) => 2 * x)));
  const { code, out } = await capture(() => readoutCommand.run(['--model', STORIES, '--vector-file', join(dir, 'v.json'), '--sae', join(dir, 'sae'), '--k', '3']));
  assert.equal(code, 0);
  assert.match(out, /top SAE features \(cosine with W_dec rows\):\n {2}#7 {2}1\.0000/);
  assert.match(out, /share of ‖v‖² explained by k features: 1: 100\.0%/);
  assert.match(out, /chosen: #7 \(2\.000\)/);
});
