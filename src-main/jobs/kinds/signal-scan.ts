/**
 * signal-scan: a suspect dataset against a control. Trains the same residual bias on each (training
 * split) and compares held-out loss drops; writes the result (signal ± stderr, z, bias cosine),
 * `drop/suspect`, `drop/control`, `signal` metrics (nats/token) and both biases with provenance.
 */
import { z } from 'zod';
import { defineJobKind } from '../kind.js';
import { codeVersion } from '../code-version.js';
import { newId } from '../../store/index.js';
import { rowsToItems } from '../../lab/dataset-items.js';
import { signalScan, type ScanSideState } from '../../lab/signal-scan.js';
import { controlDatasetInput, controlOf, datasetInput, datasetProvenance, loadRows, modelInput, openModel } from './lab-inputs.js';

const params = z.strictObject({
  ...modelInput,
  ...datasetInput,
  ...controlDatasetInput,
  /** default: blocks.{⌊L/2⌋}.hook_resid_post */
  hook: z.string().min(1).max(200).optional(),
  lr: z.number().positive().max(10).default(1e-2),
  l1: z.number().min(0).max(100).default(0),
  steps: z.int().min(1).max(1_000_000).default(512), // REFERENCE §1 (and the UI's default)
  batch: z.int().min(1).max(4096).default(16),
  seed: z.int().min(0).max(0xffffffff).default(0),
  holdout: z.number().gt(0).lt(1).default(0.25),
});

export default defineJobKind({
  kind: 'signal-scan',
  description: 'does a dataset carry more learnable signal than a control? held-out loss drop of the same trained bias, with z',
  params,
  async run(ctx) {
    const p = ctx.params;
    const { rt, model, modelHash } = await openModel(p, ctx);
    try {
      const hook = p.hook ?? `blocks.${Math.floor(model.spec.nLayers / 2)}.hook_resid_post`;
      const tok = model.tokenizer();
      const suspect = rowsToItems(tok, loadRows(ctx.store, p), { raw: p.raw, maxTokens: model.spec.maxPositions });
      const controlInput = controlOf(p);
      const control = rowsToItems(tok, loadRows(ctx.store, controlInput), { raw: p.raw, maxTokens: model.spec.maxPositions });
      const data = { suspect: datasetProvenance(p), control: datasetProvenance(controlInput) };
      // the suspect side is checkpointed when it is done: a cancelled or crashed scan resumes at the control
      // (a checkpoint without `split` is from before the by-prompt split: its held-out samples differ)
      const resumed = (ctx.resumeState?.state as { suspect?: ScanSideState; hook?: string; split?: string } | undefined);
      const resume = resumed?.suspect && resumed.hook === hook && resumed.split === 'prompt' ? { suspect: resumed.suspect } : undefined;
      const r = await signalScan(model, suspect, control, { hook, lr: p.lr, l1: p.l1, steps: p.steps, batch: p.batch, seed: p.seed, holdout: p.holdout }, {
        signal: ctx.signal, progress: (f, m) => ctx.progress({ fraction: f, message: m }), resume,
        onSide: (_name, state) => ctx.checkpoint({ step: 1, state: { hook, split: 'prompt', suspect: state } as unknown as Parameters<typeof ctx.checkpoint>[0]['state'] }),
      });
      const provenance = { modelHash, model: p.model, seed: p.seed, config: { hook, lr: p.lr, l1: p.l1, steps: p.steps, batch: p.batch, holdout: p.holdout }, codeVersion: codeVersion() };
      const ids = { suspect: newId(), control: newId() };
      ctx.write((s) => {
        s.metrics.addPoints({ runId: ctx.runId, name: 'drop/suspect', unit: 'nats/token', points: [{ x: 0, value: r.suspect.dropNats }] });
        s.metrics.addPoints({ runId: ctx.runId, name: 'drop/control', unit: 'nats/token', points: [{ x: 0, value: r.control.dropNats }] });
        s.metrics.addPoints({ runId: ctx.runId, name: 'signal', unit: 'nats/token', points: [{ x: 0, value: r.signalNats }] });
        s.vectors.create({ id: ids.suspect, name: `scan bias (suspect) ${hook}`, runId: ctx.runId, hook, dtype: 'F32', shape: [r.suspect.bias.length], data: Float32Array.from(r.suspect.bias), meta: { input: `add:${hook}`, ...provenance, dataset: data.suspect, side: 'suspect' } });
        s.vectors.create({ id: ids.control, name: `scan bias (control) ${hook}`, runId: ctx.runId, hook, dtype: 'F32', shape: [r.control.bias.length], data: Float32Array.from(r.control.bias), meta: { input: `add:${hook}`, ...provenance, dataset: data.control, side: 'control' } });
      });
      const strip = ({ bias: _b, ...rest }: typeof r.suspect) => rest;
      return { hook, signalNats: r.signalNats, signalStderrNats: r.signalStderrNats, z: r.z, biasCosine: r.biasCosine, pairs: r.pairs, splitByPrompt: r.splitByPrompt, suspect: strip(r.suspect), control: strip(r.control), vectorIds: ids, modelHash, datasets: data };
    } finally {
      await model.close();
      await rt.close();
    }
  },
});
