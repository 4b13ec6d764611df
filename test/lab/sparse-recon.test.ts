/**
 * Sparse reconstruction (orthogonal matching pursuit over SAE decoder rows) against plain loops:
 * a vector built from two decoder rows is explained fully by those two with their coefficients; for
 * a random vector, each step's share explained equals a Gram–Schmidt projection onto the chosen rows
 * (float64 loops over the SAE file's W_dec), and each chosen row is the best-matching unit row for
 * the residual left by the steps before it. Tolerances are float32 correlations (1e-5).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Runtime } from '../../src-main/engine/runtime.js';
import { openCheckpoint } from '../../src-main/models/checkpoint.js';
import { loadSae, readSaeValues, type Sae } from '../../src-main/models/sae/load.js';
import { sparseRecon } from '../../src-main/lab/sparse-recon.js';
import { readVector } from '../../src-main/lab/readouts.js';
import { writeSaeLens } from '../sae/fixtures.js';
import { tempDir } from '../store/helpers.js';
import { randn } from '../engine/helpers.js';

const DIR = tempDir();
const D = 64;
const S = 96;

describe('sparse reconstruction (OMP)', () => {
  let rt: Runtime;
  let sae: Sae;
  let rows: Float64Array[];
  before(async () => {
    rt = Runtime.start();
    writeSaeLens(join(DIR, 'sae'), { arch: 'standard', dIn: D, dSae: S, hook: 'blocks.2.hook_resid_post', seed: 8 });
    sae = await loadSae(join(DIR, 'sae'));
    const W = readSaeValues(sae, 'W_dec');
    rows = Array.from({ length: S }, (_, i) => Float64Array.from(W.subarray(i * D, (i + 1) * D)));
  });
  after(async () => {
    await rt.close();
  });

  const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  };

  it('3·W_dec[10] − 2·W_dec[40]: two features explain all of it, with coefficients 3 and −2', async () => {
    const v = Float32Array.from({ length: D }, (_, t) => 3 * rows[10]![t]! - 2 * rows[40]![t]!);
    const r = await sparseRecon(rt, sae, v, 5);
    assert.deepEqual(r.features.slice(0, 2).map((f) => f.index).sort((a, b) => a - b), [10, 40]);
    assert.ok(r.explained[1]! > 1 - 1e-6, `explained by two: ${r.explained[1]}`);
    const coef = Object.fromEntries(r.features.slice(0, 2).map((f) => [f.index, f.coef]));
    assert.ok(Math.abs(coef[10]! - 3) < 1e-4 && Math.abs(coef[40]! + 2) < 1e-4, JSON.stringify(coef));
  });

  it('a random vector: each share explained is the Gram–Schmidt projection onto the chosen rows, and each choice is the best match', async () => {
    const v = Float64Array.from(randn(D, 21));
    const r = await sparseRecon(rt, sae, Float32Array.from(v), 12);
    assert.equal(r.features.length, 12);
    const vv = dot(v, v);
    const basis: Float64Array[] = [];
    let resid = Float64Array.from(v);
    r.features.forEach((f, k) => {
      // the choice: the unchosen unit row with the largest |cosine| to the residual of the steps before
      const score = (i: number): number => Math.abs(dot(rows[i]!, resid)) / Math.sqrt(dot(rows[i]!, rows[i]!));
      const chosenBefore = new Set(r.features.slice(0, k).map((x) => x.index));
      let best = 0;
      for (let i = 0; i < S; i++) if (!chosenBefore.has(i)) best = Math.max(best, score(i));
      assert.ok(score(f.index) >= best - 1e-5 * Math.sqrt(vv), `step ${k + 1}: chose ${f.index} (${score(f.index)}), best ${best}`);
      // Gram–Schmidt: orthonormalise the new row against the chosen ones; project v
      const q = Float64Array.from(rows[f.index]!);
      for (const b of basis) {
        const c = dot(q, b);
        for (let t = 0; t < D; t++) q[t]! -= c * b[t]!;
      }
      const qn = Math.sqrt(dot(q, q));
      for (let t = 0; t < D; t++) q[t]! /= qn;
      basis.push(q);
      const c = dot(resid, q);
      for (let t = 0; t < D; t++) resid[t]! -= c * q[t]!;
      const want = 1 - dot(resid, resid) / vv;
      assert.ok(Math.abs(r.explained[k]! - want) < 1e-6, `k=${k + 1}: ${r.explained[k]} vs ${want}`);
    });
    // the final coefficients reproduce the fit: v − Σ coef·row is the Gram–Schmidt residual
    const fit = Float64Array.from(v);
    for (const f of r.features) for (let t = 0; t < D; t++) fit[t]! -= f.coef * rows[f.index]![t]!;
    for (let t = 0; t < D; t++) assert.ok(Math.abs(fit[t]! - resid[t]!) < 1e-6, `residual[${t}]`);
    for (let k = 1; k < r.explained.length; k++) assert.ok(r.explained[k]! >= r.explained[k - 1]! - 1e-12);
  });

  it('read-outs carry it for a residual vector with an SAE; not for a feature-space vector; a zero vector explains nothing', async () => {
    const ck = openCheckpoint(new URL('../fixtures/stories260k/', import.meta.url).pathname);
    const res = await readVector(rt, ck, Float32Array.from(randn(D, 4)), { sae, k: 3 });
    assert.equal(res.sparse?.method, 'omp');
    assert.equal(res.sparse?.explained.length, 20);
    const feat = await readVector(rt, ck, Float32Array.from(randn(S, 4)), { sae, k: 3 });
    assert.equal(feat.sparse, null);
    assert.deepEqual(await sparseRecon(rt, sae, new Float32Array(D)), { method: 'omp', features: [], explained: [] });
  });
});
