/**
 * Research read-outs over the contract: what a model folder offers (`models.inspect`) and what a
 * stored vector learned (`lab.readout`: top SAE features with labels, DLA). File paths follow
 * allowed-paths.ts (absolute, inside the store's folder or the user's home).
 */
import { z } from 'zod';
import { bytesToF32 } from '../../engine/safetensors.js';
import { openCheckpoint } from '../../models/checkpoint.js';
import { modelIdentityHash } from '../../models/identity.js';
import { hookList, formatHookShape } from '../../models/hooks.js';
import { loadSae } from '../../models/sae/load.js';
import { loadTokenizer } from '../../models/tokenizer.js';
import { modelHashOf, readVector } from '../../lab/readouts.js';
import { tokenDiff } from '../../lab/token-diff.js';
import { codeVersion } from '../../jobs/code-version.js';
import { LanguageModel } from '../../models/lm.js';
import { interventionSetSchema } from '../../models/interventions.js';
import { idSchema, pathSchema } from '../../store/index.js';
import { allowedRoots, checkAllowedPath } from '../allowed-paths.js';
import { checkParamPaths } from '../param-paths.js';
import { ApiError } from '../errors.js';
import { featureNotes } from '../feature-notes.js';
import { defineOp } from '../op.js';
import { demoCorpusPath, demoModelPath, demoSaePath } from '../demo.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const feature = z.object({
  index: z.number(), score: z.number(), cosine: z.number().nullable(), encoderProj: z.number().nullable(), label: z.string().optional(),
  /** without a label: the tokens the feature fires hardest on in the SAE's newest feature-stats run */
  firesOn: z.array(z.string()).optional(),
});
const token = z.object({ id: z.number(), token: z.string().nullable(), value: z.number() });

