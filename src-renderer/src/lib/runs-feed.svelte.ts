/**
 * The runs list, kept live: loaded with runs.list, updated from `jobs.events` (progress, ETA, status),
 * refreshed from the store when a run changes status, and polled every few seconds to catch runs
 * that another process (e.g. the CLI) runs on the same store. The poll reads two fingerprints
 * (runs.stamp, a few bytes): the list, configs and results included (MBs with hundreds of runs), is
 * reloaded only when its shape changed (a run added, deleted or changing status); when only an
 * active run's progress changed, only the running runs are reread.
 */
import type { JobEvent, OpOutput } from '../../../src-main/api/contract-types.js';
import { call, on } from './api.js';
import { errorText } from './format.js';

export type Run = OpOutput<'runs.list'>[number];
type Stamps = OpOutput<'runs.stamp'>;

const POLL_MS = 5000;

export class RunsFeed {
  runs = $state<Run[]>([]);
  /** seconds left per running run, from the last progress event */
  eta = $state<Record<string, number | null>>({});
  loaded = $state(false);
  error = $state<string>();

  /** the fingerprints the list was loaded at */
  private stamps: Stamps | undefined;

  /** Reload the list when the store's runs changed since the last load; reread only the running runs when just their progress did. */
  async poll(): Promise<void> {
    try {
      const now = await call('runs.stamp', {});
      if (now.shape !== this.stamps?.shape) await this.reload(now);
      else if (now.stamp !== this.stamps.stamp) await this.rereadRunning(now);
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Progress and messages of the running runs (the list's shape is unchanged: same runs, same statuses). */
  private async rereadRunning(at: Stamps): Promise<void> {
    const running = new Map((await call('runs.list', { status: 'running', limit: 10_000 })).map((r) => [r.id, r]));
    this.stamps = at;
    this.runs = this.runs.map((r) => {
      const s = running.get(r.id);
      // a progress event may be newer than the stored figure (stored at most once a second)
      return s && r.status === 'running' && s.progress >= r.progress ? { ...r, progress: s.progress, message: s.message } : r;
    });
  }

  async reload(stamps?: Stamps): Promise<void> {
    try {
      // the fingerprints first: a change during the load is caught by the next poll
      const at = stamps ?? (await call('runs.stamp', {}));
      const runs = await call('runs.list', { limit: 10_000 });
      this.stamps = at;
      // progress is stored at most once a second: keep the newer figure from the events
      const live = new Map(this.runs.map((r) => [r.id, r]));
      this.runs = runs.map((r) => {
        const l = live.get(r.id);
        return l && l.status === r.status && l.progress > r.progress ? { ...r, progress: l.progress, message: l.message } : r;
      });
      this.error = undefined;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loaded = true;
    }
  }

  /** Replace one run with its stored state (finish time, elapsed time, error). */
  async refresh(id: string): Promise<void> {
    try {
      const { checkpoint: _, ...run } = await call('runs.get', { id });
      const i = this.runs.findIndex((r) => r.id === id);
      if (i >= 0) this.runs[i] = run;
      else this.runs.push(run);
    } catch {
      await this.reload();
    }
  }

  apply(e: JobEvent): void {
    const i = this.runs.findIndex((r) => r.id === e.runId);
    if (i < 0) {
      void this.reload();
      return;
    }
    const r = this.runs[i]!;
    const changed = r.status !== e.status;
    this.runs[i] = { ...r, status: e.status, progress: e.fraction, message: e.message, error: e.error ?? (changed ? null : r.error) };
    this.eta[e.runId] = e.status === 'running' ? e.etaSec : null;
    if (changed) void this.refresh(e.runId);
  }

  find(id: string | undefined): Run | undefined {
    return id === undefined ? undefined : this.runs.find((r) => r.id === id);
  }

  /** Start following; returns the stop function (call it when the view goes away). */
  follow(): () => void {
    void this.reload();
    const off = on('jobs.events', (e) => this.apply(e));
    const timer = setInterval(() => void this.poll(), POLL_MS);
    return () => {
      off();
      clearInterval(timer);
    };
  }
}
