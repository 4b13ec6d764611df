// Downsampled metric curves keep each bucket's extremes (a one-step spike or NaN stays visible),
// checked against a brute-force reading of what the buckets hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minMaxKeep } from '../../src-main/api/curve-downsample.js';

test('short curves are kept whole; long ones keep first, last and each bucket\'s min and max, ascending, at most max', () => {
  assert.deepEqual(minMaxKeep([3, 1, 2], 10), [0, 1, 2]);
  const n = 50_000;
  const v = Array.from({ length: n }, (_, i) => 2 + Math.sin(i / 500) * 0.1);
  v[31_337] = 50; // a one-step spike
  v[7_001] = -5; // a one-step dip
  v[40_000] = NaN;
  for (const max of [10, 101, 8_335, 10_000]) {
    const keep = minMaxKeep(v, max);
    assert.ok(keep.length <= max, `${keep.length} > ${max}`);
    assert.equal(keep[0], 0);
    assert.equal(keep.at(-1), n - 1);
    for (let i = 1; i < keep.length; i++) assert.ok(keep[i]! > keep[i - 1]!, 'ascending, no repeats');
    assert.ok(keep.includes(31_337), `max ${max}: the spike is kept`);
    assert.ok(keep.includes(40_000), `max ${max}: the NaN step is kept`);
    if (max >= 101) assert.ok(keep.includes(7_001), `max ${max}: the dip is kept`);
  }
  // every bucket's extremes, by brute force (no NaN here)
  const w = Array.from({ length: 1_000 }, (_, i) => Math.cos(i * 0.37) * (1 + (i % 7)));
  const keep = new Set(minMaxKeep(w, 42));
  const buckets = 20;
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor((b * 998) / buckets);
    const hi = 1 + Math.floor(((b + 1) * 998) / buckets);
    const slice = w.slice(lo, hi);
    assert.ok(keep.has(lo + slice.indexOf(Math.min(...slice))), `bucket ${b} min`);
    assert.ok(keep.has(lo + slice.indexOf(Math.max(...slice))), `bucket ${b} max`);
  }
  assert.deepEqual(minMaxKeep([1, 2, 3, 4], 2), [0, 3]);
});
