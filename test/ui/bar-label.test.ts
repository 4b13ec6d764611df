// Where a horizontal bar's value label goes (src-renderer/src/charts/bar-label.ts), on hand-placed geometry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barLabelPlace, barLabelRightPad } from '../../src-renderer/src/charts/bar-label.js';
import { noteWidthPx } from '../../src-renderer/src/charts/text-width.js';

// a plot from x = 64 to x = 600 with zero at x = 500
const plot = { left: 64, right: 600, x0: 500, gap: 6 };

test('bar label: past the bar and its whisker, away from zero, when that side has room', () => {
  // a negative bar from 500 to 300 with a whisker 250…350: left of the whisker's end
  assert.deepEqual(barLabelPlace({ ...plot, xv: 300, xlo: 250, xhi: 350, textPx: 100 }), { x: 244, anchor: 'end' });
  // a positive bar from 500 to 540, whisker 530…560: right of the whisker
  assert.deepEqual(barLabelPlace({ ...plot, xv: 540, xlo: 530, xhi: 560, textPx: 30 }), { x: 566, anchor: 'start' });
  // no whisker (NaN ends): past the bar's end
  assert.deepEqual(barLabelPlace({ ...plot, xv: 300, xlo: NaN, xhi: NaN, textPx: 100 }), { x: 294, anchor: 'end' });
});

test('bar label: a negative bar whose whisker reaches the plot\'s left edge puts its value right of zero (it used to print over the row names)', () => {
  // whisker from 70 to 420: 0 px of room on the left for a 110 px label; right of zero: 600 − 506 = 94 px
  assert.deepEqual(barLabelPlace({ ...plot, xv: 250, xlo: 70, xhi: 420, textPx: 110 }), { x: 506, anchor: 'start' });
  // a whisker that crosses zero: right of the whisker's far end, not over it
  assert.deepEqual(barLabelPlace({ ...plot, xv: 250, xlo: 70, xhi: 520, textPx: 110 }), { x: 526, anchor: 'start' });
  // a positive bar at the right edge goes left of zero (and left of the whisker's low end)
  assert.deepEqual(barLabelPlace({ ...plot, x0: 100, xv: 590, xlo: 90, xhi: 598, textPx: 40 }), { x: 84, anchor: 'end' });
});

test('bar label: when neither side has room for the text it stays on the side with more room', () => {
  // left room 244 − 64 = 180 is short of 300 but more than right's 94: it stays on the left
  assert.deepEqual(barLabelPlace({ ...plot, xv: 300, xlo: 250, xhi: 350, textPx: 300 }), { x: 244, anchor: 'end' });
  // left room 0, right room 94: it moves right
  assert.deepEqual(barLabelPlace({ ...plot, xv: 64, xlo: NaN, xhi: NaN, textPx: 300 }).anchor, 'start');
});

test('note width: 0.64 em per character (11 px DejaVu Sans digits are 7.0 px)', () => {
  assert.equal(noteWidthPx('−0.0080 ± 0.0063'), 16 * 0.64 * 11);
  assert.equal(noteWidthPx(''), 0);
});

test('bar label right padding: enough for the labels right of their bars to end 2 px inside the figure', () => {
  // a 538 px figure, plot from 80: a label 79 px wide at the plot's right end (end 1) needs 6 + 79 + 2 = 87 px
  assert.equal(barLabelRightPad([{ end: 1, textPx: 79 }], 538, 80), 87);
  // at 0.82 of the plot (the loss table's 1.6 + 0.02 of 1.976): 538 − 80 − (538 − 2 − 80 − 6 − 79) / 0.82 = 5.56 px
  assert.ok(Math.abs(barLabelRightPad([{ end: 0.82, textPx: 79 }], 538, 80) - (458 - 371 / 0.82)) < 1e-9);
  // the largest need wins; rows at the plot's left (end ≤ 0) need none; a label wider than the figure asks for Infinity
  assert.equal(barLabelRightPad([{ end: 0.5, textPx: 79 }, { end: 1, textPx: 40 }, { end: 0, textPx: 900 }], 538, 80), 48);
  assert.equal(barLabelRightPad([{ end: 0.5, textPx: 79 }], 538, 80), 0);
  assert.equal(barLabelRightPad([{ end: 0.2, textPx: 600 }], 538, 80), Infinity);
});
