/**
 * Validates the reference oracle itself (test/oracles/ref-forward.ts).
 * - stories260k: against llama2.c's own outputs (reference.json): an external, independent fact.
 * - tiny random checkpoints and tiny-random-gpt2: no external reference exists, so only
 *   hand-derived values (embed scale, Llama 3 inv_freq, window mask) and internal invariants
 *   (causality, padding invariance, norm statistics) are checked. This is weaker than a reference:
 *   a consistent misreading of HF semantics would pass these.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRefModel, refForward, refGreedy, refInvFreq, type RefModel } from '../oracles/ref-forward.js';
import { TINY_KINDS, writeTinyCheckpoint, type TinyKind } from '../oracles/tiny-checkpoints.js';
import { hookNames } from '../../src-main/models/hooks.js';
import { loadModelSpec } from '../../src-main/models/config.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const STORIES = join(FIX, 'stories260k');
const GPT2 = join(FIX, 'tiny-random-gpt2');

const tmp = mkdtempSync(join(tmpdir(), 'undertone-oracle-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const tinyModels = new Map<TinyKind, RefModel>();
function tiny(kind: TinyKind): RefModel {
  let m = tinyModels.get(kind);
  if (!m) {
    writeTinyCheckpoint(join(tmp, kind), kind);
    m = loadRefModel(join(tmp, kind));
    tinyModels.set(kind, m);
  }
  return m;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('stories260k: greedy decode from BOS reproduces llama2.c ids exactly', () => {
  const ref = JSON.parse(readFileSync(join(STORIES, 'reference.json'), 'utf8')) as { greedy_ids_from_bos: number[] };
  const m = loadRefModel(STORIES);
  assert.deepEqual(refGreedy(m, [1], 64), ref.greedy_ids_from_bos.slice(0, 64));
});

test('stories260k: last-position top-5 logits match llama2.c within 1e-4', () => {
  const ref = JSON.parse(readFileSync(join(STORIES, 'reference.json'), 'utf8')) as { prompt_ids: number[]; last_position_top5: [number, number][] };
  const { logits } = refForward(loadRefModel(STORIES), ref.prompt_ids);
  const last = logits[logits.length - 1]!;
  const order = [...last.keys()].sort((a, b) => last[b]! - last[a]!).slice(0, 5);
  assert.deepEqual(order, ref.last_position_top5.map(([id]) => id));
  for (const [id, v] of ref.last_position_top5) assert.ok(Math.abs(last[id]! - v) < 1e-4, `logit ${id}: ${last[id]} vs ${v}`);
});

test('oracle records exactly the canonical hook list (hooks.ts) with the declared shapes', () => {
  for (const [dir, kind] of [[STORIES, 'llama'], [GPT2, 'gpt2']] as const) {
    const spec = loadModelSpec(dir);
    const { hooks } = refForward(loadRefModel(dir), [5, 6, 7], { hooks: true });
    assert.deepEqual([...hooks.keys()].sort(), hookNames(spec).sort(), kind);
    assert.deepEqual(hooks.get('blocks.0.attn.hook_k')!.shape, [1, 3, spec.nKvHeads, spec.headDim]);
    assert.deepEqual(hooks.get('blocks.0.attn.hook_pattern')!.shape, [1, spec.nHeads, 3, 3]);
  }
  for (const kind of TINY_KINDS) {
    const dir = join(tmp, kind);
    const { hooks } = refForward(tiny(kind), [3, 4], { hooks: true });
    assert.deepEqual([...hooks.keys()].sort(), hookNames(loadModelSpec(dir)).sort(), kind);
  }
});

test('residual decomposition: resid_mid = resid_pre + attn_out, resid_post = resid_mid + mlp_out', () => {
  const { hooks } = refForward(tiny('gemma2'), [3, 9, 27, 8], { hooks: true });
  const h = (n: string): Float64Array => hooks.get(n)!.data;
  for (let l = 0; l < 3; l++) {
    const pre = h(`blocks.${l}.hook_resid_pre`);
    const mid = h(`blocks.${l}.hook_resid_mid`);
    const sum1 = pre.map((v, i) => v + h(`blocks.${l}.hook_attn_out`)[i]!);
    assert.ok(maxAbsDiff(sum1, mid) < 1e-12);
    const sum2 = mid.map((v, i) => v + h(`blocks.${l}.hook_mlp_out`)[i]!);
    assert.ok(maxAbsDiff(sum2, h(`blocks.${l}.hook_resid_post`)) < 1e-12);
    assert.deepEqual(h(`blocks.${l}.hook_mlp_in`), mid);
    if (l > 0) assert.deepEqual(pre, h(`blocks.${l - 1}.hook_resid_post`));
  }
});

test('causality: logits at position t do not depend on later tokens (every architecture)', () => {
  const ids = [5, 17, 2, 9, 11, 30, 7, 1, 22, 14];
  const cases: [string, RefModel][] = [...TINY_KINDS.map((k) => [k, tiny(k)] as [string, RefModel]), ['tiny-random-gpt2', loadRefModel(GPT2)]];
  for (const [name, m] of cases) {
    const full = refForward(m, ids).logits;
    const prefix = refForward(m, ids.slice(0, 6)).logits;
    for (let t = 0; t < 6; t++) assert.ok(maxAbsDiff(full[t]!, prefix[t]!) < 1e-12, `${name} position ${t}`);
  }
});

test('left padding with an attention mask gives the unpadded logits (every architecture)', () => {
  const ids = [5, 17, 2, 9, 11, 30];
  for (const kind of TINY_KINDS) {
    const m = tiny(kind);
    const plain = refForward(m, ids).logits;
    const padded = refForward(m, [0, 0, 0, ...ids], { attentionMask: [0, 0, 0, 1, 1, 1, 1, 1, 1] }).logits;
    for (let t = 0; t < ids.length; t++) assert.ok(maxAbsDiff(plain[t]!, padded[t + 3]!) < 1e-12, `${kind} position ${t}`);
  }
});

test('gemma2: sliding window 4 on even layers only; full causal on odd layers', () => {
  const T = 10;
  const { hooks } = refForward(tiny('gemma2'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { hooks: true });
  for (let l = 0; l < 3; l++) {
    const p = hooks.get(`blocks.${l}.attn.hook_pattern`)!.data; // [1, H, T, T]
    for (let h = 0; h < 4; h++) {
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) {
          const visible = j <= i && (l % 2 === 1 || i - j < 4); // HF: key j visible iff i - W < j <= i
          const v = p[(h * T + i) * T + j]!;
          assert.equal(v > 0, visible, `layer ${l} head ${h} query ${i} key ${j}: ${v}`);
        }
      }
    }
  }
});

test('gemma2: final logits are softcapped to (-3, 3)', () => {
  const { logits } = refForward(tiny('gemma2'), [1, 2, 3, 4, 5]);
  let max = 0;
  for (const row of logits) for (const v of row) max = Math.max(max, Math.abs(v));
  assert.ok(max < 3 && max > 0.5, `max |logit| ${max}`);
});

test('gemma embed scale: sqrt(32) rounded to bfloat16 is 5.65625 (bf16: 8 significant bits)', () => {
  // sqrt(32) = 5.656854...; bf16 neighbours 5.65625 (1.0110101b × 4) and 5.6875: the first is nearer
  const m = tiny('gemma');
  const { hooks } = refForward(m, [7], { hooks: true });
  const E = m.w('model.embed_tokens.weight');
  const emb = hooks.get('hook_embed')!.data;
  for (let d = 0; d < 32; d++) assert.equal(emb[d], E[7 * 32 + d]! * 5.65625);
});

test('llama3 rope scaling: inv_freq per frequency band, derived by hand', () => {
  // theta 100, head_dim 8: inv_freq = 100^(-i/4) = 1, 0.316228, 0.1, 0.0316228;
  // wavelengths 2π/f = 6.28, 19.87, 62.8, 198.7; original_max 32, low 1, high 4:
  // band edges 32/1 = 32 and 32/4 = 8. i=0 high (kept), i=1 medium (smoothed), i=2,3 low (÷8).
  const inv = refInvFreq(tiny('llama3').cfg);
  const f1 = Math.pow(100, -0.25);
  const smooth = (32 / ((2 * Math.PI) / f1) - 1) / (4 - 1);
  const expected = [1, (1 - smooth) * (f1 / 8) + smooth * f1, 0.1 / 8, Math.pow(100, -0.75) / 8];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(inv[i]! - expected[i]!) < 1e-15, `inv_freq[${i}] ${inv[i]} vs ${expected[i]}`);
  assert.ok(smooth > 0 && smooth < 1);
});

test('norm hooks: LayerNorm output has mean 0 and variance var/(var+eps); RMS output has mean square ms/(ms+eps)', () => {
  const gh = refForward(loadRefModel(GPT2), [10, 20, 30], { hooks: true }).hooks;
  const rh = refForward(tiny('llama'), [10, 20, 30], { hooks: true }).hooks;
  const g = gh.get('blocks.1.ln2.hook_normalized')!.data;
  const gx = gh.get('blocks.1.hook_mlp_in')!.data; // ln2 input
  const r = rh.get('blocks.1.ln1.hook_normalized')!.data;
  const rx = rh.get('blocks.1.hook_resid_pre')!.data; // ln1 input
  const meanOf = (a: Float64Array): number => a.reduce((x, y) => x + y, 0) / a.length;
  for (let t = 0; t < 3; t++) {
    const row = g.subarray(t * 32, t * 32 + 32);
    const xin = gx.subarray(t * 32, t * 32 + 32);
    const mean = meanOf(row);
    const v = meanOf(row.map((b) => (b - mean) ** 2));
    const mx = meanOf(xin);
    const vx = meanOf(xin.map((b) => (b - mx) ** 2));
    assert.ok(Math.abs(mean) < 1e-12, `gpt2 t=${t} mean ${mean}`);
    assert.ok(Math.abs(v - vx / (vx + 1e-5)) < 1e-12, `gpt2 t=${t} var ${v}`);
    const rr = r.subarray(t * 24, t * 24 + 24);
    const rxin = rx.subarray(t * 24, t * 24 + 24);
    const ms = meanOf(rr.map((b) => b * b));
    const msx = meanOf(rxin.map((b) => b * b));
    assert.ok(Math.abs(ms - msx / (msx + 1e-5)) < 1e-12, `llama t=${t} mean square ${ms}`);
  }
});

test('GQA: z of query head h is pattern[h] @ v of kv head floor(h / (H/K))', () => {
  // check the z of head h equals pattern[h] @ v[kv(h)] for the documented mapping kv = floor(h/2).
  const T = 5;
  const { hooks } = refForward(tiny('llama'), [1, 2, 3, 4, 5], { hooks: true });
  const p = hooks.get('blocks.0.attn.hook_pattern')!.data; // [1, 4, T, T]
  const v = hooks.get('blocks.0.attn.hook_v')!.data; // [1, T, 2, 8]
  const z = hooks.get('blocks.0.attn.hook_z')!.data; // [1, T, 4, 8]
  for (let h = 0; h < 4; h++) {
    const kh = Math.floor(h / 2);
    for (let i = 0; i < T; i++) {
      for (let d = 0; d < 8; d++) {
        let s = 0;
        for (let j = 0; j < T; j++) s += p[(h * T + i) * T + j]! * v[(j * 2 + kh) * 8 + d]!;
        assert.ok(Math.abs(s - z[(i * 4 + h) * 8 + d]!) < 1e-12);
      }
    }
  }
});
