/**
 * Bench operands made once and held in the engine worker, so that a timed run feeds them as
 * `{held: name}` and moves no input data across the thread boundary (a 64 MB operand posted on every
 * run would be timed as part of the product).
 */
import * as o from '../engine/ops.js';
import { compile } from '../engine/onnx-export.js';
import type { Feed, Runtime, SessionOptions, TensorData } from '../engine/runtime.js';
import { Graph } from '../engine/tensor.js';

export interface HeldOperands {
  /** feeds naming the held tensors, by input name */
  feeds: Record<string, Feed>;
  release(): Promise<void>;
}

/** Uniform(−0.5, 0.5) float32 operands of the given dims, seeded, held in the worker under `prefix.name`. */
export async function holdRandomOperands(rt: Runtime, prefix: string, dims: Record<string, number[]>, seed: number, opts: SessionOptions = {}): Promise<HeldOperands> {
  // a graph that passes its inputs through (×1), whose outputs stay in the worker
  const g = new Graph();
  const through = Object.fromEntries(Object.entries(dims).map(([n, d]) => [`${n}_out`, o.mul(g.input(n, 'float32', d), 1)]));
  const maker = await rt.load(compile({ outputs: through }), { threads: 2, ...opts });
  const keep = Object.fromEntries(Object.keys(dims).map((n) => [`${n}_out`, `${prefix}.${n}`]));
  try {
    let s = seed >>> 0;
    const rnd = (n: number): Float32Array => Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5);
    const data: Record<string, TensorData> = Object.fromEntries(Object.entries(dims).map(([n, d]) => [n, { dtype: 'float32', dims: d, data: rnd(d.reduce((a, b) => a * b, 1)) }]));
    await maker.run(data, { keep });
  } finally {
    await maker.release();
  }
  return {
    feeds: Object.fromEntries(Object.keys(dims).map((n) => [n, { held: `${prefix}.${n}` }])),
    release: () => rt.drop(Object.values(keep)),
  };
}
