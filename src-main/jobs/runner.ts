/**
 * The job runner: a queue with a concurrency limit, one worker thread per running job, progress
 * events with an ETA, cooperative cancel, and resume from the last checkpoint. On construction it
 * marks `interrupted` the runs whose owning process is gone (a crash or kill).
 *
 *   const runner = new JobRunner({ storePath });
 *   runner.on('job', (e) => ...);
 *   const run = await runner.submit({ kind: 'demo-train', params: { seed: 1 } });
 *   await runner.wait(run.id);
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { openStore, parseInput, invalid, type JsonValue, type Run, type RunOwner, type Store } from '../store/index.js';
import { jobKinds, loadJobKind } from './kinds/index.js';
import { claimOwner, isOwnerAlive, releaseOwner } from './owner.js';
import { codeVersion } from './code-version.js';
import { Eta } from './eta.js';
import { jobStartSchema, type JobStart } from './schemas.js';
import type { JobEvent } from './events.js';
import { STOP_FOR_CLOSE, type WorkerData, type WorkerMessage } from './messages.js';

export interface RunnerOptions {
  storePath: string;
  /** jobs running at once (default 1) */
  concurrency?: number;
  /** least time between progress writes to the run row; events are not throttled (default 1000 ms) */
  progressWriteMs?: number;
}

interface Active {
  worker: Worker;
  flag: Int32Array;
  eta: Eta;
  ended: boolean;
  error: string | null;
  lastWrite: number;
}

const TERMINAL = new Set(['done', 'failed', 'cancelled', 'interrupted']);

/** Under tsx (dev, tests) the worker is TypeScript and must register tsx itself; a build ships jobs-worker.js (electron.vite.config.ts). */
function spawnWorker(data: WorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('./worker.ts', here).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData: data });
  }
  return new Worker(new URL('./jobs-worker.js', here), { workerData: data });
}

/** Provenance columns read from conventional params keys, when a kind has them. */
function provenance(params: unknown): { seed?: number; modelId?: string; modelHash?: string; datasetId?: string } {
  const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
  return {
    seed: Number.isSafeInteger(p.seed) && (p.seed as number) >= 0 ? (p.seed as number) : undefined,
    modelId: str('modelId'),
    modelHash: str('modelHash'),
    datasetId: str('datasetId'),
  };
}

/** How long a closing runner waits for its jobs to stop by themselves before terminating their workers. */
const STOP_GRACE_MS = 20_000;

export class JobRunner extends EventEmitter<{ job: [JobEvent] }> {
  /** the runner's own store connection (hosts may read through it) */
  readonly store: Store;
  /** runs found queued or running under a dead owner at start-up, now `interrupted` */
  readonly interrupted: string[];
  private readonly owner: RunOwner;
  private readonly concurrency: number;
  private readonly progressWriteMs: number;
  private readonly queue: string[] = [];
  private readonly active = new Map<string, Active>();
  private readonly waiters = new Map<string, ((r: Run) => void)[]>();
  private closing = false;

  constructor(opts: RunnerOptions) {
    super();
    this.concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw invalid(`runner concurrency must be a positive integer, got ${opts.concurrency}`);
    this.progressWriteMs = opts.progressWriteMs ?? 1000;
    this.store = openStore(opts.storePath);
    this.owner = claimOwner();
    this.interrupted = this.store.runs.markInterrupted(isOwnerAlive);
  }

  /** Validate the kind and params, create the run (status queued) and enqueue it. */
  async submit(input: JobStart): Promise<Run> {
    this.assertOpen();
    const s = parseInput(jobStartSchema, input, 'job start');
    const kind = await loadJobKind(s.kind);
    const params = parseInput(kind.params, s.params, `params of job '${s.kind}'`) as JsonValue;
    const p = provenance(params);
    const run = this.store.runs.create({
      kind: s.kind, config: params, codeVersion: codeVersion(), seed: p.seed ?? null, modelId: p.modelId ?? null,
      modelHash: p.modelHash ?? null, datasetId: p.datasetId ?? null, owner: this.owner,
    });
    this.enqueue(run);
    return run;
  }

  /** Restart an interrupted, failed or cancelled run from its last checkpoint (from the start if it has none). */
  resume(runId: string): Run {
    this.assertOpen();
    const r = this.store.runs.get(runId);
    if (!(r.kind in jobKinds)) throw invalid(`run '${runId}' is of unknown job kind '${r.kind}' (known: ${Object.keys(jobKinds).join(', ')})`);
    const run = this.store.runs.requeue(runId, this.owner);
    this.enqueue(run);
    return run;
  }

