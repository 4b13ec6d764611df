/**
 * Load an SAE folder into one normalized `Sae`:
 * - SAELens: `cfg.json` (6.x and pre-6.0 keys, see cfg.ts) + `sae_weights.safetensors`
 * - Gemma Scope: `params.npz` (a zip of .npy files; JumpReLU; b_dec not subtracted from the input).
 *   The hook comes from the caller, or from the path (`…-res/layer_12/width_16k/…` →
 *   `blocks.12.hook_resid_post`; `-mlp` → hook_mlp_out; `-att` → attn.hook_z).
 *
 * Weights are referenced (file + byte offset), never copied: safetensors tensors and stored npz
 * members in place, deflated npz members through a cache extract (npz.ts).
 *
 * Shape legend: d_in D (the hook's width), d_sae S (features).
 * W_enc [D,S], W_dec [S,D], b_enc [S], b_dec [D], threshold [S] (jumprelu).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bytesToF32, readSafetensorsHeader, SafetensorsError, type StDtype, type StFile } from '../../engine/safetensors.js';
import type { InitSource } from '../../engine/tensor.js';
import type { ModelSpec } from '../config.js';
import { dimSize, hookInfo, type HookDim } from '../hooks.js';
import { parseSaeLensConfig, type SaeConfig } from './cfg.js';
import { SaeError } from './errors.js';
import { npzNames, npzTensor, openNpz, type NpzTensor } from './npz.js';
import { readAt } from './zip.js';

export type SaeFormat = 'saelens' | 'gemma-scope';
export type SaeDtype = 'float32' | 'float16' | 'bfloat16' | 'float64';
export type SaeTensorName = 'W_enc' | 'W_dec' | 'b_enc' | 'b_dec' | 'threshold';

export interface SaeTensor {
  name: SaeTensorName;
  /** stored dtype (cast to the graph's compute dtype inside the graph) */
  dtype: SaeDtype;
  shape: number[];
  /** external byte range (a safetensors file, the npz itself, or a cache extract), or inline values */
  source: InitSource;
}

export interface Sae extends SaeConfig {
  /** the folder (or params.npz) as given */
  path: string;
  format: SaeFormat;
  /** the weights file (sae_weights.safetensors or params.npz), real path */
  weightsFile: string;
  hook: string;
  /** where the hook name came from */
  hookFrom: 'cfg' | 'caller' | 'path';
  tensors: Record<Exclude<SaeTensorName, 'threshold'>, SaeTensor> & { threshold: SaeTensor | null };
  /** stored dtype of W_dec (the SAE's weight dtype) */
  weightDtype: SaeDtype;
  /** cache extracts made or reused for deflated npz members */
  extracts: string[];
  /** short content-location id, used to name graph initializers */
  id: string;
  /** the raw cfg.json (SAELens) or {} (Gemma Scope) */
  raw: Record<string, unknown>;
}

export interface LoadSaeOptions {
  /** hook name; overrides cfg.json, required for Gemma Scope when the path does not tell */
  hook?: string;
  /** cache folder for deflated npz members (npz.ts) */
  cacheDir?: string;
}

const ST_TO_SAE: Partial<Record<StDtype, SaeDtype>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64' };
const SAE_TO_ST: Record<SaeDtype, StDtype> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', float64: 'F64' };

/** Load an SAE from a SAELens folder, a Gemma Scope folder, or a params.npz path. */
export async function loadSae(path: string, opts: LoadSaeOptions = {}): Promise<Sae> {
  if (!existsSync(path)) throw new SaeError(path, 'SAE path not found');
  const isDir = statSync(path).isDirectory();
  if (!isDir && path.endsWith('.npz')) return loadGemmaScope(path, path, opts);
  if (isDir && existsSync(join(path, 'cfg.json'))) return loadSaeLens(path, opts);
  if (isDir && existsSync(join(path, 'params.npz'))) return loadGemmaScope(path, join(path, 'params.npz'), opts);
  throw new SaeError(path, 'not an SAE folder: expected cfg.json + sae_weights.safetensors (SAELens) or params.npz (Gemma Scope)');
}

// ---------------------------------------------------------------- SAELens

