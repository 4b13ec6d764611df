/**
 * SAE encode and decode as engine graphs (run through the Runtime) against the plain-loop float64
 * reference: standard, jumprelu and topk; with and without apply_b_dec_to_input; every
 * normalize_activations; float32 (1e-5) and float64 (1e-10); SAELens 6.x and pre-6.0 configs,
 * F32/F64/BF16 storage; Gemma Scope npz (stored, stored with numpy's zip64 local extra, deflated).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, type DType } from '../../src-main/engine/tensor.js';
import { compile } from '../../src-main/engine/onnx-export.js';
import { Runtime } from '../../src-main/engine/runtime.js';
import { loadSae, type Sae } from '../../src-main/models/sae/load.js';
import { saeDecode, saeEncode } from '../../src-main/models/sae/graph.js';
import { randn, relErr } from '../engine/helpers.js';
import { refDecode, refEncode, type RefSae } from './reference.js';
import { writeGemmaScope, writeSaeLens, type Arch, type Norm } from './fixtures.js';

const TOL: Record<'float32' | 'float64', number> = { float32: 1e-5, float64: 1e-10 };
const B = 2;
const T = 5;

/** Run encode + decode of x [B,T,D] through the engine; compare with the reference. */
async function check(rt: Runtime, sae: Sae, ref: RefSae, dtype: 'float32' | 'float64', seed: number): Promise<{ ef: number; ex: number; active: number }> {
  const D = sae.dIn;
  const N = B * T;
  let x = randn(N * D, seed, 1.5);
  if (dtype === 'float32') x = Float64Array.from(Float32Array.from(x));
  const g = new Graph();
  const xi = g.input('x', dtype as DType, ['batch', 'seq', D]);
  const f = saeEncode(g, sae, xi);
  const xh = saeDecode(g, sae, f, { input: xi });
  const s = await rt.load(compile({ outputs: { f, xh } }));
  const data = dtype === 'float32' ? Float32Array.from(x) : x;
  const r = await s.run({ x: { dtype, dims: [B, T, D], data } });
  await s.release();
  const want = refEncode(ref, x, N);
  const wantX = refDecode(ref, want.f, N, x);
  assert.deepEqual(r.f!.dims, [B, T, sae.dSae]);
  assert.deepEqual(r.xh!.dims, [B, T, D]);
  const active = want.f.filter((v) => v !== 0).length;
  return { ef: relErr(r.f!.data as Float32Array, want.f), ex: relErr(r.xh!.data as Float32Array, wantX), active };
}

