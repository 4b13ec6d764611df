/**
 * signal-scan: a suspect dataset against a control. Trains the same residual bias on each (training
 * split) and compares held-out loss drops; writes the result (signal ± stderr, z, bias cosine),
 * `drop/suspect`, `drop/control`, `signal` metrics (nats/token) and both biases with provenance.
 *
 * `byLayer`: the scan at every layer of a hook point (or the listed `layers`), one after another;
 * writes `signal_by_layer` (± `signal_by_layer_stderr`) and `z_by_layer` (x = index in `hooks`),
 * both biases of every layer, and a result whose top-level fields are the layer with the largest z,
 * with every layer in `layers` and the Bonferroni threshold for the largest of them. Resumes at the
 * next unfinished layer.
 */
import { z } from 'zod';
import { defineJobKind } from '../kind.js';
import { codeVersion } from '../code-version.js';
import { newId } from '../../store/index.js';
import { rowsToItems } from '../../lab/dataset-items.js';
import { layerScanOf, signalScan, signalScanByLayer, type LayerScan, type ScanResult, type ScanSideState } from '../../lab/signal-scan.js';
import { layerHooks } from '../../lab/bias-sweep.js';
import { bonferroniZ } from '../../lab/normal-quantile.js';
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
  /** the scan at every layer of `point` (or at `layers`) instead of at one hook */
  byLayer: z.boolean().default(false),
  point: z.string().min(1).max(100).regex(/^[a-z0-9_.]+$/).default('hook_resid_post'),
  layers: z.array(z.int().min(0)).min(1).max(1024).optional(),
}).refine((p) => !(p.byLayer && p.hook), { message: 'byLayer scans every layer of `point`: give `point` (and `layers`) instead of `hook`', path: ['hook'] })
  .refine((p) => p.byLayer || p.layers === undefined, { message: '`layers` needs byLayer: true', path: ['layers'] })
  // a layer listed twice is scanned twice, counts twice in the Bonferroni threshold, and its two rows share one hook
  .refine((p) => p.layers === undefined || new Set(p.layers).size === p.layers.length, { message: '`layers` lists a layer more than once', path: ['layers'] });

