/** Engine ops: what the ONNX runtime underneath can do. */
import { z } from 'zod';
import { defineOp } from '../op.js';

export const engineOps = {
  'engine.status': defineOp({
    summary: 'ORT version, execution providers, and the engine self-check',
    input: z.strictObject({}),
    output: z.object({
      ortVersion: z.string(),
      providers: z.array(z.string()),
      selfcheck: z.object({ ok: z.boolean(), detail: z.string(), ms: z.number() }),
    }),
    handler: (_input, ctx) => ctx.engine.status(),
  }),
};
