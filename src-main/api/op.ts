/** What one API operation is: its input and output schemas and its handler. */
import type { z } from 'zod';
import type { ApiContext } from './context.js';

export interface OpDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** one line, shown by `npm run cli -- api` */
  summary: string;
  /** strict: unknown fields rejected; every string and array bounded (test/api/contract.test.ts checks) */
  input: I;
  /** the result's shape; the renderer's types derive from it */
  output: O;
  /** a request body limit above the host's default (1 MiB in `serve`), for ops that carry files */
  maxBodyBytes?: number;
  handler(input: z.output<I>, ctx: ApiContext): Promise<z.input<O>>;
}

/** Identity, for inference: `defineOp({...})` keeps the schemas' precise types. */
export function defineOp<I extends z.ZodType, O extends z.ZodType>(def: OpDef<I, O>): OpDef<I, O> {
  return def;
}
