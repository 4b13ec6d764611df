/**
 * Event channels pushed from main to the UI. Dependency-free: the preload bundles it.
 * A channel carries one payload type; `EventMap` in contract-types.ts maps names to payloads.
 */
export const EVENT_NAMES = ['jobs.events'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

/** One job event: progress while running, or a change of status. */
export type JobEvent =
  | { type: 'progress'; jobId: string; fraction: number; etaMs: number | null; message: string }
  | { type: 'status'; jobId: string; status: JobStatus; error?: string };

export interface EventMap {
  'jobs.events': JobEvent;
}
