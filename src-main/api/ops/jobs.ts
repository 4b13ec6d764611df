/** Jobs: start any registered kind, cancel, resume from the last checkpoint; progress arrives on `jobs.events`. */
import { z } from 'zod';
import { jobKinds, jobStartSchema, runIdInputSchema, type JobKind } from '../../jobs/index.js';
import { runOut } from '../entity-schemas.js';
import { ApiError } from '../errors.js';
import { toIssues } from '../issues.js';
import { defineOp } from '../op.js';
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

/** `{path, message}` for each group with none or more than one of its fields given. */
export function oneOfIssues(schema: z.ZodType, params: Record<string, unknown>): { path: string; message: string }[] {
  return oneOfGroups(schema).flatMap((g) => {
    const given = g.filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '');
    if (given.length === 1) return [];
    return [{ path: `params.${given[1] ?? g[0]}`, message: given.length ? `give only one of ${g.join(', ')} (got ${given.join(' and ')})` : `give one of ${g.join(', ')}` }];
  });
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
      const kind = await kindOf(s.kind);
      const parsed = kind.params.safeParse(s.params);
      if (!parsed.success) {
        const issues = toIssues(parsed.error.issues, ['params']);
        throw new ApiError('invalid_input', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
      }
      const missing = oneOfIssues(kind.params, parsed.data as Record<string, unknown>);
      if (missing.length) throw new ApiError('invalid_input', missing.map((i) => `${i.path}: ${i.message}`).join('; '), missing);
      checkParamPaths(parsed.data, allowedRoots(ctx.storeFile), 'params', ctx.store);
      // a provider that is not installed is refused here, not by a run that fails a moment later
      const ep = (parsed.data as { ep?: unknown }).ep;
      if (typeof ep === 'string' && !providersAvailable().includes(ep)) {
        const message = ep === 'cuda' ? cudaHelp() : `execution provider '${ep}' is not available (available: ${providersAvailable().join(', ')})`;
        throw new ApiError('invalid_input', `params.ep: ${message}`, [{ path: 'params.ep', message }]);
      }
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
      // a run's config may come from an imported experiment: its paths pass the same rule as a new job's
      const run = ctx.store.runs.get(runId);
      if (Object.hasOwn(jobKinds, run.kind)) {
        const parsed = (await kindOf(run.kind)).params.safeParse(run.config);
        if (!parsed.success) {
          const issues = toIssues(parsed.error.issues, ['config']);
          throw new ApiError('invalid_input', `run '${runId}' cannot resume: its config does not fit job '${run.kind}' (${issues.map((i) => `${i.path}: ${i.message}`).join('; ')})`, issues);
        }
        checkParamPaths(parsed.data, allowedRoots(ctx.storeFile), 'config', ctx.store);
      }
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
