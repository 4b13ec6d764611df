/** The one path from any host to a handler: look up, validate, run, wrap the result or the error. */
import type { ApiContext } from './context.js';
import { StoreError, type StoreErrorCode } from '../store/errors.js';
import { damaged } from '../store/db.js';
import { ApiError, type ApiErrorBody, type ApiErrorCode } from './errors.js';
import { issuesMessage, toIssues } from './issues.js';
import { ops, type OpRegistry } from './ops/index.js';

/** The store's and job runner's deliberate errors, as API codes (HTTP: 400, 404, 409). */
const STORE_CODES: Record<StoreErrorCode, ApiErrorCode> = { invalid: 'invalid_input', not_found: 'not_found', conflict: 'conflict' };

/** Deeper inputs are refused before validation (a recursive validator would overflow the stack: a raw 500). */
export const MAX_INPUT_DEPTH = 64;

/** How deep arrays and objects nest in `v` (a scalar is 0), counting no further than limit + 1; no recursion. */
export function nestingDepth(v: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const y of Array.isArray(x) ? x : Object.values(x)) stack.push([y, d + 1]);
  }
  return max;
}

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
  const depth = nestingDepth(input, MAX_INPUT_DEPTH);
  if (depth > MAX_INPUT_DEPTH) {
    return { error: { code: 'invalid_input', op, message: `input is nested deeper than ${MAX_INPUT_DEPTH} levels`, issues: [{ path: '', message: `nested deeper than ${MAX_INPUT_DEPTH} levels` }] } };
  }
  const parsed = def.input.safeParse(input === undefined ? {} : input);
  if (!parsed.success) {
    const issues = toIssues(parsed.error.issues);
    const message = issuesMessage(issues);
    return { error: { code: 'invalid_input', op, message, issues } };
  }
  try {
    return { result: await def.handler(parsed.data, ctx) };
  } catch (err) {
    if (err instanceof ApiError) {
      return { error: { code: err.code, op, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
    }
    if (err instanceof StoreError) return { error: { code: STORE_CODES[err.code], op, message: err.message } };
    const e = damaged(ctx.storeFile, err);
    return { error: { code: 'internal', op, message: e instanceof Error ? e.message : String(e) } };
  }
}
