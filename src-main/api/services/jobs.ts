/**
 * The jobs service: one JobRunner per host process on the context's store, its events forwarded to
 * the `jobs.events` channel. On close, a one-shot host (the CLI's `api`) lets the runs it started
 * finish; a long-lived host (the app, `serve`) interrupts them, to be resumed from their checkpoints.
 */
import { JobRunner, type JobStart } from '../../jobs/index.js';
import type { Run } from '../../store/index.js';
import type { EventHub } from '../event-hub.js';

/** What closing the context does to the runs this process started: wait for them, or interrupt them. */
export type JobsOnClose = 'finish' | 'interrupt';

export class JobsService {
  readonly runner: JobRunner;
  private readonly started = new Set<string>();

  constructor(
    storeFile: string,
    hub: EventHub,
    private readonly onClose: () => JobsOnClose,
  ) {
    this.runner = new JobRunner({ storePath: storeFile });
    // (a JobEvent from jobs/ must be an api JobEvent: this line fails to compile if they drift apart)
    this.runner.on('job', (e) => hub.emit('jobs.events', e));
  }

  async start(input: JobStart): Promise<Run> {
    const run = await this.runner.submit(input);
    this.started.add(run.id);
    return run;
  }

  resume(runId: string): Run {
    const run = this.runner.resume(runId);
    this.started.add(run.id);
    return run;
  }

  cancel(runId: string): Run {
    return this.runner.cancel(runId);
  }

  async close(): Promise<void> {
    if (this.onClose() === 'finish') await Promise.all([...this.started].map((id) => Promise.resolve(id).then((r) => this.runner.wait(r)).catch(() => undefined)));
    await this.runner.close();
  }
}
