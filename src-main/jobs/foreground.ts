/**
 * Run one job to its end in this process and report its events, as the CLI does: progress at most
 * every `intervalMs` (status changes always), and Ctrl-C asks for a cooperative cancel.
 */
import type { Run } from '../store/index.js';
import type { JobRunner } from './runner.js';
import type { JobEvent } from './events.js';

export async function followRun(
  runner: JobRunner,
  run: Run,
  report: (e: JobEvent) => void,
  intervalMs = 500,
): Promise<Run> {
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
  const onSigint = (): void => {
    runner.cancel(run.id);
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
