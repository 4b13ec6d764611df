/**
 * Write a standard SAE as a SAELens folder (cfg.json in the 6.x layout + sae_weights.safetensors,
 * float32), which load.ts (and SAELens) read back. Inputs were scaled by `normScalingFactor` during
 * training: the cfg says `expected_average_only_in` with that factor, so a reader scales x in and
 * x̂ out exactly as training did.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../../engine/safetensors.js';
import { saeParamShapes, type SaeParamName } from './train-graph.js';

export interface SaeFolderSpec {
  dIn: number;
  dSae: number;
  hook: string;
  normScalingFactor: number;
  modelName: string | null;
  /** extra cfg.json fields (training provenance) */
  extra?: Record<string, unknown>;
}

export function writeSaeLensFolder(dir: string, params: Record<SaeParamName, Float32Array>, spec: SaeFolderSpec): void {
  const shapes = saeParamShapes(spec.dIn, spec.dSae);
  for (const [n, shape] of Object.entries(shapes) as [SaeParamName, number[]][]) {
    const want = shape.reduce((a, b) => a * b, 1);
    if (params[n]?.length !== want) throw new Error(`SAE weights: '${n}' has ${params[n]?.length ?? 0} values, expected ${want} (${shape.join('×')})`);
  }
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'sae_weights.safetensors'), Object.fromEntries(
    (Object.keys(shapes) as SaeParamName[]).map((n) => [n, { dtype: 'F32' as const, shape: shapes[n], data: params[n] }]),
  ));
  const cfg = {
    architecture: 'standard',
    d_in: spec.dIn,
    d_sae: spec.dSae,
    dtype: 'float32',
    apply_b_dec_to_input: true,
    normalize_activations: 'expected_average_only_in',
    norm_scaling_factor: spec.normScalingFactor,
    metadata: { hook_name: spec.hook, model_name: spec.modelName },
    ...spec.extra,
  };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg, null, 2) + '\n');
}
