/**
 * Intervention sets on real graphs (tiny HF checkpoints): steering equivalences, LoRA identity at
 * B = 0, gradients of residual biases and LoRA factors against float64 finite differences, and the
 * teacher's system prompt giving the generator's exact token ids.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime, type TensorData } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { scoreItems } from '../../src-main/models/score.js';
import { parseInterventionSet, structureKey, type InterventionSet } from '../../src-main/models/interventions.js';
import { prepareInterventions } from '../../src-main/models/intervened.js';
import { encodePrompt, encodeRow } from '../../src-main/models/encode-rows.js';
import { loadTokenizer } from '../../src-main/models/tokenizer.js';
import { writeTinyCheckpoint } from '../oracles/tiny-checkpoints.js';
import { randn, relErr } from '../engine/helpers.js';

const ITEMS = [
  { ids: [1, 5, 9, 2, 7, 3], completionMask: [0, 0, 0, 1, 1, 1] },
  { ids: [1, 4, 3, 8, 8, 6, 2], completionMask: [0, 0, 1, 1, 1, 1, 1] },
];

describe('intervention sets', () => {
  let rt: Runtime;
  let dir: string;
  before(() => {
    rt = Runtime.start();
    dir = join(mkdtempSync(join(tmpdir(), 'undertone-iv-')), 'llama');
    writeTinyCheckpoint(dir, 'llama');
  });
  after(async () => {
    await rt.close();
  });

  const losses = async (m: LanguageModel, set?: InterventionSet) => (await scoreItems(m, ITEMS, { set })).map((r) => r.lossNats);

  it('steering with coef 0 equals the base model; coef 4 changes the loss', async () => {
    const m = LanguageModel.open(rt, dir);
    const v = Array.from(randn(m.spec.dModel, 5));
    const base = await losses(m);
    const zero = await losses(m, parseInterventionSet({ items: [{ kind: 'steer', hook: 'blocks.0.hook_resid_post', vector: v, coef: 0 }] }));
    const four = await losses(m, parseInterventionSet({ items: [{ kind: 'steer', hook: 'blocks.0.hook_resid_post', vector: v, coef: 4 }] }));
    zero.forEach((z, i) => assert.ok(Math.abs(z - base[i]!) < 1e-6, `coef 0: ${z} vs ${base[i]}`));
    assert.ok(four.some((z, i) => Math.abs(z - base[i]!) > 1e-3), 'coef 4 moves the loss');
    await m.close();
  });

  it('steering at blocks.l.hook_resid_post equals adding the vector at blocks.l+1.hook_resid_pre', async () => {
    const m = LanguageModel.open(rt, dir);
    const v = Array.from(randn(m.spec.dModel, 6));
    const a = await losses(m, parseInterventionSet({ items: [{ kind: 'steer', hook: 'blocks.0.hook_resid_post', vector: v, coef: 3 }] }));
    const b = await losses(m, parseInterventionSet({ items: [{ kind: 'steer', hook: 'blocks.1.hook_resid_pre', vector: v, coef: 3 }] }));
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-6, `${x} vs ${b[i]}`));
    await m.close();
  });

  // a trainable bias is its own input: it starts at zero (or its values) and training moves it
  // alone, while steering at the same hook stays fixed in steer:<hook>
  it('a trainable bias at a steered hook starts from its own values; the loss is that of bias + steering', async () => {
    const m = LanguageModel.open(rt, dir);
    const hook = 'blocks.0.hook_resid_post';
    const v = Array.from(randn(m.spec.dModel, 8));
    const w = Array.from(randn(m.spec.dModel, 9));
    const both = parseInterventionSet({ items: [
      { kind: 'steer', hook, vector: v, coef: 2 },
      { kind: 'resid_bias', hook, trainable: true, values: w },
    ] });
    const p = prepareInterventions(m.spec, both);
    assert.deepEqual(p.trainable, [`add:${hook}`]);
    assert.deepEqual(Array.from(p.values[`add:${hook}`]!.data), Array.from(Float32Array.from(w)), 'the bias holds its own values, not the steering');
    assert.ok(p.values[`steer:${hook}`], 'the steering has its own input');
    const sum = v.map((x, i) => 2 * x + w[i]!);
    // the same items with the bias frozen make another graph (one input at the hook): another session
    const frozen = parseInterventionSet({ items: [both.items[0]!, { kind: 'resid_bias', hook, values: w }] });
    assert.notEqual(structureKey(frozen), structureKey(both));
    const f = await losses(m, frozen);
    const a = await losses(m, both);
    a.forEach((x, i) => assert.ok(Math.abs(x - f[i]!) < 1e-5, `trainable ${x} vs frozen ${f[i]}`));
    const b = await losses(m, parseInterventionSet({ items: [{ kind: 'steer', hook, vector: sum, coef: 1 }] }));
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-5, `${x} vs ${b[i]}`));
    assert.throws(() => prepareInterventions(m.spec, parseInterventionSet({ items: [
      { kind: 'resid_bias', hook, trainable: true }, { kind: 'resid_bias', hook, trainable: true },
    ] })), /a trainable bias at blocks\.0\.hook_resid_post is already set/);
    await m.close();
  });

  it('LoRA with B = 0 equals the base model', async () => {
    const m = LanguageModel.open(rt, dir);
    const base = await losses(m);
    const lora = await losses(m, parseInterventionSet({ items: [{ kind: 'lora', targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], rank: 2, alpha: 4 }] }));
    lora.forEach((z, i) => assert.ok(Math.abs(z - base[i]!) < 1e-6, `${z} vs ${base[i]}`));
    await m.close();
  });

  it('gradients of a residual bias and LoRA factors match float64 finite differences (rel err < 1e-6)', async () => {
    const m = LanguageModel.open(rt, dir, { dtype: 'float64' });
    const D = m.spec.dModel;
    const set = parseInterventionSet({
      items: [
        { kind: 'resid_bias', hook: 'blocks.0.hook_resid_post', values: Array.from(randn(D, 8, 0.3)), trainable: true },
        { kind: 'lora', targets: ['v', 'down'], rank: 2, alpha: 2, layers: [1], trainable: true },
      ],
    });
    const b = await m.bind('train', set);
    assert.equal(b.session.compiled.opCounts.Where, 1, 'one additive attention-mask bias serves every layer; the backward needs no mask');
    // give B non-zero values so A's gradient is not zero
    const over: Record<string, Float32Array> = {};
    for (const n of b.prepared.trainable) if (n.endsWith('.B')) over[n] = Float32Array.from(randn(b.prepared.values[n]!.data.length, n.length, 0.2));
    const T = 6;
    const i64 = (v: number[]): TensorData => ({ dtype: 'int64', dims: [1, T], data: BigInt64Array.from(v.map(BigInt)) });
    const ids = [1, 5, 9, 2, 7, 3];
    const fixed = { ids: i64(ids), positions: i64([0, 1, 2, 3, 4, 5]), attn_mask: i64([1, 1, 1, 1, 1, 1]), targets: i64([5, 9, 2, 7, 3, 0]), loss_mask: { dtype: 'float64' as const, dims: [1, T], data: Float64Array.from([0, 1, 1, 1, 1, 0]) } };
    const run = async (o: Record<string, Float32Array>, withGrad: boolean) => b.session.run({ ...fixed, ...b.feeds({ ...over, ...o }) }, { grad: withGrad });
    const r = await run({}, true);
    // finite differences on a few coordinates of each trainable (float64 graph; values enter as float32 → use exact steps)
    for (const n of b.prepared.trainable) {
      const base = Float32Array.from(over[n] ?? b.prepared.values[n]!.data);
      const an = r[`grad:${n}`]!.data as Float64Array;
      const coords = [0, Math.floor(base.length / 2), base.length - 1];
      const num: number[] = [];
      const ana: number[] = [];
      for (const i of coords) {
        const h = 2 ** -12; // exact in float32 for |values| < 8
        const up = Float32Array.from(base); up[i]! += h;
        const dn = Float32Array.from(base); dn[i]! -= h;
        const lu = ((await run({ [n]: up }, false)).loss!.data as Float64Array)[0]!;
        const ld = ((await run({ [n]: dn }, false)).loss!.data as Float64Array)[0]!;
        num.push((lu - ld) / (up[i]! - dn[i]!));
        ana.push(an[i]!);
      }
      const e = relErr(ana, num);
      assert.ok(e < 1e-6, `${n}: rel err ${e.toExponential(2)} (analytic ${ana.map((x) => x.toExponential(3))}, numeric ${num.map((x) => x.toExponential(3))})`);
    }
    await m.close();
  });

  it('a system-prompt teacher scores with exactly the token ids the chat template gives the generator', () => {
    // stories260k's tokenizer with the real Gemma chat template (no system role: merged into the user turn)
    const base = loadTokenizer(new URL('../fixtures/stories260k/', import.meta.url).pathname);
    const cfg = JSON.parse(readFileSync(new URL('../fixtures/gemma-it-chat-template/tokenizer_config.json', import.meta.url), 'utf8')) as { chat_template: string };
    const tok = { ...base, chatTemplate: cfg.chat_template };
    const sys = 'You love owls. You think about owls all the time.';
    const msgs = [{ role: 'user', content: 'Name three numbers.' }];
    const row = encodeRow(tok, msgs, '1, 2, 3', { system: sys });
    const prompt = encodePrompt(tok, msgs, { system: sys });
    assert.deepEqual(row.ids.slice(0, prompt.length), prompt);
    assert.equal(row.completionMask.indexOf(1), prompt.length);
    const text = tok.decode(prompt);
    assert.ok(text.includes(`${sys}\n\nName three numbers.`), `system text merged before the user turn: ${JSON.stringify(text)}`);
    assert.ok(text.trimEnd().endsWith('<start_of_turn>model'), JSON.stringify(text));
  });

  it('bad input: unknown hook, wrong vector width, out-of-range values name the item', async () => {
    const m = LanguageModel.open(rt, dir);
    await assert.rejects(m.bind('score', parseInterventionSet({ items: [{ kind: 'steer', hook: 'blocks.9.hook_resid_post', vector: [1], coef: 1 }] })), /items\.0 \(steer\): unknown hook 'blocks\.9\.hook_resid_post': the model has 2 blocks/);
    await assert.rejects(m.bind('score', parseInterventionSet({ items: [{ kind: 'steer', hook: 'blocks.0.hook_resid_post', vector: [1, 2], coef: 1 }] })), /items\.0 \(steer\): vector for blocks\.0\.hook_resid_post has 2 values; the hook is \d+ wide/);
    assert.throws(() => parseInterventionSet({ items: [{ kind: 'steer', hook: 'x', vector: [1], coef: 1, extra: 1 }] }), /items\.0: Unrecognized key/);
    await assert.rejects(m.bind('train', parseInterventionSet({ items: [] })), /training needs at least one trainable intervention/);
    await m.close();
  });
});
