/** Job worker entry: runs one run in its own thread with its own store connection, then reports how it ended. */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, parseInput } from '../store/index.js';
import { loadJobKind } from './kinds/index.js';
import { createJobSession } from './context.js';
import { changedInputs, inputFingerprints, unwrapCheckpoint } from './input-fingerprints.js';
import { JobCancelled } from './kind.js';
import { STOP_FOR_CLOSE, type WorkerData, type WorkerMessage } from './messages.js';

const data = workerData as WorkerData;
const post = (m: WorkerMessage): void => parentPort!.postMessage(m);

async function main(): Promise<void> {
  const store = openStore(data.storePath);
  const t0 = Date.now();
  try {
    const run = store.runs.get(data.runId);
    const elapsedMs = (): number => run.elapsedMs + (Date.now() - t0);
    let session: ReturnType<typeof createJobSession> | null = null;
    try {
      const kind = await loadJobKind(run.kind);
      const params = parseInput(kind.params, run.config, `params of run '${run.id}' (${run.kind})`);
      const inputs = inputFingerprints(params);
      const { checkpoint, inputs: were } = unwrapCheckpoint(store.checkpoints.get(run.id));
      const changed = were ? changedInputs(were, inputs) : null;
      if (changed) throw new Error(`cannot resume: ${changed}`);
      session = createJobSession({
        store, runId: run.id, ownerToken: data.ownerToken, params, resumeState: checkpoint, inputs,
        cancelFlag: new Int32Array(data.cancelFlag), elapsedMs, post,
      });
      const result = await kind.run(session.ctx);
      if (session.cancelRequested()) {
        session.abandon('cancelled', null);
      } else {
        session.complete(result);
      }
    } catch (e) {
      // the host is closing (flag 2): leave the run as it is; the runner marks it interrupted, resumable
      if (Atomics.load(new Int32Array(data.cancelFlag), 0) === STOP_FOR_CLOSE) return;
      const cancelled = e instanceof JobCancelled || (session?.cancelRequested() ?? false);
      const error = cancelled ? null : e instanceof Error ? e.message : String(e);
      if (session) session.abandon(cancelled ? 'cancelled' : 'failed', error);
      else store.runs.finish(run.id, { status: 'failed', error, elapsedMs: elapsedMs() });
    } finally {
      session?.dispose();
    }
  } finally {
    store.close();
  }
  post({ type: 'end' });
}

void main();
