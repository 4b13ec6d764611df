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

export type Request =
  | { id: number; kind: 'create'; bytes: Uint8Array; externalDir: string | null; options: SessionOptions }
  | { id: number; kind: 'run'; session: number; feeds: Record<string, Feed>; outputs: string[]; keep?: Record<string, string> }
  | { id: number; kind: 'drop'; names: string[] }
  | { id: number; kind: 'release'; session: number }
  | { id: number; kind: 'info' };

export type Response =
  | { id: number; ok: true; kind: 'create'; session: number; inputNames: string[]; outputNames: string[] }
  | { id: number; ok: true; kind: 'run'; outputs: Record<string, TensorData>; ms: number }
  | { id: number; ok: true; kind: 'release' }
  | { id: number; ok: true; kind: 'drop' }
  | { id: number; ok: true; kind: 'info'; ortVersion: string; providers: string[]; rssMb: number }
  | { id: number; ok: false; error: string };
