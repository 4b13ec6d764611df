import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { resolveStorePath, invalid, type JsonValue } from '../../store/index.js';
import { JobRunner, describeEvent, exitCodeOf, followRun, jobKinds } from '../../jobs/index.js';

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
      console.log(`run ${end.id} ${end.status}${end.result ? ` ${JSON.stringify(end.result)}` : ''}`);
      return exitCodeOf(end);
    } finally {
      await runner.close();
    }
  },
};
