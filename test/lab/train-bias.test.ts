/**
 * The detection method end to end on a planted signal: a teacher steered by a vector v at
 * blocks.0.hook_resid_post writes completions; a residual bias trained on the base model with the
 * dataset's completion tokens lowers the loss and points along v. A control dataset from the
 * unsteered model gives a bias that does not. Resuming from a checkpoint equals an uninterrupted run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { generate } from '../../src-main/models/generate.js';
import { scoreItems, meanWithStderr, type ScoreItem } from '../../src-main/models/score.js';
import { parseInterventionSet } from '../../src-main/models/interventions.js';
import { trainBias, type TrainState } from '../../src-main/lab/train-bias.js';
import { writeTinyCheckpoint } from '../oracles/tiny-checkpoints.js';
import { randn } from '../engine/helpers.js';

const HOOK = 'blocks.0.hook_resid_post';

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return d / Math.sqrt(na * nb);
}

describe('train-bias recovers a planted steering vector', () => {
  let rt: Runtime;
  let m: LanguageModel;
  let v: number[];
  let steered: ScoreItem[];
  let control: ScoreItem[];
  before(async () => {
    rt = Runtime.start();
    const dir = join(mkdtempSync(join(tmpdir(), 'undertone-tb-')), 'llama');
    writeTinyCheckpoint(dir, 'llama');
    m = LanguageModel.open(rt, dir);
    const raw = Array.from(randn(m.spec.dModel, 42));
    const norm = Math.hypot(...raw);
    v = raw.map((x) => x / norm);
    const prompts = Array.from({ length: 48 }, (_, i) => [1, 2 + (i % 7), 3 + (i % 5)]);
    const teacher = parseInterventionSet({ items: [{ kind: 'steer', hook: HOOK, vector: v, coef: 6 }] });
    const make = async (set?: typeof teacher) => (await generate(m, prompts, { maxNew: 10, temperature: 1, seed: 3, set, stopIds: [] })).map((g, i) => ({
      ids: [...prompts[i]!, ...g.ids], completionMask: [...prompts[i]!.map(() => 0), ...g.ids.map(() => 1)],
    }));
    steered = await make(teacher);
    control = await make();
  });
  after(async () => {
    await m.close();
    await rt.close();
  });

  const cfg = (seed = 1) => ({
    set: parseInterventionSet({ items: [{ kind: 'resid_bias', hook: HOOK, trainable: true }] }),
    lr: 0.05, l1: 1e-4, steps: 60, batch: 16, seed, checkpointEvery: 20,
  });
  const noSink = { step: () => {}, checkpoint: () => {}, progress: () => {} };

  it('lowers the loss on the steered data and points along the steering vector', async (t) => {
    const pts: number[] = [];
    const r = await trainBias(m, steered, cfg(), { ...noSink, step: (p) => pts.push(p.ceNats) });
    const bias = r.params[`add:${HOOK}`]!;
    const base = meanWithStderr((await scoreItems(m, steered)).map((x) => x.lossNats));
    const biased = meanWithStderr((await scoreItems(m, steered, { set: parseInterventionSet({ items: [{ kind: 'resid_bias', hook: HOOK, values: Array.from(bias) }] }) })).map((x) => x.lossNats));
    assert.ok(biased.mean < base.mean - 2 * base.stderr, `loss ${base.mean.toFixed(3)}±${base.stderr.toFixed(3)} → ${biased.mean.toFixed(3)}`);
    const c = cosine(bias, v);
    assert.ok(c > 0.5, `cosine(bias, v) = ${c.toFixed(3)}`);
    // the control: a bias trained on unsteered data does not point along v
    const rc = await trainBias(m, control, cfg(), noSink);
    const cc = cosine(rc.params[`add:${HOOK}`]!, v);
    assert.ok(cc < c - 0.3, `control cosine ${cc.toFixed(3)} vs steered ${c.toFixed(3)}`);
    assert.equal(pts.length, 60);
    t.diagnostic(`loss ${base.mean.toFixed(3)}±${base.stderr.toFixed(3)} → ${biased.mean.toFixed(3)}±${biased.stderr.toFixed(3)} nats; cosine(bias, v) ${c.toFixed(3)}, control ${cc.toFixed(3)}`);
  });

  it('a run resumed from its checkpoint equals an uninterrupted run; a cancel checkpoints every finished step', async () => {
    const full = await trainBias(m, steered, cfg(5), noSink);
    const saved: TrainState[] = [];
    const ac = new AbortController();
    await assert.rejects(trainBias(m, steered, cfg(5), {
      ...noSink,
      checkpoint: (s) => void saved.push(JSON.parse(JSON.stringify(s)) as TrainState),
      step: (p) => { if (p.step === 30) ac.abort(); },
    }, { signal: ac.signal }), /cancelled/);
    // the periodic checkpoint at 20, and one at the cancel (step 30): nothing trained is lost
    assert.deepEqual(saved.map((x) => x.step), [20, 30]);
    for (const from of saved) {
      const resumed = await trainBias(m, steered, cfg(5), noSink, { resume: from });
      assert.deepEqual(Array.from(resumed.params[`add:${HOOK}`]!), Array.from(full.params[`add:${HOOK}`]!), `resumed from step ${from.step}`);
    }
  });

  // batch 1 over a set where every other sample has an empty completion: without the filter, those
  // steps divide 0 by 0 and the bias becomes NaN; with it, the run equals one on the others alone
  it('divergence stops at the first bad step with a message naming it; the finite state up to it is checkpointed', async () => {
    const saved: { step: number; params: Record<string, number[]> }[] = [];
    const points: number[] = [];
    await assert.rejects(
      trainBias(m, steered, { ...cfg(), lr: 10, weightDecay: 10, steps: 200 }, {
        ...noSink,
        step: (p) => points.push(p.step),
        checkpoint: (s) => saved.push(s as unknown as { step: number; params: Record<string, number[]> }),
      }),
      /training diverged at step \d+: (loss NaN|a non-finite gradient|the parameters left the float range) \(lr 10, l1 \d+(\.\d+)?, weight decay 10\)/,
    );
    assert.ok(points.length >= 1 && points.length < 200, `${points.length} steps ran`);
    assert.equal(saved.at(-1)?.step, points.length, 'the last finished step is checkpointed');
    for (const s of saved) for (const v of Object.values(s.params)) assert.ok(v.every(Number.isFinite), `checkpoint at step ${s.step} holds non-finite values`);
  });

  it('samples without completion tokens are left out (no NaN), with a message saying how many', async () => {
    const some = steered.slice(0, 6);
    const empty = some.map((it) => ({ ids: it.ids, completionMask: it.completionMask.map(() => 0) }));
    const mixed = some.flatMap((it, i) => [it, empty[i]!]);
    const quick = { ...cfg(2), steps: 8, batch: 1 };
    const said: string[] = [];
    const r = await trainBias(m, mixed, quick, { ...noSink, progress: (_, msg) => said.push(msg) });
    const bias = Array.from(r.params[`add:${HOOK}`]!);
    assert.ok(bias.every(Number.isFinite), 'the bias is finite');
    assert.ok(Number.isFinite(r.finalCeNats));
    assert.deepEqual(bias, Array.from((await trainBias(m, some, quick, noSink)).params[`add:${HOOK}`]!));
    assert.ok(said.some((x) => /^6 of 12 samples have no completion tokens/.test(x)), said.join(' | '));
  });
});
