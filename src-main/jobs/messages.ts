/** The runner ↔ job-worker protocol. */
export interface WorkerData {
  storePath: string;
  runId: string;
  ownerToken: string;
  /** Int32 flag: 0 run on, 1 cancel (the user), STOP_FOR_CLOSE (the host is closing: stop, stay resumable) */
  cancelFlag: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'progress'; fraction: number; message: string | null }
  /** the run's final status is committed */
  | { type: 'end' };

/**
 * The cancel flag's value when the host closes (Ctrl-C on serve, quitting the app): the job stops at
 * its next cancellation check and leaves its run for the runner to mark interrupted. Terminating the
 * worker instead, while its ORT worker is inside a run, aborts the whole process (a native error).
 */
export const STOP_FOR_CLOSE = 2;
