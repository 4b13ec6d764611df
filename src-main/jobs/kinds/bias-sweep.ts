/**
 * bias-sweep: loss by layer. One residual bias per layer (or per listed hook), trained and scored on
 * the dataset; writes `loss_by_layer` (x = sweep index, nats/token) with its standard error, the
 * base model's loss, and each layer's vector with provenance. Resumes at the next unfinished hook.
 */
import { z } from 'zod';
import { defineJobKind } from '../kind.js';
import { codeVersion } from '../code-version.js';
import { newId } from '../../store/index.js';
import { rowsToItems } from '../../lab/dataset-items.js';
import { biasSweep, layerHooks } from '../../lab/bias-sweep.js';
import { splitHoldout } from '../../lab/signal-scan.js';
import { vectorShape } from '../../models/hooks.js';
import { datasetInput, datasetProvenance, loadRows, modelInput, openModel } from './lab-inputs.js';

const params = z.strictObject({
  ...modelInput,
  ...datasetInput,
  /** hook point swept over layers, e.g. hook_resid_post */
  point: z.string().min(1).max(100).regex(/^[a-z0-9_.]+$/).default('hook_resid_post'),
  layers: z.array(z.int().min(0)).max(1024).optional(),
  lr: z.number().positive().max(10).default(1e-2),
  l1: z.number().min(0).max(100).default(0),
  steps: z.int().min(1).max(1_000_000).default(512), // REFERENCE §1 (and the UI's default)
  batch: z.int().min(1).max(4096).default(16),
  seed: z.int().min(0).max(0xffffffff).default(0),
  weightDecay: z.number().min(0).max(10).default(0),
  /** hold out this share of the samples (a seeded split by sample: splitHoldout) and score on them; 0 scores the training samples */
  holdout: z.number().min(0).lt(1).default(0),
});

export default defineJobKind({
  kind: 'bias-sweep',
  description: 'loss by layer: train and score one residual bias per layer on a dataset',
  params,
  async run(ctx) {
    const p = ctx.params;
    const { rt, model, modelHash } = await openModel(p, ctx);
    try {
      const hooks = layerHooks(model.spec.nLayers, p.point, p.layers);
      for (const l of p.layers ?? []) if (l >= model.spec.nLayers) throw new Error(`layers: ${l} is out of range (the model has ${model.spec.nLayers} layers)`);
      const all = rowsToItems(model.tokenizer(), loadRows(ctx.store, p), { raw: p.raw, maxTokens: model.spec.maxPositions });
      // with a holdout, each layer's bias trains on one part and is scored on the rest (the same split for every layer)
      const { train: items, test: evalItems } = p.holdout > 0 ? splitHoldout(all, p.holdout, p.seed) : { train: all, test: all };
      const dataset = datasetProvenance(p);
      const startAt = ctx.resumeState ? ctx.resumeState.step : 0;
      // the finished layers' summaries travel in the checkpoint, so a resumed sweep returns every layer
      type PointSummary = { hook: string; lossNats: number; stderrNats: number; deltaNats: number; deltaStderrNats: number; pooledNats: number };
      const finished: PointSummary[] = [...(((ctx.resumeState?.state as { points?: PointSummary[] } | undefined)?.points) ?? [])].slice(0, startAt);
      if (finished.length !== startAt) throw new Error(`resume: the checkpoint has ${finished.length} finished layers for step ${startAt}; start the sweep again`);
      const provenance = { modelHash, model: p.model, seed: p.seed, config: { lr: p.lr, l1: p.l1, steps: p.steps, batch: p.batch, weightDecay: p.weightDecay, holdout: p.holdout }, dataset, codeVersion: codeVersion(), samples: items.length, evalSamples: evalItems.length };
      const res = await biasSweep(model, items, hooks, p, {
        point: (i, pt) => {
          const id = newId();
          ctx.write((s) => {
            s.metrics.addPoints({ runId: ctx.runId, name: 'loss_by_layer', unit: 'nats/token', points: [{ x: i, value: pt.lossNats }] });
            s.metrics.addPoints({ runId: ctx.runId, name: 'loss_by_layer_stderr', unit: 'nats/token', points: [{ x: i, value: pt.stderrNats }] });
            // the paired difference from the base model (same samples): its error is much smaller than either loss's
            s.metrics.addPoints({ runId: ctx.runId, name: 'delta_by_layer', unit: 'nats/token', points: [{ x: i, value: pt.deltaNats }] });
            s.metrics.addPoints({ runId: ctx.runId, name: 'delta_by_layer_stderr', unit: 'nats/token', points: [{ x: i, value: pt.deltaStderrNats }] });
            // pooled over tokens (Σ losses / Σ tokens): the average a training loss uses
            s.metrics.addPoints({ runId: ctx.runId, name: 'pooled_loss_by_layer', unit: 'nats/token', points: [{ x: i, value: pt.pooledNats }] });
            s.vectors.create({ id, name: `bias ${pt.hook}`, runId: ctx.runId, hook: pt.hook, dtype: 'F32', shape: vectorShape(model.spec, pt.hook), data: Float32Array.from(pt.values), meta: { input: `add:${pt.hook}`, ...provenance, hook: pt.hook, lossNats: pt.lossNats } });
          });
          finished[i] = { hook: pt.hook, lossNats: pt.lossNats, stderrNats: pt.stderrNats, deltaNats: pt.deltaNats, deltaStderrNats: pt.deltaStderrNats, pooledNats: pt.pooledNats };
          ctx.checkpoint({ step: i + 1, state: { done: i + 1, points: finished } as unknown as Parameters<typeof ctx.checkpoint>[0]['state'] });
        },
        progress: (f, m) => ctx.progress({ fraction: f, message: m }),
      }, { startAt, signal: ctx.signal, evalItems });
      ctx.write((s) => {
        s.metrics.addPoints({ runId: ctx.runId, name: 'base_loss', unit: 'nats/token', points: [{ x: 0, value: res.base.lossNats }] });
        s.metrics.addPoints({ runId: ctx.runId, name: 'base_pooled_loss', unit: 'nats/token', points: [{ x: 0, value: res.base.pooledNats }] });
      });
      return { hooks, base: res.base, points: finished, modelHash, dataset, trainSamples: items.length, evalSamples: evalItems.length, heldOut: p.holdout > 0 };
    } finally {
      await model.close();
      await rt.close();
    }
  },
});
