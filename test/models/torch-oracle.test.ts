/**
 * Undertone's model graph against a second, independent implementation of Hugging Face's
 * semantics: a float64 PyTorch port of transformers' modeling code (test/fixtures/torch-oracle,
 * with how it was made). Six tiny checkpoint kinds (llama, llama3 rope scaling, qwen2, gemma,
 * gemma2, gpt2), two sequences of 10 tokens each, every logit.
 *
 * Tolerances (max |Δ| over all logits):
 *   float32 graph  5e-5  (measured ≤ 9e-6; float32 rounding through 2–3 layers)
 *   float64 graph  1e-7  (measured ≤ 4.4e-8: Undertone rounds RoPE inverse frequencies to float32 as
 *                         HF does, the oracle keeps them exact; everything else agrees to ~1e-14)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph } from '../../src-main/engine/tensor.js';
import { compile } from '../../src-main/engine/onnx-export.js';
import { Runtime, type TensorData } from '../../src-main/engine/runtime.js';
import { openCheckpoint } from '../../src-main/models/checkpoint.js';
import { buildModelGraph } from '../../src-main/models/graph.js';
import { checkpointWeights } from '../../src-main/models/graph-weights.js';
import { TINY_KINDS, writeTinyCheckpoint, type TinyKind } from '../oracles/tiny-checkpoints.js';

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/torch-oracle/torch-logits.json', import.meta.url), 'utf8')) as Record<TinyKind, { tokens: number[][]; logits: number[][][] }>;

/** sha256 of the checkpoints the fixture was computed from: a changed generator must regenerate it */
const WEIGHTS_SHA256: Record<TinyKind, string> = {
  llama: '2303ef3a62b7c1d8b276708749cb6516f182619e05f1246cb4a274c51fe39a2d',
  llama3: '822f38f9714e6484859ecc9f6a6a51c2a5dc5eac3d64abfe07e726f783eaec64',
  qwen2: 'efaffbed546bfdd647b917b13255f3a196ce831e01b3ef6a2fb4e1161e0715ce',
  gemma: '661df9d5293f58f8880a69dbfbbe12cfc175f942bc21d2d4f0f0b5497dbfc164',
  gemma2: 'd545313353cad05f93c1a3481c0fe144db3802d49ce9e26a7c9208b843923034',
  gpt2: '5d9d5ef390276654afa6e96f82cfdbf63e430a18cb588eff823f3950a84aa161',
};
const TOL = { float32: 5e-5, float64: 1e-7 } as const;

const i64 = (v: number[], dims: number[]): TensorData => ({ dtype: 'int64', dims, data: BigInt64Array.from(v.map(BigInt)) });

describe('model graph vs the PyTorch port of transformers (independent oracle)', () => {
  let rt: Runtime;
  let root: string;
  before(() => {
    rt = Runtime.start();
    root = mkdtempSync(join(tmpdir(), 'undertone-torch-oracle-'));
  });
  after(async () => {
    await rt.close();
    rmSync(root, { recursive: true, force: true });
  });

  for (const kind of TINY_KINDS) {
    it(`${kind}: every logit within ${TOL.float32} (float32) and ${TOL.float64} (float64)`, async () => {
      const dir = join(root, kind);
      writeTinyCheckpoint(dir, kind, { dtype: 'F32' });
      const sha = createHash('sha256').update(readFileSync(join(dir, 'model.safetensors'))).digest('hex');
      assert.equal(sha, WEIGHTS_SHA256[kind], `the ${kind} checkpoint generator changed: regenerate test/fixtures/torch-oracle (README)`);
      const { tokens, logits: want } = FIXTURE[kind];
      const B = tokens.length;
      const T = tokens[0]!.length;
      const flat = tokens.flat();
      for (const dtype of ['float32', 'float64'] as const) {
        const ck = openCheckpoint(dir);
        const g = new Graph();
        const m = buildModelGraph(g, ck.spec, checkpointWeights(g, ck, dtype), { dtype });
        const s = await rt.load(compile({ outputs: { logits: m.logits } }), dtype === 'float64' ? { optimization: 'basic' } : {});
        const r = await s.run({ ids: i64(flat, [B, T]), positions: i64(flat.map((_, i) => i % T), [B, T]), attn_mask: i64(flat.map(() => 1), [B, T]) });
        await s.release();
        const got = r.logits!;
        const V = want[0]![0]!.length;
        assert.deepEqual(got.dims, [B, T, V]);
        let worst = 0;
        let at = '';
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            for (let v = 0; v < V; v++) {
              const d = Math.abs((got.data as Float32Array | Float64Array)[(b * T + t) * V + v]! - want[b]![t]![v]!);
              if (d > worst) [worst, at] = [d, `[${b},${t},${v}]`];
            }
          }
        }
        const tol = TOL[dtype]; // the fixture keeps 12 significant digits: < 1e-10 here
        assert.ok(worst <= tol, `${kind} ${dtype}: max |Δ| ${worst.toExponential(2)} at ${at} > ${tol.toExponential(2)}`);
      }
    });
  }
});
