import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { resolveStorePath, invalid, type JsonValue, type Run } from '../../store/index.js';
import { JobRunner, exitCodeOf, jobKinds } from '../../jobs/index.js';
import { resultSummary } from '../result-summary.js';
import { followRunShown } from '../follow-run.js';

/**
 * The last lines of a foreground run: its end and result; for a finished run a readable summary (resultSummary) and its vectors (the ids
 * `readout --vector-id` takes, which a bias sweep's result does not carry); otherwise its error and
 * how to resume it, on stderr (the run is kept: cancelled by Ctrl-C, interrupted, or failed). Returns the exit code.
 * With `json`, stdout gets only one JSON object (endJson); the text lines go to stderr.
 */
export function reportEnd(runner: JobRunner, end: Run, json = false): number {
  const out = json ? console.error : console.log;
  const vectors = runner.store.vectors.list({ runId: end.id, limit: 10_000 });
  out(`run ${end.id} ${end.status}${end.result ? ` ${JSON.stringify(end.result)}` : ''}`);
  if (end.status === 'done') {
    for (const line of resultSummary(end.kind, end.result)) out(line);
    for (const v of vectors) out(`vector ${v.id}  ${v.name}`);
  } else {
    if (end.error) console.error(`error: ${end.error}`);
    const resume = `jobs-resume ${end.id} --store ${runner.store.path}`;
    console.error(end.status === 'failed' ? `once the cause is fixed, ${resume} restarts it from its last checkpoint` : `resume it from its last checkpoint: ${resume}`);
  }
  if (json) console.log(JSON.stringify(endJson(runner, end, vectors.map((v) => v.id))));
  return exitCodeOf(end);
}

/** `--json`: a run's end as one object (for `| jq`): what the text mode prints, machine-readable. */
export function endJson(runner: JobRunner, end: Run, vectorIds: string[]) {
  return {
    runId: end.id,
    kind: end.kind,
    status: end.status,
    result: end.result ?? null,
    error: end.error ?? null,
    vectorIds,
    store: runner.store.path,
  };
}

export const jobsStartCommand: Command = {
  name: 'jobs-start',
  summary: `run a job to its end, printing progress (kinds: ${Object.keys(jobKinds).join(', ')})`,
  usage: 'jobs-start <kind> [--params json] [--store path] [--json]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { params: 'string', store: 'string', json: 'boolean' });
    const json = !!flags.json;
    const say = json ? console.error : console.log;
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
      say(`run ${run.id} (${kind}) in ${runner.store.path}`);
      const end = await followRunShown(runner, run, json ? process.stderr : process.stdout);
      return reportEnd(runner, end, json);
    } finally {
      await runner.close();
    }
  },
};
