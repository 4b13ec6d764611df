/**
 * config.json → ModelSpec on real published configs (values as published; expectations derived by
 * hand from REFERENCE §2 and HF's modeling code), plus the canonical hook list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModelSpec, parseModelSpec } from '../../src-main/models/config.js';
import { hookInfo, hookList, hookNames, hookShape } from '../../src-main/models/hooks.js';
import { weightTable } from '../../src-main/models/weights.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;

/** google/gemma-2b-it config.json (REFERENCE §2 lists its shape). Note the old `hidden_act: "gelu"`. */
const GEMMA_2B_IT = {
  architectures: ['GemmaForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 2, eos_token_id: 1,
  head_dim: 256, hidden_act: 'gelu', hidden_size: 2048, initializer_range: 0.02, intermediate_size: 16384,
  max_position_embeddings: 8192, model_type: 'gemma', num_attention_heads: 8, num_hidden_layers: 18, num_key_value_heads: 1,
  pad_token_id: 0, rms_norm_eps: 1e-6, rope_scaling: null, rope_theta: 10000.0, torch_dtype: 'bfloat16', use_cache: true, vocab_size: 256000,
};

/** google/gemma-2-9b-it config.json as published (quoted in a vLLM issue). */
const GEMMA_2_9B_IT = {
  architectures: ['Gemma2ForCausalLM'], attention_bias: false, attention_dropout: 0.0, attn_logit_softcapping: 50.0, bos_token_id: 2,
  cache_implementation: 'hybrid', eos_token_id: 1, final_logit_softcapping: 30.0, head_dim: 256, hidden_act: 'gelu_pytorch_tanh',
  hidden_activation: 'gelu_pytorch_tanh', hidden_size: 3584, initializer_range: 0.02, intermediate_size: 14336,
  max_position_embeddings: 8192, model_type: 'gemma2', num_attention_heads: 16, num_hidden_layers: 42, num_key_value_heads: 8,
  pad_token_id: 0, query_pre_attn_scalar: 256, rms_norm_eps: 1e-6, rope_theta: 10000.0, sliding_window: 4096,
  sliding_window_size: 4096, torch_dtype: 'bfloat16', use_cache: true, vocab_size: 256000,
};

/** meta-llama/Llama-3.1-8B-Instruct config.json. */
const LLAMA_31_8B = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009], hidden_act: 'silu', hidden_size: 4096, initializer_range: 0.02, intermediate_size: 14336,
  max_position_embeddings: 131072, mlp_bias: false, model_type: 'llama', num_attention_heads: 32, num_hidden_layers: 32,
  num_key_value_heads: 8, pretraining_tp: 1, rms_norm_eps: 1e-5,
  rope_scaling: { factor: 8.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0, tie_word_embeddings: false, torch_dtype: 'bfloat16', use_cache: true, vocab_size: 128256,
};

/** Qwen/Qwen2.5-0.5B-Instruct-style config.json. */
const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'], attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151645, hidden_act: 'silu',
  hidden_size: 896, initializer_range: 0.02, intermediate_size: 4864, max_position_embeddings: 32768, max_window_layers: 21,
  model_type: 'qwen2', num_attention_heads: 14, num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6,
  rope_theta: 1000000.0, sliding_window: 32768, tie_word_embeddings: true, torch_dtype: 'bfloat16', use_cache: true,
  use_sliding_window: false, vocab_size: 151936,
};

