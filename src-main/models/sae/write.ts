/**
 * Write a standard SAE as a SAELens folder (cfg.json in the 6.x layout + sae_weights.safetensors,
 * float32), which load.ts (and SAELens) read back. Inputs were scaled by `normScalingFactor` during
 * training: the cfg says `expected_average_only_in` with that factor, so a reader scales x in and
 * x̂ out exactly as training did.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * An SAE folder may be written only where nothing else lives: a missing or empty folder, or one
 * holding this run's own earlier output (its cfg.json names the run). Another run's SAE would be
 * overwritten while its registration still described the old weights.
 */
export function checkSaeOut(dir: string, runId: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new Error(`SAE out '${dir}' is a file, not a folder`);
  const entries = readdirSync(dir);
  if (!entries.length) return;
  let owner: unknown;
  try {
    owner = (JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8')) as { undertone_training?: { run?: unknown } }).undertone_training?.run;
  } catch {
    owner = undefined;
  }
  if (owner === runId) return;
  const what = typeof owner === 'string' ? `the SAE of run ${owner}` : `${entries.length} file${entries.length === 1 ? '' : 's'} (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''})`;
  throw new Error(`SAE out '${dir}' already holds ${what}; give an empty or new folder as out`);
}

/** Write a file whole or not at all: a temporary name, then a rename. */
function writeAtomic(path: string, write: (tmp: string) => void): void {
  const tmp = `${path}.tmp-${process.pid}`;
  write(tmp);
  renameSync(tmp, path);
}

export function writeSaeLensFolder(dir: string, params: Record<SaeParamName, Float32Array>, spec: SaeFolderSpec & { runId?: string }): void {
  if (spec.runId) checkSaeOut(dir, spec.runId);
  const shapes = saeParamShapes(spec.dIn, spec.dSae);
  for (const [n, shape] of Object.entries(shapes) as [SaeParamName, number[]][]) {
    const want = shape.reduce((a, b) => a * b, 1);
    if (params[n]?.length !== want) throw new Error(`SAE weights: '${n}' has ${params[n]?.length ?? 0} values, expected ${want} (${shape.join('×')})`);
  }
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'sae_weights.safetensors'), (tmp) => writeSafetensors(tmp, Object.fromEntries(
    (Object.keys(shapes) as SaeParamName[]).map((n) => [n, { dtype: 'F32' as const, shape: shapes[n], data: params[n] }]),
  )));
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
  writeAtomic(join(dir, 'cfg.json'), (tmp) => writeFileSync(tmp, JSON.stringify(cfg, null, 2) + '\n'));
}
