/**
 * SAELens `cfg.json` → one normalized SaeConfig (REFERENCE §3), for configs written by SAELens
 * 6.x (`metadata.hook_name`, `architecture`, `k`) and older ones (`hook_point`,
 * `hook_point_layer`, `activation_fn_str`, `activation_fn_kwargs.k`, boolean
 * `normalize_activations`). Defaults are SAELens's: architecture standard, apply_b_dec_to_input
 * true, normalize_activations none.
 */
import { SaeError } from './errors.js';

export const SAE_ARCHITECTURES = ['standard', 'jumprelu', 'topk'] as const;
export type SaeArchitecture = (typeof SAE_ARCHITECTURES)[number];

export const SAE_NORMALIZATIONS = ['none', 'expected_average_only_in', 'constant_norm_rescale', 'layer_norm'] as const;
/**
 * What SAELens does at run time (sae.py `_setup_activation_normalization`):
 * - none: nothing
 * - expected_average_only_in: training scaled inputs by a fixed factor s (so E‖x‖ ≈ √d_in); SAELens
 *   folds s into the weights when it knows it. Here: x·s in, x̂/s out when cfg gives
 *   `norm_scaling_factor`, else nothing (as SAELens does when the factor is unknown).
 * - constant_norm_rescale: c = √d_in / ‖x‖ per position; encode x·c, decode x̂ / c
 * - layer_norm: μ = mean(x), σ = std(x) (unbiased, n−1); encode (x−μ)/(σ+1e-5); decode x̂·σ + μ
 */
export type SaeNormalization = (typeof SAE_NORMALIZATIONS)[number];

export interface SaeConfig {
  architecture: SaeArchitecture;
  dIn: number;
  dSae: number;
  /** topk only */
  k: number | null;
  /** TransformerLens hook name, or null when the file does not say */
  hook: string | null;
  applyBDecToInput: boolean;
  normalize: SaeNormalization;
  normScalingFactor: number | null;
  /** the SAE's dtype per cfg (informational; the weights' stored dtype is what is used) */
  dtype: string | null;
  modelName: string | null;
  /** e.g. `gemma-2b-it/12-res-jb` */
  neuronpediaId: string | null;
  /** hook_z SAEs: the input is [.., n_heads, d_head] flattened to d_in */
  reshapeHookZ: boolean;
}

type Json = Record<string, unknown>;