test('gemma-2b-it: tanh GELU despite "gelu", (1+w) norms, MQA, embed scale 45.25 (bf16 of sqrt 2048), tied', () => {
  const s = parseModelSpec(GEMMA_2B_IT);
  assert.equal(s.arch, 'gemma');
  assert.deepEqual([s.nLayers, s.dModel, s.dMlp, s.nHeads, s.nKvHeads, s.headDim, s.vocab], [18, 2048, 16384, 8, 1, 256, 256000]);
  assert.equal(s.act, 'gelu_tanh');
  assert.equal(s.norm, 'rms-1plus');
  assert.equal(s.normEps, 1e-6);
  assert.equal(s.embedScale, 45.25);
  assert.equal(s.tiedHead, true);
  assert.equal(s.attnScale, 1 / 16);
  assert.deepEqual(s.rope, { theta: 10000, dim: 256, scaling: null });
  assert.equal(s.attnSoftcap, null);
  assert.ok(s.slidingWindow.every((w) => w === null));
  assert.deepEqual(s.bias, { qkv: false, o: false, mlp: false });
  // weight table: q [H*Dh, D] = [2048, 2048], k [K*Dh, D] = [256, 2048], no lm_head needed
  const t = weightTable(s);
  assert.deepEqual(t.find((w) => w.name === 'model.layers.0.self_attn.k_proj.weight')!.shape, [256, 2048]);
  assert.equal(t.find((w) => w.name === 'lm_head.weight')!.optional, true);
});

test('gemma-2-9b-it: softcaps 50/30, query_pre_attn_scalar, 4096 window on even layers, sandwich norms', () => {
  const s = parseModelSpec(GEMMA_2_9B_IT);
  assert.equal(s.attnSoftcap, 50);
  assert.equal(s.finalSoftcap, 30);
  assert.equal(s.attnScale, 1 / 16);
  assert.equal(s.sandwichNorm, true);
  assert.equal(s.slidingWindow.length, 42);
  assert.deepEqual(s.slidingWindow.slice(0, 4), [4096, null, 4096, null]);
  assert.deepEqual(s.slidingWindow.slice(40), [4096, null]);
  // sqrt(3584) = 59.866…; bf16 neighbours 59.75 and 60.0 → 59.75
  assert.equal(s.embedScale, 59.75);
  const names = weightTable(s).filter((w) => w.layer === 0).map((w) => w.name);
  assert.ok(names.includes('model.layers.0.pre_feedforward_layernorm.weight'));
  assert.ok(names.includes('model.layers.0.post_feedforward_layernorm.weight'));
  // explicit layer_types win over the even/odd rule
  const s2 = parseModelSpec({ ...GEMMA_2_9B_IT, num_hidden_layers: 2, layer_types: ['full_attention', 'sliding_attention'] });
  assert.deepEqual(s2.slidingWindow, [null, 4096]);
});

test('Llama 3.1 8B: llama3 rope scaling, GQA 32/8, untied, eos list', () => {
  const s = parseModelSpec(LLAMA_31_8B);
  assert.deepEqual(s.rope, {
    theta: 500000, dim: 128,
    scaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
  });
  assert.equal(s.headDim, 128);
  assert.equal(s.nKvHeads, 8);
  assert.equal(s.tiedHead, false);
  assert.equal(s.embedScale, 1);
  assert.equal(s.norm, 'rms');
  assert.equal(s.act, 'silu');
  assert.deepEqual(s.eosIds, [128001, 128008, 128009]);
  assert.equal(s.dtype, 'bfloat16');
});

test('Qwen2.5-0.5B: q/k/v biases (no o bias), head_dim 896/14 = 64, tied', () => {
  const s = parseModelSpec(QWEN25_05B);
  assert.deepEqual(s.bias, { qkv: true, o: false, mlp: false });
  assert.equal(s.headDim, 64);
  assert.equal(s.tiedHead, true);
  assert.equal(s.rope!.theta, 1e6);
  assert.throws(() => parseModelSpec({ ...QWEN25_05B, use_sliding_window: true }), /use_sliding_window/);
});

test('llama attention_bias gives q/k/v and o biases; head_dim independent of hidden/heads', () => {
  const s = parseModelSpec({ ...LLAMA_31_8B, attention_bias: true, head_dim: 64 });
  assert.deepEqual(s.bias, { qkv: true, o: true, mlp: false });
  assert.equal(s.headDim, 64);
  assert.deepEqual(weightTable(s).find((w) => w.name === 'model.layers.0.self_attn.o_proj.weight')!.shape, [4096, 32 * 64]);
});

