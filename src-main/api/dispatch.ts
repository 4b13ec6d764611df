/** The one path from any host to a handler: look up, validate, run, wrap the result or the error. */
import type { z } from 'zod';
import type { ApiContext } from './context.js';
import { ApiError, type ApiErrorBody, type ApiIssue } from './errors.js';
import { ops, type OpRegistry } from './ops/index.js';

export type Envelope = { result: unknown } | { error: ApiErrorBody };

/** `input` undefined means "no input" and is read as `{}`. */
export async function dispatch(
  ctx: ApiContext,
  op: string,
  input: unknown,
  registry: OpRegistry = ops,
): Promise<Envelope> {
  const def = Object.hasOwn(registry, op) ? registry[op] : undefined;
  if (!def) {
    return { error: { code: 'unknown_op', op, message: `unknown op '${op}' (known: ${Object.keys(registry).join(', ')})` } };
  }
  const parsed = def.input.safeParse(input === undefined ? {} : input);
  if (!parsed.success) {
    const issues = toIssues(parsed.error.issues);
    const message = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    return { error: { code: 'invalid_input', op, message, issues } };
  }
  try {
    return { result: await def.handler(parsed.data, ctx) };
  } catch (err) {
    if (err instanceof ApiError) return { error: { code: err.code, op, message: err.message } };
    return { error: { code: 'internal', op, message: err instanceof Error ? err.message : String(err) } };
  }
}

/** One issue per offending field; an unknown key is reported at its own path. */
function toIssues(zodIssues: z.core.$ZodIssue[]): ApiIssue[] {
  const out: ApiIssue[] = [];
  for (const issue of zodIssues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...base, key].join('.'), message: 'unknown field' });
    } else {
      out.push({ path: base.join('.'), message: issue.message });
    }
  }
  return out;
}

