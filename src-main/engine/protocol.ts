/** Typed messages between the engine runtime (caller thread) and its session worker. */
import type { DType } from './tensor.js';

export type TypedData = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export interface TensorData {
  dtype: DType;
  dims: number[];
  data: TypedData;
}

/** A tensor kept in the worker from an earlier run (e.g. a KV cache), fed back without a copy. */
export interface HeldRef {
  held: string;
}

export type Feed = TensorData | HeldRef;

export type ExecutionProvider = 'cpu' | 'cuda';

export interface SessionOptions {
  ep?: ExecutionProvider;
  /** intra-op threads (default: 2) */
  threads?: number;
  /** weight prepacking speeds up MatMul but keeps a second copy of the weights (default false) */
  prepack?: boolean;
  /** ORT graph optimisation level (default 'all') */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** keep ORT's CPU arena (faster repeated runs, more resident memory; default true) */
  memArena?: boolean;
  /** write ORT's optimised model here (diagnostics) */
  optimizedModelPath?: string;
}

/** An autoregressive decode loop run inside the worker (no round trip per token). */
export interface DecodeLoop {
  maxSteps: number;
  /** input/output names the loop wires: next token ids [B,1], positions [B,1], mask [B,S] (a column of 1 appended per step) */
  io: {
    token: string; position: string; mask: string; logits: string; carry: Record<string, string>;
    /** optional: an output of softmax(logits / T) and the float32 scalar input of 1 / T it reads */
    probs?: { output: string; invTemperature: string };
  };
  sampling: { temperature: number; topK?: number; topP?: number };
  /** one seed per row */
  seeds: number[];
  stopIds: number[];
  /** Int32 [cancel, stop row 0, stop row 1, ...]: set by the caller to stop everything or one row */
  control: SharedArrayBuffer;
  /** post the new tokens every this many steps */
  progressEvery: number;
}

export type Request =
  | { id: number; kind: 'create'; bytes: Uint8Array; externalDir: string | null; options: SessionOptions }
  | { id: number; kind: 'run'; session: number; feeds: Record<string, Feed>; outputs: string[]; keep?: Record<string, string> }
  | { id: number; kind: 'drop'; names: string[] }
  | { id: number; kind: 'decode'; session: number; feeds: Record<string, Feed>; loop: DecodeLoop }
  | { id: number; kind: 'release'; session: number }
  | { id: number; kind: 'info' };

export type Response =
  | { id: number; ok: true; kind: 'create'; session: number; inputNames: string[]; outputNames: string[] }
  | { id: number; ok: true; kind: 'run'; outputs: Record<string, TensorData>; ms: number }
  | { id: number; ok: true; kind: 'release' }
  | { id: number; ok: true; kind: 'drop' }
  | { id: number; ok: true; kind: 'decode'; tokens: number[][]; finish: ('stop' | 'length' | 'cancelled')[]; steps: number; ms: number; ortMs: number }
  | { id: number; ok: true; kind: 'decode-progress'; step: number; tokens: number[][] }
  | { id: number; ok: true; kind: 'info'; ortVersion: string; providers: string[]; rssMb: number }
  | { id: number; ok: false; error: string };
