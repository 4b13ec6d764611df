/**
 * SAE splices as hook replacements, and gradients of feature biases.
 * - A splice with the error term returns its input (1e-5) and leaves a model's logits unchanged;
 *   without it, both change. Covers every architecture, a normalisation, and a hook_z SAE.
 * - Projected feature bias (x + bias @ W_dec at a hook) and spliced feature bias (bias added to the
 *   features inside the splice): in a float64 transformer, the gradient w.r.t. the bias equals
 *   W_dec @ (the residual gradient at the hook, summed over positions) and matches central finite
 *   differences (fdCheck).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, type DType, type Tensor } from '../../src-main/engine/tensor.js';
import * as o from '../../src-main/engine/ops.js';
import { grad } from '../../src-main/engine/grad.js';
import { compile } from '../../src-main/engine/onnx-export.js';
import { Runtime, type TensorData } from '../../src-main/engine/runtime.js';
import { openCheckpoint, type Checkpoint } from '../../src-main/models/checkpoint.js';
import { addInputName, buildModelGraph } from '../../src-main/models/graph.js';
import { checkpointWeights } from '../../src-main/models/graph-weights.js';
import { checkSaeAgainstModel, loadSae, readSaeValues, type Sae } from '../../src-main/models/sae/load.js';
import { projectedFeatureBias, saeSplice } from '../../src-main/models/sae/graph.js';
import { fdCheck, maxAbsDiff, randn, relErr } from '../engine/helpers.js';
import { writeTinyCheckpoint } from '../oracles/tiny-checkpoints.js';
import { writeSaeLens, type Arch } from './fixtures.js';

const B = 2;
const T = 6;
const i64 = (v: number[], dims: number[]): TensorData => ({ dtype: 'int64', dims, data: BigInt64Array.from(v.map(BigInt)) });

/** Token feeds for the tiny model (vocab 96), loss on every position but the first. */
function tokenFeeds(dtype: 'float32' | 'float64', withLoss: boolean): Record<string, TensorData> {
  const ids = Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % 96);
  const f: Record<string, TensorData> = {
    ids: i64(ids, [B, T]),
    positions: i64(ids.map((_, i) => i % T), [B, T]),
    attn_mask: i64(ids.map(() => 1), [B, T]),
  };
  if (withLoss) {
    f.targets = i64(ids.map((_, i) => (i * 5 + 1) % 96), [B, T]);
    const m = ids.map((_, i) => (i % T === 0 ? 0 : 1));
    f.loss_mask = { dtype, dims: [B, T], data: dtype === 'float32' ? Float32Array.from(m) : Float64Array.from(m) };
  }
  return f;
}

