/** Jobs: start any registered kind, cancel, resume from the last checkpoint; progress arrives on `jobs.events`. */
import { z } from 'zod';
import { jobKinds, jobStartSchema, runIdInputSchema, type JobKind } from '../../jobs/index.js';
import { runOut } from '../entity-schemas.js';
import { ApiError } from '../errors.js';
import { issuesMessage, toIssues } from '../issues.js';
import { defineOp } from '../op.js';
import type { ApiContext } from '../context.js';
import { allowedRoots } from '../allowed-paths.js';
import { checkParamPaths } from '../param-paths.js';
import { demoCorpusPath, demoModelPath, demoSaePath } from '../demo.js';
import { reapDeadRuns } from '../../jobs/owner.js';
import { cudaHelp, providersAvailable } from '../../engine/providers.js';

async function kindOf(name: string): Promise<JobKind> {
  const load = Object.hasOwn(jobKinds, name) ? jobKinds[name] : undefined;
  if (!load) {
    const message = `unknown job kind '${name}' (known: ${Object.keys(jobKinds).join(', ')})`;
    throw new ApiError('invalid_input', `kind: ${message}`, [{ path: 'kind', message }]);
  }
  return load();
}

/**
 * A starting point for a kind's params in the launcher: the params `{}` gets when nothing is
 * required; otherwise every field's default, the embedded demo as `model`, `sae` and `corpusFile`,
 * and the required fields still to fill listed in `required`.
 */
/**
 * Inputs a kind takes in one of several forms (a stored dataset, a JSONL file or a corpus file):
 * exactly one of each group present in its schema must be given. The schemas leave them optional.
 */
const ONE_OF = [['datasetId', 'datasetFile', 'corpusFile'], ['controlDatasetId', 'controlDatasetFile']] as const;

function oneOfGroups(schema: z.ZodType): string[][] {
  const shape = (schema as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return ONE_OF.map((g) => g.filter((k) => k in shape)).filter((g) => g.length > 1);
}

/** `{path, message}` for each group with none or more than one of its fields given (paths under `at`). */
export function oneOfIssues(schema: z.ZodType, params: Record<string, unknown>, at = 'params'): { path: string; message: string }[] {
  return oneOfGroups(schema).flatMap((g) => {
    const given = g.filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '');
    if (given.length === 1) return [];
    return [{ path: `${at}.${given[1] ?? g[0]}`, message: given.length ? `give only one of ${g.join(', ')} (got ${given.join(' and ')})` : `give one of ${g.join(', ')}` }];
  });
}

/**
 * What a job's params must pass before a run starts, and again before it resumes (its config may
 * come from an imported experiment): the kind's schema, the one-of groups, the allowed-paths rule
 * at any depth, and an installed execution provider. Issue paths start with `at`; `schemaContext`,
 * when given, leads the message of a schema failure.
 */
async function checkJobParams(ctx: ApiContext, kindName: string, params: unknown, at: 'params' | 'config', schemaContext?: string): Promise<void> {
  const fail = (issues: { path: string; message: string }[], context?: string): never => {
    const list = issuesMessage(issues);
    throw new ApiError('invalid_input', context ? `${context} (${list})` : list, issues);
  };
  const kind = await kindOf(kindName);
  const parsed = kind.params.safeParse(params);
  if (!parsed.success) return fail(toIssues(parsed.error.issues, [at]), schemaContext);
  const data = parsed.data as Record<string, unknown>;
  const missing = oneOfIssues(kind.params, data, at);
  if (missing.length) fail(missing);
  checkParamPaths(data, allowedRoots(ctx.storeFile), at, ctx.store);
  // a provider that is not installed is refused here, not by a run that fails a moment later
  if (typeof data.ep === 'string' && !providersAvailable().includes(data.ep)) {
    fail([{ path: `${at}.ep`, message: data.ep === 'cuda' ? cudaHelp() : `execution provider '${data.ep}' is not available (available: ${providersAvailable().join(', ')})` }]);
  }
}

