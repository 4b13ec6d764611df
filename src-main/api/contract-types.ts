/**
 * The API contract as types only: what the renderer and the preload may import (type-only).
 * Everything here derives from the op registry in ops/, so adding an op there is the whole change.
 */
import type { z } from 'zod';
import type { ops } from './ops/index.js';
import type { ApiErrorBody } from './errors.js';
import type { EventMap, EventName } from './events.js';

export type { ApiErrorBody, ApiErrorCode, ApiIssue } from './errors.js';
export type { EventMap, EventName, JobEvent, JobStatus } from './events.js';

type Ops = typeof ops;
export type OpName = keyof Ops & string;
/** What a caller sends (before schema defaults are applied). */
export type OpInput<K extends OpName> = z.input<Ops[K]['input']>;
export type OpOutput<K extends OpName> = z.output<Ops[K]['output']>;

export type OpEnvelope<K extends OpName> = { result: OpOutput<K> } | { error: ApiErrorBody };

/** What the preload exposes as `window.undertone` (Electron only). */
export interface UndertoneBridge {
  readonly ops: readonly OpName[];
  invoke<K extends OpName>(op: K, input: OpInput<K>): Promise<OpEnvelope<K>>;
  /** Returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}
