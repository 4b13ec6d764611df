/**
 * Tiny SAE fixtures written by the tests: SAELens folders (cfg.json in 6.x or pre-6.0 style +
 * sae_weights.safetensors) and Gemma Scope params.npz files from our own zip/npy writer (stored or
 * deflated members; optionally numpy's zip64 extra field in the local headers, as np.savez writes).
 * Weights come from a seeded PRNG; `ref` holds them as stored (rounded to the file dtype) in float64.
 *
 * Shape legend: D d_in, S d_sae.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { f32ToBf16, writeSafetensors, type StWriteTensor } from '../../src-main/engine/safetensors.js';
import { randn, rng } from '../engine/helpers.js';
import type { RefSae } from './reference.js';

export type Arch = RefSae['arch'];
export type Norm = RefSae['normalize'];

export interface SaeWeights {
  W_enc: Float64Array;
  W_dec: Float64Array;
  b_enc: Float64Array;
  b_dec: Float64Array;
  threshold: Float64Array;
}

/** Seeded weights: W_enc ~ N(0, 1/√D), W_dec ~ N(0, 1/√S), biases ~ N(0, 0.1), thresholds in [0.05, 0.35]. */
export function randomWeights(dIn: number, dSae: number, seed: number): SaeWeights {
  const r = rng(seed + 99);
  return {
    W_enc: randn(dIn * dSae, seed, 1 / Math.sqrt(dIn)),
    W_dec: randn(dSae * dIn, seed + 1, 1 / Math.sqrt(dSae)),
    b_enc: randn(dSae, seed + 2, 0.1),
    b_dec: randn(dIn, seed + 3, 0.1),
    threshold: Float64Array.from({ length: dSae }, () => 0.05 + 0.3 * r()),
  };
}

function bf16Round(v: number): number {
  return new Float32Array(new Uint32Array([f32ToBf16(v) << 16]).buffer)[0]!;
}

/** Round to the stored dtype, as the file will hold it. */
function stored(a: Float64Array, dtype: 'F32' | 'F64' | 'BF16'): Float64Array {
  if (dtype === 'F64') return a;
  if (dtype === 'F32') return Float64Array.from(Float32Array.from(a));
  return a.map(bf16Round);
}

function stTensor(a: Float64Array, shape: number[], dtype: 'F32' | 'F64' | 'BF16'): StWriteTensor {
  if (dtype === 'F64') return { dtype, shape, data: a };
  if (dtype === 'F32') return { dtype, shape, data: Float32Array.from(a) };
  return { dtype, shape, data: Uint16Array.from(a, f32ToBf16) };
}

export interface SaeLensOptions {
  arch: Arch;
  dIn: number;
  dSae: number;
  k?: number;
  /** undefined: leave the key out (SAELens default true) */
  applyBDec?: boolean;
  normalize?: Norm;
  normScalingFactor?: number;
  hook?: string;
  seed?: number;
  /** 'v6': metadata.hook_name + architecture + k; 'pre6': hook_point, hook_point_layer, activation_fn_str (+ kwargs.k) */
  style?: 'v6' | 'pre6';
  dtype?: 'F32' | 'F64' | 'BF16';
  extraCfg?: Record<string, unknown>;
  /** tensors to leave out of the file */
  omit?: string[];
  /** override a tensor's shape (to test shape errors) */
  shapes?: Record<string, number[]>;
  /** jumprelu: store log(threshold) as `log_threshold` (SAELens training checkpoints) instead of `threshold` */
  logThreshold?: boolean;
}

