/**
 * config.json → one normalized ModelSpec for llama, qwen2, gemma, gemma2 and gpt2 (REFERENCE §2).
 *
 * Shape legend: D d_model, L layers, H heads, K kv heads, Dh head_dim, F d_mlp, V vocab, P max positions.
 *
 * Every HF default that matters is applied here, so downstream code never reads config.json keys.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToF32, f32ToBf16, f32ToF16 } from '../engine/safetensors.js';
import { ModelFileError } from './errors.js';

export const SUPPORTED_MODEL_TYPES = ['llama', 'qwen2', 'gemma', 'gemma2', 'gpt2'] as const;
export type Arch = (typeof SUPPORTED_MODEL_TYPES)[number];

/** rms: `w * x/sqrt(mean(x²)+eps)`; rms-1plus: `(1+w) * ...` in fp32 (gemma); layernorm: `(x-mean)/sqrt(var+eps)*w + b`. */
export type NormKind = 'rms' | 'rms-1plus' | 'layernorm';
/** silu: llama/qwen2 SwiGLU gate; gelu_tanh: `0.5x(1+tanh(sqrt(2/π)(x+0.044715x³)))` (gemma, gemma2, gpt2 gelu_new). */
export type ActKind = 'silu' | 'gelu_tanh';
/** The dtype the model runs in per config (`torch_dtype` / `dtype`); it fixes the rounding of gemma's embed scale. */
export type ModelDtype = 'float32' | 'float16' | 'bfloat16';

export type RopeScaling =
  /** Llama 3 / 3.1 / 3.2 frequency-dependent scaling of inv_freq (HF `_compute_llama3_parameters`). */
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number }
  /** Position interpolation: inv_freq / factor. */
  | { type: 'linear'; factor: number };

export interface RopeSpec {
  theta: number;
  /** rotated dims per head (= headDim; rotate_half layout: pairs (i, i + dim/2)) */
  dim: number;
  scaling: RopeScaling | null;
}

export interface ModelSpec {
  arch: Arch;
  /** config `architectures[0]`, e.g. LlamaForCausalLM (informational) */
  hfClass: string | null;
  dModel: number; // D
  nLayers: number; // L
  nHeads: number; // H
  nKvHeads: number; // K (query head h uses kv head floor(h / (H/K)))
  headDim: number; // Dh, independent of D/H
  dMlp: number; // F
  vocab: number; // V
  maxPositions: number; // P (gpt2: n_positions = size of wpe)
  norm: NormKind;
  normEps: number;
  act: ActKind;
  /** 'rope' (llama family) or 'learned' (gpt2 wpe) */
  posEmbed: 'rope' | 'learned';
  rope: RopeSpec | null;
  bias: {
    /** q/k/v projection biases (qwen2 always; llama/gemma `attention_bias`; gpt2 c_attn) */
    qkv: boolean;
    /** output projection bias (llama/gemma `attention_bias`; gpt2 c_proj) */
    o: boolean;
    /** MLP biases (llama `mlp_bias`; gpt2) */
    mlp: boolean;
  };
  /** LM head is the token embedding (lm_head.weight may be absent) */
  tiedHead: boolean;
  /** multiplier on token embeddings (gemma: sqrt(D) rounded to `dtype`, e.g. 45.25 in bf16 for D=2048), else 1 */
  embedScale: number;
  /** multiplier on q·k before softcap/mask: Dh^-0.5, or query_pre_attn_scalar^-0.5 (gemma2) */
  attnScale: number;
  /** gemma2: scores = cap * tanh(scores / cap) */
  attnSoftcap: number | null;
  /** gemma2: logits = cap * tanh(logits / cap) */
  finalSoftcap: number | null;
  /** per layer: null = full causal; W = key j visible to query i iff i - W < j <= i (gemma2 even layers) */
  slidingWindow: (number | null)[];
  /** gemma2: post-attention and pre/post-feedforward norms around each sublayer */
  sandwichNorm: boolean;
  /** gpt2 Conv1D weights are stored [in, out]; everything else [out, in] */
  conv1d: boolean;
  dtype: ModelDtype;
  bosId: number | null;
  eosIds: number[];
  padId: number | null;
}