function loadSaeLens(dir: string, opts: LoadSaeOptions): Sae {
  const cfgFile = join(dir, 'cfg.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(cfgFile, 'utf8'));
  } catch (e) {
    throw new SaeError(cfgFile, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SaeError(cfgFile, 'not a JSON object');
  const cfg = parseSaeLensConfig(raw as Record<string, unknown>, cfgFile);
  const wFile = join(dir, 'sae_weights.safetensors');
  if (!existsSync(wFile)) throw new SaeError(wFile, 'missing sae_weights.safetensors next to cfg.json');
  let st: StFile;
  try {
    st = readSafetensorsHeader(wFile);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new SaeError(wFile, e.message.replace(`${e.file}${e.tensor ? ` [tensor '${e.tensor}']` : ''}: `, ''), e.tensor);
    throw e;
  }
  const hook = opts.hook ?? cfg.hook;
  if (!hook) throw new SaeError(cfgFile, "no hook: cfg.json has neither 'hook_name' (metadata.hook_name) nor the pre-6.0 'hook_point'; pass the hook explicitly", 'hook_name');
  const ref = (name: SaeTensorName): SaeTensor | null => {
    const t = st.tensors.get(name);
    if (!t) return null;
    const dtype = ST_TO_SAE[t.dtype];
    if (!dtype) throw new SaeError(wFile, `dtype ${t.dtype} is not supported (F32, F16, BF16, F64)`, name);
    return { name, dtype, shape: t.shape, source: { kind: 'external', file: st.path, offset: t.offset, byteLength: t.byteLength } };
  };
  const need = (name: SaeTensorName): SaeTensor => {
    const t = ref(name);
    if (!t) throw new SaeError(wFile, `missing tensor (file has: ${[...st.tensors.keys()].join(', ')})`, name);
    return t;
  };
  let threshold: SaeTensor | null = null;
  if (cfg.architecture === 'jumprelu') {
    threshold = ref('threshold');
    if (!threshold && st.tensors.has('log_threshold')) {
      // SAELens training checkpoints keep log(threshold): decode it once (d_sae values) and inline
      const t = st.tensors.get('log_threshold')!;
      const v = decodeF64(readRange(st.path, t.offset, t.byteLength, wFile, 'log_threshold'), t.dtype, wFile, 'log_threshold');
      threshold = { name: 'threshold', dtype: 'float64', shape: t.shape, source: { kind: 'inline', data: v.map(Math.exp) } };
    }
    if (!threshold) throw new SaeError(wFile, `missing tensor: a jumprelu SAE needs 'threshold' [d_sae] (file has: ${[...st.tensors.keys()].join(', ')})`, 'threshold');
  }
  const tensors = { W_enc: need('W_enc'), W_dec: need('W_dec'), b_enc: need('b_enc'), b_dec: need('b_dec'), threshold };
  checkShapes(wFile, cfg.dIn, cfg.dSae, tensors, 'cfg.json');
  return finish({ ...cfg, hook, hookFrom: opts.hook ? 'caller' : 'cfg', path: dir, format: 'saelens', weightsFile: st.path, tensors, extracts: [], raw: raw as Record<string, unknown> });
}

// ---------------------------------------------------------------- Gemma Scope

async function loadGemmaScope(path: string, npzFile: string, opts: LoadSaeOptions): Promise<Sae> {
  if (/(^|[/\\])[^/\\]*embedding[^/\\]*([/\\]|$)/i.test(resolve(path))) {
    // SAELens rescales these (W_enc / √d_in, W_dec · √d_in) because of how they were trained
    throw new SaeError(npzFile, 'Gemma Scope embedding SAEs are not supported (they need a √d_in rescale of W_enc and W_dec)');
  }
  const z = openNpz(npzFile);
  const names = npzNames(z);
  // some exports spell the weights w_enc / w_dec (SAELens maps "w_" → "W_")
  const member = (want: SaeTensorName): string => {
    if (names.includes(want)) return want;
    const alt = want.startsWith('W_') ? `w_${want.slice(2)}` : want;
    return names.includes(alt) ? alt : want;
  };
  const get = async (want: SaeTensorName): Promise<SaeTensor & { npz: NpzTensor }> => {
    const t = await npzTensor(z, member(want), { cacheDir: opts.cacheDir });
    return { name: want, dtype: t.dtype, shape: t.shape, source: { kind: 'external', file: t.file, offset: t.offset, byteLength: t.byteLength }, npz: t };
  };
  const all = { W_enc: await get('W_enc'), W_dec: await get('W_dec'), b_enc: await get('b_enc'), b_dec: await get('b_dec'), threshold: await get('threshold') };
  const [dIn, dSae] = all.W_enc.shape;
  if (all.W_enc.shape.length !== 2 || !dIn || !dSae) throw new SaeError(z.file, `W_enc must be [d_in, d_sae], got ${JSON.stringify(all.W_enc.shape)}`, 'W_enc.npy');
  checkShapes(z.file, dIn, dSae, all, 'W_enc');
  let hook = opts.hook ?? null;
  let hookFrom: Sae['hookFrom'] = 'caller';
  let reshapeHookZ = false;
  if (!hook) {
    const inferred = inferGemmaScopeHook(path);
    if (!inferred) {
      throw new SaeError(npzFile, 'cannot tell the hook from the path (expected a folder like layer_12/width_16k/…); pass the hook explicitly, e.g. blocks.12.hook_resid_post');
    }
    hook = inferred;
    hookFrom = 'path';
  }
  if (hook.endsWith('hook_z')) reshapeHookZ = true;
  const extracts = Object.values(all).filter((t) => t.npz.extracted).map((t) => t.npz.file);
  const strip = ({ npz: _npz, ...t }: SaeTensor & { npz: NpzTensor }): SaeTensor => t;
  return finish({
    architecture: 'jumprelu', dIn, dSae, k: null, hook, hookFrom, applyBDecToInput: false, normalize: 'none', normScalingFactor: null,
    dtype: all.W_dec.dtype, modelName: null, neuronpediaId: null, reshapeHookZ,
    path, format: 'gemma-scope', weightsFile: z.real,
    tensors: { W_enc: strip(all.W_enc), W_dec: strip(all.W_dec), b_enc: strip(all.b_enc), b_dec: strip(all.b_dec), threshold: strip(all.threshold) },
    extracts, raw: {},
  });
}

/**
 * Gemma Scope hook from a path like `gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82`:
 * the layer from `layer_N`, the site from `res` (resid_post), `mlp` (hook_mlp_out) or `att`
 * (attn.hook_z) in any path segment; residual stream when no site is named. Null without a layer.
 */
export function inferGemmaScopeHook(path: string): string | null {
  const p = resolve(path).replace(/\\/g, '/').toLowerCase();
  const m = /(?:^|\/)layer_(\d+)(?:\/|$)/.exec(p);
  if (!m) return null;
  const L = Number(m[1]);
  const segs = p.split('/');
  const has = (re: RegExp): boolean => segs.some((s) => re.test(s));
  if (has(/(^|[-_])att(n)?([-_]|$)/)) return `blocks.${L}.attn.hook_z`;
  if (has(/(^|[-_])mlp([-_]|$)/)) return `blocks.${L}.hook_mlp_out`;
  return `blocks.${L}.hook_resid_post`;
}

// ---------------------------------------------------------------- shared

function checkShapes(file: string, dIn: number, dSae: number, t: Sae['tensors'], from: string): void {
  const want: [SaeTensor | null, number[], string][] = [
    [t.W_enc, [dIn, dSae], '[d_in, d_sae]'],
    [t.W_dec, [dSae, dIn], '[d_sae, d_in]'],
    [t.b_enc, [dSae], '[d_sae]'],
    [t.b_dec, [dIn], '[d_in]'],
    [t.threshold, [dSae], '[d_sae]'],
  ];
  for (const [x, shape, expect] of want) {
    if (!x) continue;
    if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i])) {
      throw new SaeError(file, `shape ${JSON.stringify(x.shape)} disagrees with ${from}: expected ${expect} = ${JSON.stringify(shape)}`, x.name);
    }
  }
}

