/**
 * Tiny random checkpoints in Hugging Face layout (config.json + model.safetensors, or shards with
 * model.safetensors.index.json) for graph-vs-oracle parity tests. Weights come from a seeded PRNG,
 * so a (kind, seed) pair always writes the same bytes.
 *
 * Shape legend: D d_model, H heads, K kv heads, Dh head_dim, F d_mlp, V vocab, P positions.
 *
 * Tensor names and shapes are spelled out here by hand from HF's modeling code (not taken from
 * src-main/models/weights.ts), so the reader's table is checked against an independent listing.
 *
 * Kinds:
 * - llama:   GQA (H 4, K 2), Dh 8 ≠ D/H = 6, untied head
 * - llama3:  Llama 3 rope_scaling (theta 100, original_max 32: one low, one medium, one high
 *            frequency band all occur at Dh 8), MQA (H 4, K 1), tied head
 * - qwen2:   q/k/v biases (no o bias), untied head, theta 1e6
 * - gemma:   MQA (K 1), Dh 16 ≠ D/H = 8, tied, (1+w) norms, embed scale in bf16 (torch_dtype)
 *            and an old-style `hidden_act: "gelu"` that must still mean tanh GELU
 * - gemma2:  sliding_window 4 on even layers (3 layers; test sequences of 10), softcaps small
 *            enough to bite (attn 5, final 3), query_pre_attn_scalar 12 ≠ Dh, sandwich norms, K 2
 * - gpt2:    Conv1D [in, out], learned positions, tied head, names without `transformer.` prefix
 *            (the real fixture tiny-random-gpt2 has the prefix)
 */
import { mulberry32 } from '../../src-main/engine/prng.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32ToBf16, f32ToF16, writeSafetensors, type StWriteTensor } from '../../src-main/engine/safetensors.js';

export const TINY_KINDS = ['llama', 'llama3', 'qwen2', 'gemma', 'gemma2', 'gpt2'] as const;
export type TinyKind = (typeof TINY_KINDS)[number];

export interface TinyOptions {
  /** storage dtype (default F32) */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** number of shard files (default 1: a single model.safetensors) */
  shards?: number;
  seed?: number;
}

export interface TinyCheckpoint {
  dir: string;
  kind: TinyKind;
  config: Record<string, unknown>;
  /** the float32 values drawn from the PRNG, before rounding to the storage dtype */
  source: Map<string, { shape: number[]; data: Float32Array }>;
  /** safetensors file names written */
  files: string[];
}

/** config.json for a kind (what HF would write, minus irrelevant keys). */
export function tinyConfig(kind: TinyKind): Record<string, unknown> {
  switch (kind) {
    case 'llama':
      return {
        architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 24, intermediate_size: 40,
        num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, vocab_size: 64,
        max_position_embeddings: 128, rms_norm_eps: 1e-5, rope_theta: 10000.0, rope_scaling: null, hidden_act: 'silu',
        attention_bias: false, mlp_bias: false, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, torch_dtype: 'float32',
      };
    case 'llama3':
      return {
        architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 16, intermediate_size: 24,
        num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 8, vocab_size: 48,
        max_position_embeddings: 256, rms_norm_eps: 1e-5, rope_theta: 100.0,
        rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 32, rope_type: 'llama3' },
        hidden_act: 'silu', attention_bias: false, mlp_bias: false, tie_word_embeddings: true, bos_token_id: 1, eos_token_id: [2, 3],
        torch_dtype: 'bfloat16',
      };
    case 'qwen2':
      return {
        architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 32, intermediate_size: 48,
        num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 80,
        max_position_embeddings: 256, rms_norm_eps: 1e-6, rope_theta: 1000000.0, hidden_act: 'silu',
        use_sliding_window: false, sliding_window: 4096, max_window_layers: 2,
        tie_word_embeddings: false, bos_token_id: 0, eos_token_id: 1, torch_dtype: 'bfloat16',
      };
    case 'gemma':
      return {
        architectures: ['GemmaForCausalLM'], model_type: 'gemma', hidden_size: 32, intermediate_size: 64,
        num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 16, vocab_size: 72,
        max_position_embeddings: 256, rms_norm_eps: 1e-6, rope_theta: 10000.0, hidden_act: 'gelu',
        attention_bias: false, bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, torch_dtype: 'bfloat16',
      };
    case 'gemma2':
      return {
        architectures: ['Gemma2ForCausalLM'], model_type: 'gemma2', hidden_size: 32, intermediate_size: 48,
        num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, vocab_size: 72,
        max_position_embeddings: 256, rms_norm_eps: 1e-6, rope_theta: 10000.0,
        hidden_act: 'gelu_pytorch_tanh', hidden_activation: 'gelu_pytorch_tanh', query_pre_attn_scalar: 12,
        attn_logit_softcapping: 5.0, final_logit_softcapping: 3.0, sliding_window: 4, cache_implementation: 'hybrid',
        attention_bias: false, bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, torch_dtype: 'float32',
      };
    case 'gpt2':
      return {
        architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_embd: 32, n_head: 4, n_layer: 2, n_inner: null,
        n_positions: 32, n_ctx: 32, vocab_size: 96, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new',
        scale_attn_weights: true, bos_token_id: 95, eos_token_id: 95, torch_dtype: 'float32',
      };
  }
}