export default defineJobKind({
  kind: 'signal-scan',
  description: 'does a dataset carry more learnable signal than a control? held-out loss drop of the same trained bias, with z',
  params,
  async run(ctx) {
    const p = ctx.params;
    const { rt, model, modelHash } = await openModel(p, ctx);
    try {
      const tok = model.tokenizer();
      const suspect = rowsToItems(tok, loadRows(ctx.store, p), { raw: p.raw, maxTokens: model.spec.maxPositions });
      const controlInput = controlOf(p);
      const control = rowsToItems(tok, loadRows(ctx.store, controlInput), { raw: p.raw, maxTokens: model.spec.maxPositions });
      const data = { suspect: datasetProvenance(p), control: datasetProvenance(controlInput) };
      const train = { lr: p.lr, l1: p.l1, steps: p.steps, batch: p.batch, seed: p.seed, holdout: p.holdout };
      const provenanceOf = (hook: string) => ({ modelHash, model: p.model, seed: p.seed, config: { hook, lr: p.lr, l1: p.l1, steps: p.steps, batch: p.batch, holdout: p.holdout }, codeVersion: codeVersion() });
      /** both biases of a finished scan, stored with provenance under `ids` (chosen here: the write may run later) */
      const storeBiases = (s: Parameters<Parameters<typeof ctx.write>[0]>[0], r: ScanResult, ids: { suspect: string; control: string }) => {
        for (const side of ['suspect', 'control'] as const) {
          s.vectors.create({ id: ids[side], name: `scan bias (${side}) ${r.hook}`, runId: ctx.runId, hook: r.hook, dtype: 'F32', shape: [r[side].bias.length], data: Float32Array.from(r[side].bias), meta: { input: `add:${r.hook}`, ...provenanceOf(r.hook), dataset: data[side], side } });
        }
      };
      const strip = ({ bias: _b, ...rest }: ScanResult['suspect']) => rest;
      const summary = (r: ScanResult, vectorIds: { suspect: string; control: string }) => ({
        hook: r.hook, signalNats: r.signalNats, signalStderrNats: r.signalStderrNats, z: r.z, biasCosine: r.biasCosine, pairs: r.pairs, splitByPrompt: r.splitByPrompt,
        suspect: strip(r.suspect), control: strip(r.control), vectorIds, modelHash, datasets: data,
      });

      if (p.byLayer) {
        for (const l of p.layers ?? []) if (l >= model.spec.nLayers) throw new Error(`layers: ${l} is out of range (the model has ${model.spec.nLayers} layers)`);
        const hooks = layerHooks(model.spec.nLayers, p.point, p.layers);
        type Done = { layer: LayerScan; vectorIds: { suspect: string; control: string }; full: ReturnType<typeof summary> };
        const state = ctx.resumeState?.state as { byLayer?: Done[]; split?: string } | undefined;
        const finished: Done[] = state?.split === 'prompt' && ctx.resumeState ? (state.byLayer ?? []).slice(0, ctx.resumeState.step) : [];
        await signalScanByLayer(model, suspect, control, hooks, train, {
          startAt: finished.length, signal: ctx.signal, progress: (f, m) => ctx.progress({ fraction: f, message: m }),
          onHook: (i, r) => {
            const vectorIds = { suspect: newId(), control: newId() };
            ctx.write((s) => {
              storeBiases(s, r, vectorIds);
              s.metrics.addPoints({ runId: ctx.runId, name: 'signal_by_layer', unit: 'nats/token', points: [{ x: i, value: r.signalNats }] });
              s.metrics.addPoints({ runId: ctx.runId, name: 'signal_by_layer_stderr', unit: 'nats/token', points: [{ x: i, value: r.signalStderrNats }] });
              if (Number.isFinite(r.z)) s.metrics.addPoints({ runId: ctx.runId, name: 'z_by_layer', unit: 'z', points: [{ x: i, value: r.z }] });
            });
            finished[i] = { layer: layerScanOf(r), vectorIds, full: summary(r, vectorIds) };
            ctx.checkpoint({ step: i + 1, state: { split: 'prompt', byLayer: finished } as unknown as Parameters<typeof ctx.checkpoint>[0]['state'] });
          },
        });
        // the top-level fields: the layer with the largest z (NaN z's last)
        const best = finished.reduce((a, b) => ((Number.isFinite(b.layer.z) ? b.layer.z : -Infinity) > (Number.isFinite(a.layer.z) ? a.layer.z : -Infinity) ? b : a));
        return {
          ...best.full, byLayer: true, hooks, bestHook: best.layer.hook,
          layers: finished.map((d) => ({ ...d.layer, vectorIds: d.vectorIds })),
          /** the |z| the largest of the layers' z must pass (two-sided 5%, Bonferroni over the layers) */
          bonferroniZ: bonferroniZ(hooks.length),
        };
      }

      const hook = p.hook ?? `blocks.${Math.floor(model.spec.nLayers / 2)}.hook_resid_post`;
      // the suspect side is checkpointed when it is done: a cancelled or crashed scan resumes at the control
      // (a checkpoint without `split` is from before the by-prompt split: its held-out samples differ)
      const resumed = (ctx.resumeState?.state as { suspect?: ScanSideState; hook?: string; split?: string } | undefined);
      const resume = resumed?.suspect && resumed.hook === hook && resumed.split === 'prompt' ? { suspect: resumed.suspect } : undefined;
      const r = await signalScan(model, suspect, control, { hook, ...train }, {
        signal: ctx.signal, progress: (f, m) => ctx.progress({ fraction: f, message: m }), resume,
        onSide: (_name, state) => ctx.checkpoint({ step: 1, state: { hook, split: 'prompt', suspect: state } as unknown as Parameters<typeof ctx.checkpoint>[0]['state'] }),
      });
      const vectorIds = { suspect: newId(), control: newId() };
      ctx.write((s) => {
        s.metrics.addPoints({ runId: ctx.runId, name: 'drop/suspect', unit: 'nats/token', points: [{ x: 0, value: r.suspect.dropNats }] });
        s.metrics.addPoints({ runId: ctx.runId, name: 'drop/control', unit: 'nats/token', points: [{ x: 0, value: r.control.dropNats }] });
        s.metrics.addPoints({ runId: ctx.runId, name: 'signal', unit: 'nats/token', points: [{ x: 0, value: r.signalNats }] });
        storeBiases(s, r, vectorIds);
      });
      return summary(r, vectorIds);
    } finally {
      await model.close();
      await rt.close();
    }
  },
});
