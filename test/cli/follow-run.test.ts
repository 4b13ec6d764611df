// A foreground job's events as a CLI command shows them (src-main/cli/follow-run.ts), with a stand-in
// runner that emits a run's events and then ends it: progress goes to the progress line (in place on
// a terminal, whole lines elsewhere), status changes to lines of their own.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { followRunShown } from '../../src-main/cli/follow-run.js';
import type { JobRunner } from '../../src-main/jobs/index.js';
import type { Run } from '../../src-main/store/index.js';

const RUN = { id: 'abcdef12-0000-0000-0000-000000000000', kind: 'demo-train', status: 'queued' } as unknown as Run;

function standIn(events: { status: string; fraction: number; message: string }[]): JobRunner {
  const r = new EventEmitter() as EventEmitter & { wait(id: string): Promise<Run>; cancel(id: string): void };
  r.wait = async () => {
    for (const e of events) r.emit('job', { runId: RUN.id, kind: RUN.kind, etaSec: null, ...e });
    // another run's event is not shown
    r.emit('job', { runId: 'other', kind: 'x', status: 'failed', fraction: 0, etaSec: null, message: 'not mine' });
    return { ...RUN, status: 'done' } as Run;
  };
  r.cancel = () => {};
  return r as unknown as JobRunner;
}

function recorder(isTTY: boolean): { isTTY: boolean; write(s: string): void; text: () => string } {
  const parts: string[] = [];
  return { isTTY, write: (s) => void parts.push(s), text: () => parts.join('') };
}

const EVENTS = [
  { status: 'running', fraction: 0, message: '' },
  { status: 'running', fraction: 0.5, message: 'step 1/2' }, // within followRun's 500 ms of the last: not reported
  { status: 'done', fraction: 1, message: 'step 2/2' },
];

test('followRunShown on a terminal: progress rewritten in place, the status change on a line below it', async () => {
  const out = recorder(true);
  const end = await followRunShown(standIn(EVENTS), RUN, out);
  assert.equal(end.status, 'done');
  assert.equal(out.text(), '\r[demo-train abcdef12] running 0.0%\n[demo-train abcdef12] done 100.0% step 2/2\n');
});

test('followRunShown into a pipe: whole lines, no \\r, and the status line ends it', async () => {
  const out = recorder(false);
  await followRunShown(standIn(EVENTS), RUN, out);
  assert.equal(out.text(), '[demo-train abcdef12] running 0.0%\n[demo-train abcdef12] done 100.0% step 2/2\n');
});