/** Write a SAELens folder; returns the reference SAE with the weights as stored. */
export function writeSaeLens(dir: string, o: SaeLensOptions): RefSae {
  mkdirSync(dir, { recursive: true });
  const { arch, dIn: D, dSae: S } = o;
  const dtype = o.dtype ?? 'F32';
  const hook = o.hook ?? 'blocks.1.hook_resid_post';
  const norm = o.normalize ?? 'none';
  const w = randomWeights(D, S, o.seed ?? 1);
  const cfg: Record<string, unknown> = { d_in: D, d_sae: S, dtype: 'float32', device: 'cpu' };
  if (o.applyBDec !== undefined) cfg.apply_b_dec_to_input = o.applyBDec;
  if ((o.style ?? 'v6') === 'v6') {
    Object.assign(cfg, { architecture: arch, normalize_activations: norm, reshape_activations: 'none', metadata: { model_name: 'tiny', hook_name: hook, sae_lens_version: '6.5.0' } });
    if (arch === 'topk') cfg.k = o.k;
  } else {
    const layer = /^blocks\.(\d+)\./.exec(hook)?.[1];
    Object.assign(cfg, {
      model_name: 'tiny', hook_point: hook, hook_point_layer: layer === undefined ? 0 : Number(layer), hook_point_head_index: null,
      activation_fn_str: arch === 'topk' ? 'topk' : 'relu', sae_lens_training_version: '3.13.0',
      // pre-6.0 boolean form when it fits (false → none, true → expected_average_only_in)
      normalize_activations: norm === 'none' ? false : norm === 'expected_average_only_in' ? true : norm,
    });
    if (arch !== 'topk') cfg.architecture = arch;
    else cfg.activation_fn_kwargs = { k: o.k };
  }
  if (o.normScalingFactor !== undefined) cfg.norm_scaling_factor = o.normScalingFactor;
  Object.assign(cfg, o.extraCfg ?? {});
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg, null, 1));
  const shapes: Record<string, number[]> = { W_enc: [D, S], W_dec: [S, D], b_enc: [S], b_dec: [D], threshold: [S], ...o.shapes };
  const tensors: Record<string, StWriteTensor> = {};
  for (const name of ['W_enc', 'W_dec', 'b_enc', 'b_dec', ...(arch === 'jumprelu' ? ['threshold'] : [])]) {
    if (o.omit?.includes(name)) continue;
    const shape = shapes[name]!;
    const n = shape.reduce((a, b) => a * b, 1);
    const src = w[name as keyof SaeWeights];
    tensors[name] = stTensor(n === src.length ? src : randn(n, 5), shape, dtype);
  }
  if (o.logThreshold && tensors.threshold) {
    delete tensors.threshold;
    w.threshold = stored(w.threshold, dtype);
    tensors.log_threshold = { dtype: 'F64', shape: [S], data: w.threshold.map(Math.log) };
  }
  writeSafetensors(join(dir, 'sae_weights.safetensors'), tensors);
  return {
    arch, dIn: D, dSae: S, k: o.k ?? null, applyBDec: o.applyBDec ?? true, normalize: norm, normScalingFactor: o.normScalingFactor ?? null,
    W_enc: stored(w.W_enc, dtype), W_dec: stored(w.W_dec, dtype), b_enc: stored(w.b_enc, dtype), b_dec: stored(w.b_dec, dtype),
    threshold: arch === 'jumprelu' ? stored(w.threshold, dtype) : null,
  };
}

// ---------------------------------------------------------------- npy / zip writers