function finish(s: Omit<Sae, 'id' | 'weightDtype'>): Sae {
  const w = s.tensors.W_dec.source;
  const where = w.kind === 'external' ? `${w.file}\0${w.offset}` : s.path;
  const id = createHash('sha1').update(`${where}\0${s.hook}`).digest('hex').slice(0, 10);
  return { ...s, weightDtype: s.tensors.W_dec.dtype, id };
}

// ---------------------------------------------------------------- checks against a model

/** Product of a hook's non-batch/seq dims, with a description like `d_model = 2048`. */
function hookWidth(spec: ModelSpec, dims: HookDim[]): { width: number; text: string } {
  const sizes = dims.map((d) => dimSize(spec, d, { batch: 1, seq: 1 }));
  const width = sizes.reduce((a, b) => a * b, 1);
  const text = dims.length === 1 ? `${dims[0]} = ${width}` : `${dims.join(' × ')} = ${sizes.join(' × ')} = ${width}`;
  return { width, text };
}

/**
 * Check that the SAE fits the model: its hook exists and d_in equals the hook's width.
 * Errors name the SAE path and say which check failed.
 */
export function checkSaeAgainstModel(sae: Sae, spec: ModelSpec): void {
  let info;
  try {
    info = hookInfo(spec, sae.hook);
  } catch (e) {
    throw new SaeError(sae.path, `hook '${sae.hook}' does not exist in the model: ${(e as Error).message}`, 'hook');
  }
  if (info.shape[0] !== 'batch' || info.shape[1] !== 'seq') {
    throw new SaeError(sae.path, `hook '${sae.hook}' has shape [${info.shape.join(', ')}]; an SAE needs a [batch, seq, ...] activation`, 'hook');
  }
  const dims = info.shape.slice(2);
  const { width, text } = hookWidth(spec, dims);
  if (width !== sae.dIn) {
    throw new SaeError(sae.path, `d_in ${sae.dIn} does not match hook '${sae.hook}' of the model, whose width is ${text}`, 'd_in');
  }
  if (dims.length > 1 && !sae.reshapeHookZ) {
    throw new SaeError(sae.path, `hook '${sae.hook}' is [${info.shape.join(', ')}]; the SAE must flatten it (reshape_activations 'hook_z')`, 'hook');
  }
}