type Init = 'normal' | 'norm1' | 'norm0' | 'bias' | 'embed';

/** Hand-written tensor list: [name, shape, init]. */
function tensorList(kind: TinyKind, c: Record<string, unknown>): [string, number[], Init][] {
  const out: [string, number[], Init][] = [];
  if (kind === 'gpt2') {
    const D = c.n_embd as number;
    const F = 4 * D;
    out.push(['wte.weight', [c.vocab_size as number, D], 'embed'], ['wpe.weight', [c.n_positions as number, D], 'embed']);
    out.push(['ln_f.weight', [D], 'norm1'], ['ln_f.bias', [D], 'bias']);
    for (let l = 0; l < (c.n_layer as number); l++) {
      const p = `h.${l}.`;
      out.push(
        [p + 'ln_1.weight', [D], 'norm1'], [p + 'ln_1.bias', [D], 'bias'],
        [p + 'attn.c_attn.weight', [D, 3 * D], 'normal'], [p + 'attn.c_attn.bias', [3 * D], 'bias'],
        [p + 'attn.c_proj.weight', [D, D], 'normal'], [p + 'attn.c_proj.bias', [D], 'bias'],
        [p + 'ln_2.weight', [D], 'norm1'], [p + 'ln_2.bias', [D], 'bias'],
        [p + 'mlp.c_fc.weight', [D, F], 'normal'], [p + 'mlp.c_fc.bias', [F], 'bias'],
        [p + 'mlp.c_proj.weight', [F, D], 'normal'], [p + 'mlp.c_proj.bias', [D], 'bias'],
      );
    }
    return out;
  }
  const D = c.hidden_size as number;
  const H = c.num_attention_heads as number;
  const K = c.num_key_value_heads as number;
  const Dh = (c.head_dim as number | undefined) ?? D / H;
  const F = c.intermediate_size as number;
  const V = c.vocab_size as number;
  const gemma = kind === 'gemma' || kind === 'gemma2';
  const nw: Init = gemma ? 'norm0' : 'norm1'; // gemma stores w with the norm computing (1+w)
  out.push(['model.embed_tokens.weight', [V, D], 'embed'], ['model.norm.weight', [D], nw]);
  if (c.tie_word_embeddings === false) out.push(['lm_head.weight', [V, D], 'normal']);
  for (let l = 0; l < (c.num_hidden_layers as number); l++) {
    const p = `model.layers.${l}.`;
    out.push(
      [p + 'input_layernorm.weight', [D], nw],
      [p + 'self_attn.q_proj.weight', [H * Dh, D], 'normal'],
      [p + 'self_attn.k_proj.weight', [K * Dh, D], 'normal'],
      [p + 'self_attn.v_proj.weight', [K * Dh, D], 'normal'],
      [p + 'self_attn.o_proj.weight', [D, H * Dh], 'normal'],
      [p + 'post_attention_layernorm.weight', [D], nw],
      [p + 'mlp.gate_proj.weight', [F, D], 'normal'],
      [p + 'mlp.up_proj.weight', [F, D], 'normal'],
      [p + 'mlp.down_proj.weight', [D, F], 'normal'],
    );
    if (kind === 'qwen2') {
      out.push([p + 'self_attn.q_proj.bias', [H * Dh], 'bias'], [p + 'self_attn.k_proj.bias', [K * Dh], 'bias'], [p + 'self_attn.v_proj.bias', [K * Dh], 'bias']);
    }
    if (kind === 'gemma2') {
      out.push([p + 'pre_feedforward_layernorm.weight', [D], nw], [p + 'post_feedforward_layernorm.weight', [D], nw]);
    }
  }
  return out;
}

