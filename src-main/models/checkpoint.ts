/**
 * Open a Hugging Face model folder: config.json + model.safetensors, or shards listed by
 * model.safetensors.index.json. Tensors are referenced by (real file, byte offset, length), never
 * copied, so they can become ONNX external-data initializers. HF-cache snapshot symlinks are
 * resolved to their real blobs (ORT refuses symlinks that leave the folder).
 *
 * Shape legend: D d_model, H heads, K kv heads, Dh head_dim, F d_mlp, V vocab.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bytesToF32, readSafetensorsHeader, SafetensorsError, type StDtype, type StFile } from '../engine/safetensors.js';
import { loadConfigJson, parseModelSpec, type ModelSpec } from './config.js';
import { ModelFileError } from './errors.js';
import { weightTable, type WeightEntry, type WeightRole } from './weights.js';

export interface TensorRef {
  /** canonical name (the weight table's; gpt2's `transformer.` prefix removed) */
  name: string;
  /** the name as stored in the safetensors file */
  storedName: string;
  /** real path of the safetensors file (symlinks resolved) */
  file: string;
  dtype: StDtype;
  shape: number[];
  /** absolute byte offset of the data in `file` */
  offset: number;
  byteLength: number;
}

export interface Checkpoint {
  /** the folder as given */
  dir: string;
  config: Record<string, unknown>;
  spec: ModelSpec;
  /** weight table for this spec (HF names + expected shapes) */
  table: WeightEntry[];
  /** real paths of the safetensors files */
  files: string[];
  /** every tensor in the files, by canonical name */
  tensors: Map<string, TensorRef>;
  /** distinct dtypes of the table's weights */
  dtypes: StDtype[];
  /** number of parameters in the table's weights that are present (a tied head counted once) */
  paramCount: number;
  /** a tensor by name, or an error naming the file(s) and tensor */
  tensor(name: string): TensorRef;
  /** a weight by role; the tied head resolves to the embedding; null if the architecture has none */
  weight(role: WeightRole, layer?: number | null): TensorRef | null;
  /** decode a tensor to float32 (copies; for small tensors, tests and the reference oracle) */
  readF32(name: string): Float32Array;
}

export interface OpenOptions {
  /** check every table weight exists with the expected shape (default true) */
  checkShapes?: boolean;
  /** require tokenizer.json and tokenizer_config.json (default false) */
  requireTokenizer?: boolean;
}

export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

/** Throw naming the missing tokenizer file. */
export function checkTokenizerFiles(dir: string): void {
  for (const f of TOKENIZER_FILES) {
    const p = join(dir, f);
    if (!existsSync(p)) throw new ModelFileError(p, `missing tokenizer file (a model folder needs ${TOKENIZER_FILES.join(' and ')})`);
  }
}

const FLOAT_DTYPES: StDtype[] = ['F32', 'F16', 'BF16'];

export function openCheckpoint(dir: string, opts: OpenOptions = {}): Checkpoint {
  const config = loadConfigJson(dir);
  const spec = parseModelSpec(config, join(dir, 'config.json'));
  if (opts.requireTokenizer) checkTokenizerFiles(dir);

  const stFiles = openSafetensorsFiles(dir);
  const tensors = new Map<string, TensorRef>();
  const stripPrefix = spec.arch === 'gpt2';
  for (const { st, names } of stFiles) {
    for (const [stored, t] of st.tensors) {
      if (names && !names.has(stored)) continue;
      const name = stripPrefix && stored.startsWith('transformer.') ? stored.slice('transformer.'.length) : stored;
      tensors.set(name, { name, storedName: stored, file: st.path, dtype: t.dtype, shape: t.shape, offset: t.offset, byteLength: t.byteLength });
    }
  }
  const files = stFiles.map((f) => f.st.path);
  const table = weightTable(spec);
  const describeFiles = files.length === 1 ? files[0]! : join(dir, 'model.safetensors.index.json');

  const tensor = (name: string): TensorRef => {
    const t = tensors.get(name);
    if (!t) throw new ModelFileError(describeFiles, 'missing tensor', name);
    return t;
  };

  const dtypes = new Set<StDtype>();
  let paramCount = 0;
  for (const w of table) {
    const t = tensors.get(w.name);
    if (!t) {
      if (w.optional) continue;
      throw new ModelFileError(describeFiles, `missing tensor (${spec.arch} expects ${w.expect} = ${JSON.stringify(w.shape)})`, w.name);
    }
    if (!FLOAT_DTYPES.includes(t.dtype)) {
      throw new ModelFileError(t.file, `dtype ${t.dtype} is not supported for weights (supported: ${FLOAT_DTYPES.join(', ')})`, t.storedName);
    }
    if ((opts.checkShapes ?? true) && !sameShape(t.shape, w.shape)) {
      throw new ModelFileError(
        t.file,
        `shape ${JSON.stringify(t.shape)} disagrees with config.json: expected ${w.expect} = ${JSON.stringify(w.shape)}`,
        t.storedName,
      );
    }
    dtypes.add(t.dtype);
    if (!(w.role === 'lm_head.w' && spec.tiedHead)) paramCount += t.shape.reduce((a, b) => a * b, 1);
  }

  checkUnused(spec, table, tensors);

  const weight = (role: WeightRole, layer: number | null = null): TensorRef | null => {
    if (role === 'lm_head.w' && spec.tiedHead) return weight('embed');
    const e = table.find((w) => w.role === role && w.layer === layer);
    return e ? tensor(e.name) : null;
  };

  const readF32 = (name: string): Float32Array => {
    const t = tensor(name);
    const fd = openSync(t.file, 'r');
    try {
      const b = Buffer.alloc(t.byteLength);
      const n = readSync(fd, b, 0, t.byteLength, t.offset);
      if (n !== t.byteLength) throw new ModelFileError(t.file, `truncated: read ${n} of ${t.byteLength} bytes`, t.storedName);
      return bytesToF32(b, t.dtype, t.file, t.storedName);
    } finally {
      closeSync(fd);
    }
  };

  return { dir, config, spec, table, files, tensors, dtypes: [...dtypes], paramCount, tensor, weight, readF32 };
}

