/**
 * Which intervention set a lab job runs under: given inline, by a stored set's id, or built from a
 * trained vector (a residual bias at its hook, scaled). Store-free: the caller passes lookups.
 */
import { EMPTY_SET, parseInterventionSet, type InterventionSet } from '../models/interventions.js';

export interface SetChoice {
  set?: InterventionSet;
  interventionSetId?: string;
  /** a trained residual-bias vector (train-bias output) added to the set */
  biasVectorId?: string;
  biasScale?: number;
  /** a trained LoRA (a `finetune` or LoRA `train-bias` run): its factors are added to the set */
  loraRunId?: string;
}

export interface SetLookups {
  /** a stored intervention set's spec */
  setSpec(id: string): unknown;
  /** a stored vector: its hook, meta and float32 values */
  vector(id: string): { hook: string | null; meta: unknown; data: Float32Array };
  /** a run's config, and its vectors (meta + values) */
  run?(id: string): { config: unknown; vectors: { meta: unknown; data: Float32Array }[] };
}

/** The set to run under, and where it came from (the empty set when nothing is given: the control / base model). */
export function resolveSet(c: SetChoice, look: SetLookups): { set: InterventionSet; source: 'inline' | 'stored' | 'none' } {
  if (c.set && c.interventionSetId) throw new Error('give either set (inline) or interventionSetId, not both');
  let set: InterventionSet = EMPTY_SET;
  let source: 'inline' | 'stored' | 'none' = 'none';
  if (c.set) {
    set = c.set;
    source = 'inline';
  } else if (c.interventionSetId) {
    set = parseInterventionSet(look.setSpec(c.interventionSetId), `intervention set '${c.interventionSetId}'`);
    source = 'stored';
  }
  if (c.biasVectorId) {
    const v = look.vector(c.biasVectorId);
    const input = typeof (v.meta as { input?: unknown } | null)?.input === 'string' ? (v.meta as { input: string }).input : null;
    if (input && !input.startsWith('add:')) throw new Error(`vector '${c.biasVectorId}' is '${input}', not a residual bias; give a feature bias inline as a feature_bias item with its SAE`);
    if (!v.hook) throw new Error(`vector '${c.biasVectorId}' has no hook; give it inline as a resid_bias item`);
    const k = c.biasScale ?? 1;
    set = { ...set, items: [...set.items, { kind: 'resid_bias', hook: v.hook, values: Array.from(v.data, (x) => x * k), trainable: false }] };
    if (source === 'none') source = 'inline';
  }
  if (c.loraRunId) {
    if (!look.run) throw new Error('loraRunId needs run lookups');
    const r = look.run(c.loraRunId);
    type LoraSpec = { targets: string[]; rank: number; alpha: number; layers?: number[] };
    const cfg = (r.config ?? {}) as { set?: { items?: { kind?: string }[] } } & Partial<LoraSpec>;
    // a LoRA train-bias run keeps the adapter in its set; a finetune run keeps rank/alpha/targets/layers
    const spec = (cfg.set?.items?.find((i) => i.kind === 'lora') as LoraSpec | undefined)
      ?? (typeof cfg.rank === 'number' && Array.isArray(cfg.targets) && typeof cfg.alpha === 'number' ? { targets: cfg.targets, rank: cfg.rank, alpha: cfg.alpha, layers: cfg.layers } : undefined);
    if (!spec) throw new Error(`run '${c.loraRunId}' did not train a LoRA adapter`);
    const values = r.vectors.flatMap((v) => {
      const input = (v.meta as { input?: unknown } | null)?.input;
      return typeof input === 'string' && input.startsWith('lora.') ? [{ name: input, values: Array.from(v.data) }] : [];
    });
    if (!values.length) throw new Error(`run '${c.loraRunId}' stored no LoRA factors (is it finished?)`);
    const lora = parseInterventionSet({ items: [{ kind: 'lora', targets: spec.targets, rank: spec.rank, alpha: spec.alpha, layers: spec.layers, values }] }).items[0]!;
    set = { ...set, items: [...set.items, lora] };
    if (source === 'none') source = 'inline';
  }
  return { set, source };
}