/** Throw unless `index` names a feature of this SAE. */
export function checkFeatureIndex(sae: Sae, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= sae.dSae) {
    throw new SaeError(sae.path, `feature index ${index} out of range: this SAE has d_sae = ${sae.dSae} features (0..${sae.dSae - 1})`, 'index');
  }
}

// ---------------------------------------------------------------- reading values (small tensors, rows)

function readRange(file: string, offset: number, len: number, forMsg: string, member: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    return readAt(fd, offset, len, forMsg, 'tensor data', member);
  } finally {
    closeSync(fd);
  }
}

function decodeF64(b: Buffer, dtype: StDtype, file: string, name: string): Float64Array {
  if (dtype === 'F64') return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  return Float64Array.from(bytesToF32(b, dtype, file, name));
}

const BYTES: Record<SaeDtype, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

/** Elements [start, start+count) of a tensor (row-major), as float64. */
export function readSaeValues(sae: Sae, name: SaeTensorName, start = 0, count?: number): Float64Array {
  const t = name === 'threshold' ? sae.tensors.threshold : sae.tensors[name];
  if (!t) throw new SaeError(sae.path, 'this SAE has no such tensor', name);
  const n = t.shape.reduce((a, b) => a * b, 1);
  const c = count ?? n - start;
  if (start < 0 || start + c > n) throw new SaeError(sae.path, `elements ${start}..${start + c} out of range (${n})`, name);
  const src = t.source;
  if (src.kind === 'inline') return Float64Array.from(src.data as Float64Array | Float32Array).subarray(start, start + c);
  const bytes = BYTES[t.dtype];
  const b = readRange(src.file, src.offset + start * bytes, c * bytes, src.file, name);
  return decodeF64(b, SAE_TO_ST[t.dtype], src.file, name);
}

/** One decoder row W_dec[index] ([d_in]) as float64, e.g. for a steering vector `coef × W_dec[i]`. */
export function readDecoderRow(sae: Sae, index: number): Float64Array {
  checkFeatureIndex(sae, index);
  return readSaeValues(sae, 'W_dec', index * sae.dIn, sae.dIn);
}
