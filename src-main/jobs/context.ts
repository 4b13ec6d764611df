/**
 * The JobContext a job gets inside its worker: queued writes, checkpoints committed in one
 * transaction with them, progress reports, and cancellation from this process (a shared flag)
 * or another one (the run's cancel_requested column, polled).
 */
import type { Checkpoint, Store } from '../store/index.js';
import { JobCancelled, type CheckpointInput, type JobContext } from './kind.js';
import type { WorkerMessage } from './messages.js';
import { wrapState, type InputFingerprints } from './input-fingerprints.js';

const CANCEL_POLL_MS = 200;

export interface ContextDeps<P> {
  store: Store;
  runId: string;
  ownerToken: string;
  params: P;
  resumeState: Checkpoint | null;
  /** the run's input files' fingerprints, kept with each checkpoint (input-fingerprints.ts) */
  inputs?: InputFingerprints;
  cancelFlag: Int32Array;
  elapsedMs: () => number;
  post: (m: WorkerMessage) => void;
}

export interface JobSession<P> {
  ctx: JobContext<P>;
  /** whether a cancel was requested (checks the store too) */
  cancelRequested(): boolean;
  /** commit the queued writes with the run's `done` status and result, in one transaction */
  complete(result: unknown): void;
  /** end the run as failed or cancelled; queued writes since the last checkpoint are dropped */
  abandon(status: 'failed' | 'cancelled', error: string | null): void;
  /** stop the cancel poll timer */
  dispose(): void;
}

export function createJobSession<P>(d: ContextDeps<P>): JobSession<P> {
  const { store, runId } = d;
  const controller = new AbortController();
  let pending: ((s: Store) => void)[] = [];
  let lastPoll = 0;
  let last: { fraction: number; message: string | null } | undefined;

  const cancelRequested = (): boolean => {
    if (controller.signal.aborted) return true;
    const now = Date.now();
    if (Atomics.load(d.cancelFlag, 0) !== 0 || (now - lastPoll >= CANCEL_POLL_MS && ((lastPoll = now), store.runs.isCancelRequested(runId)))) {
      controller.abort(new JobCancelled(runId));
      return true;
    }
    return false;
  };
  // Async jobs learn of a cancel through the signal without asking.
  const timer = setInterval(cancelRequested, CANCEL_POLL_MS);
  timer.unref();

  /** Inside a write transaction: refuse to write for a run this runner no longer owns. */
  const assertOwned = (): void => {
    const r = store.db.prepare('SELECT status, owner_token FROM runs WHERE id = ?').get(runId) as { status: string; owner_token: string | null } | undefined;
    if (!r || r.status !== 'running' || r.owner_token !== d.ownerToken) {
      throw new Error(`run '${runId}' is no longer running under this runner (status ${r?.status ?? 'deleted'}); its writes were dropped`);
    }
  };
  const flush = (): void => {
    for (const op of pending) op(store);
    pending = [];
  };

  const ctx: JobContext<P> = {
    runId,
    params: d.params,
    resumeState: d.resumeState,
    store,
    signal: controller.signal,
    get cancelled() {
      return cancelRequested();
    },
    throwIfCancelled() {
      if (cancelRequested()) throw new JobCancelled(runId);
    },
    progress({ fraction, message }) {
      if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) throw new Error(`run '${runId}': progress fraction must be in [0, 1], got ${fraction}`);
      last = { fraction, message: message ?? null };
      d.post({ type: 'progress', ...last });
    },
    write(op) {
      pending.push(op);
    },
    checkpoint(c: CheckpointInput) {
      const ops = pending;
      store.transaction(() => {
        assertOwned();
        for (const op of ops) op(store);
        store.checkpoints.save(runId, { step: c.step, state: wrapState(c.state, d.inputs ?? {}) as typeof c.state, optimizer: c.optimizer ?? null });
        store.runs.setElapsed(runId, d.elapsedMs());
        if (last) store.runs.setProgress(runId, last.fraction, last.message);
      });
      pending = [];
    },
    recordModelHash(hash: string) {
      store.transaction(() => {
        assertOwned();
        // a resumed run must go on with the weights it started with
        const had = store.runs.get(runId).modelHash;
        if (d.resumeState && had && had !== hash) {
          throw new Error(`cannot resume: the model's weights changed since the run started (identity ${had.slice(0, 19)}… → ${hash.slice(0, 19)}…); restore them or start a new run`);
        }
        store.runs.setModelHash(runId, hash);
      });
    },
  };

  return {
    ctx,
    cancelRequested,
    complete(result) {
      store.transaction(() => {
        assertOwned();
        flush();
        store.runs.finish(runId, { status: 'done', result: result ?? null, elapsedMs: d.elapsedMs(), progress: last });
      });
    },
    abandon(status, error) {
      pending = [];
      store.runs.finish(runId, { status, error, elapsedMs: d.elapsedMs(), progress: last });
    },
    dispose() {
      clearInterval(timer);
    },
  };
}
