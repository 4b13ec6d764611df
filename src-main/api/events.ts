/**
 * Event channels pushed from main to the UI. Dependency-free: the preload bundles it.
 * A channel carries one payload type; `EventMap` in contract-types.ts maps names to payloads.
 */
export const EVENT_NAMES = ['jobs.events'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

/**
 * One job event, as the job runner emits it (jobs/events.ts; context.ts checks the two agree):
 * the run's state after a progress report or a change of status.
 */
export interface JobEvent {
  runId: string;
  kind: string;
  status: JobStatus;
  /** 0..1 */
  fraction: number;
  /** seconds left, when it can be estimated */
  etaSec: number | null;
  message: string | null;
  /** the error of a failed run */
  error?: string;
}

export interface EventMap {
  'jobs.events': JobEvent;
}
