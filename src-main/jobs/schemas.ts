/** Inputs of the job runner's operations, for the API layer to reuse. */
import { z } from 'zod';
import { idSchema, jsonSchema } from '../store/index.js';

export const jobStartSchema = z.strictObject({
  kind: z.string().min(1).max(100),
  params: jsonSchema().default({}),
});
export type JobStart = z.input<typeof jobStartSchema>;

export const runIdInputSchema = z.strictObject({ runId: idSchema });
export type RunIdInput = z.input<typeof runIdInputSchema>;
