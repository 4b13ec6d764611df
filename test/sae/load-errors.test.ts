/**
 * SAE loading details and bad input. Every error names what is wrong (the file, and the member,
 * tensor or key): an SAE whose d_in does not match its hook, an unknown hook, a feature index out
 * of range, a corrupt npz (not a zip, truncated, bad .npy header, missing member, corrupt deflate
 * stream, wrong shape), and bad SAELens folders.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelSpec, type ModelSpec } from '../../src-main/models/config.js';
import { checkFeatureIndex, checkSaeAgainstModel, inferGemmaScopeHook, loadSae, readDecoderRow } from '../../src-main/models/sae/load.js';
import { SaeError } from '../../src-main/models/sae/errors.js';
import { privateCacheDir } from '../../src-main/models/sae/npz.js';
import { parseSaeLensConfig } from '../../src-main/models/sae/cfg.js';
import { npyBytes, randomWeights, writeGemmaScope, writeSaeLens, zipBytes } from './fixtures.js';

const STORIES = new URL('../fixtures/stories260k/', import.meta.url).pathname; // llama, d_model 64, 5 layers

/** Assert that `p` rejects with a SaeError whose message matches every pattern. */
async function rejects(p: Promise<unknown> | (() => unknown), ...res: RegExp[]): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof SaeError, `expected a SaeError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  for (const re of res) assert.match((err as Error).message, re);
}

describe('SAE loading and bad input', () => {
  let root: string;
  let spec: ModelSpec;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'undertone-sae-err-'));
    spec = loadModelSpec(STORIES);
  });

  it('checks the SAE against the model: hook exists, d_in equals the hook width', async () => {
    const ok = join(root, 'ok');
    writeSaeLens(ok, { arch: 'standard', dIn: 64, dSae: 16, hook: 'blocks.2.hook_resid_post' });
    checkSaeAgainstModel(await loadSae(ok), spec);
    const mlp = join(root, 'mlp-post');
    writeSaeLens(mlp, { arch: 'standard', dIn: 172, dSae: 16, hook: 'blocks.2.mlp.hook_post' });
    checkSaeAgainstModel(await loadSae(mlp), spec);

    const wrong = join(root, 'wrong-din');
    writeSaeLens(wrong, { arch: 'standard', dIn: 48, dSae: 16, hook: 'blocks.2.hook_resid_post' });
    await rejects(async () => checkSaeAgainstModel(await loadSae(wrong), spec), /wrong-din/, /d_in 48 does not match hook 'blocks\.2\.hook_resid_post'/, /d_model = 64/);

    const beyond = join(root, 'beyond');
    writeSaeLens(beyond, { arch: 'standard', dIn: 64, dSae: 16, hook: 'blocks.12.hook_resid_post' });
    await rejects(async () => checkSaeAgainstModel(await loadSae(beyond), spec), /hook 'blocks\.12\.hook_resid_post' does not exist/, /5 blocks/);

    const typo = join(root, 'typo');
    writeSaeLens(typo, { arch: 'standard', dIn: 64, dSae: 16, hook: 'blocks.2.hook_resid_psot' });
    await rejects(async () => checkSaeAgainstModel(await loadSae(typo), spec), /hook 'blocks\.2\.hook_resid_psot' does not exist/, /hook_resid_post/);

    const z = join(root, 'hookz-wrong');
    writeSaeLens(z, { arch: 'standard', dIn: 60, dSae: 16, hook: 'blocks.1.attn.hook_z' });
    await rejects(async () => checkSaeAgainstModel(await loadSae(z), spec), /d_in 60/, /n_heads × d_head = 8 × 8 = 64/);
  });

  it('feature index out of range names the SAE and the valid range', async () => {
    const dir = join(root, 'idx');
    writeSaeLens(dir, { arch: 'standard', dIn: 8, dSae: 16 });
    const sae = await loadSae(dir);
    assert.equal(readDecoderRow(sae, 15).length, 8);
    await rejects(() => checkFeatureIndex(sae, 16), /idx/, /feature index 16 out of range/, /d_sae = 16 features \(0\.\.15\)/);
    await rejects(() => readDecoderRow(sae, -1), /feature index -1 out of range/);
    await rejects(() => checkFeatureIndex(sae, 2.5), /feature index 2\.5/);
  });

  it('corrupt npz: each error names the file and, where it applies, the member', async () => {
    const dir = join(root, 'npz');
    mkdirSync(dir, { recursive: true });
    const hook = 'blocks.1.hook_resid_post';
    // not a zip at all
    const junk = join(dir, 'junk.npz');
    writeFileSync(junk, Buffer.from('this is not a zip archive, just some bytes that go on and on'));
    await rejects(loadSae(junk, { hook }), /junk\.npz/, /not a zip archive/);
    // truncated: the end-of-central-directory record is cut off
    const good = join(dir, 'good.npz');
    writeGemmaScope(good, { dIn: 8, dSae: 16 });
    const cut = join(dir, 'cut.npz');
    const whole = readFileSync(good);
    writeFileSync(cut, whole.subarray(0, whole.length - 40));
    await rejects(loadSae(cut, { hook }), /cut\.npz/, /not a zip archive|truncated/);
    // a member that is not a .npy
    const badHdr = join(dir, 'bad-header.npz');
    writeGemmaScope(badHdr, { dIn: 8, dSae: 16, corrupt: { W_enc: Buffer.from('garbage, not an npy file at all') } });
    await rejects(loadSae(badHdr, { hook }), /bad-header\.npz \[W_enc\.npy\]/, /bad \.npy header/, /magic/);
    // a .npy header with an unsupported dtype
    const i8 = join(dir, 'int8.npz');
    writeGemmaScope(i8, { dIn: 8, dSae: 16, corrupt: { b_dec: npyBytes([8], new Float32Array(2), { descr: '|i1' }) } });
    await rejects(loadSae(i8, { hook }), /\[b_dec\.npy\]/, /dtype '\|i1' is not supported/);
    // header and data disagree
    const short = join(dir, 'short.npz');
    writeGemmaScope(short, { dIn: 8, dSae: 16, corrupt: { b_enc: npyBytes([16], new Float32Array(12)) } });
    await rejects(loadSae(short, { hook }), /\[b_enc\.npy\]/, /needs/);
    // a missing member
    const missing = join(dir, 'missing.npz');
    writeGemmaScope(missing, { dIn: 8, dSae: 16, omit: ['threshold'] });
    await rejects(loadSae(missing, { hook }), /missing\.npz \[threshold\.npy\]/, /missing member/, /W_enc\.npy/);
    // a member whose shape disagrees with W_enc
    const shape = join(dir, 'shape.npz');
    writeGemmaScope(shape, { dIn: 8, dSae: 16, corrupt: { W_dec: npyBytes([8, 16], Float32Array.from(randomWeights(8, 16, 1).W_dec)) } });
    await rejects(loadSae(shape, { hook }), /shape\.npz \[W_dec\]/, /shape \[8,16\] disagrees/, /\[d_sae, d_in\] = \[16,8\]/);
    // a deflated member whose compressed stream is damaged
    const w = randomWeights(8, 16, 2);
    const members = [
      { name: 'W_enc.npy', data: npyBytes([8, 16], Float32Array.from(w.W_enc)) },
      { name: 'W_dec.npy', data: npyBytes([16, 8], Float32Array.from(w.W_dec)) },
    ];
    const z = zipBytes(members, { deflate: true });
    const at = 30 + 'W_enc.npy'.length + 10; // inside W_enc's compressed data
    for (let i = 0; i < 40; i++) z[at + i] = 0xff;
    const bad = join(dir, 'deflate.npz');
    writeFileSync(bad, z);
    await rejects(loadSae(bad, { hook, cacheDir: join(root, 'cache') }), /deflate\.npz \[W_enc\.npy\]/, /inflate|CRC|header/);

    // a zip bomb: the directory declares 128 + 512 bytes, the stream inflates to 16 MiB more;
    // inflating stops at the first byte past the declared size and leaves no file behind
    const real = npyBytes([8, 16], Float32Array.from(w.W_enc));
    const bomb = zipBytes([{ name: 'W_enc.npy', data: Buffer.concat([real, Buffer.alloc(16 * 2 ** 20)]) }, members[1]!], { deflate: true });
    const cdAt = bomb.readUInt32LE(bomb.length - 22 + 16);
    bomb.writeUInt32LE(real.length, cdAt + 24); // central directory: uncompressed size
    bomb.writeUInt32LE(real.length, 22); // local header too
    const bombFile = join(dir, 'bomb.npz');
    writeFileSync(bombFile, bomb);
    const bombCache = join(root, 'bomb-cache');
    await rejects(loadSae(bombFile, { hook, cacheDir: bombCache }), /bomb\.npz \[W_enc\.npy\]/, /inflates past the 640 bytes the zip directory declares/);
    assert.deepEqual(readdirSync(bombCache), []);
  });

  it("the private extract cache: this user's own folder, closed to others (a shared /tmp folder could be planted)", () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'undertone-xdg-cache-'));
    const d = privateCacheDir({ XDG_CACHE_HOME: cacheHome });
    assert.equal(d, join(cacheHome, 'undertone', 'sae'));
    if (process.platform !== 'win32') assert.equal(statSync(d).mode & 0o777, 0o700);
    // a folder left open to others is closed again
    if (process.platform !== 'win32') {
      chmodSync(d, 0o777);
      privateCacheDir({ XDG_CACHE_HOME: cacheHome });
      assert.equal(statSync(d).mode & 0o777, 0o700);
    }
  });

  it('Gemma Scope hooks: inferred from the path (res, mlp, att), given by the caller, or a clear error', async () => {
    assert.equal(inferGemmaScopeHook('/hf/gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82'), 'blocks.12.hook_resid_post');
    assert.equal(inferGemmaScopeHook('/hf/gemma-scope-2b-pt-mlp/layer_4/width_16k/average_l0_20'), 'blocks.4.hook_mlp_out');
    assert.equal(inferGemmaScopeHook('/hf/gemma-scope-2b-pt-att/layer_7/width_16k/x'), 'blocks.7.attn.hook_z');
    assert.equal(inferGemmaScopeHook('/somewhere/layer_3'), 'blocks.3.hook_resid_post');
    assert.equal(inferGemmaScopeHook('/somewhere/else'), null);
    const dir = join(root, 'plain-folder');
    writeGemmaScope(join(dir, 'params.npz'), { dIn: 8, dSae: 16 });
    await rejects(loadSae(dir), /params\.npz/, /cannot tell the hook/, /blocks\.12\.hook_resid_post/);
    const emb = join(root, 'gemma-scope-2b-pt-res', 'embedding', 'width_4k', 'average_l0_6');
    writeGemmaScope(join(emb, 'params.npz'), { dIn: 8, dSae: 16 });
    await rejects(loadSae(emb, { hook: 'hook_embed' }), /embedding SAEs are not supported/);
    const sae = await loadSae(dir, { hook: 'blocks.0.hook_mlp_out' });
    assert.equal(sae.hook, 'blocks.0.hook_mlp_out');
    assert.equal(sae.hookFrom, 'caller');
  });

  it('bad SAELens folders: bad JSON, unsupported architecture, missing tensor, wrong shape, no hook', async () => {
    const mk = (name: string, o: Partial<Parameters<typeof writeSaeLens>[1]>): string => {
      const d = join(root, name);
      writeSaeLens(d, { arch: 'standard', dIn: 8, dSae: 16, ...o });
      return d;
    };
    const badJson = mk('bad-json', {});
    writeFileSync(join(badJson, 'cfg.json'), '{"d_in": 8,');
    await rejects(loadSae(badJson), /bad-json\/cfg\.json/, /not valid JSON/);
    await rejects(loadSae(mk('gated', { extraCfg: { architecture: 'gated' } })), /\[architecture\]/, /unsupported architecture 'gated'/, /standard, jumprelu, topk/);
    await rejects(loadSae(mk('no-thr', { arch: 'jumprelu', omit: ['threshold'] })), /sae_weights\.safetensors \[threshold\]/, /missing tensor/);
    await rejects(loadSae(mk('no-wdec', { omit: ['W_dec'] })), /\[W_dec\]/, /missing tensor/);
    await rejects(loadSae(mk('bad-shape', { shapes: { b_enc: [15] } })), /\[b_enc\]/, /shape \[15\] disagrees with cfg\.json/);
    await rejects(loadSae(mk('no-hook', { extraCfg: { metadata: {} } })), /no hook/, /hook_point/);
    await rejects(loadSae(mk('big-k', { arch: 'topk', k: 17 })), /\[k\]/, /k = 17 exceeds d_sae = 16/);
    await rejects(loadSae(join(root, 'nowhere')), /nowhere/, /not found/);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await rejects(loadSae(empty), /not an SAE folder/);
  });

  it('cfg.json: 6.x and pre-6.0 keys give the same SAE; SAELens defaults apply', () => {
    const v6 = parseSaeLensConfig({ d_in: 8, d_sae: 32, architecture: 'topk', k: 4, normalize_activations: 'none', metadata: { hook_name: 'blocks.3.hook_resid_pre', model_name: 'gpt2', neuronpedia_id: 'gpt2-small/3-res-jb' } }, 'cfg.json');
    const pre = parseSaeLensConfig({ d_in: 8, expansion_factor: 4, hook_point: 'blocks.3.hook_resid_pre', hook_point_layer: 3, hook_point_head_index: null, activation_fn_str: 'topk', activation_fn_kwargs: { k: 4 }, normalize_activations: false, model_name: 'gpt2', neuronpedia_id: 'gpt2-small/3-res-jb' }, 'cfg.json');
    assert.deepEqual(pre, v6);
    assert.equal(v6.applyBDecToInput, true);
    const old = parseSaeLensConfig({ d_in: 8, d_sae: 16, hook_point: 'blocks.0.hook_resid_post', normalize_activations: true }, 'cfg.json');
    assert.equal(old.architecture, 'standard');
    assert.equal(old.normalize, 'expected_average_only_in');
    assert.equal(old.normScalingFactor, null);
    assert.throws(() => parseSaeLensConfig({ d_in: 8, d_sae: 16, hook_point: 'h', activation_fn_str: 'tanh-relu' }, 'cfg.json'), /unsupported activation_fn 'tanh-relu'/);
    assert.throws(() => parseSaeLensConfig({ d_in: 8, d_sae: 16, hook_point: 'h', normalize_activations: 'whiten' }, 'cfg.json'), /unknown normalize_activations "whiten"/);
    assert.throws(() => parseSaeLensConfig({ d_in: 8, d_sae: 16, hook_point: 'h', hook_point_head_index: 2 }, 'cfg.json'), /per-head SAEs/);
    const topk = { d_in: 8, d_sae: 16, hook_name: 'h', architecture: 'topk', k: 4 };
    assert.throws(() => parseSaeLensConfig({ ...topk, rescale_acts_by_decoder_norm: true }, 'cfg.json'), /cfg\.json.*'rescale_acts_by_decoder_norm: true'.*not supported/s);
    assert.equal(parseSaeLensConfig({ ...topk, rescale_acts_by_decoder_norm: false }, 'cfg.json').k, 4);
    // a transcoder with d_out = d_in has shapes an SAE's would: refused by its config, not loaded as an SAE of its input
    const tc = { d_in: 8, d_sae: 16, d_out: 8, hook_name: 'blocks.0.ln2.hook_normalized', hook_name_out: 'blocks.0.hook_mlp_out' };
    assert.throws(() => parseSaeLensConfig(tc, 'tc/cfg.json'), /tc\/cfg\.json.*transcoder \('d_out': 8\).*reads one hook and writes another/s);
    const { d_out: _d, ...noDout } = tc;
    assert.throws(() => parseSaeLensConfig({ ...noDout, metadata: {} }, 'cfg.json'), /transcoder \('hook_name_out': "blocks\.0\.hook_mlp_out"\)/);
    assert.throws(() => parseSaeLensConfig({ d_in: 8, d_sae: 16, hook_name: 'h', architecture: 'skip_transcoder' }, 'cfg.json'), /transcoder \(architecture 'skip_transcoder'\)/);
  });
});