type Json = Record<string, unknown>;

/** Read and parse `<dir>/config.json`. */
export function loadConfigJson(dir: string): Json {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) {
    const snaps = join(dir, 'snapshots');
    if (existsSync(snaps)) {
      // an HF cache root (models--org--name): the model folders are its snapshots/<commit>
      let list: string[] = [];
      try {
        list = readdirSync(snaps).sort().map((n) => join(snaps, n));
      } catch {
        // unreadable: name the folder only
      }
      throw new ModelFileError(file, `missing config.json: this is a Hugging Face cache folder; open one of its snapshots (${list.join(', ') || snaps})`);
    }
    throw new ModelFileError(file, 'missing config.json: not a Hugging Face model folder');
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelFileError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelFileError(file, 'not a JSON object');
  return json as Json;
}

/** Load `<dir>/config.json` as a ModelSpec. */
export function loadModelSpec(dir: string): ModelSpec {
  return parseModelSpec(loadConfigJson(dir), join(dir, 'config.json'));
}

/** Round a float to the given model dtype (what `torch.tensor(x, dtype=...)` gives). */
export function roundToDtype(x: number, dtype: ModelDtype): number {
  if (dtype === 'float32') return Math.fround(x);
  const u16 = new Uint16Array([dtype === 'bfloat16' ? f32ToBf16(x) : f32ToF16(x)]);
  return bytesToF32(new Uint8Array(u16.buffer), dtype === 'bfloat16' ? 'BF16' : 'F16')[0]!;
}