export function paramsTemplate(schema: z.ZodType): { template: Record<string, unknown>; required: string[] } {
  const shape = (schema as { shape?: Record<string, z.ZodType> }).shape ?? {};
  const demo: Record<string, string | null> = { model: demoModelPath(), sae: demoSaePath(), corpusFile: demoCorpusPath() };
  const template: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [k, f] of Object.entries(shape)) {
    if (demo[k]) template[k] = demo[k];
    else {
      const r = f.safeParse(undefined);
      if (!r.success) required.push(k);
      else if (r.data !== undefined) template[k] = r.data;
    }
  }
  for (const g of oneOfGroups(schema)) if (!g.some((k) => template[k] !== undefined)) required.push(g.join(' | '));
  return { template, required };
}

export const jobOps = {
  'jobs.start': defineOp({
    summary: "start a job: {kind, params}; params are checked against the kind's schema (see jobs.kinds)",
    input: jobStartSchema,
    output: runOut,
    handler: async (s, ctx) => {
      await checkJobParams(ctx, s.kind, s.params, 'params');
      return ctx.jobs.start(s);
    },
  }),
  'jobs.cancel': defineOp({
    summary: 'ask a queued or running run to stop (cooperative); an interrupted run becomes cancelled at once',
    input: runIdInputSchema,
    output: runOut,
    handler: async ({ runId }, ctx) => ctx.jobs.cancel(runId),
  }),
  'jobs.resume': defineOp({
    summary: 'restart an interrupted, failed or cancelled run from its last checkpoint',
    input: runIdInputSchema,
    output: runOut,
    handler: async ({ runId }, ctx) => {
      const run = ctx.store.runs.get(runId);
      if (Object.hasOwn(jobKinds, run.kind)) await checkJobParams(ctx, run.kind, run.config, 'config', `run '${runId}' cannot resume: its config does not fit job '${run.kind}'`);
      return ctx.jobs.resume(runId);
    },
  }),
  'jobs.list': defineOp({
    summary: 'the runs queued or running now (in any process on this store)',
    input: z.strictObject({}),
    output: z.array(runOut),
    handler: async (_input, ctx) => {
      reapDeadRuns(ctx.store);
      return [...ctx.store.runs.list({ status: 'running' }), ...ctx.store.runs.list({ status: 'queued' })];
    },
  }),
  'jobs.kinds': defineOp({
    summary: 'the registered job kinds: a one-line description, the params JSON Schema and their defaults',
    input: z.strictObject({}),
    output: z.array(
      z.object({
        kind: z.string(),
        description: z.string(),
        /** JSON Schema of the params (input side: defaults filled in by the server) */
        params: z.unknown(),
        /** the params a `{}` gets, or null when some are required */
        defaults: z.unknown(),
        /** a starting point for the launcher: the defaults, the embedded demo's model, SAE and corpus */
        template: z.record(z.string(), z.unknown()),
        /** fields with no default that the template leaves to fill */
        required: z.array(z.string()),
        /** a check of the jobs framework (toy data), listed apart from the research kinds */
        selfTest: z.boolean(),
      }),
    ),
    handler: async () =>
      Promise.all(
        Object.keys(jobKinds).map(async (name) => {
          const k = await kindOf(name);
          const d = k.params.safeParse({});
          const complete = d.success && !oneOfIssues(k.params, d.data as Record<string, unknown>).length;
          return {
            kind: name,
            description: k.description ?? '',
            selfTest: k.selfTest ?? false,
            params: z.toJSONSchema(k.params, { io: 'input', unrepresentable: 'any' }),
            defaults: complete ? d.data : null,
            ...(complete ? { template: d.data as Record<string, unknown>, required: [] } : paramsTemplate(k.params)),
          };
        }),
      ),
  }),
};