export function parseSaeLensConfig(raw: Json, file: string): SaeConfig {
  const meta = (isObj(raw.metadata) ? raw.metadata : isObj(raw.meta) ? raw.meta : {}) as Json;
  const pick = (...keys: string[]): unknown => {
    for (const k of keys) {
      if (raw[k] !== undefined && raw[k] !== null) return raw[k];
      if (meta[k] !== undefined && meta[k] !== null) return meta[k];
    }
    return undefined;
  };
  const posInt = (key: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new SaeError(file, `'${key}' must be a positive integer, got ${JSON.stringify(v)}`, key);
    return v;
  };

  // SAELens transcoders (and skip transcoders) read one hook and write another: decoding them as an
  // SAE of their input hook would reconstruct the wrong activation, so refuse them by name
  const outKey = ['d_out', 'hook_name_out', 'hook_point_out', 'hook_layer_out'].find((k) => pick(k) !== undefined);
  if (outKey !== undefined || /transcoder/i.test(String(raw.architecture ?? ''))) {
    const what = outKey !== undefined ? `'${outKey}': ${JSON.stringify(pick(outKey))}` : `architecture '${String(raw.architecture)}'`;
    throw new SaeError(file, `a transcoder (${what}): it reads one hook and writes another, and only SAEs that reconstruct their own hook are supported`, outKey ?? 'architecture');
  }
  const dIn = posInt('d_in', raw.d_in);
  let dSaeRaw = raw.d_sae;
  if (dSaeRaw === undefined && typeof raw.expansion_factor === 'number') dSaeRaw = dIn * raw.expansion_factor;
  const dSae = posInt('d_sae', dSaeRaw);

  const act = String(pick('activation_fn', 'activation_fn_str') ?? 'relu');
  let arch = String(raw.architecture ?? 'standard');
  if (act === 'topk') arch = 'topk';
  if (!(SAE_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new SaeError(file, `unsupported architecture '${arch}' (supported: ${SAE_ARCHITECTURES.join(', ')})`, 'architecture');
  }
  if (arch === 'standard' && act !== 'relu') {
    throw new SaeError(file, `unsupported activation_fn '${act}' for a standard SAE (supported: relu, topk)`, 'activation_fn');
  }
  let k: number | null = null;
  if (arch === 'topk') {
    const kw = pick('activation_fn_kwargs');
    const kv = raw.k ?? (isObj(kw) ? kw.k : undefined);
    k = posInt('k', kv);
    if (k > dSae) throw new SaeError(file, `k = ${k} exceeds d_sae = ${dSae}`, 'k');
  }

  const hookRaw = pick('hook_name', 'hook_point');
  const hook = typeof hookRaw === 'string' && hookRaw.length ? hookRaw : null;
  const head = pick('hook_head_index', 'hook_point_head_index');
  if (head !== undefined) throw new SaeError(file, `per-head SAEs (hook_head_index ${JSON.stringify(head)}) are not supported`, 'hook_head_index');

  const applyRaw = raw.apply_b_dec_to_input;
  if (applyRaw !== undefined && typeof applyRaw !== 'boolean') throw new SaeError(file, `'apply_b_dec_to_input' must be true or false, got ${JSON.stringify(applyRaw)}`, 'apply_b_dec_to_input');

  let norm: unknown = raw.normalize_activations;
  if (typeof norm === 'boolean') norm = norm ? 'expected_average_only_in' : 'none';
  if (norm === undefined || norm === null) norm = 'none';
  if (!(SAE_NORMALIZATIONS as readonly unknown[]).includes(norm)) {
    throw new SaeError(file, `unknown normalize_activations ${JSON.stringify(norm)} (known: ${SAE_NORMALIZATIONS.join(', ')})`, 'normalize_activations');
  }
  const nsf = pick('norm_scaling_factor');
  if (nsf !== undefined && (typeof nsf !== 'number' || !(nsf > 0))) throw new SaeError(file, `'norm_scaling_factor' must be a positive number, got ${JSON.stringify(nsf)}`, 'norm_scaling_factor');

  if (raw.rescale_acts_by_decoder_norm === true) {
    // SAELens TopK: pre-activations × ‖W_dec[i]‖ before the top-k, decoded ÷ ‖W_dec[i]‖; reading it as
    // a plain TopK SAE would pick other features, so refuse rather than encode silently wrong
    throw new SaeError(file, "'rescale_acts_by_decoder_norm: true' (features scaled by their decoder norms) is not supported", 'rescale_acts_by_decoder_norm');
  }
  if (raw.finetuning_scaling_factor === true) {
    throw new SaeError(file, "'finetuning_scaling_factor: true' (a per-feature decoder scale) is not supported", 'finetuning_scaling_factor');
  }
  const reshape = pick('reshape_activations');
  const str = (v: unknown): string | null => (typeof v === 'string' && v.length ? v : null);
  return {
    architecture: arch as SaeArchitecture,
    dIn,
    dSae,
    k,
    hook,
    applyBDecToInput: applyRaw ?? true,
    normalize: norm as SaeNormalization,
    normScalingFactor: norm === 'expected_average_only_in' && typeof nsf === 'number' ? nsf : null,
    dtype: str(raw.dtype),
    modelName: str(pick('model_name')),
    neuronpediaId: str(pick('neuronpedia_id')),
    reshapeHookZ: reshape === 'hook_z' || (reshape === undefined && !!hook && hook.endsWith('hook_z')),
  };
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
