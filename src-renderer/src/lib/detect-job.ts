/**
 * The Detect form → a job: `train-bias` with a residual bias or an SAE feature bias, `bias-sweep`
 * over layers, `signal-scan` (the bias at one hook on the dataset and on a control), or
 * `mean-activation` (no training: the dataset's mean activation at a hook, minus a control's when one
 * is picked). Pure (no DOM), so the mapping is easy to read and to test.
 */

export type DetectMethod = 'resid' | 'sweep' | 'feature' | 'scan' | 'mean';

export interface DetectForm {
  model: string;
  datasetId: string;
  method: DetectMethod;
  /** scan: the control dataset (same prompts, a teacher without the trait); mean: optional ('' = none) */
  controlDatasetId: string;
  /** resid, scan: the hook of the bias */
  hook: string;
  /** sweep, and a scan by layer: the hook point (e.g. hook_resid_post) and the layers ('' = all) */
  point: string;
  layers: string;
  /** scan: at every layer of `point` (signal by layer) instead of at `hook` */
  scanByLayer?: boolean;
  /** sweep: the held-out share each layer's bias is scored on (0: the training samples) */
  holdout?: number;
  /** the inspected model's layer count, to check the layers against (unknown: the job checks) */
  nLayers?: number;
  /** feature: the SAE folder and how its feature bias enters the model */
  sae: string;
  mode: 'projected' | 'spliced';
  withError: boolean;
  lr: number;
  l1: number;
  steps: number;
  batch: number;
  seed: number;
  /** use at most this many samples (null: all) */
  limit: number | null;
  /** only samples that passed the dataset's filter (no effect when no filter ran) */
  passedOnly: boolean;
  raw: boolean;
}

/** The brief's defaults (REFERENCE §1: lr about 1e-2, batch 16, 512 steps). */
export const DETECT_DEFAULTS = { lr: 1e-2, l1: 0, steps: 512, batch: 16, seed: 0 } as const;

/** Hooks a residual bias can sit on: one value per d_model (or d_mlp) channel. */
export const biasableShape = (shape: string): boolean => /^\[batch, seq, (d_model|d_mlp)=\d+\]$/.test(shape);

/** `''` → undefined (all layers); `'0-3, 7'` → [0, 1, 2, 3, 7]; throws on anything else. */
export function parseLayers(text: string): number[] | undefined {
  const t = text.trim();
  if (!t || t.toLowerCase() === 'all') return undefined;
  const out: number[] = [];
  for (const part of t.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(part);
    if (!m) throw new Error(`layers: '${part}' is not a layer number or a range like 2-5`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`layers: the range '${part}' runs backwards`);
    for (let l = a; l <= b; l++) if (!out.includes(l)) out.push(l);
  }
  return out;
}

export function detectJob(f: DetectForm): { kind: 'train-bias' | 'bias-sweep' | 'signal-scan' | 'mean-activation'; params: Record<string, unknown> } {
  if (f.method === 'mean') {
    // one forward pass per sample: no learning rate, steps or seed
    if (f.controlDatasetId && f.controlDatasetId === f.datasetId) throw new Error('mean activation: the control must be another dataset');
    return {
      kind: 'mean-activation',
      params: {
        model: f.model, datasetId: f.datasetId, hook: f.hook, raw: f.raw, passedOnly: f.passedOnly,
        ...(f.controlDatasetId ? { controlDatasetId: f.controlDatasetId } : {}),
        ...(f.limit !== null ? { limit: f.limit } : {}),
      },
    };
  }
  const common = {
    model: f.model,
    datasetId: f.datasetId,
    lr: f.lr,
    l1: f.l1,
    steps: f.steps,
    batch: f.batch,
    seed: f.seed,
    raw: f.raw,
    passedOnly: f.passedOnly,
    ...(f.limit !== null ? { limit: f.limit } : {}),
  };
  const checkedLayers = (): number[] | undefined => {
    const layers = parseLayers(f.layers);
    const bad = f.nLayers !== undefined ? layers?.find((l) => l >= f.nLayers!) : undefined;
    if (bad !== undefined) throw new Error(`layers: ${bad} is out of range (the model has ${f.nLayers} layers, 0–${f.nLayers! - 1})`);
    return layers;
  };
  if (f.method === 'scan') {
    if (!f.controlDatasetId) throw new Error('signal scan: pick a control dataset');
    if (f.controlDatasetId === f.datasetId) throw new Error('signal scan: the control must be another dataset');
    if (f.scanByLayer) {
      const layers = checkedLayers();
      return { kind: 'signal-scan', params: { ...common, controlDatasetId: f.controlDatasetId, byLayer: true, point: f.point, ...(layers ? { layers } : {}) } };
    }
    return { kind: 'signal-scan', params: { ...common, controlDatasetId: f.controlDatasetId, hook: f.hook } };
  }
  if (f.method === 'sweep') {
    const layers = checkedLayers();
    if (f.holdout !== undefined && !(f.holdout >= 0 && f.holdout < 1)) throw new Error('bias sweep: the held-out share must be from 0 to below 1');
    return { kind: 'bias-sweep', params: { ...common, point: f.point, ...(layers ? { layers } : {}), ...(f.holdout ? { holdout: f.holdout } : {}) } };
  }
  const item =
    f.method === 'resid'
      ? { kind: 'resid_bias', hook: f.hook, trainable: true }
      : { kind: 'feature_bias', sae: f.sae, mode: f.mode, ...(f.mode === 'spliced' ? { withError: f.withError } : {}), trainable: true };
  const name = f.method === 'resid' ? `bias ${f.hook}` : `feature bias (${f.mode})`;
  return { kind: 'train-bias', params: { ...common, set: { items: [item] }, name } };
}

/** The form's label for a job-param path in a server issue (`params.limit` → `samples ≤`); the path itself when the form has no such field. */
const FIELD_LABELS: Record<string, string> = {
  model: 'Model', datasetId: 'Dataset', controlDatasetId: 'Control', hook: 'Hook', point: 'Hook point', layers: 'layers',
  holdout: 'held out', lr: 'lr', l1: 'L1', steps: 'steps', batch: 'batch', seed: 'seed', limit: 'samples ≤', raw: 'plain text',
  passedOnly: 'only the samples that passed', 'set.items.0.sae': 'SAE', 'set.items.0.hook': 'Hook',
};
export function fieldLabel(path: string): string {
  const p = path.replace(/^params\./, '');
  return FIELD_LABELS[p] ?? FIELD_LABELS[p.replace(/\.\d+$/, '')] ?? (path || '(input)');
}