/** A .npy file (format 1.0, '<f4' or '<f8', C order), header padded to 64 bytes as numpy does. */
export function npyBytes(shape: number[], data: Float32Array | Float64Array, opts: { descr?: string } = {}): Buffer {
  const descr = opts.descr ?? (data instanceof Float64Array ? '<f8' : '<f4');
  const shp = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shp}, }`;
  const total = 10 + h.length + 1;
  h += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(h.length, 8);
  return Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export interface ZipMember {
  name: string;
  data: Buffer;
}

/**
 * A zip archive. `deflate` compresses members (np.savez_compressed); `zip64Local` writes numpy's
 * zip64 extra field into each local header (sizes 0xFFFFFFFF there, real sizes in the extra), so a
 * reader must take the data offset from the local header, not from the central directory.
 */
export function zipBytes(members: ZipMember[], opts: { deflate?: boolean; zip64Local?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let off = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const body = opts.deflate ? deflateRawSync(m.data) : m.data;
    const crc = crc32(m.data) >>> 0;
    const extra = opts.zip64Local ? Buffer.alloc(20) : Buffer.alloc(0);
    if (opts.zip64Local) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(m.data.length), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
    }
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(45, 4);
    lh.writeUInt16LE(0, 6);
    lh.writeUInt16LE(opts.deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(opts.zip64Local ? 0xffffffff : body.length, 18);
    lh.writeUInt32LE(opts.zip64Local ? 0xffffffff : m.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(extra.length, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(45, 4);
    ch.writeUInt16LE(45, 6);
    ch.writeUInt16LE(opts.deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(m.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(off, 42);
    central.push(ch, name);
    parts.push(lh, name, extra, body);
    off += 30 + name.length + extra.length + body.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(off, 16);
  return Buffer.concat([...parts, cd, eocd]);
}

export interface GemmaScopeOptions {
  dIn: number;
  dSae: number;
  seed?: number;
  deflate?: boolean;
  zip64Local?: boolean;
  omit?: string[];
  /** replace a member's bytes */
  corrupt?: Record<string, Buffer>;
}

/** Write a Gemma Scope params.npz (float32 members); returns the reference (JumpReLU, b_dec not applied). */
export function writeGemmaScope(file: string, o: GemmaScopeOptions): RefSae {
  const { dIn: D, dSae: S } = o;
  const w = randomWeights(D, S, o.seed ?? 3);
  const shapes: Record<keyof SaeWeights, number[]> = { W_enc: [D, S], W_dec: [S, D], b_enc: [S], b_dec: [D], threshold: [S] };
  const members: ZipMember[] = [];
  for (const name of Object.keys(shapes) as (keyof SaeWeights)[]) {
    if (o.omit?.includes(name)) continue;
    members.push({ name: `${name}.npy`, data: o.corrupt?.[name] ?? npyBytes(shapes[name], Float32Array.from(w[name])) });
  }
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, zipBytes(members, { deflate: o.deflate, zip64Local: o.zip64Local }));
  const f32 = (a: Float64Array): Float64Array => Float64Array.from(Float32Array.from(a));
  return {
    arch: 'jumprelu', dIn: D, dSae: S, applyBDec: false, normalize: 'none',
    W_enc: f32(w.W_enc), W_dec: f32(w.W_dec), b_enc: f32(w.b_enc), b_dec: f32(w.b_dec), threshold: f32(w.threshold),
  };
}

/** Neuronpedia-like export lines (mostly source gemma-2b-it/12-res-jb), with bad lines mixed in. */
export function neuronpediaLines(): { features: string[]; explanations: string[]; activations: string[] } {
  const k = (i: number) => ({ modelId: 'gemma-2b-it', layer: '12-res-jb', index: i });
  return {
    features: [
      JSON.stringify({ ...k(3), pos_str: [' lion', ' lions', ' Leo'], pos_values: [1.5, 1.2, 0.9], neg_str: [' the'], neg_values: [-0.7], frac_nonzero: 0.0012, maxActApprox: 14.2, freq_hist_data_bar_heights: [1, 2] }),
      JSON.stringify({ ...k(7), index: '7', pos_str: [], pos_values: [], neg_str: [], neg_values: [], frac_nonzero: 0.5 }),
      '{"modelId": "gemma-2b-it", "layer": "12-res-jb", "index": 9, "pos_str": [',
      JSON.stringify({ modelId: 'gemma-2b-it', layer: '12-res-jb', pos_str: ['x'], pos_values: [1] }),
      JSON.stringify({ modelId: 'gpt2-small', layer: '0-res-jb', index: 1, pos_str: ['a'], pos_values: [0.1], neg_str: [], neg_values: [], frac_nonzero: 0.01 }),
    ],
    explanations: [
      JSON.stringify({ ...k(3), description: 'lions and big cats', explanationModelName: 'gpt-4o-mini', typeName: 'oai_token-act-pair' }),
      '',
      JSON.stringify({ ...k(3), description: 'the word lion' }),
      JSON.stringify({ ...k(7), description: 42 }),
    ],
    activations: [JSON.stringify({ ...k(3), tokens: ['The', ' lion', ' roared'], values: [0, 9.5, 2], maxValue: 9.5 }), JSON.stringify({ ...k(3), tokens: ['a'], values: [1, 2] })],
  };
}