/** The safetensors files of a folder; for shards, the names each shard is responsible for. */
function openSafetensorsFiles(dir: string): { st: StFile; names: Set<string> | null }[] {
  const single = join(dir, 'model.safetensors');
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(index, 'utf8'));
    } catch (e) {
      throw new ModelFileError(index, `not valid JSON (${(e as Error).message})`);
    }
    const wm = (json as { weight_map?: unknown } | null)?.weight_map;
    if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new ModelFileError(index, 'missing "weight_map" object');
    const byShard = new Map<string, Set<string>>();
    for (const [name, shard] of Object.entries(wm as Record<string, unknown>)) {
      if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || shard.startsWith('.')) {
        throw new ModelFileError(index, `bad shard file name ${JSON.stringify(shard)}`, name);
      }
      let s = byShard.get(shard);
      if (!s) byShard.set(shard, (s = new Set()));
      s.add(name);
    }
    const out: { st: StFile; names: Set<string> }[] = [];
    for (const [shard, names] of byShard) {
      const p = join(dir, shard);
      if (!existsSync(p)) throw new ModelFileError(p, `missing shard listed in model.safetensors.index.json (for ${names.size} tensors, e.g. '${[...names][0]}')`);
      const st = readHeader(p);
      for (const n of names) {
        if (!st.tensors.has(n)) throw new ModelFileError(p, 'missing tensor: model.safetensors.index.json maps it to this shard', n);
      }
      out.push({ st, names });
    }
    return out;
  }
  if (existsSync(single)) return [{ st: readHeader(single), names: null }];
  throw new ModelFileError(single, `missing weights: neither model.safetensors nor model.safetensors.index.json exists${weightFilesHint(dir)}`);
}

/** What weight-like files a folder holds instead, for the missing-weights error ('' when none). */
function weightFilesHint(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return '';
  }
  const st = names.filter((n) => n.endsWith('.safetensors'));
  const torch = names.filter((n) => /\.(bin|pt|pth|ckpt)$/.test(n) || n.endsWith('.bin.index.json'));
  const other = names.filter((n) => n.endsWith('.gguf') || n.endsWith('.onnx'));
  const parts: string[] = [];
  if (st.length) parts.push(`found ${st.join(', ')}; sharded weights need their model.safetensors.index.json (and a single file must be named model.safetensors)`);
  if (torch.length) parts.push(`found ${torch.join(', ')}; PyTorch .bin/.pt weights are not read: convert them to safetensors`);
  if (other.length) parts.push(`found ${other.join(', ')}; only safetensors weights are read`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

function readHeader(p: string): StFile {
  try {
    return readSafetensorsHeader(realpathSync(p));
  } catch (e) {
    if (e instanceof SafetensorsError) {
      // name the path the user gave as well as the blob it points to
      const real = e.file;
      const prefix = `${real}${e.tensor ? ` [tensor '${e.tensor}']` : ''}: `;
      const msg = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
      throw new ModelFileError(real === resolve(p) ? p : `${p} (-> ${real})`, msg, e.tensor);
    }
    throw e;
  }
}

/**
 * Buffers HF checkpoints may hold that are not weights (transformers ignores them on load): RoPE
 * inverse frequencies of old llama-family conversions, GPT-2's causal mask `attn.bias` and
 * `attn.masked_bias` (in the original gpt2 files).
 */
const NON_WEIGHT_BUFFERS = [/(^|\.)rotary_emb\.inv_freq$/, /^h\.\d+\.attn\.(bias|masked_bias)$/];

/**
 * Refuse tensors the config does not use: they mean config.json and the weights describe different
 * models (a layer beyond num_hidden_layers, a bias the config turns off), and running without them
 * would silently give other logits than the checkpoint's.
 */
function checkUnused(spec: ModelSpec, table: WeightEntry[], tensors: Map<string, TensorRef>): void {
  const used = new Set(table.map((w) => w.name));
  const unused = [...tensors.values()].filter((t) => !used.has(t.name) && !NON_WEIGHT_BUFFERS.some((re) => re.test(t.name)));
  if (!unused.length) return;
  const layerRe = spec.arch === 'gpt2' ? /^h\.(\d+)\./ : /^model\.layers\.(\d+)\./;
  const top = Math.max(-1, ...unused.map((t) => Number(layerRe.exec(t.name)?.[1] ?? -1)));
  const layerKey = spec.arch === 'gpt2' ? 'n_layer' : 'num_hidden_layers';
  const why = top >= spec.nLayers
    ? `the weights have layers 0..${top} but config.json ${layerKey} is ${spec.nLayers}`
    : `config.json's ${spec.arch} model has no such weight (check attention_bias, mlp_bias, tie_word_embeddings and model_type)`;
  const n = unused.length;
  const more = n > 1 ? ` (e.g. ${unused.slice(1, 4).map((t) => `'${t.storedName}'`).join(', ')})` : '';
  throw new ModelFileError(unused[0]!.file, `not used by config.json: ${n} tensor${n > 1 ? 's are' : ' is'} not used${more}; ${why}`, unused[0]!.storedName);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
