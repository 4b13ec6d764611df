/**
 * What an SAE folder is, for the renderer's forms (Features lookup, feature-bias, read-outs):
 * `saes.inspect {path}` reads its config (SAELens cfg.json or Gemma Scope params.npz) and says
 * d_in, d_sae, hook and architecture, and which registered SAE (if any) has that path, so that
 * feature labels (annotations) can be read and written. Paths follow allowed-paths.ts.
 */
import { z } from 'zod';
import { loadSae } from '../../models/sae/load.js';
import { pathSchema } from '../../store/index.js';
import { allowedRoots, checkAllowedPath } from '../allowed-paths.js';
import { defineOp } from '../op.js';

export const uiSaeOps = {
  'saes.inspect': defineOp({
    summary: "an SAE folder's format, architecture, d_in, d_sae and hook, and the registered SAE with that path: {path} (absolute, inside the store's folder or home)",
    input: z.strictObject({ path: pathSchema }),
    output: z.object({
      path: z.string(),
      format: z.enum(['saelens', 'gemma-scope']),
      architecture: z.string(),
      dIn: z.number(),
      dSae: z.number(),
      hook: z.string(),
      weightDtype: z.string(),
      neuronpediaId: z.string().nullable(),
      /** the store's SAE record with this path (its annotations are the feature labels), if any */
      registered: z.object({ id: z.string(), name: z.string() }).nullable(),
    }),
    handler: async ({ path }, ctx) => {
      const full = checkAllowedPath(path, allowedRoots(ctx.storeFile), 'path');
      const sae = await loadSae(full);
      const row = ctx.store.saes.list({ limit: 10_000 }).find((r) => r.path === full || r.path === path);
      return {
        path: full, format: sae.format, architecture: sae.architecture, dIn: sae.dIn, dSae: sae.dSae, hook: sae.hook,
        weightDtype: sae.weightDtype, neuronpediaId: sae.neuronpediaId, registered: row ? { id: row.id, name: row.name } : null,
      };
    },
  }),
};
