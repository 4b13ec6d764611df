/**
 * Run one job to its end in this process and report its events, as the CLI does: progress at most
 * every `intervalMs` (status changes always), and Ctrl-C asks for a cooperative cancel. `note` prints
 * the Ctrl-C notices (default: a line on stderr), so that a caller drawing a progress line can finish
 * it first.
 */
import type { Run } from '../store/index.js';
import type { JobRunner } from './runner.js';
import type { JobEvent } from './events.js';

export async function followRun(
  runner: JobRunner,
  run: Run,
  report: (e: JobEvent) => void,
  o: { intervalMs?: number; note?: (text: string) => void } = {},
): Promise<Run> {
  const intervalMs = o.intervalMs ?? 500;
  const note = o.note ?? ((text: string) => void process.stderr.write(`${text}\n`));
  let last = 0;
  let lastStatus = '';
  const onEvent = (e: JobEvent): void => {
    if (e.runId !== run.id) return;
    const now = Date.now();
    if (e.status !== lastStatus || now - last >= intervalMs) {
      last = now;
      lastStatus = e.status;
      report(e);
    }
  };
  // the first Ctrl-C asks the job to stop at its next step (it keeps its last checkpoint); a second one
  // does not wait for that step (a long one on a big model): the run is marked interrupted and the
  // process ends, so that `jobs-resume` continues it from its last checkpoint
  let sigints = 0;
  const onSigint = (): void => {
    if (++sigints === 1) {
      runner.cancel(run.id);
      note('stopping at the next step (Ctrl-C again to stop now; the last checkpoint is kept)');
      return;
    }
    try {
      runner.store.runs.forceInterrupt(run.id, 'interrupted: Ctrl-C twice, stopped without waiting for the step to end');
    } catch {
      // it ended in the meantime
    }
    note(`stopped: run ${run.id} is interrupted; jobs-resume ${run.id} continues it from its last checkpoint`);
    dieOfSigint();
  };
  runner.on('job', onEvent);
  process.on('SIGINT', onSigint);
  try {
    return await runner.wait(run.id);
  } finally {
    runner.off('job', onEvent);
    process.off('SIGINT', onSigint);
  }
}

/** The process exit code for a run's final status. */
export const exitCodeOf = (r: Run): number => (r.status === 'done' ? 0 : r.status === 'cancelled' ? 130 : 1);

/**
 * End the process as a Ctrl-C does by default (killed by SIGINT; a shell shows status 130), at once,
 * even while a session runs in the engine's worker: `process.exit` would tear the worker down in
 * the middle of an ORT call, which aborts the process ('terminate called after throwing Napi::Error').
 * Files written synchronously and committed store transactions are kept.
 */
export function dieOfSigint(): never {
  process.removeAllListeners('SIGINT');
  process.kill(process.pid, 'SIGINT');
  // the signal is delivered asynchronously: wait for it without running more of the caller
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}
