import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { resolveStorePath, invalid, type JsonValue, type Run } from '../../store/index.js';
import { JobRunner, describeEvent, exitCodeOf, followRun, jobKinds } from '../../jobs/index.js';

/**
 * The last lines of a foreground run: its end and result; for a finished run its vectors (the ids
 * `readout --vector-id` takes, which a bias sweep's result does not carry); otherwise its error and
 * how to resume it, on stderr (the run is kept: cancelled by Ctrl-C, interrupted, or failed). Returns the exit code.
 */
export function reportEnd(runner: JobRunner, end: Run): number {
  console.log(`run ${end.id} ${end.status}${end.result ? ` ${JSON.stringify(end.result)}` : ''}`);
  if (end.status === 'done') {
    for (const v of runner.store.vectors.list({ runId: end.id, limit: 10_000 })) console.log(`vector ${v.id}  ${v.name}`);
  } else {
    if (end.error) console.error(`error: ${end.error}`);
    const resume = `jobs-resume ${end.id} --store ${runner.store.path}`;
    console.error(end.status === 'failed' ? `once the cause is fixed, ${resume} restarts it from its last checkpoint` : `resume it from its last checkpoint: ${resume}`);
  }
  return exitCodeOf(end);
}

export const jobsStartCommand: Command = {
  name: 'jobs-start',
  summary: `run a job to its end, printing progress (kinds: ${Object.keys(jobKinds).join(', ')})`,
  usage: 'jobs-start <kind> [--params json] [--store path]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { params: 'string', store: 'string' });
    const [kind] = positional;
    if (!kind || positional.length > 1) throw invalid(`usage: ${this.usage}`);
    let params: JsonValue = {};
    if (flags.params !== undefined) {
      try {
        params = JSON.parse(flags.params as string) as JsonValue;
      } catch (e) {
        throw invalid(`--params is not valid JSON: ${(e as Error).message}`);
      }
    }
    const runner = new JobRunner({ storePath: resolveStorePath(flags.store as string | undefined) });
    try {
      const run = await runner.submit({ kind, params });
      console.log(`run ${run.id} (${kind}) in ${runner.store.path}`);
      const end = await followRun(runner, run, (e) => console.log(describeEvent(e)));
      return reportEnd(runner, end);
    } finally {
      await runner.close();
    }
  },
};