describe('SAE encode/decode graphs vs the plain-loop reference', () => {
  let rt: Runtime;
  let root: string;
  before(() => {
    rt = Runtime.start();
    root = mkdtempSync(join(tmpdir(), 'undertone-sae-ed-'));
  });
  after(async () => {
    await rt.close();
  });

  const archs: Arch[] = ['standard', 'jumprelu', 'topk'];
  const norms: Norm[] = ['none', 'expected_average_only_in', 'constant_norm_rescale', 'layer_norm'];
  let n = 0;
  for (const arch of archs) {
    for (const applyBDec of [true, false]) {
      it(`${arch}, apply_b_dec_to_input ${applyBDec}: every normalisation, float32 and float64`, async () => {
        for (const norm of norms) {
          const i = n++;
          const dir = join(root, `${arch}-${applyBDec}-${norm}`);
          const ref = writeSaeLens(dir, {
            arch, dIn: 12, dSae: 40, k: arch === 'topk' ? 6 : undefined, applyBDec, normalize: norm, seed: 10 + i,
            normScalingFactor: norm === 'expected_average_only_in' ? 0.37 : undefined,
            style: i % 2 ? 'pre6' : 'v6',
          });
          const sae = await loadSae(dir);
          assert.equal(sae.architecture, arch);
          assert.equal(sae.applyBDecToInput, applyBDec);
          assert.equal(sae.normalize, norm);
          if (arch === 'topk') assert.equal(sae.k, 6);
          for (const dtype of ['float32', 'float64'] as const) {
            const r = await check(rt, sae, ref, dtype, 100 + i);
            const tag = `${norm} ${dtype}`;
            assert.ok(r.ef < TOL[dtype], `${tag}: features rel err ${r.ef.toExponential(2)}`);
            assert.ok(r.ex < TOL[dtype], `${tag}: reconstruction rel err ${r.ex.toExponential(2)}`);
            // the case is not degenerate: some features fire, not all (topk: exactly k per position)
            if (arch === 'topk') assert.equal(r.active, B * T * 6, tag);
            else assert.ok(r.active > 5 && r.active < B * T * 40 - 5, `${tag}: ${r.active} active`);
          }
        }
      });
    }
  }

  it('apply_b_dec_to_input defaults to true; F64 and BF16 storage; log_threshold instead of threshold', async () => {
    const a = join(root, 'default-apply');
    const refA = writeSaeLens(a, { arch: 'standard', dIn: 8, dSae: 16, seed: 3 });
    const saeA = await loadSae(a);
    assert.equal(saeA.applyBDecToInput, true);
    const rA = await check(rt, saeA, refA, 'float64', 1);
    assert.ok(rA.ef < 1e-10 && rA.ex < 1e-10);
    for (const dtype of ['F64', 'BF16'] as const) {
      const d = join(root, `st-${dtype}`);
      const ref = writeSaeLens(d, { arch: 'jumprelu', dIn: 8, dSae: 24, seed: 4, dtype });
      const sae = await loadSae(d);
      assert.equal(sae.weightDtype, dtype === 'F64' ? 'float64' : 'bfloat16');
      const r = await check(rt, sae, ref, 'float64', 2);
      assert.ok(r.ef < 1e-10 && r.ex < 1e-10, `${dtype}: ${r.ef} ${r.ex}`);
    }
    const lt = join(root, 'log-threshold');
    const refL = writeSaeLens(lt, { arch: 'jumprelu', dIn: 8, dSae: 24, seed: 5, logThreshold: true });
    const saeL = await loadSae(lt);
    assert.equal(saeL.tensors.threshold!.source.kind, 'inline');
    const rL = await check(rt, saeL, refL, 'float64', 3);
    assert.ok(rL.ef < 1e-10 && rL.ex < 1e-10, `log_threshold: ${rL.ef} ${rL.ex}`);
  });

  for (const c of [
    { name: 'stored', deflate: false, zip64Local: false },
    { name: 'stored, numpy zip64 local headers', deflate: false, zip64Local: true },
    { name: 'deflated (extracted to a cache safetensors)', deflate: true, zip64Local: false },
  ]) {
    it(`Gemma Scope params.npz, ${c.name}: JumpReLU without b_dec on the input; hook from the path`, async () => {
      const dir = join(root, `gemma-scope-2b-pt-res-${c.name.length}`, 'layer_3', 'width_16k', 'average_l0_10');
      const ref = writeGemmaScope(join(dir, 'params.npz'), { dIn: 12, dSae: 32, seed: 7, deflate: c.deflate, zip64Local: c.zip64Local });
      const cacheDir = join(root, `cache-${c.name.length}`);
      const sae = await loadSae(dir, { cacheDir });
      assert.equal(sae.format, 'gemma-scope');
      assert.equal(sae.architecture, 'jumprelu');
      assert.equal(sae.applyBDecToInput, false);
      assert.equal(sae.hook, 'blocks.3.hook_resid_post');
      assert.equal(sae.hookFrom, 'path');
      assert.deepEqual([sae.dIn, sae.dSae], [12, 32]);
      if (c.deflate) {
        assert.equal(sae.extracts.length, 5);
        for (const e of sae.extracts) assert.ok(e.startsWith(cacheDir), e);
      } else {
        assert.equal(sae.extracts.length, 0);
        const w = sae.tensors.W_enc.source;
        assert.ok(w.kind === 'external' && w.file === sae.weightsFile, 'stored members are referenced inside the npz');
      }
      for (const dtype of ['float32', 'float64'] as const) {
        const r = await check(rt, sae, ref, dtype, 5);
        assert.ok(r.ef < TOL[dtype] && r.ex < TOL[dtype], `${dtype}: ${r.ef} ${r.ex}`);
      }
      if (c.deflate) {
        const again = await loadSae(dir, { cacheDir });
        assert.deepEqual(again.extracts, sae.extracts, 'the second load reuses the extracts');
      }
    });
  }
});
