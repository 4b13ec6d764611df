/**
 * train-sae: a standard (ReLU) SAE on a model's activations at one hook, for models without a
 * published SAE. Activations come from a corpus (a stored dataset, a JSONL dataset file, or a text
 * corpus file); 5% of the tokens (at most 20,000) are held out for the final evaluation. Writes the
 * curves (`sae/mse`, `sae/explained_variance`, `sae/l0`, `sae/dead_fraction`), checkpoints (weights
 * and Adam state as bytes; a resume re-collects the same activations), and at the end a SAELens
 * folder (cfg.json with the training provenance + sae_weights.safetensors), registered as an SAE
 * in the store. Sized for small models: every step sends the weights to the session worker.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { defineJobKind } from '../kind.js';
import { codeVersion } from '../code-version.js';
import { hookSchema, pathSchema } from '../../store/schemas.js';
import { corpusContexts } from '../../lab/feature-corpus.js';
import { collectActivations, evaluateSae, trainSae, type Activations, type SaeTrainCheckpoint } from '../../lab/train-sae.js';
import { checkSaeOut, writeSaeLensFolder } from '../../models/sae/write.js';
import { corpusSource, datasetInput, modelInput, openModel } from './lab-inputs.js';

const params = z.strictObject({
  ...modelInput,
  ...datasetInput,
  /** a corpus file instead of a dataset: plain text (blank-line-separated documents) or JSONL ({"text"} or dataset rows) */
  corpusFile: pathSchema.optional(),
  completionOnly: z.boolean().default(false),
  countBos: z.boolean().default(false),
  contextLen: z.int().min(2).max(8192).default(64),
  maxContexts: z.int().min(1).max(100_000_000).optional(),
  /** default: the middle layer's hook_resid_post */
  hook: hookSchema.optional(),
  /** d_sae; default expansion × d_in */
  dSae: z.int().min(1).max(1_048_576).optional(),
  expansion: z.int().min(1).max(256).default(4),
  l1: z.number().min(0).max(1000).default(1),
  lr: z.number().positive().max(1).default(1e-3),
  steps: z.int().min(1).max(10_000_000).default(4000),
  /** tokens per step */
  batch: z.int().min(1).max(65_536).default(1024),
  /** activations kept in memory (float32, × d_in) */
  maxTokens: z.int().min(1).max(100_000_000).default(200_000),
  seed: z.int().min(0).max(0xffffffff).default(0),
  checkpointEvery: z.int().min(1).default(500),
  /** the SAE folder to write; default `saes/<name>-<run>` next to the store */
  out: pathSchema.optional(),
  name: z.string().min(1).max(200).optional(),
});

/** Hold out 5% of the tokens (at most 20,000, at least 1 when there are 2+) for the evaluation. */
function split(a: Activations): { train: Activations; held: Activations } {
  const h = a.n < 2 ? 0 : Math.max(1, Math.min(20_000, Math.floor(a.n * 0.05)));
  const cut = a.n - h;
  return {
    train: { data: a.data.subarray(0, cut * a.dIn), n: cut, dIn: a.dIn },
    held: { data: a.data.subarray(cut * a.dIn), n: h, dIn: a.dIn },
  };
}

export default defineJobKind({
  kind: 'train-sae',
  description: "a standard (ReLU) SAE on a model's activations at one hook over a corpus; writes a SAELens folder and registers it",
  params,
  async run(ctx) {
    const p = ctx.params;
    // refused before hours of training, not after: another run's SAE must not be overwritten
    if (p.out) checkSaeOut(resolve(p.out), ctx.runId);
    const source = corpusSource(ctx.store, p);
    const { rt, model, modelHash } = await openModel(p, ctx);
    try {
      const hook = p.hook ?? `blocks.${Math.floor(model.spec.nLayers / 2)}.hook_resid_post`;
      const contexts = corpusContexts(model.tokenizer(), source, { contextLen: p.contextLen, maxContexts: p.maxContexts, countBos: p.countBos, raw: p.raw, completionOnly: p.completionOnly });
      const acts = await collectActivations(model, contexts, hook, {
        batch: 8, maxTokens: p.maxTokens, signal: ctx.signal,
        onProgress: (n, c) => ctx.progress({ fraction: 0, message: `activations: ${n} tokens from ${c}/${contexts.n} contexts` }),
      });
      const { train, held } = split(acts);
      const dSae = p.dSae ?? p.expansion * acts.dIn;
      const cfg = { dSae, l1: p.l1, lr: p.lr, steps: p.steps, batch: p.batch, seed: p.seed, checkpointEvery: p.checkpointEvery };
      const r0 = ctx.resumeState;
      const resume: SaeTrainCheckpoint | null = r0?.optimizer ? { state: r0.state as SaeTrainCheckpoint['state'], bytes: r0.optimizer } : null;
      const EVERY = Math.max(1, Math.floor(p.steps / 1000)); // at most ~1000 points per curve
      const res = await trainSae(rt, train, cfg, {
        step: (m) => {
          if (m.step % EVERY && m.step !== p.steps) return;
          const pt = (name: string, unit: string, value: number) => ctx.write((s) => s.metrics.addPoints({ runId: ctx.runId, name, unit, points: [{ x: m.step, value }] }));
          pt('sae/mse', 'squared norm (scaled input)', m.mse);
          pt('sae/explained_variance', 'fraction', m.explainedVariance);
          pt('sae/l0', 'features/token', m.l0);
          pt('sae/dead_fraction', 'fraction', m.deadFraction);
        },
        checkpoint: (c) => ctx.checkpoint({ step: c.state.step, state: c.state, optimizer: c.bytes }),
        progress: (f, msg) => {
          ctx.progress({ fraction: f, message: msg });
          ctx.throwIfCancelled();
        },
      }, { resume, signal: ctx.signal, session: { threads: p.threads, ep: p.ep } });
      const evaluation = held.n ? await evaluateSae(rt, held, res.params, res.scale, dSae) : null;
      const name = p.name ?? `${basename(resolve(p.model))} ${hook} ${dSae}`;
      const out = resolve(p.out ?? join(dirname(ctx.store.path), 'saes', `${name.replace(/[^\p{L}\p{N}._-]+/gu, '-')}-${ctx.runId.slice(0, 8)}`));
      const training = {
        run: ctx.runId, code: codeVersion(), model: resolve(p.model), modelHash, hook, tokens: train.n, heldOutTokens: held.n,
        contexts: contexts.n, contextLen: p.contextLen, ...cfg, evaluation,
      };
      writeSaeLensFolder(out, res.params, { dIn: acts.dIn, dSae, hook, normScalingFactor: res.scale, modelName: model.spec.arch === 'gpt2' ? 'gpt2' : basename(resolve(p.model)), extra: { undertone_training: training }, runId: ctx.runId });
      const saeId = ctx.runId; // one SAE per run
      ctx.write((s) => s.saes.create({
        id: saeId, name, path: out, hook, modelId: p.modelId ?? null,
        config: { format: 'saelens', architecture: 'standard', d_in: acts.dIn, d_sae: dSae, k: null, hook, trainedBy: ctx.runId },
      }));
      return { saeId, path: out, hook, dIn: acts.dIn, dSae, tokens: train.n, scale: res.scale, final: res.last, evaluation, modelHash };
    } finally {
      await model.close();
      await rt.close();
    }
  },
});
