/**
 * Runtime behaviour: the caller's event loop stays live during a run; external-data initializers
 * read back what was written into safetensors; bad input gives errors naming op/tensor/shapes and
 * the worker survives; compiled backward graphs hold no transposed copy of a weight.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Graph } from '../../src-main/engine/tensor.js';
import * as o from '../../src-main/engine/ops.js';
import { grad } from '../../src-main/engine/grad.js';
import { compile } from '../../src-main/engine/onnx-export.js';
import { Runtime } from '../../src-main/engine/runtime.js';
import { readSafetensorsHeader, stTensor, writeSafetensors, f32ToBf16, f32ToF16, f16ToF32, SafetensorsError } from '../../src-main/engine/safetensors.js';
import { buildToyGpt, toyGptWeights, type ToyGptConfig } from '../../src-main/engine/toy-gpt.js';
import { randn } from './helpers.js';

describe('engine runtime', () => {
  let rt: Runtime;
  let dir: string;
  before(() => {
    rt = Runtime.start();
    dir = mkdtempSync(join(tmpdir(), 'undertone-rt-'));
  });
  after(async () => {
    await rt.close();
  });

  it('event loop keeps ticking while a long run is in flight', async () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [768, 1536]);
    const b = g.input('b', 'float32', [1536, 1536]);
    let y = o.matmul(a, b);
    for (let i = 0; i < 5; i++) y = o.matmul(o.tanh(y), b);
    const s = await rt.load(compile({ outputs: { y: o.sumAll(y) } }));
    const feeds = {
      a: { dtype: 'float32' as const, dims: [768, 1536], data: Float32Array.from(randn(768 * 1536, 1, 0.02)) },
      b: { dtype: 'float32' as const, dims: [1536, 1536], data: Float32Array.from(randn(1536 * 1536, 2, 0.02)) },
    };
    let ticks = 0;
    const iv = setInterval(() => ticks++, 2);
    const t0 = performance.now();
    await s.run(feeds);
    const ms = performance.now() - t0;
    clearInterval(iv);
    await s.release();
    // a blocked loop would give 0 ticks; allow for timer coarseness
    assert.ok(ms > 30, `run took only ${ms.toFixed(1)} ms; not long enough to tell`);
    assert.ok(ticks >= Math.floor(ms / 2 / 4), `only ${ticks} ticks in ${ms.toFixed(0)} ms`);
  });

  it('external-data initializers equal the tensors written (F32 and BF16, through an HF-cache symlink)', async () => {
    const blobs = join(dir, 'blobs');
    const snap = join(dir, 'snapshots', 'abc');
    mkdirSync(blobs, { recursive: true });
    mkdirSync(snap, { recursive: true });
    const w32 = Float32Array.from(randn(6 * 5, 4));
    const wbf = Uint16Array.from(randn(3 * 4, 5), (v) => f32ToBf16(v));
    writeSafetensors(join(blobs, 'sha-1'), { 'a.weight': { dtype: 'F32', shape: [6, 5], data: w32 }, 'b.weight': { dtype: 'BF16', shape: [3, 4], data: wbf } });
    symlinkSync(join(blobs, 'sha-1'), join(snap, 'model.safetensors'));
    const st = readSafetensorsHeader(join(snap, 'model.safetensors'));
    assert.equal(st.path, join(blobs, 'sha-1'));
    const g = new Graph();
    const ext = (n: string, dt: 'float32' | 'bfloat16') => {
      const t = stTensor(st, n);
      return g.initializer(n, dt, t.shape, { kind: 'external', file: st.path, offset: t.offset, byteLength: t.byteLength });
    };
    const a = ext('a.weight', 'float32');
    const b = o.cast(ext('b.weight', 'bfloat16'), 'float32');
    const c = compile({ outputs: { a: o.identity(a), b } });
    assert.ok(c.bytes.length < 2000, 'weights are not inlined into the model');
    const s = await rt.load(c);
    const r = await s.run({});
    assert.deepEqual(Array.from(r.a!.data as Float32Array), Array.from(w32));
    const bf = Float32Array.from(wbf, (h) => new Float32Array(new Uint32Array([h << 16]).buffer)[0]!);
    assert.deepEqual(Array.from(r.b!.data as Float32Array), Array.from(bf));
    await s.release();
  });

  it('bad input: shape mismatch names the op and shapes', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 4]);
    const w = g.input('w', 'float32', [5, 3]);
    assert.throws(() => o.matmul(x, w), /MatMul: inner dims differ: 4 vs 5.*float32\[batch,4\] and float32\[5,3\]/);
    assert.throws(() => o.add(x, g.input('y', 'float32', [3])), /Add: shapes do not broadcast.*\[batch,4\].*\[3\]/);
  });

  it('bad input: unknown dtype is named', () => {
    const g = new Graph();
    assert.throws(() => g.input('x', 'float8' as never, [2]), /input 'x': unknown dtype "float8" \(known: float32/);
  });

  it('bad input: missing safetensors tensor and corrupt header name the file and tensor', () => {
    const f = join(dir, 'small.safetensors');
    writeSafetensors(f, { w: { dtype: 'F32', shape: [2], data: new Float32Array(2) } });
    const st = readSafetensorsHeader(f);
    assert.throws(() => stTensor(st, 'nope.weight'), (e: unknown) => e instanceof SafetensorsError && /small\.safetensors \[tensor 'nope\.weight'\]: missing tensor/.test((e as Error).message));
    const bad = join(dir, 'corrupt.safetensors');
    const bytes = readFileSync(f);
    bytes.write('{"w":{"dtype";;', 8); // break the JSON
    writeFileSync(bad, bytes);
    assert.throws(() => readSafetensorsHeader(bad), /corrupt\.safetensors: corrupt header: not valid JSON/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(1n << 40n, 0);
    writeFileSync(join(dir, 'huge.safetensors'), huge);
    assert.throws(() => readSafetensorsHeader(join(dir, 'huge.safetensors')), /huge\.safetensors: corrupt header: header length \d+ exceeds the file size 16/);
    const trunc = join(dir, 'trunc.safetensors');
    writeFileSync(trunc, readFileSync(f).subarray(0, bytes.length - 4));
    assert.throws(() => readSafetensorsHeader(trunc), /trunc\.safetensors \[tensor 'w'\]: truncated/);
  });

  it('bad feeds are rejected with the input and shapes named; ORT errors do not kill the worker', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 4]);
    const ids = g.input('ids', 'int64', ['n']);
    const y = o.gather(o.mul(x, 2), ids);
    const s = await rt.load(compile({ outputs: { y } }));
    const good = { x: { dtype: 'float32' as const, dims: [2, 4], data: new Float32Array(8).fill(1) }, ids: { dtype: 'int64' as const, dims: [1], data: BigInt64Array.of(1n) } };
    await assert.rejects(s.run({ ...good, x: { dtype: 'float32', dims: [2, 5], data: new Float32Array(10) } }), /input 'x' expects float32\[batch,4\], got float32\[2,5\] \(axis 1: 4 vs 5\)/);
    await assert.rejects(s.run({ ...good, x: { dtype: 'float64', dims: [2, 4], data: new Float64Array(8) } }), /input 'x' expects float32\[batch,4\], got float64\[2,4\] \(dtype\)/);
    await assert.rejects(s.run({ x: good.x }), /missing input 'ids'/);
    // out-of-range index: ORT itself fails inside the worker
    await assert.rejects(s.run({ ...good, ids: { dtype: 'int64', dims: [1], data: BigInt64Array.of(7n) } }), /indices|out of bounds|range/i);
    const r = await s.run(good);
    assert.deepEqual(Array.from(r.y!.data as Float32Array), [2, 2, 2, 2]);
    await s.release();
  });

  it('an input with a default may be left out (the default is used) or fed (it overrides)', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['n']);
    const k = g.input('k', 'float32', [], Float32Array.of(3));
    const s = await rt.load(compile({ outputs: { y: o.mul(x, k) } }));
    assert.deepEqual(Array.from(s.compiled.inputs.find((i) => i.name === 'k')!.default as Float32Array), [3]);
    const xs = { dtype: 'float32' as const, dims: [2], data: Float32Array.of(1, 2) };
    assert.deepEqual(Array.from((await s.run({ x: xs })).y!.data as Float32Array), [3, 6]);
    assert.deepEqual(Array.from((await s.run({ x: xs, k: { dtype: 'float32', dims: [], data: Float32Array.of(5) } })).y!.data as Float32Array), [5, 10]);
    assert.throws(() => g.input('bad', 'float32', ['n'], Float32Array.of(1)), /default needs a static shape/);
    await s.release();
  });

  // outputs kept in the worker feed the next run without a copy; one asked for by name also comes
  // back (as a copy: the returned buffer is transferred, the held one must keep its data)
  it('kept outputs feed later runs as held tensors; a kept output asked for by name also comes back', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [3]);
    const s = await rt.load(compile({ outputs: { y: o.mul(x, 2), z: o.add(x, 1) } }));
    const r1 = await s.run({ x: { dtype: 'float32', dims: [3], data: Float32Array.of(1, 2, 3) } }, { outputs: ['y', 'z'], keep: { y: 'test:y' } });
    assert.deepEqual(Array.from(r1.y!.data as Float32Array), [2, 4, 6]);
    const r2 = await s.run({ x: { held: 'test:y' } }, { keep: { y: 'test:y' } });
    assert.deepEqual(Object.keys(r2), ['z'], 'by default a kept output stays in the worker');
    assert.deepEqual(Array.from(r2.z!.data as Float32Array), [3, 5, 7]);
    const r3 = await s.run({ x: { held: 'test:y' } }, { outputs: ['y'] });
    assert.deepEqual(Array.from(r3.y!.data as Float32Array), [8, 16, 24]);
    await rt.drop(['test:y']);
    await assert.rejects(s.run({ x: { held: 'test:y' } }), /no held tensor 'test:y'/);
    await s.release();
  });

  it('symbolic multiples agree between reshape and concat ([b,s,2,3] → [b,s*2,3] = concat of two [b,s,3])', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['b', 's', 2, 3]);
    const a = o.reshape(o.transpose(x, [0, 2, 1, 3]), [0, -1, 3]); // [b, s*2, 3]: rows j*s + t
    const halves = [0, 1].map((j) => o.squeeze(o.slice(x, 2, j, j + 1), 2)); // [b,s,3] each
    const c = o.concat(halves, 1); // [b, s*2, 3]
    assert.deepEqual(a.shape, ['b', 's*2', 3]);
    assert.deepEqual(c.shape, a.shape);
    const back = o.reshape(a, [0, 2, -1, 3]); // [b,2,s,3]
    assert.deepEqual(back.shape, ['b', 2, 's', 3]);
    const s = await rt.load(compile({ outputs: { d: o.sub(a, c), back } }));
    const data = Float32Array.from({ length: 2 * 5 * 2 * 3 }, (_, i) => i);
    const r = await s.run({ x: { dtype: 'float32', dims: [2, 5, 2, 3], data } });
    assert.ok((r.d!.data as Float32Array).every((v) => v === 0));
    assert.deepEqual(r.back!.dims, [2, 2, 5, 3]);
    await s.release();
  });

  it('CUDA requested without the provider: a clear message says how to install it', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [1]);
    const info = await rt.info();
    if (info.providers.includes('cuda')) return; // a CUDA machine: nothing to check here
    await assert.rejects(rt.load(compile({ outputs: { y: o.neg(x) } }), { ep: 'cuda' }), /ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  it('closing the runtime while the self-check creates sessions ends cleanly (it aborted the process: Napi::Error)', () => {
    // in a child process, since the failure was an abort of the whole process
    const script = join(dir, 'close-during-selfcheck.mts');
    const src = (f: string) => JSON.stringify(new URL(`../../src-main/engine/${f}`, import.meta.url).pathname);
    writeFileSync(script, `
import { Runtime } from ${src('runtime.ts')};
import { selfcheck } from ${src('selfcheck.ts')};
const rt = Runtime.start();
const check = selfcheck(rt).then(() => 'finished', (e) => 'refused: ' + e.message);
await new Promise((r) => setTimeout(r, Number(process.argv[2])));
await rt.close();
console.log('closed; self-check ' + (await check));
`);
    // 200 and 400 ms into the self-check aborted before the fix
    for (const ms of [100, 200, 300, 400]) {
      const r = spawnSync(process.execPath, [...process.execArgv, script, String(ms)], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `closed after ${ms} ms: exit ${r.status} ${r.signal ?? ''}: ${r.stderr.split('\n').filter((l) => !/npm warn/.test(l)).join(' ').slice(-300)}`);
      assert.match(r.stdout, /closed; self-check (finished|refused: runtime closed)/);
    }
  });

  it('no compiled backward graph holds a transposed copy of an initializer (float32)', () => {
    const cfg: ToyGptConfig = { dModel: 16, nLayers: 2, nHeads: 2, dMlp: 32, vocab: 20, maxSeq: 8 };
    const w = toyGptWeights(cfg, 3);
    // with LoRA on fc1 the MLP is token-major; without, feature-major (w1 @ xᵀ, transposed hidden state)
    for (const lora of [{ rank: 2, alpha: 2, targets: ['qkv', 'fc1'] }, undefined]) {
      const g = new Graph();
      const net = buildToyGpt(g, cfg, (n, s) => g.initializer(n, 'float32', s, { kind: 'inline', data: w[n]!.data }), { dtype: 'float32', biasAfter: 1, ...(lora ? { lora } : {}) });
      const wrt = [net.bias!, ...Object.values(net.lora), ...['h0.fc1.w', 'h0.fc2.w', 'wte'].map((n) => g.initializers.get(n)!)];
      const gs = grad(net.loss, wrt);
      const c = compile({ outputs: { loss: net.loss }, grads: Object.fromEntries(gs.map((t, i) => [`g${i}`, t])) });
      assert.deepEqual(c.transposedInitializers, [], lora ? 'LoRA' : 'no LoRA');
      assert.ok((c.opCounts.FusedMatMul ?? 0) > 0, 'transposed operands use FusedMatMul');
    }
  });

  it('float16 graphs run forward and backward and agree with float32 within half-precision tolerance', async () => {
    const cfg: ToyGptConfig = { dModel: 16, nLayers: 2, nHeads: 2, dMlp: 32, vocab: 20, maxSeq: 8 };
    const w = toyGptWeights(cfg, 1);
    const res: Record<string, { loss: number; grad: number[] }> = {};
    for (const dt of ['float32', 'float16'] as const) {
      const g = new Graph();
      const half = (a: Float32Array) => Uint16Array.from(a, f32ToF16);
      const net = buildToyGpt(g, cfg, (n, s) => g.initializer(n, dt, s, { kind: 'inline', data: dt === 'float16' ? half(w[n]!.data) : w[n]!.data }), { dtype: dt, biasAfter: 1 });
      const [gb] = grad(net.loss, [net.bias!]);
      const s = await rt.load(compile({ outputs: { loss: net.loss }, grads: { gb: gb! } }));
      const vals = (a: number[]) => (dt === 'float16' ? { dtype: dt, dims: [a.length], data: Uint16Array.from(a, f32ToF16) } : { dtype: dt, dims: [a.length], data: Float32Array.from(a) });
      const bias = Array.from({ length: 16 }, (_, i) => Math.sin(i) * 0.5);
      const r = await s.run({
        ids: { dtype: 'int64', dims: [1, 5], data: BigInt64Array.from([1n, 2n, 3n, 4n, 9n]) },
        targets: { dtype: 'int64', dims: [1, 5], data: BigInt64Array.from([2n, 3n, 4n, 9n, 7n]) },
        mask: { ...vals([1, 1, 1, 1, 1]), dims: [1, 5] }, resid_bias: vals(bias),
      } as never, { grad: true });
      const dec = (t: { data: unknown }) => (dt === 'float16' ? Array.from(t.data as Uint16Array, f16ToF32) : Array.from(t.data as Float32Array));
      res[dt] = { loss: dec(r.loss!)[0]!, grad: dec(r.gb!) };
      await s.release();
    }
    assert.ok(Math.abs(res.float16!.loss - res.float32!.loss) < 5e-3, `loss ${res.float16!.loss} vs ${res.float32!.loss}`);
    const e = res.float32!.grad.reduce((m, v, i) => Math.max(m, Math.abs(v - res.float16!.grad[i]!)), 0) / Math.max(...res.float32!.grad.map(Math.abs));
    assert.ok(e < 2e-2, `gradient rel err ${e}`);
  });
});
