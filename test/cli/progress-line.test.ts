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

/** What a terminal's progress line writes for a sequence of calls: ['update', text], ['say', text], ['break'] or ['end']. */
function onTerminal(calls: ([('update' | 'say'), string] | ['break' | 'end'])[]): string {
  const out = recorder(true);
  const bar = progressLine(out);
  for (const [op, text] of calls) (op === 'update' || op === 'say' ? bar[op](text!) : bar[op]());
  return out.text();
}

test('progressLine on a terminal: one line rewritten with \\r, a shorter text padded over the longer one, a newline at the end; say() finishes the line first', () => {
  assert.equal(onTerminal([['say', 'run 1 (demo) in x.db'], ['update', '10% step 1/10'], ['update', '20% ok'], ['end']]),
    'run 1 (demo) in x.db\n\r10% step 1/10\r20% ok       \n');
  // a status line mid-progress goes below it, and the next update starts a fresh line
  assert.equal(onTerminal([['update', '50% half'], ['say', 'stopping at the next step'], ['update', '60% more'], ['say', 'cancelled'], ['end']]),
    '\r50% half\nstopping at the next step\n\r60% more\ncancelled\n');
  // break() only finishes the line (a notice then goes to another stream); twice is once
  assert.equal(onTerminal([['update', '70% x'], ['break'], ['break'], ['end']]), '\r70% x\n');
  // nothing shown: end writes nothing
  assert.equal(onTerminal([['end']]), '');
});

test('progressLine on a terminal of known width: a longer text is cut to one row (a wrapped line is not rewritten in place)', () => {
  const out = { isTTY: true, columns: 20, parts: [] as string[], write(s: string) { this.parts.push(s); } };
  const bar = progressLine(out);
  bar.update('12% blocks.3.hook_resid_post: step 53/512');
  bar.update('13% short');
  bar.end();
  assert.equal(out.parts.join(''), '\r12% blocks.3.hook_…\r13% short          \n');
  assert.equal('12% blocks.3.hook_…'.length, 19);
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
  // a line of its own supersedes a held update: the status that follows progress says where it ended
  t += 1_000;
  bar.update('6% f');
  bar.say('done 100%');
  bar.end();
  assert.equal(out.text(), '1% a\n4% d\n5% e\ndone 100%\n');
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
