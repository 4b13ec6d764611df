/**
 * `npm run bench -- sae`: one SAE training step (`train-sae`'s loop: forward, backward, Adam and the
 * decoder renorm in the graph, the state held in the session worker) at d_in 512, d_sae 4096, 1,024
 * tokens per step, 2 threads, on seeded synthetic activations; the median of 20 steps after 5.
 * step_ms, tokens_per_s, and gflop_per_s counting the four [1024 × 512 × 4096] matmuls of a step
 * (encode, decode, and their two input gradients) plus the two weight gradients: 6 · 2 · N · D · S flops.
 */
import { Runtime } from '../engine/runtime.js';
import { mulberry32 } from '../engine/prng.js';
import { trainSae } from '../lab/train-sae.js';

const D = 512;
const S = 4096;
const N = 1024;

export async function benchSae(): Promise<Record<string, unknown>> {
  const rnd = mulberry32(1);
  const n = 8 * N;
  const data = Float32Array.from({ length: n * D }, () => rnd() - 0.5);
  const rt = Runtime.start();
  try {
    const times: number[] = [];
    let last = performance.now();
    await trainSae(rt, { data, n, dIn: D }, { dSae: S, l1: 1, lr: 1e-3, steps: 25, batch: N, seed: 0 }, {
      step: () => {
        const t = performance.now();
        times.push(t - last);
        last = t;
      },
    }, { session: { threads: 2 } });
    const ms = times.slice(5).sort((a, b) => a - b)[10]!;
    return {
      bench: 'sae', shape: `d_in ${D} d_sae ${S} tokens/step ${N}`, threads: 2,
      step_ms: +ms.toFixed(1), tokens_per_s: Math.round((N / ms) * 1000), gflop_per_s: +((6 * 2 * N * D * S) / (ms / 1000) / 1e9).toFixed(1),
    };
  } finally {
    await rt.close();
  }
}