/** Normalize a parsed config.json. `file` is only used in error messages. */
export function parseModelSpec(cfg: Json, file = 'config.json'): ModelSpec {
  const mt = cfg.model_type;
  if (typeof mt !== 'string' || !(SUPPORTED_MODEL_TYPES as readonly string[]).includes(mt)) {
    throw new ModelFileError(
      file,
      `unsupported model_type ${JSON.stringify(mt)}; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
    );
  }
  const arch = mt as Arch;
  const r = new Reader(cfg, file);
  const hfClass = Array.isArray(cfg.architectures) && typeof cfg.architectures[0] === 'string' ? cfg.architectures[0] : null;
  const dtype = parseDtype(cfg, file);
  const ids = {
    bosId: r.optInt('bos_token_id'),
    eosIds: r.intList('eos_token_id'),
    padId: r.optInt('pad_token_id'),
  };

  if (arch === 'gpt2') {
    const D = r.int('n_embd', 768);
    const H = r.int('n_head', 12);
    const L = r.int('n_layer', 12);
    if (D % H !== 0) throw new ModelFileError(file, `n_embd ${D} is not divisible by n_head ${H}`);
    const act = r.str('activation_function', 'gelu_new');
    if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') {
      throw new ModelFileError(file, `unsupported activation_function "${act}" for gpt2 (supported: gelu_new, gelu_pytorch_tanh)`);
    }
    if (cfg.scale_attn_by_inverse_layer_idx === true) {
      throw new ModelFileError(file, 'scale_attn_by_inverse_layer_idx=true is not supported');
    }
    const scaleAttn = cfg.scale_attn_weights !== false;
    const nInner = cfg.n_inner == null ? 4 * D : r.int('n_inner');
    return {
      arch,
      hfClass,
      dModel: D,
      nLayers: L,
      nHeads: H,
      nKvHeads: H,
      headDim: D / H,
      dMlp: nInner,
      vocab: r.int('vocab_size', 50257),
      maxPositions: r.int('n_positions', 1024),
      norm: 'layernorm',
      normEps: r.num('layer_norm_epsilon', 1e-5),
      act: 'gelu_tanh',
      posEmbed: 'learned',
      rope: null,
      bias: { qkv: true, o: true, mlp: true },
      tiedHead: r.bool('tie_word_embeddings', true),
      embedScale: 1,
      attnScale: scaleAttn ? 1 / Math.sqrt(D / H) : 1,
      attnSoftcap: null,
      finalSoftcap: null,
      slidingWindow: new Array<number | null>(L).fill(null),
      sandwichNorm: false,
      conv1d: true,
      dtype,
      ...ids,
    };
  }

  // llama family
  const isGemma = arch === 'gemma' || arch === 'gemma2';
  const D = r.int('hidden_size');
  const H = r.int('num_attention_heads');
  const L = r.int('num_hidden_layers');
  const K = cfg.num_key_value_heads == null ? (arch === 'gemma' ? 16 : arch === 'gemma2' ? 4 : H) : r.int('num_key_value_heads');
  if (H % K !== 0) throw new ModelFileError(file, `num_attention_heads ${H} is not divisible by num_key_value_heads ${K}`);
  const defaultHeadDim = isGemma ? 256 : Math.floor(D / H);
  const Dh = cfg.head_dim == null ? defaultHeadDim : r.int('head_dim');
  if (!isGemma && cfg.head_dim == null && D % H !== 0) {
    throw new ModelFileError(file, `hidden_size ${D} is not divisible by num_attention_heads ${H} and no head_dim is given`);
  }

  let act: ActKind;
  if (isGemma) {
    act = 'gelu_tanh'; // HF gemma uses the tanh GELU even when an old config says "gelu" (REFERENCE §2)
  } else {
    const a = typeof cfg.hidden_act === 'string' ? cfg.hidden_act : 'silu';
    if (a !== 'silu' && a !== 'swish') throw new ModelFileError(file, `unsupported hidden_act "${a}" for ${arch} (supported: silu)`);
    act = 'silu';
  }

  if (arch === 'qwen2' && cfg.use_sliding_window === true) {
    throw new ModelFileError(file, 'qwen2 use_sliding_window=true is not supported');
  }

  const attnBias = arch === 'qwen2' ? false : r.bool('attention_bias', false);
  const bias = {
    qkv: arch === 'qwen2' ? true : attnBias,
    o: attnBias,
    mlp: arch === 'llama' ? r.bool('mlp_bias', false) : false,
  };

  let attnScale = 1 / Math.sqrt(Dh);
  let attnSoftcap: number | null = null;
  let finalSoftcap: number | null = null;
  const slidingWindow = new Array<number | null>(L).fill(null);
  if (arch === 'gemma2') {
    attnScale = 1 / Math.sqrt(r.num('query_pre_attn_scalar', 256));
    attnSoftcap = cfg.attn_logit_softcapping === null ? null : r.num('attn_logit_softcapping', 50);
    finalSoftcap = cfg.final_logit_softcapping === null ? null : r.num('final_logit_softcapping', 30);
    const W = cfg.sliding_window == null && cfg.sliding_window_size != null ? r.int('sliding_window_size') : r.int('sliding_window', 4096);
    const types = cfg.layer_types;
    for (let l = 0; l < L; l++) {
      let sliding: boolean;
      if (Array.isArray(types)) {
        if (types.length !== L) throw new ModelFileError(file, `layer_types has ${types.length} entries but num_hidden_layers is ${L}`);
        sliding = types[l] === 'sliding_attention';
      } else {
        sliding = l % 2 === 0; // HF Gemma2: even layers use the sliding window
      }
      slidingWindow[l] = sliding ? W : null;
    }
  }

  const embedScale = isGemma ? roundToDtype(Math.sqrt(D), dtype) : 1;
  const rope = parseRope(cfg, r, Dh, file);

  return {
    arch,
    hfClass,
    dModel: D,
    nLayers: L,
    nHeads: H,
    nKvHeads: K,
    headDim: Dh,
    dMlp: r.int('intermediate_size'),
    vocab: r.int('vocab_size'),
    maxPositions: r.int('max_position_embeddings', isGemma ? 8192 : arch === 'qwen2' ? 32768 : 2048),
    norm: isGemma ? 'rms-1plus' : 'rms',
    normEps: r.num('rms_norm_eps', 1e-6),
    act,
    posEmbed: 'rope',
    rope,
    bias,
    tiedHead: r.bool('tie_word_embeddings', isGemma),
    embedScale,
    attnScale,
    attnSoftcap,
    finalSoftcap,
    slidingWindow,
    sandwichNorm: arch === 'gemma2',
    conv1d: false,
    dtype,
    ...ids,
  };
}

function parseDtype(cfg: Json, file: string): ModelDtype {
  const d = cfg.torch_dtype ?? cfg.dtype ?? 'float32';
  if (d === 'float32' || d === 'bfloat16' || d === 'float16') return d;
  throw new ModelFileError(file, `unsupported torch_dtype ${JSON.stringify(d)} (supported: float32, float16, bfloat16)`);
}

function parseRope(cfg: Json, r: Reader, Dh: number, file: string): RopeSpec {
  // transformers ≥ 5 may nest theta and scaling under `rope_parameters`
  const params = (typeof cfg.rope_parameters === 'object' && cfg.rope_parameters !== null ? cfg.rope_parameters : null) as Json | null;
  const theta = params && typeof params.rope_theta === 'number' ? params.rope_theta : r.num('rope_theta', 10000);
  const sc = (cfg.rope_scaling ?? params ?? null) as Json | null;
  if (sc !== null && (typeof sc !== 'object' || Array.isArray(sc))) throw new ModelFileError(file, 'rope_scaling must be an object or null');
  let scaling: RopeScaling | null = null;
  if (sc) {
    const type = sc.rope_type ?? sc.type ?? 'default';
    const num = (k: string, def?: number): number => {
      const v = sc[k] ?? def;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelFileError(file, `rope_scaling.${k} must be a number (got ${JSON.stringify(sc[k])})`);
      return v;
    };
    if (type === 'llama3') {
      scaling = {
        type: 'llama3',
        factor: num('factor'),
        lowFreqFactor: num('low_freq_factor'),
        highFreqFactor: num('high_freq_factor'),
        originalMaxPositionEmbeddings: num('original_max_position_embeddings'),
      };
    } else if (type === 'linear') {
      scaling = { type: 'linear', factor: num('factor') };
    } else if (type !== 'default') {
      throw new ModelFileError(file, `unsupported rope_scaling type ${JSON.stringify(type)} (supported: llama3, linear, default)`);
    }
  }
  return { theta, dim: Dh, scaling };
}

/** Typed access to config keys with defaults; errors name config.json and the key. */
class Reader {
  constructor(
    private readonly cfg: Json,
    private readonly file: string,
  ) {}
  private get(key: string, def: unknown): unknown {
    const v = this.cfg[key];
    if (v === undefined || v === null) {
      if (def === undefined) throw new ModelFileError(this.file, `missing required key "${key}"`);
      return def;
    }
    return v;
  }
  int(key: string, def?: number): number {
    const v = this.get(key, def);
    if (!Number.isInteger(v) || (v as number) <= 0) throw new ModelFileError(this.file, `"${key}" must be a positive integer (got ${JSON.stringify(v)})`);
    return v as number;
  }
  num(key: string, def?: number): number {
    const v = this.get(key, def);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelFileError(this.file, `"${key}" must be a number (got ${JSON.stringify(v)})`);
    return v;
  }
  bool(key: string, def: boolean): boolean {
    const v = this.get(key, def);
    if (typeof v !== 'boolean') throw new ModelFileError(this.file, `"${key}" must be true or false (got ${JSON.stringify(v)})`);
    return v;
  }
  str(key: string, def: string): string {
    const v = this.get(key, def);
    if (typeof v !== 'string') throw new ModelFileError(this.file, `"${key}" must be a string (got ${JSON.stringify(v)})`);
    return v;
  }
  optInt(key: string): number | null {
    const v = this.cfg[key];
    return Number.isInteger(v) ? (v as number) : null;
  }
  intList(key: string): number[] {
    const v = this.cfg[key];
    if (Number.isInteger(v)) return [v as number];
    if (Array.isArray(v)) return v.filter((x): x is number => Number.isInteger(x));
    return [];
  }
}
