/**
 * A job run in the foreground of a CLI command, its events shown on `stream`: progress as one line
 * rewritten in place on a terminal and as a line every 10 s in a pipe or log file (progress-line.ts);
 * status changes as lines of their own; Ctrl-C notices on stderr, below the progress line.
 */
import { describeEvent, followRun, type JobRunner } from '../jobs/index.js';
import type { Run } from '../store/index.js';
import { progressLine, type ProgressStream } from './progress-line.js';

export async function followRunShown(runner: JobRunner, run: Run, stream: ProgressStream): Promise<Run> {
  const bar = progressLine(stream);
  try {
    return await followRun(runner, run, (e) => (e.status === 'running' ? bar.update(describeEvent(e)) : bar.say(describeEvent(e))), {
      note: (t) => {
        bar.break();
        process.stderr.write(`${t}\n`);
      },
    });
  } finally {
    bar.end();
  }
}
