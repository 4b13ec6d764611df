/**
 * `npm run bench -- generate`: tokens/s of KV-cache generation on stories260k (a real tiny Llama),
 * batch 1 and batch 64 (aggregate), 256 and 128 new tokens, temperature 1, median of 5 after one
 * warm-up run of the same shape; the decode session's own thread choice (small models: 1 thread
 * below batch 8, else 2; UNDERTONE_THREADS overrides). Reference: llama2.c run.c about 4,500 tok/s here.
 * `npm run bench -- score`: tokens/s scored (forward + per-token loss) on a GPT-2 checkpoint of the
 * engine benchmark's shape (d_model 512, 8 layers, 8 heads, d_mlp 2048, vocab 8192; random weights),
 * batch 8 × seq 64.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '../engine/runtime.js';
import { writeSafetensorsStreaming } from '../engine/safetensors.js';
import { LanguageModel } from '../models/lm.js';
import { generate } from '../models/generate.js';
import { scoreItems, type ScoreItem } from '../models/score.js';
import { parseInterventionSet } from '../models/interventions.js';
import { trainBias } from '../lab/train-bias.js';
import { weightTable } from '../models/weights.js';
import { parseModelSpec } from '../models/config.js';

const STORIES = new URL('../../test/fixtures/stories260k/', import.meta.url).pathname;

export async function benchGenerate(): Promise<Record<string, unknown>> {
  const rt = Runtime.start();
  try {
    const threads = process.env.UNDERTONE_THREADS ? Number(process.env.UNDERTONE_THREADS) : undefined;
    const m = LanguageModel.open(rt, STORIES, { session: { threads } });
    const run = async (batch: number, maxNew: number): Promise<number> => {
      // warm-up at the measured length: ORT plans memory once per input shape, and a dataset job
      // generates batch after batch of the same shapes, so the steady state is what users see
      await generate(m, new Array(batch).fill([1]), { maxNew, temperature: 1, seed: 1, stopIds: [-1] });
      const rates: number[] = [];
      for (let rep = 0; rep < 5; rep++) {
        const t0 = performance.now();
        const outs = await generate(m, new Array(batch).fill([1]), { maxNew, temperature: 1, seed: 2 + rep, stopIds: [-1] });
        rates.push(outs.reduce((a, o) => a + o.ids.length, 0) / ((performance.now() - t0) / 1000));
      }
      return rates.sort((a, b) => a - b)[2]!; // median of 5
    };
    const b1 = await run(1, 256);
    const b64 = await run(64, 128);
    await m.close();
    return { bench: 'generate', model: 'stories260k', threads_batch1: m.optionsFor('decode', 1).threads ?? 2, threads_batch64: m.optionsFor('decode', 64).threads ?? 2, batch1_tok_s: Math.round(b1), batch64_tok_s: Math.round(b64), llama2c_ref_tok_s: 4500 };
  } finally {
    await rt.close();
  }
}

/** A GPT-2 checkpoint of the engine benchmark's shape with seeded random weights, written to `dir`. */
function writeBenchGpt2(dir: string): void {
  const config = { model_type: 'gpt2', n_embd: 512, n_layer: 8, n_head: 8, n_inner: 2048, vocab_size: 8192, n_positions: 64, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, torch_dtype: 'float32' };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const spec = parseModelSpec(config);
  const table = weightTable(spec).filter((w) => !w.optional);
  let seed = 1;
  writeSafetensorsStreaming(join(dir, 'model.safetensors'), Object.fromEntries(table.map((w) => [w.name, { dtype: 'F32' as const, shape: w.shape }])), (name) => {
    const w = table.find((x) => x.name === name)!;
    const n = w.shape.reduce((a, b) => a * b, 1);
    const d = new Float32Array(n);
    if (w.shape.length === 2) for (let i = 0; i < n; i++) d[i] = (((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5) * 0.07;
    else if (name.endsWith('.weight')) d.fill(1);
    return d;
  }, 4096);
}

/** `n` rows of `T` seeded token ids, completion from position 16. */
function benchItems(n: number, T: number): ScoreItem[] {
  let s2 = 7;
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: T }, () => (s2 = (Math.imul(s2, 1664525) + 1013904223) >>> 0) % 8192);
    return { ids, completionMask: ids.map((_, i) => (i >= 16 ? 1 : 0)) };
  });
}

/**
 * `npm run bench -- train`: one train-bias step (loss + gradient of a residual bias after block 4,
 * AdamW) on the GPT-2 checkpoint of the engine benchmark's shape, batch 8 × 64, with the whole model
 * every step and with the prefix cache (blocks 0..3 computed once per sample). Median of 5 steps'
 * time over 8 timed steps after 2 warm-up steps; the cache build time is reported apart.
 */
export async function benchTrain(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'undertone-train-bench-'));
  const rt = Runtime.start();
  try {
    writeBenchGpt2(dir);
    const m = LanguageModel.open(rt, dir, { session: { threads: 2 } });
    const items = benchItems(8, 64);
    const run = async (prefixCache: boolean): Promise<{ stepMs: number; setupMs: number }> => {
      const times: number[] = [];
      let last = performance.now();
      const t0 = last;
      let setup = 0;
      await trainBias(m, items, {
        set: parseInterventionSet({ items: [{ kind: 'resid_bias', hook: 'blocks.3.hook_resid_post', trainable: true }] }),
        lr: 0.01, l1: 0, steps: 10, batch: 8, seed: 1, prefixCache,
      }, {
        step: (p) => {
          const now = performance.now();
          if (p.step === 1) setup = now - t0;
          else times.push(now - last);
          last = now;
        },
        checkpoint: () => {},
        progress: () => {},
      });
      const timed = times.slice(1).sort((a, b) => a - b); // steps 3..10
      return { stepMs: timed[Math.floor(timed.length / 2)]!, setupMs: setup };
    };
    const whole = await run(false);
    const cached = await run(true);
    await m.close();
    return {
      bench: 'train', shape: 'gpt2 d512 L8 H8 F2048 V8192 B8 T64, bias after block 4', threads: 2,
      step_ms_whole: +whole.stepMs.toFixed(1), step_ms_prefix_cached: +cached.stepMs.toFixed(1),
      speedup: +(whole.stepMs / cached.stepMs).toFixed(2), first_step_ms_prefix_cached: +cached.setupMs.toFixed(1),
    };
  } finally {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchScore(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'undertone-score-bench-'));
  const rt = Runtime.start();
  try {
    writeBenchGpt2(dir);
    const m = LanguageModel.open(rt, dir, { session: { threads: 2 } });
    const B = 8;
    const T = 64;
    const items = benchItems(B, T);
    await scoreItems(m, items, { batchSize: B });
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await scoreItems(m, items, { batchSize: B });
      ts.push(performance.now() - t0);
    }
    ts.sort((a, b) => a - b);
    const ms = ts[2]!;
    await m.close();
    return { bench: 'score', shape: 'gpt2 d512 L8 H8 F2048 V8192 B8 T64', threads: 2, batch_ms: +ms.toFixed(1), tokens_per_s: Math.round((B * T) / (ms / 1000)) };
  } finally {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
