/**
 * Checkpoint reader: tiny checkpoints load back (names, shapes, dtypes), bf16/f16 decode, shards,
 * HF-cache symlinks, and bad input errors that name the file and the tensor.
 * Expected shapes are derived by hand from the tiny configs (see tiny-checkpoints.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../../src-main/models/checkpoint.js';
import { loadTokenizer } from '../../src-main/models/tokenizer.js';
import { readSafetensorsHeader, readTensorBytes, writeSafetensors, type StWriteTensor } from '../../src-main/engine/safetensors.js';
import { TINY_KINDS, writeTinyCheckpoint } from '../oracles/tiny-checkpoints.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'undertone-ckpt-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(tmp, `c${n++}`);

test('llama tiny: GQA, head_dim 8 ≠ 24/4, untied head — names and shapes by hand', () => {
  const dir = fresh();
  writeTinyCheckpoint(dir, 'llama');
  const ck = openCheckpoint(dir);
  // D 24, H 4, K 2, Dh 8, F 40, V 64, 2 layers
  const expect: Record<string, number[]> = {
    'model.embed_tokens.weight': [64, 24],
    'lm_head.weight': [64, 24],
    'model.norm.weight': [24],
    'model.layers.1.input_layernorm.weight': [24],
    'model.layers.1.self_attn.q_proj.weight': [32, 24],
    'model.layers.1.self_attn.k_proj.weight': [16, 24],
    'model.layers.1.self_attn.v_proj.weight': [16, 24],
    'model.layers.1.self_attn.o_proj.weight': [24, 32],
    'model.layers.1.post_attention_layernorm.weight': [24],
    'model.layers.1.mlp.gate_proj.weight': [40, 24],
    'model.layers.1.mlp.up_proj.weight': [40, 24],
    'model.layers.1.mlp.down_proj.weight': [24, 40],
  };
  for (const [name, shape] of Object.entries(expect)) assert.deepEqual(ck.tensor(name).shape, shape, name);
  assert.equal(ck.tensors.size, 3 + 2 * 9);
  assert.deepEqual(ck.dtypes, ['F32']);
  assert.equal(ck.weight('lm_head.w')!.name, 'lm_head.weight');
  assert.equal(ck.weight('k.w', 1)!.name, 'model.layers.1.self_attn.k_proj.weight');
  // params: 64*24*2 + 24 + 2 * (24 + 32*24 + 16*24*2 + 24*32 + 24 + 40*24*3)
  assert.equal(ck.paramCount, 64 * 24 * 2 + 24 + 2 * (24 + 32 * 24 + 16 * 24 * 2 + 24 * 32 + 24 + 40 * 24 * 3));
});

test('gemma tiny: MQA, head_dim 16, tied head resolves to the embedding; param count by hand', () => {
  const dir = fresh();
  writeTinyCheckpoint(dir, 'gemma');
  const ck = openCheckpoint(dir);
  assert.deepEqual(ck.tensor('model.layers.0.self_attn.q_proj.weight').shape, [64, 32]);
  assert.deepEqual(ck.tensor('model.layers.0.self_attn.k_proj.weight').shape, [16, 32]);
  assert.equal(ck.tensors.has('lm_head.weight'), false);
  assert.equal(ck.weight('lm_head.w')!.name, 'model.embed_tokens.weight');
  // embed 72*32 + norm 32 + 2 layers × (32 + 64*32 + 16*32 + 16*32 + 32*64 + 32 + 3 * 64*32)
  assert.equal(ck.paramCount, 24992);
});

test('gemma2 tiny: sandwich-norm names map to the right roles', () => {
  const dir = fresh();
  writeTinyCheckpoint(dir, 'gemma2');
  const ck = openCheckpoint(dir);
  assert.equal(ck.weight('attn_post_norm.w', 2)!.name, 'model.layers.2.post_attention_layernorm.weight');
  assert.equal(ck.weight('mlp_norm.w', 2)!.name, 'model.layers.2.pre_feedforward_layernorm.weight');
  assert.equal(ck.weight('mlp_post_norm.w', 2)!.name, 'model.layers.2.post_feedforward_layernorm.weight');
});

test('qwen2 tiny: q/k/v biases present, no o bias', () => {
  const dir = fresh();
  writeTinyCheckpoint(dir, 'qwen2');
  const ck = openCheckpoint(dir);
  assert.deepEqual(ck.tensor('model.layers.0.self_attn.q_proj.bias').shape, [32]);
  assert.deepEqual(ck.tensor('model.layers.0.self_attn.k_proj.bias').shape, [16]);
  assert.equal(ck.weight('o.b', 0), null);
});

test('gpt2: Conv1D [in, out] shapes; `transformer.` prefix (real fixture) and none (tiny) give the same names', () => {
  const real = openCheckpoint(join(FIX, 'tiny-random-gpt2'));
  const t = real.tensor('h.0.attn.c_attn.weight');
  assert.equal(t.storedName, 'transformer.h.0.attn.c_attn.weight');
  assert.deepEqual(t.shape, [32, 96]);
  assert.deepEqual(real.tensor('h.4.mlp.c_fc.weight').shape, [32, 128]); // n_inner null → 4 × 32
  assert.equal(real.weight('lm_head.w')!.storedName, 'transformer.wte.weight');
  const dir = fresh();
  writeTinyCheckpoint(dir, 'gpt2');
  const tiny = openCheckpoint(dir);
  assert.equal(tiny.tensor('h.1.mlp.c_proj.weight').storedName, 'h.1.mlp.c_proj.weight');
  assert.deepEqual(tiny.tensor('h.1.mlp.c_proj.weight').shape, [128, 32]);
});

test('every tiny kind loads and reads back its F32 source exactly', () => {
  for (const kind of TINY_KINDS) {
    const dir = fresh();
    const w = writeTinyCheckpoint(dir, kind);
    const ck = openCheckpoint(dir);
    assert.equal(ck.tensors.size, w.source.size, kind);
    for (const [name, src] of w.source) {
      const t = ck.tensors.get(name)!;
      assert.deepEqual(t.shape, src.shape, name);
      assert.deepEqual(ck.readF32(name), src.data, name);
    }
  }
});

test('bf16 and f16 storage decode to the f32 source within their rounding', () => {
  for (const [dtype, rel, minAbs] of [['BF16', 2 ** -8, 0], ['F16', 2 ** -11, 2 ** -24]] as const) {
    const dir = fresh();
    const w = writeTinyCheckpoint(dir, 'qwen2', { dtype });
    const ck = openCheckpoint(dir);
    assert.deepEqual(ck.dtypes, [dtype]);
    let exact = 0;
    let count = 0;
    for (const [name, src] of w.source) {
      assert.equal(ck.tensor(name).byteLength, src.data.length * 2);
      const got = ck.readF32(name);
      for (let i = 0; i < got.length; i++) {
        const err = Math.abs(got[i]! - src.data[i]!);
        assert.ok(err <= Math.max(rel * Math.abs(src.data[i]!), minAbs), `${dtype} ${name}[${i}]: ${got[i]} vs ${src.data[i]}`);
        if (err === 0) exact++;
        count++;
      }
    }
    assert.ok(exact < count / 10, `${dtype}: values were actually rounded`);
  }
});

test('sharded checkpoint: index weight_map spread over 3 files', () => {
  const dir = fresh();
  const w = writeTinyCheckpoint(dir, 'llama', { shards: 3 });
  assert.equal(w.files.length, 3);
  const ck = openCheckpoint(dir);
  assert.equal(ck.files.length, 3);
  assert.equal(new Set([...ck.tensors.values()].map((t) => t.file)).size, 3);
  for (const [name, src] of w.source) assert.deepEqual(ck.readF32(name), src.data);
  // offsets reference the right bytes in the right file
  const t = ck.tensor('model.layers.1.self_attn.k_proj.weight');
  const st = readSafetensorsHeader(t.file);
  assert.equal(st.tensors.get(t.storedName)!.offset, t.offset);
  assert.deepEqual(new Float32Array(new Uint8Array(readTensorBytes(st, t.storedName)).buffer), w.source.get(t.name)!.data);
});

test('HF-cache layout: symlinked snapshot files resolve to real blob paths', () => {
  const src = fresh();
  writeTinyCheckpoint(src, 'gemma', { shards: 2 });
  const root = fresh();
  const blobs = join(root, 'models--x--tiny', 'blobs');
  const snap = join(root, 'models--x--tiny', 'snapshots', 'abc123');
  mkdirSync(blobs, { recursive: true });
  mkdirSync(snap, { recursive: true });
  const files = ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  files.forEach((f, i) => {
    writeFileSync(join(blobs, `blob${i}`), readFileSync(join(src, f)));
    symlinkSync(`../../blobs/blob${i}`, join(snap, f));
  });
  const ck = openCheckpoint(snap);
  const realBlobs = realpathSync(blobs);
  for (const f of ck.files) assert.ok(f.startsWith(realBlobs + '/blob'), f);
  for (const t of ck.tensors.values()) assert.ok(t.file.startsWith(realBlobs), t.file);
  const ref = openCheckpoint(src);
  assert.deepEqual(ck.readF32('model.embed_tokens.weight'), ref.readF32('model.embed_tokens.weight'));
});

// ---- bad input ----

test('truncated safetensors: error names the file and the tensor cut off', () => {
  const dir = fresh();
  writeTinyCheckpoint(dir, 'llama');
  const f = join(dir, 'model.safetensors');
  truncateSync(f, statSync(f).size - 10);
  // tensors are laid out in name order; the last one is model.norm.weight (24 floats = 96 bytes)
  assert.throws(() => openCheckpoint(dir), (e: Error) => {
    assert.match(e.message, /model\.safetensors/);
    assert.match(e.message, /'model\.norm\.weight'/);
    assert.match(e.message, /truncated/);
    return true;
  });
});

test('tensor shape disagreeing with config.json: error names file, tensor and expected shape', () => {
  const dir = fresh();
  writeTinyCheckpoint(dir, 'llama');
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  cfg.num_key_value_heads = 4; // file has K = 2
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  assert.throws(() => openCheckpoint(dir), (e: Error) => {
    assert.match(e.message, /model\.safetensors/);
    assert.match(e.message, /'model\.layers\.0\.self_attn\.k_proj\.weight'/);
    assert.match(e.message, /\[16,24\] disagrees with config\.json: expected \[num_key_value_heads\*head_dim, hidden_size\] = \[32,24\]/);
    return true;
  });
});

test('missing tensor: error names the file and the tensor', () => {
  const dir = fresh();
  const w = writeTinyCheckpoint(dir, 'llama');
  const tensors: Record<string, StWriteTensor> = {};
  for (const [name, s] of w.source) if (name !== 'model.layers.1.mlp.up_proj.weight') tensors[name] = { dtype: 'F32', shape: s.shape, data: s.data };
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  assert.throws(() => openCheckpoint(dir), /model\.safetensors \[tensor 'model\.layers\.1\.mlp\.up_proj\.weight'\]: missing tensor/);
  // untied head without lm_head.weight is also a missing tensor
  delete tensors['lm_head.weight'];
  tensors['model.layers.1.mlp.up_proj.weight'] = { dtype: 'F32', shape: [40, 24], data: new Float32Array(960) };
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  assert.throws(() => openCheckpoint(dir), /\[tensor 'lm_head\.weight'\]: missing tensor/);
});

test('shards: a missing shard file or a tensor absent from its shard is named', () => {
  const dir = fresh();
  writeTinyCheckpoint(dir, 'llama', { shards: 2 });
  const idxFile = join(dir, 'model.safetensors.index.json');
  const idx = JSON.parse(readFileSync(idxFile, 'utf8')) as { weight_map: Record<string, string> };
  idx.weight_map['model.norm.weight'] = idx.weight_map['model.norm.weight'] === 'model-00001-of-00002.safetensors' ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors';
  writeFileSync(idxFile, JSON.stringify(idx));
  assert.throws(() => openCheckpoint(dir), /model-0000[12]-of-00002\.safetensors \[tensor 'model\.norm\.weight'\]: missing tensor/);
  idx.weight_map['model.norm.weight'] = 'model-00009-of-00009.safetensors';
  writeFileSync(idxFile, JSON.stringify(idx));
  assert.throws(() => openCheckpoint(dir), /model-00009-of-00009\.safetensors: missing shard/);
});

test('missing tokenizer file: error names tokenizer.json', () => {
  const dir = fresh();
  writeTinyCheckpoint(dir, 'llama');
  assert.throws(() => openCheckpoint(dir, { requireTokenizer: true }), (e: Error) => {
    assert.ok(e.message.startsWith(join(dir, 'tokenizer.json') + ': missing tokenizer file'), e.message);
    return true;
  });
  assert.throws(() => loadTokenizer(dir), /tokenizer\.json: missing tokenizer file/);
  writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(FIX, 'stories260k', 'tokenizer.json')));
  assert.throws(() => loadTokenizer(dir), /tokenizer_config\.json: missing tokenizer file/);
});

test('missing config.json and missing weights are named', () => {
  const dir = fresh();
  mkdirSync(dir);
  assert.throws(() => openCheckpoint(dir), /config\.json: missing config\.json/);
  writeFileSync(join(dir, 'config.json'), readFileSync(join(FIX, 'stories260k', 'config.json')));
  assert.throws(() => openCheckpoint(dir), /model\.safetensors: missing weights/);
});

// config.json and the weights must describe the same model: weights the config does not use
// (a layer beyond num_hidden_layers, a bias the config turns off) were silently dropped before,
// giving other logits than the checkpoint's own (stories260k with num_hidden_layers 4 ran 4 of its 5 layers)
test('weights the config does not use are refused, naming the tensor and the config key', () => {
  const rewrite = (dir: string, extra: Record<string, number[]>): void => {
    const w = writeTinyCheckpoint(dir, 'llama');
    const tensors: Record<string, StWriteTensor> = {};
    for (const [name, s] of w.source) tensors[name] = { dtype: 'F32', shape: s.shape, data: s.data };
    for (const [name, shape] of Object.entries(extra)) tensors[name] = { dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
  };
  // the tiny llama has 2 layers (D 24, F 40); a third layer's norm in the file
  const extraLayer = fresh();
  rewrite(extraLayer, { 'model.layers.2.input_layernorm.weight': [24], 'model.layers.2.mlp.up_proj.weight': [40, 24] });
  assert.throws(() => openCheckpoint(extraLayer), (e: Error) => {
    assert.ok(e.message.startsWith(join(extraLayer, 'model.safetensors')), e.message);
    assert.match(e.message, /\[tensor 'model\.layers\.2\.input_layernorm\.weight'\]/);
    assert.match(e.message, /2 tensors are not used/);
    assert.match(e.message, /layers 0\.\.2 but config\.json num_hidden_layers is 2/);
    return true;
  });
  // a q_proj bias although config.json has attention_bias false (a Qwen2-style file labelled llama)
  const bias = fresh();
  rewrite(bias, { 'model.layers.0.self_attn.q_proj.bias': [32] });
  assert.throws(() => openCheckpoint(bias), /\[tensor 'model\.layers\.0\.self_attn\.q_proj\.bias'\].*1 tensor is not used/);
  // HF's non-weight buffers are ignored, as transformers ignores them
  const buffers = fresh();
  rewrite(buffers, { 'model.layers.0.self_attn.rotary_emb.inv_freq': [4] });
  assert.equal(openCheckpoint(buffers).spec.nLayers, 2);
});

test('gpt2: the causal-mask buffers attn.bias / attn.masked_bias (in the original gpt2 files) are not weights and load fine', () => {
  const dir = fresh();
  const w = writeTinyCheckpoint(dir, 'gpt2');
  const tensors: Record<string, StWriteTensor> = {};
  for (const [name, s] of w.source) tensors[`transformer.${name}`] = { dtype: 'F32', shape: s.shape, data: s.data };
  tensors['transformer.h.0.attn.bias'] = { dtype: 'F32', shape: [1, 1, 4, 4], data: new Float32Array(16) };
  tensors['transformer.h.0.attn.masked_bias'] = { dtype: 'F32', shape: [], data: new Float32Array(1) };
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  const ck = openCheckpoint(dir);
  assert.equal(ck.weight('qkv.b', 0)!.storedName, 'transformer.h.0.attn.c_attn.bias');
});

// before: "missing weights: neither model.safetensors nor model.safetensors.index.json exists" whatever
// the folder held, so shards without their index or PyTorch .bin weights read as an empty folder, and an
// HF cache root (models--org--name) as "not a Hugging Face model folder"
test('missing weights or config: the error says what the folder holds instead', () => {
  const dir = fresh();
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), readFileSync(join(FIX, 'stories260k', 'config.json')));
  writeFileSync(join(dir, 'pytorch_model.bin'), 'PK');
  assert.throws(() => openCheckpoint(dir), /model\.safetensors: missing weights: .*found pytorch_model\.bin; PyTorch \.bin\/\.pt weights are not read: convert them to safetensors/);
  const shards = fresh();
  writeTinyCheckpoint(shards, 'llama', { shards: 2 });
  rmSync(join(shards, 'model.safetensors.index.json'));
  assert.throws(() => openCheckpoint(shards), /found model-00001-of-00002\.safetensors, model-00002-of-00002\.safetensors; sharded weights need their model\.safetensors\.index\.json/);

  const cache = join(fresh(), 'models--org--tiny');
  mkdirSync(join(cache, 'snapshots', '0123abcd'), { recursive: true });
  mkdirSync(join(cache, 'refs'));
  writeFileSync(join(cache, 'refs', 'main'), '0123abcd');
  assert.throws(() => openCheckpoint(cache), (e: Error) => {
    assert.match(e.message, /missing config\.json: this is a Hugging Face cache folder; open one of its snapshots/);
    assert.ok(e.message.includes(join(cache, 'snapshots', '0123abcd')), e.message);
    return true;
  });
});
