import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { existingStorePath, invalid } from '../../store/index.js';
import { JobRunner } from '../../jobs/index.js';
import { reportEnd } from './jobs-start.js';
import { followRunShown } from '../follow-run.js';

export const jobsResumeCommand: Command = {
  name: 'jobs-resume',
  summary: 'resume an interrupted, failed or cancelled run from its last checkpoint',
  usage: 'jobs-resume <runId> [--store path] [--json]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { store: 'string', json: 'boolean' });
    const json = !!flags.json;
    const say = json ? console.error : console.log;
    const [runId] = positional;
    if (!runId || positional.length > 1) throw invalid(`usage: ${this.usage}`);
    const runner = new JobRunner({ storePath: existingStorePath(flags.store as string | undefined) });
    try {
      const run = runner.resume(runId);
      const ck = runner.store.checkpoints.get(runId);
      say(`run ${run.id} (${run.kind}) resumes ${ck ? `from step ${ck.step}` : 'from the start (no checkpoint)'}`);
      const end = await followRunShown(runner, run, json ? process.stderr : process.stdout);
      return reportEnd(runner, end, json);
    } finally {
      await runner.close();
    }
  },
};
