/**
 * Experiments as portable folders (JSONL + safetensors + manifest). Paths follow allowed-paths.ts:
 * absolute, and inside the store's folder or the user's home.
 */
import { z } from 'zod';
import { exportExperiment, exportSelectionSchema, importExperiment, pathSchema } from '../../store/index.js';
import { allowedRoots, checkAllowedPath } from '../allowed-paths.js';
import { defineOp } from '../op.js';

const counts = z.record(z.string(), z.number());

export const experimentOps = {
  'experiments.export': defineOp({
    summary: "export runs/datasets (and what they depend on) or all, to a new or empty folder: {select, out} (absolute, inside the store's folder or home)",
    input: z.strictObject({ select: exportSelectionSchema, out: pathSchema }),
    output: z.object({ out: z.string(), schemaVersion: z.number(), counts, files: z.array(z.string()) }),
    handler: async ({ select, out }, ctx) => {
      const dir = checkAllowedPath(out, allowedRoots(ctx.storeFile), 'out');
      const m = exportExperiment(ctx.store, { out: dir, select });
      return { out: dir, schemaVersion: m.schemaVersion, counts: m.counts, files: Object.keys(m.files) };
    },
  }),
  'experiments.import': defineOp({
    summary: "import an exported folder into this store, in one transaction: {dir} (absolute, inside the store's folder or home)",
    input: z.strictObject({ dir: pathSchema }),
    output: z.object({ dir: z.string(), counts: z.record(z.string(), z.object({ added: z.number(), skipped: z.number() })) }),
    handler: async ({ dir }, ctx) => {
      const full = checkAllowedPath(dir, allowedRoots(ctx.storeFile), 'dir');
      return { dir: full, counts: importExperiment(ctx.store, { dir: full }) };
    },
  }),
};
