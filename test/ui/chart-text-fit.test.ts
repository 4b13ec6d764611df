// Fitting chart text (src-renderer/src/charts): cutting a label in the middle to a width, on hand-counted
// characters (the width estimate is 0.64 em a character: 7.04 px at 11 px, 7.68 px at 12 px).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipText } from '../../src-renderer/src/charts/text-width.js';

test('clipText: a text that fits is kept; a longer one keeps its head and tail around an ellipsis', () => {
  assert.equal(clipText('owl', 30), 'owl'); // 3 × 7.04 = 21 px
  assert.equal(clipText('abcdefghij', 36), 'ab…ij'); // room for 5 characters: 2 + '…' + 2
  assert.equal(clipText('abcdefghij', 47, 12), 'abc…ij'); // 12 px: room for 6
  // a 40-character token in JSON quotes (42 characters) in 232 px (32 characters): both quotes stay
  assert.equal(clipText(JSON.stringify('x'.repeat(40)), 232), `"${'x'.repeat(15)}…${'x'.repeat(14)}"`);
  // no room at all: still one character each side
  assert.equal(clipText('abcdef', 0), 'a…f');
});