test('gpt2 fixture: n_inner null → 4·n_embd, LayerNorm 1e-5, tanh GELU, Conv1D, learned positions', () => {
  const s = loadModelSpec(join(FIX, 'tiny-random-gpt2'));
  assert.deepEqual([s.dModel, s.nLayers, s.nHeads, s.headDim, s.dMlp, s.vocab, s.maxPositions], [32, 5, 4, 8, 128, 1000, 512]);
  assert.equal(s.norm, 'layernorm');
  assert.equal(s.normEps, 1e-5);
  assert.equal(s.act, 'gelu_tanh');
  assert.equal(s.conv1d, true);
  assert.equal(s.posEmbed, 'learned');
  assert.equal(s.rope, null);
  assert.equal(s.tiedHead, true);
});

test('stories260k: eps 1e-5 from config (not the 1e-6 default), GQA 8/4', () => {
  const s = loadModelSpec(join(FIX, 'stories260k'));
  assert.equal(s.normEps, 1e-5);
  assert.deepEqual([s.nHeads, s.nKvHeads, s.headDim], [8, 4, 8]);
});

test('unknown model_type: error lists the supported ones; bad keys are named', () => {
  assert.throws(() => parseModelSpec({ model_type: 'mistral' }, 'x/config.json'), /x\/config\.json: unsupported model_type "mistral"; supported: llama, qwen2, gemma, gemma2, gpt2/);
  assert.throws(() => parseModelSpec({ ...LLAMA_31_8B, hidden_size: undefined }), /missing required key "hidden_size"/);
  assert.throws(() => parseModelSpec({ ...LLAMA_31_8B, num_key_value_heads: 5 }), /not divisible/);
  assert.throws(() => parseModelSpec({ ...LLAMA_31_8B, rope_scaling: { rope_type: 'yarn', factor: 4 } }), /unsupported rope_scaling type "yarn"/);
  assert.throws(() => parseModelSpec({ ...LLAMA_31_8B, hidden_act: 'relu' }), /unsupported hidden_act "relu"/);
});

test('hook list: REFERENCE §2 names, counts and shapes', () => {
  const s = parseModelSpec(GEMMA_2B_IT);
  const names = hookNames(s);
  // 1 embed + 18 × 17 block hooks (incl. rot_q/rot_k) + ln_final
  assert.equal(names.length, 1 + 18 * 17 + 1);
  for (const n of ['hook_embed', 'blocks.0.hook_resid_pre', 'blocks.12.hook_resid_post', 'blocks.3.hook_attn_out', 'blocks.3.hook_resid_mid',
    'blocks.3.hook_mlp_out', 'blocks.3.ln2.hook_normalized', 'blocks.3.hook_mlp_in', 'blocks.3.mlp.hook_post', 'blocks.3.attn.hook_q',
    'blocks.3.attn.hook_k', 'blocks.3.attn.hook_v', 'blocks.3.attn.hook_z', 'blocks.3.attn.hook_pattern', 'ln_final.hook_normalized']) {
    assert.ok(names.includes(n), n);
  }
  assert.equal(names[0], 'hook_embed');
  assert.equal(names[names.length - 1], 'ln_final.hook_normalized');
  assert.deepEqual(hookShape(s, 'blocks.12.hook_resid_post', { batch: 2, seq: 5 }), [2, 5, 2048]);
  assert.deepEqual(hookShape(s, 'blocks.0.attn.hook_k', { batch: 2, seq: 5 }), [2, 5, 1, 256]);
  assert.deepEqual(hookShape(s, 'blocks.0.attn.hook_pattern', { batch: 1, seq: 1, seqK: 9 }), [1, 8, 1, 9]);
  assert.deepEqual(hookShape(s, 'blocks.0.mlp.hook_post', { batch: 1, seq: 3 }), [1, 3, 16384]);
  assert.throws(() => hookInfo(s, 'blocks.18.hook_resid_post'), /has 18 blocks/);
  assert.throws(() => hookInfo(s, 'blocks.1.hook_resid'), /unknown hook 'blocks\.1\.hook_resid'\. Hooks: hook_embed, blocks\.\{l\}\.hook_resid_pre/);
  const g = loadModelSpec(join(FIX, 'tiny-random-gpt2'));
  const gl = hookList(g);
  assert.equal(gl[1]!.name, 'hook_pos_embed');
  assert.ok(!gl.some((h) => h.point.includes('rot_')));
});
