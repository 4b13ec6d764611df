// The feature-density histogram's bins (src-renderer/src/lib/density-bins.ts), against a plain count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DENSITY_BIN_WIDTH, densityBins } from '../../src-renderer/src/lib/density-bins.js';

test('density bins: equal widths, no zero-width bin, every live feature counted once (upper edge in the last bin)', () => {
  // 0 is log10 of a feature active on every token: it sits on the upper edge
  const live = [-3.9, -3.75, -2.5, -2.5, -1.01, -0.2, 0, 0];
  const bins = densityBins(live);
  assert.equal(bins[0]!.x0, -4);
  assert.equal(bins.at(-1)!.x1, 0);
  for (const b of bins) assert.ok(Math.abs(b.x1 - b.x0 - DENSITY_BIN_WIDTH) < 1e-12, `bin ${b.x0}…${b.x1} is not 1/8 wide`);
  for (let i = 1; i < bins.length; i++) assert.equal(bins[i]!.x0, bins[i - 1]!.x1);
  assert.equal(bins.reduce((s, b) => s + b.count, 0), live.length);
  // plain count: [x0, x1), the last bin closed
  bins.forEach((b, i) => {
    const last = i === bins.length - 1;
    const want = live.filter((v) => v >= b.x0 && (last ? v <= b.x1 : v < b.x1)).length;
    assert.equal(b.count, want, `bin ${b.x0}…${b.x1}`);
  });
  assert.equal(bins.at(-1)!.count, 2);
});

test('density bins: one value, and no live features', () => {
  const one = densityBins([-2]);
  assert.deepEqual([one[0]!.x0, one.at(-1)!.x1], [-2, -1.75]);
  assert.equal(one.reduce((s, b) => s + b.count, 0), 1);
  assert.deepEqual(densityBins([]), []);
});