export const labOps = {
  'app.demo': defineOp({
    summary: 'the embedded demo: model folder (stories260k), its SAE folder and the corpus it was trained on (null when the app ships none)',
    input: z.strictObject({}),
    output: z.object({ modelPath: z.string().nullable(), saePath: z.string().nullable(), corpusPath: z.string().nullable() }),
    handler: async () => ({ modelPath: demoModelPath(), saePath: demoSaePath(), corpusPath: demoCorpusPath() }),
  }),
  'models.inspect': defineOp({
    summary: "a model folder's architecture, parameter count and canonical hook list: {path} (absolute, inside the store's folder or home)",
    input: z.strictObject({ path: pathSchema }),
    output: z.object({
      path: z.string(), arch: z.string(), dModel: z.number(), nLayers: z.number(), nHeads: z.number(), nKvHeads: z.number(),
      headDim: z.number(), dMlp: z.number(), vocab: z.number(), paramCount: z.number(), dtypes: z.array(z.string()),
      hasTokenizer: z.boolean(), hasChatTemplate: z.boolean(),
      /** the model's identity hash (config + safetensors headers and sizes), as runs record it */
      identityHash: z.string(),
      hooks: z.array(z.object({ name: z.string(), layer: z.number().nullable(), shape: z.string() })),
    }),
    handler: async ({ path }, ctx) => {
      const dir = checkAllowedPath(path, allowedRoots(ctx.storeFile), 'path');
      const ck = openCheckpoint(dir);
      const s = ck.spec;
      const hasTokenizer = existsSync(join(dir, 'tokenizer.json'));
      return {
        path: dir, arch: s.arch, dModel: s.dModel, nLayers: s.nLayers, nHeads: s.nHeads, nKvHeads: s.nKvHeads, headDim: s.headDim,
        dMlp: s.dMlp, vocab: s.vocab, paramCount: ck.paramCount, dtypes: [...ck.dtypes], hasTokenizer,
        hasChatTemplate: hasTokenizer && loadTokenizer(dir).chatTemplate !== null,
        identityHash: modelIdentityHash(ck),
        hooks: hookList(s).map((h) => ({ name: h.name, layer: h.layer, shape: formatHookShape(s, h) })),
      };
    },
  }),
  'lab.readout': defineOp({
    summary: 'what a stored vector learned: top SAE features by decoder cosine (with labels), its sparse reconstruction from decoder rows (share of ‖v‖² explained by k features), and direct logit attribution: {vectorId, model, sae?, k?, throughFinalNorm?}',
    input: z.strictObject({
      vectorId: idSchema,
      model: pathSchema,
      sae: pathSchema.optional(),
      k: z.int().min(1).max(500).default(20),
      throughFinalNorm: z.boolean().default(true),
    }),
    output: z.object({
      space: z.enum(['residual', 'features']), norm: z.number(),
      topFeatures: z.array(feature), bottomFeatures: z.array(feature),
      dla: z.object({ top: z.array(token), bottom: z.array(token), throughFinalNorm: z.boolean() }),
      /** orthogonal matching pursuit over the SAE's decoder rows: explained[k−1] is the share of ‖v‖² (0 … 1) the first k features explain */
      sparse: z.object({ method: z.literal('omp'), features: z.array(z.object({ index: z.number(), coef: z.number() })), explained: z.array(z.number()) }).nullable(),
      warnings: z.array(z.string()),
      /** the feature-stats run that `firesOn` comes from (null: none for this SAE in the store) */
      firesOnRun: z.object({ runId: z.string(), nTokens: z.number() }).nullable(),
    }),
    handler: async (input, ctx) => {
      const roots = allowedRoots(ctx.storeFile);
      const dir = checkAllowedPath(input.model, roots, 'model');
      const saePath = input.sae ? checkAllowedPath(input.sae, roots, 'sae') : undefined;
      const meta = ctx.store.vectors.get(input.vectorId);
      if (meta.dtype === 'F64') throw new ApiError('invalid_input', `vector '${input.vectorId}' is F64; read-outs take F32/F16/BF16 vectors`, [{ path: 'vectorId', message: 'F64 vector' }]);
      const values = Float32Array.from(bytesToF32(ctx.store.vectors.bytes(input.vectorId), meta.dtype, 'vector'));
      const ck = openCheckpoint(dir);
      const sae = saePath ? await loadSae(saePath) : undefined;
      // labels and top tokens: what the store holds on the SAE record with this path, if any
      const notes = saePath ? featureNotes(ctx.store, saePath) : undefined;
      const tok = existsSync(join(dir, 'tokenizer.json')) ? loadTokenizer(dir) : null;
      const rt = ctx.engine.runtime?.();
      if (!rt) throw new Error('the engine service has no runtime');
      const r = await readVector(rt, ck, values, { sae, k: input.k, throughFinalNorm: input.throughFinalNorm, tok, label: notes?.label, firesOn: notes?.firesOn, vectorHook: meta.hook ?? undefined, vectorModelHash: modelHashOf(meta.meta) });
      return { ...r, firesOnRun: notes?.statsRun ?? null };
    },
  }),
  'lab.tokenDiff': defineOp({
    summary: 'per-token log-probability difference (nats) of one completion under two intervention sets A and B: {model, prompt, completion, a, b, raw?}',
    input: z.strictObject({
      model: pathSchema,
      prompt: z.string().max(20_000),
      completion: z.string().max(20_000),
      a: interventionSetSchema,
      b: interventionSetSchema,
      raw: z.boolean().default(false),
    }),
    output: z.object({
      tokens: z.array(z.object({ id: z.number(), text: z.string() })),
      logprobA: z.array(z.number()), logprobB: z.array(z.number()), diff: z.array(z.number()),
      lossA: z.number(), lossB: z.number(),
      /** the code that computed it, for a figure's provenance */
      codeVersion: z.string(),
    }),
    handler: async (input, ctx) => {
      const roots = allowedRoots(ctx.storeFile);
      const dir = checkAllowedPath(input.model, roots, 'model');
      checkParamPaths(input.a, roots, 'a', ctx.store);
      checkParamPaths(input.b, roots, 'b', ctx.store);
      const rt = ctx.engine.runtime?.();
      if (!rt) throw new Error('the engine service has no runtime');
      const m = LanguageModel.open(rt, dir);
      try {
        return { ...(await tokenDiff(m, [{ role: 'user', content: input.prompt }], input.completion, input.a, input.b, { raw: input.raw })), codeVersion: codeVersion() };
      } finally {
        await m.close();
      }
    },
  }),
};
