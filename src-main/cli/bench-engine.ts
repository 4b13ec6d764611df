/**
 * `npm run bench -- engine`: the engine's speed and memory on the reference GPT shape
 * (d_model 512, 8 layers, 8 heads, d_mlp 2048, vocab 8192, batch 8, seq 64, 2 threads), the
 * same shapes as ../shared/peers/torch_gpt.py. Weights are random, written to a safetensors file by a
 * child process (bench-engine-weights.ts) and loaded as external data. Prints one JSON line.
 *
 * forward_ms: mean loss; grad_ms: loss + gradient w.r.t. a residual bias after block 4 (same session);
 * each the median of 5 after 2 warm-ups. weights_mb: weight bytes / 2^20. rss_mb: process resident
 * memory (MiB) with the forward+backward session loaded (weights are external data, mapped from the
 * safetensors file). rss_baseline_mb: the process (Node, worker, ORT library) before loading;
 * rss_after_grad_mb: after the timed runs; activations_mb = after − baseline − weights. matmul_gflops: a 1024×4096 @ 4096×4096
 * MatMul (2·M·N·K flops / median time), operands held in the worker and only the product's first row (1×4096) read back. gemm_floor_ms: the grad run's weight matmuls alone, same weights
 * and shapes, nothing else in the graph (bench-gemm-floor.ts): what the grad run's GEMMs cost here;
 * gemm_floor_gflops = grad_gflop / gemm_floor_ms, grad_gflop being those matmuls' flops. host: the CPU, cores,
 * widest vector set and code version (bench-host.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { grad } from '../engine/grad.js';
import { compile } from '../engine/onnx-export.js';
import * as o from '../engine/ops.js';
import { Runtime, type Session, type SessionOptions, type TensorData } from '../engine/runtime.js';
import { readSafetensorsHeader, stTensor } from '../engine/safetensors.js';
import { Graph } from '../engine/tensor.js';
import { BENCH_GPT, buildToyGpt } from '../engine/toy-gpt.js';
import { gemmFloor } from './bench-gemm-floor.js';
import { benchHost, type BenchHost } from './bench-host.js';
import { holdRandomOperands } from './bench-held.js';

const BATCH = 8;
const SEQ = 64;
const BIAS_AFTER = 4;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(f: () => Promise<unknown>, warmup = 2, reps = 5): Promise<number> {
  for (let i = 0; i < warmup; i++) await f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/** Write the bench's random weights in a child process (their buffers would otherwise stay in this process's heap and count in its resident memory). */
export function writeBenchWeightsApart(file: string): void {
  execFileSync(process.execPath, [...process.execArgv, fileURLToPath(new URL('./bench-engine-weights.ts', import.meta.url)), file], { stdio: 'inherit' });
}

/** The bench's forward+backward session on the weights in `file` (external data) and its feeds: ids and targets seeded, mask 1, bias 0. */
export async function benchGradSession(rt: Runtime, file: string, opts: SessionOptions = {}): Promise<{ session: Session; feeds: Record<string, TensorData>; weightBytes: number }> {
  const st = readSafetensorsHeader(file);
  let weightBytes = 0;
  const g = new Graph();
  const net = buildToyGpt(g, BENCH_GPT, (n, s) => {
    const t = stTensor(st, n);
    weightBytes += t.byteLength;
    return g.initializer(n, 'float32', s, { kind: 'external', file: st.path, offset: t.offset, byteLength: t.byteLength });
  }, { dtype: 'float32', biasAfter: BIAS_AFTER });
  const [gb] = grad(net.loss, [net.bias!]);
  const compiled = compile({ outputs: { loss: net.loss }, grads: { grad_bias: gb! } });
  const session: Session = await rt.load(compiled, { threads: 2, ...opts });
  const r = lcg(1);
  const ids = BigInt64Array.from({ length: BATCH * SEQ }, () => BigInt(Math.floor(r() * BENCH_GPT.vocab)));
  const tgt = BigInt64Array.from({ length: BATCH * SEQ }, () => BigInt(Math.floor(r() * BENCH_GPT.vocab)));
  const feeds: Record<string, TensorData> = {
    ids: { dtype: 'int64', dims: [BATCH, SEQ], data: ids },
    targets: { dtype: 'int64', dims: [BATCH, SEQ], data: tgt },
    mask: { dtype: 'float32', dims: [BATCH, SEQ], data: new Float32Array(BATCH * SEQ).fill(1) },
    resid_bias: { dtype: 'float32', dims: [BENCH_GPT.dModel], data: new Float32Array(BENCH_GPT.dModel) },
  };
  return { session, feeds, weightBytes };
}

export async function benchEngine(opts: SessionOptions = {}): Promise<Record<string, number | string | BenchHost>> {
  const dir = mkdtempSync(join(tmpdir(), 'undertone-bench-'));
  const file = join(dir, 'model.safetensors');
  writeBenchWeightsApart(file);
  const rt = Runtime.start();
  try {
    const baselineMb = (await rt.info()).rssMb;
    const { session, feeds, weightBytes } = await benchGradSession(rt, file, opts);
    const loadedMb = (await rt.info()).rssMb;
    const first = await session.run(feeds);
    const loss = (first.loss!.data as Float32Array)[0]!;
    const forwardMs = await timeIt(() => session.run(feeds));
    const gradMs = await timeIt(() => session.run(feeds, { grad: true }));
    const afterRunMb = (await rt.info()).rssMb;
    await session.release();

    const floor = await gemmFloor(rt, file, BENCH_GPT, [BATCH, SEQ], BIAS_AFTER, (f) => timeIt(f), opts);

    // MatMul throughput: operands held in the worker (nothing crosses per run) and fed, so nothing is prepacked
    const mg = new Graph();
    const ms = await rt.load(compile({ outputs: { c: o.slice(o.matmul(mg.input('a', 'float32', [1024, 4096]), mg.input('b', 'float32', [4096, 4096])), 0, 0, 1) } }), { threads: 2, ...opts });
    const mm = await holdRandomOperands(rt, 'matmul', { a: [1024, 4096], b: [4096, 4096] }, 3, opts);
    const mmMs = await timeIt(() => ms.run(mm.feeds), 1, 5);
    await mm.release();
    await ms.release();
    const weightsMb = weightBytes / 2 ** 20;
    return {
      bench: 'engine',
      shape: `d${BENCH_GPT.dModel} L${BENCH_GPT.nLayers} H${BENCH_GPT.nHeads} F${BENCH_GPT.dMlp} V${BENCH_GPT.vocab} B${BATCH} T${SEQ}`,
      threads: opts.threads ?? 2,
      loss_nats: +loss.toFixed(4),
      forward_ms: +forwardMs.toFixed(1),
      grad_ms: +gradMs.toFixed(1),
      gemm_floor_ms: +floor.ms.toFixed(1),
      gemm_floor_gflops: +(floor.gflop / (floor.ms / 1e3)).toFixed(1),
      grad_gflop: +floor.gflop.toFixed(2),
      matmul_gflops: +((2 * 1024 * 4096 * 4096) / (mmMs / 1e3) / 1e9).toFixed(1),
      weights_mb: +weightsMb.toFixed(1),
      rss_mb: +loadedMb.toFixed(1),
      rss_over_weights: +(loadedMb / weightsMb).toFixed(2),
      rss_baseline_mb: +baselineMb.toFixed(1),
      rss_after_grad_mb: +afterRunMb.toFixed(1),
      activations_mb: +(afterRunMb - baselineMb - weightsMb).toFixed(1),
      host: benchHost(),
    };
  } finally {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
