/** The normal tail and quantile against tabulated values (scipy.stats.norm.isf / sf), and the Bonferroni threshold. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bonferroniZ, normalUpperQuantile, normalUpperTail } from '../../src-main/lab/normal-quantile.js';

test('normal upper tail and quantile: tabulated values', () => {
  // norm.sf(z) and norm.isf(p) (tolerance: the erfc fit's 1.2e-7 relative error)
  for (const [z, q] of [[0, 0.5], [1, 0.15865525393145707], [1.959963984540054, 0.025], [3, 0.0013498980316301035], [-2, 0.9772498680518208]] as const) {
    assert.ok(Math.abs(normalUpperTail(z) - q) <= 2e-7 * q, `Q(${z}) = ${normalUpperTail(z)}, want ${q}`);
  }
  for (const [p, z] of [[0.025, 1.959963984540054], [0.005, 2.5758293035489], [0.0005, 3.2905267314919255], [0.5, 0], [0.9, -1.2815515655446004]] as const) {
    assert.ok(Math.abs(normalUpperQuantile(p) - z) < 1e-5, `isf(${p}) = ${normalUpperQuantile(p)}, want ${z}`);
  }
  assert.throws(() => normalUpperQuantile(0), /p must be in \(0, 1\)/);
});

test('Bonferroni threshold for the largest of n two-sided z tests at 5%', () => {
  assert.ok(Math.abs(bonferroniZ(1) - 1.959964) < 1e-5);
  assert.ok(Math.abs(bonferroniZ(5) - 2.5758293) < 1e-5);
  // gemma-2b's 18 layers: P(Z > z) = 0.05 / 36 = 0.0013889; sf(3) = 0.0013499 and the density at 3 is 0.004432, so z ≈ 3 − 0.0088
  assert.ok(Math.abs(bonferroniZ(18) - 2.9912) < 1e-3);
});