/** mulberry32 (the engine's): small, seedable, good enough for test weights. */
export const prng = mulberry32;

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function draw(name: string, shape: number[], init: Init, seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const rnd = prng(hashString(name) ^ seed);
  const normal = (): number => {
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
  const out = new Float32Array(n);
  // Linear/Conv1D weights: std 1/sqrt(fan_in) keeps activations O(1) at any width
  const fanIn = name.endsWith('c_attn.weight') || name.endsWith('c_fc.weight') || name.endsWith('c_proj.weight') ? shape[0]! : shape[shape.length - 1]!;
  for (let i = 0; i < n; i++) {
    switch (init) {
      case 'normal': out[i] = normal() / Math.sqrt(fanIn); break;
      case 'embed': out[i] = normal(); break;
      case 'norm1': out[i] = 1 + 0.2 * (rnd() - 0.5); break;
      case 'norm0': out[i] = 0.2 * (rnd() - 0.5); break;
      case 'bias': out[i] = 0.2 * (rnd() - 0.5); break;
    }
  }
  return out;
}

function encode(data: Float32Array, dtype: 'F32' | 'F16' | 'BF16'): ArrayBufferView {
  if (dtype === 'F32') return data;
  const u = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) u[i] = dtype === 'BF16' ? f32ToBf16(data[i]!) : f32ToF16(data[i]!);
  return u;
}

/** Write a tiny checkpoint of `kind` into `dir` (created if needed). */
export function writeTinyCheckpoint(dir: string, kind: TinyKind, opts: TinyOptions = {}): TinyCheckpoint {
  const dtype = opts.dtype ?? 'F32';
  const shards = opts.shards ?? 1;
  const seed = opts.seed ?? 1234;
  mkdirSync(dir, { recursive: true });
  const config = tinyConfig(kind);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const list = tensorList(kind, config);
  const source = new Map<string, { shape: number[]; data: Float32Array }>();
  const st: Record<string, StWriteTensor>[] = Array.from({ length: shards }, () => ({}));
  list.sort((a, b) => (a[0] < b[0] ? -1 : 1)).forEach(([name, shape, init], i) => {
    const data = draw(name, shape, init, seed);
    source.set(name, { shape, data });
    st[i % shards]![name] = { dtype, shape, data: encode(data, dtype) };
  });
  const files: string[] = [];
  if (shards === 1) {
    writeSafetensors(join(dir, 'model.safetensors'), st[0]!, { format: 'pt' });
    files.push('model.safetensors');
  } else {
    const weightMap: Record<string, string> = {};
    let total = 0;
    st.forEach((tensors, s) => {
      const f = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      writeSafetensors(join(dir, f), tensors, { format: 'pt' });
      files.push(f);
      for (const [n, t] of Object.entries(tensors)) {
        weightMap[n] = f;
        total += t.data.byteLength;
      }
    });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  }
  return { dir, kind, config, source, files };
}
