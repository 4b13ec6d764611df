/**
 * demo-train: logistic regression on a synthetic data set drawn from the seed, trained with Adam on
 * minibatches drawn from the same PRNG stream. A real (small) optimisation: it writes a loss point
 * per step, checkpoints the weights, Adam moments and PRNG state every k steps, and stores the
 * final weight vector. Deterministic from the seed, so a resumed run equals an uninterrupted one.
 */
import { z } from 'zod';
import { defineJobKind } from '../kind.js';
import { newId } from '../../store/index.js';
import { Prng, type PrngState } from './prng.js';

const params = z.strictObject({
  seed: z.int().min(0).max(0xffffffff).default(0),
  dim: z.int().min(1).max(4096).default(16),
  samples: z.int().min(1).max(100_000).default(256),
  batch: z.int().min(1).max(4096).default(32),
  steps: z.int().min(1).max(1_000_000).default(200),
  lr: z.number().positive().max(1).default(0.05),
  l2: z.number().min(0).max(10).default(1e-3),
  checkpointEvery: z.int().min(1).default(10),
  /** pause per step, to stand in for real work (tests kill a run mid-way) */
  stepDelayMs: z.int().min(0).max(10_000).default(0),
  name: z.string().min(1).max(200).default('demo-train weights'),
});

const B1 = 0.9;
const B2 = 0.999;
const EPS = 1e-8;

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
/** log(1 + e^z) without overflow */
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export default defineJobKind({
  kind: 'demo-train',
  description: 'Logistic regression with Adam on seeded synthetic data: a loss curve, checkpoints and a weight vector',
  selfTest: true,
  params,
  async run(ctx) {
    const p = ctx.params;
    const d = p.dim;
    // The data set: X ~ N(0,1), true weights w* ~ N(0,1), labels y ~ Bernoulli(σ(x·w*)).
    let rng = Prng.fromSeed(p.seed);
    const wTrue = Array.from({ length: d }, () => rng.normal());
    const X = new Float64Array(p.samples * d);
    const y = new Float64Array(p.samples);
    for (let i = 0; i < p.samples; i++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += (X[i * d + j] = rng.normal()) * wTrue[j];
      y[i] = rng.float() < sigmoid(z) ? 1 : 0;
    }
    // Weights and Adam moments share one buffer: [w | m | v], checkpointed as bytes.
    const state = new Float64Array(3 * d);
    let step = 0;
    const ck = ctx.resumeState;
    if (ck) {
      if (!ck.optimizer || ck.optimizer.byteLength !== state.byteLength) throw new Error(`demo-train checkpoint of run '${ctx.runId}' has no optimizer state of ${state.byteLength} bytes`);
      state.set(new Float64Array(ck.optimizer.buffer.slice(ck.optimizer.byteOffset, ck.optimizer.byteOffset + ck.optimizer.byteLength)));
      step = ck.step;
      rng = Prng.fromState((ck.state as { rng: PrngState }).rng);
    }
    const w = state.subarray(0, d);
    const m = state.subarray(d, 2 * d);
    const v = state.subarray(2 * d, 3 * d);
    const g = new Float64Array(d);
    const losses: { x: number; value: number }[] = [];

    const commit = (): void => {
      const points = losses.splice(0);
      ctx.write((s) => s.metrics.addPoints({ runId: ctx.runId, name: 'loss', unit: 'nats', points }));
      ctx.checkpoint({ step, state: { rng: rng.state() }, optimizer: new Uint8Array(state.buffer.slice(0)) });
    };

    while (step < p.steps) {
      ctx.throwIfCancelled();
      g.fill(0);
      let loss = 0;
      for (let b = 0; b < p.batch; b++) {
        const i = rng.int(0, p.samples - 1);
        let z = 0;
        for (let j = 0; j < d; j++) z += X[i * d + j] * w[j];
        loss += softplus(z) - y[i] * z;
        const r = sigmoid(z) - y[i];
        for (let j = 0; j < d; j++) g[j] += (r * X[i * d + j]) / p.batch;
      }
      loss /= p.batch;
      let norm2 = 0;
      for (let j = 0; j < d; j++) {
        norm2 += w[j] * w[j];
        g[j] += p.l2 * w[j];
      }
      loss += 0.5 * p.l2 * norm2;
      step++;
      for (let j = 0; j < d; j++) {
        m[j] = B1 * m[j] + (1 - B1) * g[j];
        v[j] = B2 * v[j] + (1 - B2) * g[j] * g[j];
        const mh = m[j] / (1 - B1 ** step);
        const vh = v[j] / (1 - B2 ** step);
        w[j] -= (p.lr * mh) / (Math.sqrt(vh) + EPS);
      }
      losses.push({ x: step, value: loss });
      ctx.progress({ fraction: step / p.steps, message: `step ${step}/${p.steps} loss ${loss.toFixed(4)}` });
      if (step % p.checkpointEvery === 0 && step < p.steps) commit();
      if (p.stepDelayMs) await sleep(p.stepDelayMs);
    }
    const points = losses.splice(0);
    const vectorId = newId();
    ctx.write((s) => {
      s.metrics.addPoints({ runId: ctx.runId, name: 'loss', unit: 'nats', points });
      s.vectors.create({ id: vectorId, name: p.name, runId: ctx.runId, dtype: 'F32', shape: [d], data: Float32Array.from(w), meta: { seed: p.seed, steps: p.steps } });
    });
    return { vectorId, finalLossNats: points.at(-1)?.value ?? null };
  },
});
