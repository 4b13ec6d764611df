/**
 * The weight name table: every tensor an architecture reads, by HF name, with its expected shape
 * derived from the ModelSpec. The checkpoint reader checks files against it; graph builders look
 * weights up by role so they never spell HF names (whose meaning differs between architectures:
 * gemma2's `post_attention_layernorm` is a sandwich norm, llama's is the pre-MLP norm).
 *
 * Shape legend: D d_model, H heads, K kv heads, Dh head_dim, F d_mlp, V vocab, P max positions.
 * HF Linear weights are [out, in] (y = x @ W^T); GPT-2 Conv1D weights are [in, out] (y = x @ W).
 */
import type { ModelSpec } from './config.js';

export type WeightRole =
  | 'embed' // [V, D]
  | 'pos_embed' // [P, D] (gpt2 wpe)
  | 'attn_norm.w' // [D] pre-attention norm (ln1)
  | 'attn_norm.b' // [D] (gpt2)
  | 'attn_post_norm.w' // [D] gemma2 post-attention sandwich norm
  | 'q.w' | 'q.b' | 'k.w' | 'k.b' | 'v.w' | 'v.b' | 'o.w' | 'o.b'
  | 'qkv.w' // [D, 3D] gpt2 fused c_attn (Conv1D)
  | 'qkv.b' // [3D]
  | 'mlp_norm.w' // [D] pre-MLP norm (ln2)
  | 'mlp_norm.b' // [D] (gpt2)
  | 'mlp_post_norm.w' // [D] gemma2 post-feedforward sandwich norm
  | 'gate.w' | 'gate.b' | 'up.w' | 'up.b' | 'down.w' | 'down.b'
  | 'fc.w' | 'fc.b' | 'proj.w' | 'proj.b' // gpt2 mlp c_fc / c_proj (Conv1D)
  | 'final_norm.w' | 'final_norm.b'
  | 'lm_head.w'; // [V, D]

export interface WeightEntry {
  /** HF tensor name (gpt2: without the optional `transformer.` prefix) */
  name: string;
  role: WeightRole;
  /** layer index, or null for model-level tensors */
  layer: number | null;
  shape: number[];
  /** the expected shape in config terms, for error messages, e.g. "[num_key_value_heads*head_dim, hidden_size]" */
  expect: string;
  /** may be absent from the file (lm_head when the head is tied) */
  optional: boolean;
}

/** The full table for a spec, model-level tensors first, then layer by layer. */
export function weightTable(spec: ModelSpec): WeightEntry[] {
  return spec.arch === 'gpt2' ? gpt2Table(spec) : llamaTable(spec);
}

/** HF name of one role (layer required for per-layer roles), or null if this architecture has no such weight. */
export function weightName(spec: ModelSpec, role: WeightRole, layer: number | null = null): string | null {
  const e = weightTable(spec).find((w) => w.role === role && w.layer === layer);
  return e ? e.name : null;
}

