/**
 * mean-activation: a dataset's mean activation at a hook over the positions that predict its
 * completion tokens, and with a control dataset the difference of the two means (dataset − control),
 * a steering vector that costs one forward pass and no training. With `vectorId` (e.g. a bias trained
 * on the same dataset), the cosine between them: how far the mean predicts the trained bias.
 * Writes the means (and the difference) as vectors with provenance, so the read-outs (top SAE
 * features, direct logit attribution) apply to them as to a trained bias.
 */
import { z } from 'zod';
import { defineJobKind } from '../kind.js';
import { codeVersion } from '../code-version.js';
import { newId } from '../../store/index.js';
import { idSchema } from '../../store/schemas.js';
import { rowsToItems } from '../../lab/dataset-items.js';
import { cosine, difference, l2norm, meanActivation } from '../../lab/mean-activation.js';
import { hookNames } from '../../models/hooks.js';
import { controlDatasetInput, controlOf, datasetInput, datasetProvenance, loadRows, modelInput, openModel } from './lab-inputs.js';

type Prov = ReturnType<typeof datasetProvenance>;

const params = z.strictObject({
  ...modelInput,
  ...datasetInput,
  ...controlDatasetInput,
  /** default: blocks.{⌊L/2⌋}.hook_resid_post */
  hook: z.string().min(1).max(200).optional(),
  /** a stored vector at the same hook to compare with (cosine) */
  vectorId: idSchema.optional(),
  batch: z.int().min(1).max(4096).default(8),
});

export default defineJobKind({
  kind: 'mean-activation',
  description: "a dataset's mean activation at a hook (minus a control's): a steering vector from one forward pass, compared with a trained bias",
  params,
  async run(ctx) {
    const p = ctx.params;
    if (p.controlDatasetId && p.controlDatasetFile) throw new Error('give at most one of controlDatasetId or controlDatasetFile');
    const { rt, model, modelHash } = await openModel(p, ctx);
    try {
      const hook = p.hook ?? `blocks.${Math.floor(model.spec.nLayers / 2)}.hook_resid_post`;
      if (!hookNames(model.spec).includes(hook)) throw new Error(`hook '${hook}' is not a hook of this ${model.spec.arch} model (npm run cli -- info <model> lists them)`);
      const compare = p.vectorId ? ctx.store.vectors.get(p.vectorId) : null;
      const compareData = p.vectorId ? ctx.store.vectors.f32(p.vectorId) : null;
      const tok = model.tokenizer();
      const items = rowsToItems(tok, loadRows(ctx.store, p), { raw: p.raw, maxTokens: model.spec.maxPositions });
      const hasControl = !!(p.controlDatasetId || p.controlDatasetFile);
      const controlInput = controlOf(p);
      const controlItems = hasControl ? rowsToItems(tok, loadRows(ctx.store, controlInput), { raw: p.raw, maxTokens: model.spec.maxPositions }) : [];
      const total = items.length + controlItems.length;
      const progress = (base: number, what: string) => (done: number) => ctx.progress({ fraction: (base + done) / total, message: `${what}: ${done} samples` });
      const opts = { batch: p.batch, signal: ctx.signal };
      const main = await meanActivation(model, items, hook, { ...opts, onProgress: progress(0, 'dataset') });
      const control = hasControl ? await meanActivation(model, controlItems, hook, { ...opts, onProgress: progress(items.length, 'control') }) : null;
      const diff = control ? difference(main.mean, control.mean) : null;
      if (compareData && compareData.length !== main.mean.length) {
        throw new Error(`vector '${p.vectorId}' has ${compareData.length} values; the activation at ${hook} has ${main.mean.length}`);
      }

      const controlProv = control ? datasetProvenance(controlInput) : null;
      const datasets = { dataset: datasetProvenance(p), ...(controlProv ? { control: controlProv } : {}) };
      const provenance = { modelHash, model: p.model, seed: null, config: { hook, batch: p.batch }, codeVersion: codeVersion() };
      const ids = { dataset: newId(), control: control ? newId() : null, difference: diff ? newId() : null };
      const W = main.mean.length;
      ctx.write((s) => {
        const put = (id: string, name: string, data: Float64Array, side: string, dataset: Prov | Record<string, Prov>) =>
          s.vectors.create({ id, name, runId: ctx.runId, hook, dtype: 'F32', shape: [W], data: Float32Array.from(data), meta: { input: `add:${hook}`, ...provenance, dataset, side } });
        put(ids.dataset, `mean activation (dataset) ${hook}`, main.mean, 'dataset', datasets.dataset);
        if (control) put(ids.control!, `mean activation (control) ${hook}`, control.mean, 'control', controlProv!);
        if (diff) put(ids.difference!, `mean difference (dataset − control) ${hook}`, diff, 'difference', datasets);
      });
      const steer = diff ?? main.mean;
      return {
        hook,
        dataset: { tokens: main.tokens, samples: main.samples, normL2: l2norm(main.mean) },
        control: control ? { tokens: control.tokens, samples: control.samples, normL2: l2norm(control.mean) } : null,
        difference: diff ? { normL2: l2norm(diff), cosineOfMeans: cosine(main.mean, control!.mean) } : null,
        compared: compare && compareData
          ? { vectorId: compare.id, name: compare.name, hook: compare.hook, cosine: cosine(steer, compareData), with: diff ? 'difference' : 'dataset mean', ...(compare.hook !== hook ? { warning: `the vector sits at ${compare.hook}, the means at ${hook}` } : {}) }
          : null,
        vectorIds: ids,
        modelHash,
        datasets,
      };
    } finally {
      await model.close();
      await rt.close();
    }
  },
});
