/** The runner ↔ job-worker protocol. */
export interface WorkerData {
  storePath: string;
  runId: string;
  ownerToken: string;
  /** Int32Array view: [0] becomes 1 when a cancel is requested */
  cancelFlag: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'progress'; fraction: number; message: string | null }
  /** the run's final status is committed */
  | { type: 'end' };