function llamaTable(s: ModelSpec): WeightEntry[] {
  const { dModel: D, nHeads: H, nKvHeads: K, headDim: Dh, dMlp: F, vocab: V } = s;
  const out: WeightEntry[] = [];
  const add = (name: string, role: WeightRole, layer: number | null, shape: number[], expect: string, optional = false): void => {
    out.push({ name, role, layer, shape, expect, optional });
  };
  add('model.embed_tokens.weight', 'embed', null, [V, D], '[vocab_size, hidden_size]');
  add('model.norm.weight', 'final_norm.w', null, [D], '[hidden_size]');
  add('lm_head.weight', 'lm_head.w', null, [V, D], '[vocab_size, hidden_size]', s.tiedHead);
  for (let l = 0; l < s.nLayers; l++) {
    const p = `model.layers.${l}.`;
    add(p + 'input_layernorm.weight', 'attn_norm.w', l, [D], '[hidden_size]');
    add(p + 'self_attn.q_proj.weight', 'q.w', l, [H * Dh, D], '[num_attention_heads*head_dim, hidden_size]');
    add(p + 'self_attn.k_proj.weight', 'k.w', l, [K * Dh, D], '[num_key_value_heads*head_dim, hidden_size]');
    add(p + 'self_attn.v_proj.weight', 'v.w', l, [K * Dh, D], '[num_key_value_heads*head_dim, hidden_size]');
    if (s.bias.qkv) {
      add(p + 'self_attn.q_proj.bias', 'q.b', l, [H * Dh], '[num_attention_heads*head_dim]');
      add(p + 'self_attn.k_proj.bias', 'k.b', l, [K * Dh], '[num_key_value_heads*head_dim]');
      add(p + 'self_attn.v_proj.bias', 'v.b', l, [K * Dh], '[num_key_value_heads*head_dim]');
    }
    add(p + 'self_attn.o_proj.weight', 'o.w', l, [D, H * Dh], '[hidden_size, num_attention_heads*head_dim]');
    if (s.bias.o) add(p + 'self_attn.o_proj.bias', 'o.b', l, [D], '[hidden_size]');
    if (s.sandwichNorm) {
      add(p + 'post_attention_layernorm.weight', 'attn_post_norm.w', l, [D], '[hidden_size]');
      add(p + 'pre_feedforward_layernorm.weight', 'mlp_norm.w', l, [D], '[hidden_size]');
      add(p + 'post_feedforward_layernorm.weight', 'mlp_post_norm.w', l, [D], '[hidden_size]');
    } else {
      add(p + 'post_attention_layernorm.weight', 'mlp_norm.w', l, [D], '[hidden_size]');
    }
    add(p + 'mlp.gate_proj.weight', 'gate.w', l, [F, D], '[intermediate_size, hidden_size]');
    add(p + 'mlp.up_proj.weight', 'up.w', l, [F, D], '[intermediate_size, hidden_size]');
    add(p + 'mlp.down_proj.weight', 'down.w', l, [D, F], '[hidden_size, intermediate_size]');
    if (s.bias.mlp) {
      add(p + 'mlp.gate_proj.bias', 'gate.b', l, [F], '[intermediate_size]');
      add(p + 'mlp.up_proj.bias', 'up.b', l, [F], '[intermediate_size]');
      add(p + 'mlp.down_proj.bias', 'down.b', l, [D], '[hidden_size]');
    }
  }
  return out;
}

function gpt2Table(s: ModelSpec): WeightEntry[] {
  const { dModel: D, dMlp: F, vocab: V, maxPositions: P } = s;
  const out: WeightEntry[] = [];
  const add = (name: string, role: WeightRole, layer: number | null, shape: number[], expect: string, optional = false): void => {
    out.push({ name, role, layer, shape, expect, optional });
  };
  add('wte.weight', 'embed', null, [V, D], '[vocab_size, n_embd]');
  add('wpe.weight', 'pos_embed', null, [P, D], '[n_positions, n_embd]');
  add('ln_f.weight', 'final_norm.w', null, [D], '[n_embd]');
  add('ln_f.bias', 'final_norm.b', null, [D], '[n_embd]');
  add('lm_head.weight', 'lm_head.w', null, [V, D], '[vocab_size, n_embd]', s.tiedHead);
  for (let l = 0; l < s.nLayers; l++) {
    const p = `h.${l}.`;
    add(p + 'ln_1.weight', 'attn_norm.w', l, [D], '[n_embd]');
    add(p + 'ln_1.bias', 'attn_norm.b', l, [D], '[n_embd]');
    add(p + 'attn.c_attn.weight', 'qkv.w', l, [D, 3 * D], '[n_embd, 3*n_embd] (Conv1D [in, out])');
    add(p + 'attn.c_attn.bias', 'qkv.b', l, [3 * D], '[3*n_embd]');
    add(p + 'attn.c_proj.weight', 'o.w', l, [D, D], '[n_embd, n_embd] (Conv1D [in, out])');
    add(p + 'attn.c_proj.bias', 'o.b', l, [D], '[n_embd]');
    add(p + 'ln_2.weight', 'mlp_norm.w', l, [D], '[n_embd]');
    add(p + 'ln_2.bias', 'mlp_norm.b', l, [D], '[n_embd]');
    add(p + 'mlp.c_fc.weight', 'fc.w', l, [D, F], '[n_embd, n_inner] (Conv1D [in, out])');
    add(p + 'mlp.c_fc.bias', 'fc.b', l, [F], '[n_inner]');
    add(p + 'mlp.c_proj.weight', 'proj.w', l, [F, D], '[n_inner, n_embd] (Conv1D [in, out])');
    add(p + 'mlp.c_proj.bias', 'proj.b', l, [D], '[n_embd]');
  }
  return out;
}
