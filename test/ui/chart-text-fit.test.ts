// Fitting chart text (src-renderer/src/charts): cutting a label in the middle to a width, and which x tick
// labels are printed and how, on hand-counted geometry (the width estimate is 0.64 em a character:
// 7.04 px at 11 px, 7.68 px at 12 px).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipText } from '../../src-renderer/src/charts/text-width.js';
import { xTickLayout } from '../../src-renderer/src/charts/x-ticks.js';

test('clipText: a text that fits is kept; a longer one keeps its head and tail around an ellipsis', () => {
  assert.equal(clipText('owl', 30), 'owl'); // 3 × 7.04 = 21 px
  assert.equal(clipText('abcdefghij', 36), 'ab…ij'); // room for 5 characters: 2 + '…' + 2
  assert.equal(clipText('abcdefghij', 47, 12), 'abc…ij'); // 12 px: room for 6
  // a 40-character token in JSON quotes (42 characters) in 232 px (32 characters): both quotes stay
  assert.equal(clipText(JSON.stringify('x'.repeat(40)), 232), `"${'x'.repeat(15)}…${'x'.repeat(14)}"`);
  // no room at all: still one character each side
  assert.equal(clipText('abcdef', 0), 'a…f');
});

const every = (n: number, dx: number): number[] => Array.from({ length: n }, (_, i) => 100 + i * dx);

test('xTickLayout: level labels that fit are all printed', () => {
  // 18 layers 25 px apart, two-digit labels 14.08 px wide: 14.08 + 6 px gap ≤ 25
  assert.deepEqual(xTickLayout(every(18, 25), Array(18).fill(14.08), 'thin'), { step: 1, slant: false });
  assert.deepEqual(xTickLayout(every(18, 25), Array(18).fill(14.08), 'slant'), { step: 1, slant: false });
  // a single label, and none
  assert.deepEqual(xTickLayout([100], [300], 'thin'), { step: 1, slant: false });
  assert.deepEqual(xTickLayout([], [], 'thin'), { step: 1, slant: false });
});

test('xTickLayout: a numeric axis too crowded prints every k-th label, k the smallest that fits', () => {
  // 24 layers 14 px apart: 20.08 px needed, 28 px at every 2nd
  assert.deepEqual(xTickLayout(every(24, 14), Array(24).fill(14.08), 'thin'), { step: 2, slant: false });
  // 9 px apart: 18 too few, 27 enough: every 3rd
  assert.deepEqual(xTickLayout(every(24, 9), Array(24).fill(14.08), 'thin'), { step: 3, slant: false });
  // a wide label beside narrow ones: (60 + 10) / 2 + 6 = 41 px needed between it and the next
  assert.deepEqual(xTickLayout(every(4, 40), [10, 60, 10, 10], 'thin'), { step: 2, slant: false });
});

test('xTickLayout: a categorical axis too crowded slants its labels (45°: parallel lines dx · 0.707 apart, 13 px needed), thinned only when even those touch', () => {
  // 15 animals 30 px apart, names up to 84 px: level ones overlap; slanted 21.2 px apart
  const widths = [21, 21, 28, 21, 35, 42, 28, 28, 84, 70, 70, 77, 70, 63, 63];
  assert.deepEqual(xTickLayout(every(15, 30), widths, 'slant'), { step: 1, slant: true });
  // 15 px apart: 10.6 px slanted, too close; every 2nd: 21.2 px
  assert.deepEqual(xTickLayout(every(15, 15), widths, 'slant'), { step: 2, slant: true });
  // 18.4 px apart is the least for one step (18.4 · 0.7071 = 13.01)
  assert.deepEqual(xTickLayout(every(15, 18.4), widths, 'slant'), { step: 1, slant: true });
  assert.deepEqual(xTickLayout(every(15, 18.3), widths, 'slant'), { step: 2, slant: true });
});
