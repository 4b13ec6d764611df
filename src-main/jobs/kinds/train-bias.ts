/**
 * train-bias: the detection method as a job. Trains the trainable items of an intervention set
 * (a residual bias at a hook, an SAE feature bias, LoRA factors) on a dataset's completion tokens
 * with the base model; writes the loss curves (`ce`, `l1`; nats), checkpoints, and the trained
 * vectors with their provenance (model identity hash, seed, config, code version).
 */
import { z } from 'zod';
import { defineJobKind, type JobContext } from '../kind.js';
import { codeVersion } from '../code-version.js';
import { newId } from '../../store/index.js';
import { interventionSetSchema, systemPromptOf } from '../../models/interventions.js';
import { rowsToItems } from '../../lab/dataset-items.js';
import { trainBias, type TrainBiasConfig, type TrainState } from '../../lab/train-bias.js';
import { datasetInput, datasetProvenance, loadRows, modelInput, openModel } from './lab-inputs.js';

const params = z.strictObject({
  ...modelInput,
  ...datasetInput,
  set: interventionSetSchema,
  lr: z.number().positive().max(10).default(1e-2),
  l1: z.number().min(0).max(100).default(0),
  steps: z.int().min(1).max(1_000_000).default(512),
  batch: z.int().min(1).max(4096).default(16),
  seed: z.int().min(0).max(0xffffffff).default(0),
  weightDecay: z.number().min(0).max(10).default(0),
  checkpointEvery: z.int().min(1).default(32),
  /** compute the blocks before the first intervention once per sample (exact; faster steps) */
  prefixCache: z.boolean().default(true),
  name: z.string().min(1).max(200).default('trained bias'),
});

export type TrainBiasParams = z.output<typeof params>;

/** The training job body, shared with `finetune` (a LoRA student with the paper's defaults). */
export async function runTraining(ctx: JobContext<unknown>, p: TrainBiasParams & { maxGradNorm?: number; epochs?: number; lrSchedule?: TrainBiasConfig['lrSchedule'] }): Promise<unknown> {
  {
    const { rt, model, modelHash } = await openModel(p, ctx);
    try {
      const rows = loadRows(ctx.store, p);
      const dataset = datasetProvenance(p); // read when the rows are, so the hash is of the data trained on
      // a system prompt in the set is part of every sample's context, as in generation and scoring
      const items = rowsToItems(model.tokenizer(), rows, { system: systemPromptOf(p.set), raw: p.raw, maxTokens: model.spec.maxPositions });
      const pending: { ce: { x: number; value: number }[]; l1: { x: number; value: number }[] } = { ce: [], l1: [] };
      const flush = (): void => {
        const ce = pending.ce.splice(0);
        const l1 = pending.l1.splice(0);
        ctx.write((s) => {
          s.metrics.addPoints({ runId: ctx.runId, name: 'ce', unit: 'nats/token', points: ce });
          // the penalty term l1·|params|₁ (in the loss's units); none is drawn when l1 is 0
          if (p.l1 > 0) s.metrics.addPoints({ runId: ctx.runId, name: 'l1', unit: 'nats/token', points: l1 });
        });
      };
      const resume = ctx.resumeState ? (ctx.resumeState.state as unknown as TrainState) : null;
      const res = await trainBias(model, items, p, {
        step: (s) => {
          pending.ce.push({ x: s.step, value: s.ceNats });
          pending.l1.push({ x: s.step, value: s.l1Term });
        },
        checkpoint: (st) => {
          flush();
          ctx.checkpoint({ step: st.step, state: st as unknown as Parameters<typeof ctx.checkpoint>[0]['state'] });
        },
        progress: (f, m) => ctx.progress({ fraction: f, message: m }),
      }, { resume, signal: ctx.signal });
      flush();
      const provenance = { modelHash, model: p.model, seed: p.seed, config: { lr: p.lr, l1: p.l1, steps: res.steps, ...(p.epochs !== undefined ? { epochs: p.epochs } : {}), lrSchedule: p.lrSchedule ?? { kind: 'constant' }, batch: p.batch, weightDecay: p.weightDecay, maxGradNorm: p.maxGradNorm ?? null, suffixFrom: res.suffixFrom }, dataset, systemPrompt: systemPromptOf(p.set) ?? null, codeVersion: codeVersion(), samples: items.length };
      const vectorIds: Record<string, string> = {};
      for (const [name, values] of Object.entries(res.params)) {
        const id = newId();
        vectorIds[name] = id;
        const hook = name.startsWith('add:') ? name.slice(4) : name.startsWith('fbias:') ? name.split(':')[1]! : null;
        // one trained input: the run's name says it all; several (LoRA factors): each names its input
        const vname = Object.keys(res.params).length === 1 ? p.name : `${p.name} ${name}`;
        ctx.write((s) => s.vectors.create({ id, name: vname, runId: ctx.runId, hook, dtype: 'F32', shape: res.shapes[name] ?? [values.length], data: Float32Array.from(values), meta: { input: name, ...provenance } }));
      }
      return { vectorIds, finalCeNats: res.finalCeNats, steps: res.steps, modelHash, suffixFrom: res.suffixFrom, dataset };
    } finally {
      await model.close();
      await rt.close();
    }
  }
}

export default defineJobKind({
  kind: 'train-bias',
  description: "train a residual bias, SAE feature bias or LoRA on a dataset's completion tokens (CE + L1, AdamW)",
  params,
  run: (ctx) => runTraining(ctx as JobContext<unknown>, ctx.params),
});