describe('SAE splice and feature-bias gradients', () => {
  let rt: Runtime;
  let root: string;
  let ck: Checkpoint;
  before(() => {
    rt = Runtime.start();
    root = mkdtempSync(join(tmpdir(), 'undertone-sae-splice-'));
    ck = openCheckpoint(writeTinyCheckpoint(join(root, 'gpt2'), 'gpt2').dir); // D 32, 2 layers, H 4, Dh 8
  });
  after(async () => {
    await rt.close();
  });

  const sae = async (name: string, arch: Arch, extra: Partial<Parameters<typeof writeSaeLens>[1]> = {}): Promise<Sae> => {
    const dir = join(root, name);
    writeSaeLens(dir, { arch, dIn: 32, dSae: 20, k: arch === 'topk' ? 4 : undefined, hook: 'blocks.0.hook_resid_post', seed: name.length, ...extra });
    const s = await loadSae(dir);
    checkSaeAgainstModel(s, ck.spec);
    return s;
  };

  it('splice on a bare input: with the error term out = x (1e-5), without it out ≠ x', async () => {
    const cases: [string, Arch, Partial<Parameters<typeof writeSaeLens>[1]>][] = [
      ['sp-standard', 'standard', {}],
      ['sp-jumprelu', 'jumprelu', {}],
      ['sp-topk', 'topk', {}],
      ['sp-layernorm', 'standard', { normalize: 'layer_norm' }],
      ['sp-cnr', 'jumprelu', { normalize: 'constant_norm_rescale', applyBDec: false }],
    ];
    const xv = Float32Array.from(randn(B * T * 32, 9, 2));
    for (const [name, arch, extra] of cases) {
      const s = await sae(name, arch, extra);
      const g = new Graph();
      const x = g.input('x', 'float32', ['batch', 'seq', 32]);
      const c = compile({ outputs: { withErr: saeSplice(s, { withError: true })(x), noErr: saeSplice(s, { withError: false })(x) } });
      const sess = await rt.load(c);
      const r = await sess.run({ x: { dtype: 'float32', dims: [B, T, 32], data: xv } });
      await sess.release();
      const e1 = relErr(r.withErr!.data as Float32Array, xv);
      const e0 = relErr(r.noErr!.data as Float32Array, xv);
      assert.ok(e1 < 1e-5, `${name}: with error term rel err ${e1.toExponential(2)}`);
      assert.ok(e0 > 1e-2, `${name}: without error term the output should differ (rel ${e0.toExponential(2)})`);
    }
  });

  it('splice in a model: with the error term logits equal the base model (1e-5); without, they change; hook_z SAE too', async () => {
    const std = await sae('m-standard', 'standard');
    const top = await sae('m-topk', 'topk');
    const zdir = join(root, 'm-hookz');
    writeSaeLens(zdir, { arch: 'standard', dIn: 32, dSae: 20, hook: 'blocks.1.attn.hook_z', seed: 5, extraCfg: { reshape_activations: 'hook_z' } });
    const hz = await loadSae(zdir);
    assert.equal(hz.reshapeHookZ, true);
    checkSaeAgainstModel(hz, ck.spec);
    const logits = async (replace?: Record<string, (x: Tensor) => Tensor>): Promise<Float32Array> => {
      const g = new Graph();
      const m = buildModelGraph(g, ck.spec, checkpointWeights(g, ck, 'float32'), { dtype: 'float32', replace });
      const s = await rt.load(compile({ outputs: { logits: m.logits } }));
      const r = await s.run(tokenFeeds('float32', false));
      await s.release();
      return r.logits!.data as Float32Array;
    };
    const base = await logits();
    for (const s of [std, top, hz]) {
      const withErr = await logits({ [s.hook]: saeSplice(s, { withError: true }) });
      const noErr = await logits({ [s.hook]: saeSplice(s, { withError: false }) });
      const d1 = maxAbsDiff(withErr, base);
      const d0 = maxAbsDiff(noErr, base);
      assert.ok(d1 < 1e-5, `${s.hook} ${s.architecture}: with error term logits differ by ${d1.toExponential(2)}`);
      assert.ok(d0 > 1e-3, `${s.hook} ${s.architecture}: without error term logits should change (max diff ${d0.toExponential(2)})`);
    }
  });

  /**
   * Loss of the float64 model with a feature bias `fb` [S] at the SAE's hook (projected or spliced),
   * plus a per-position residual input at the same hook, whose gradient is the residual gradient.
   */
  const biasGraph = (s: Sae, mode: 'projected' | 'spliced', withError = true) => {
    const g = new Graph();
    const dt: DType = 'float64';
    const fb = g.input('fb', dt, [s.dSae]);
    const replace = {
      [s.hook]: mode === 'projected' ? (x: Tensor) => o.add(x, projectedFeatureBias(s, fb)) : saeSplice(s, { withError, featureBias: fb }),
    };
    const m = buildModelGraph(g, ck.spec, checkpointWeights(g, ck, dt), { dtype: dt, loss: true, replace, add: [{ hook: s.hook, mode: 'position' }] });
    return { g, fb, loss: m.loss!, resid: m.adds.get(s.hook)! };
  };

  for (const c of [
    { name: 'projected feature bias (bias @ W_dec added at the hook)', mode: 'projected' as const, arch: 'standard' as Arch, withError: true },
    { name: 'spliced feature bias, with the error term (jumprelu)', mode: 'spliced' as const, arch: 'jumprelu' as Arch, withError: true },
    { name: 'spliced feature bias, without the error term (topk)', mode: 'spliced' as const, arch: 'topk' as Arch, withError: false },
  ]) {
    it(`${c.name}: d loss/d bias = W_dec @ residual gradient (1e-10) and = finite differences (1e-6)`, async () => {
      const s = await sae(`g-${c.mode}-${c.arch}`, c.arch);
      const { fb, loss, resid } = biasGraph(s, c.mode, c.withError);
      const fbVal: TensorData = { dtype: 'float64', dims: [s.dSae], data: randn(s.dSae, 21, 0.5) };
      const zeros: TensorData = { dtype: 'float64', dims: [B, T, 32], data: new Float64Array(B * T * 32) };
      const fixed = { ...tokenFeeds('float64', true), [addInputName(s.hook)]: zeros };
      // analytic gradients w.r.t. the bias and the residual at the hook
      const [gFb, gRes] = grad(loss, [fb, resid]);
      const sess = await rt.load(compile({ outputs: { loss }, grads: { gFb: gFb!, gRes: gRes! } }));
      const r = await sess.run({ ...fixed, fb: fbVal }, { grad: true });
      await sess.release();
      const gr = r.gRes!.data as Float64Array; // [B,T,D]
      const W = readSaeValues(s, 'W_dec'); // [S,D]
      const want = new Float64Array(s.dSae);
      for (let i = 0; i < s.dSae; i++) {
        for (let p = 0; p < B * T; p++) for (let d = 0; d < 32; d++) want[i]! += W[i * 32 + d]! * gr[p * 32 + d]!;
      }
      const e = relErr(r.gFb!.data as Float64Array, want);
      assert.ok(e < 1e-10, `W_dec @ residual gradient: rel err ${e.toExponential(2)}`);
      assert.ok(Math.max(...Array.from(want, Math.abs)) > 1e-4, 'the gradient is not trivially zero');
      const fd = await fdCheck(rt, loss, { fb: { t: fb, value: fbVal } }, fixed);
      assert.ok(fd.fb! < 1e-6, `finite differences: rel err ${fd.fb!.toExponential(2)}`);
    });
  }

  // with the error term, a spliced feature bias moves the residual by what the decode gives the
  // bias, bias @ W_dec ÷ the norm scaling factor; projected mode must move it by the same vector
  it('an SAE with a norm scaling factor: projected and spliced (with error) feature biases give one loss (1e-10)', async () => {
    const s = await sae('g-nsf', 'standard', { normalize: 'expected_average_only_in', normScalingFactor: 3.5 });
    assert.equal(s.normScalingFactor, 3.5);
    const fbVal: TensorData = { dtype: 'float64', dims: [s.dSae], data: randn(s.dSae, 22, 0.5) };
    const zeros: TensorData = { dtype: 'float64', dims: [B, T, 32], data: new Float64Array(B * T * 32) };
    const lossOf = async (mode: 'projected' | 'spliced'): Promise<number> => {
      const { loss } = biasGraph(s, mode, true);
      const sess = await rt.load(compile({ outputs: { loss } }));
      const r = await sess.run({ ...tokenFeeds('float64', true), [addInputName(s.hook)]: zeros, fb: fbVal });
      await sess.release();
      return (r.loss!.data as Float64Array)[0]!;
    };
    const [p, sp] = [await lossOf('projected'), await lossOf('spliced')];
    assert.ok(Math.abs(p - sp) < 1e-10, `projected ${p} vs spliced ${sp}`);
  });
});