  /**
   * Ask a run to stop. A queued run of this runner is cancelled at once; a running one stops at
   * its next cancellation check; a run of another process is flagged in the store for its worker.
   */
  cancel(runId: string): Run {
    const run = this.store.runs.requestCancel(runId);
    const a = this.active.get(runId);
    if (a) {
      Atomics.store(a.flag, 0, 1);
    } else {
      const i = this.queue.indexOf(runId);
      if (i >= 0) {
        this.queue.splice(i, 1);
        this.store.runs.finish(runId, { status: 'cancelled' });
        this.settle(runId);
      }
    }
    return this.store.runs.get(runId);
  }

  /** Resolves with the run once it is done, failed, cancelled or interrupted. */
  wait(runId: string): Promise<Run> {
    const r = this.store.runs.get(runId);
    if (TERMINAL.has(r.status)) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.set(runId, [...(this.waiters.get(runId) ?? []), resolve]));
  }

  /**
   * Stop: workers are terminated (their runs become `interrupted`, resumable from the last
   * checkpoint), queued runs too, and the store is closed.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    releaseOwner(this.owner);
    this.queue.length = 0;
    // ask each job to stop at its next cancellation check (within a step); terminate only laggards
    await Promise.all([...this.active.values()].map((a) => new Promise<void>((resolve) => {
      Atomics.store(a.flag, 0, STOP_FOR_CLOSE);
      const timer = setTimeout(() => void a.worker.terminate().finally(resolve), STOP_GRACE_MS);
      a.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    })));
    const interrupted = this.store.runs.markInterrupted(isOwnerAlive);
    for (const id of new Set([...interrupted, ...this.waiters.keys()])) this.settle(id);
    this.store.close();
  }

  private assertOpen(): void {
    if (this.closing) throw invalid('the job runner is closed');
  }

  private enqueue(run: Run): void {
    this.queue.push(run.id);
    this.emitRun(run);
    this.pump();
  }

  private pump(): void {
    while (!this.closing && this.active.size < this.concurrency && this.queue.length) {
      const id = this.queue.shift()!;
      if (!this.store.runs.claim(id)) {
        const r = this.store.runs.find(id);
        if (r?.status === 'queued' && r.cancelRequested) this.store.runs.finish(id, { status: 'cancelled' });
        this.settle(id);
        continue;
      }
      this.launch(this.store.runs.get(id));
    }
  }

  private launch(run: Run): void {
    const cancelFlag = new SharedArrayBuffer(4);
    const worker = spawnWorker({ storePath: this.store.path, runId: run.id, ownerToken: this.owner.token, cancelFlag });
    const a: Active = { worker, flag: new Int32Array(cancelFlag), eta: new Eta(), ended: false, error: null, lastWrite: 0 };
    this.active.set(run.id, a);
    this.emitRun(run);
    worker.on('message', (m: WorkerMessage) => this.onMessage(run, a, m));
    worker.on('error', (e) => {
      a.error = e.message;
    });
    worker.on('exit', (code) => {
      this.active.delete(run.id);
      if (this.closing) return;
      if (!a.ended) {
        try {
          this.store.runs.finish(run.id, { status: 'failed', error: a.error ?? `job worker exited with code ${code} before the job ended` });
        } catch (err) {
          // the store is locked or read-only: the run is reaped as interrupted by the next reader
          console.error(`undertone: could not record the end of run ${run.id}: ${(err as Error).message}`);
        }
      }
      this.settle(run.id);
      this.pump();
    });
  }

  private onMessage(run: Run, a: Active, m: WorkerMessage): void {
    switch (m.type) {
      case 'progress': {
        const etaSec = a.eta.update(m.fraction);
        const now = Date.now();
        if (now - a.lastWrite >= this.progressWriteMs) {
          a.lastWrite = now;
          try {
            this.store.runs.setProgress(run.id, m.fraction, m.message);
          } catch {
            // progress is advisory: a locked store skips this write (the next one catches up)
          }
        }
        this.emit('job', { runId: run.id, kind: run.kind, status: 'running', fraction: m.fraction, etaSec, message: m.message });
        break;
      }
      case 'end':
        a.ended = true;
        break;
    }
  }

  /** Emit the run's current state and release its waiters if it has ended. */
  private settle(runId: string): void {
    const r = this.store.runs.find(runId);
    if (!r) return;
    this.emitRun(r);
    if (TERMINAL.has(r.status)) {
      for (const resolve of this.waiters.get(runId) ?? []) resolve(r);
      this.waiters.delete(runId);
    }
  }

  private emitRun(r: Run): void {
    const e: JobEvent = { runId: r.id, kind: r.kind, status: r.status, fraction: r.progress, etaSec: null, message: r.message };
    if (r.error) e.error = r.error;
    this.emit('job', e);
  }
}
