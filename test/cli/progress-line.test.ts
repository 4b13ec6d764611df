// A command's progress on stderr (src-main/cli/progress-line.ts): rewritten in place on a terminal,
// whole throttled lines anywhere else. Checked against what a recording stream receives, with a
// hand-driven clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentText, progressLine } from '../../src-main/cli/progress-line.js';

function recorder(isTTY: boolean): { isTTY: boolean; write(s: string): void; text: () => string } {
  const parts: string[] = [];
  return { isTTY, write: (s) => void parts.push(s), text: () => parts.join('') };
}

test('progressLine on a terminal: one line rewritten with \\r, a shorter text padded over the longer one, a newline at the end', () => {
  const out = recorder(true);
  const bar = progressLine(out);
  assert.equal(bar.interrupt(), '');
  bar.update('10% step 1/10');
  bar.update('20% ok');
  assert.equal(bar.interrupt(), '\n');
  bar.end();
  assert.equal(out.text(), '\r10% step 1/10\r20% ok       \n');
  // nothing shown: end writes nothing
  const quiet = recorder(true);
  progressLine(quiet).end();
  assert.equal(quiet.text(), '');
});

test('progressLine elsewhere (a pipe, a log file): whole lines, the first at once, then at most one per interval, and the last on end', () => {
  const out = recorder(false);
  let t = 1_000;
  const bar = progressLine(out, { everyMs: 10_000, now: () => t });
  bar.update('1% a');
  t += 4_000;
  bar.update('2% b'); //   4 s after the last line: held
  t += 5_000;
  bar.update('3% c'); //   9 s: held, replacing b
  t += 1_000;
  bar.update('4% d'); //  10 s: written
  t += 2_000;
  bar.update('5% e'); //  held
  assert.equal(out.text(), '1% a\n4% d\n');
  bar.end();
  assert.equal(out.text(), '1% a\n4% d\n5% e\n');
  assert.equal(out.text().includes('\r'), false);
  assert.equal(bar.interrupt(), '');
  // a last update already written is not written twice
  const once = recorder(false);
  const b2 = progressLine(once, { now: () => 0 });
  b2.update('100% done');
  b2.end();
  assert.equal(once.text(), '100% done\n');
});

test('percentText: the fraction as a whole percent, then the message', () => {
  assert.equal(percentText(0.123, 'answers 3/24'), '12% answers 3/24');
  assert.equal(percentText(1, 'done'), '100% done');
});
