/** Job events, as the runner emits them and the hosts forward them (IPC, WebSocket, CLI). */
import type { RunStatus } from '../store/index.js';

export interface JobEvent {
  runId: string;
  kind: string;
  status: RunStatus;
  /** 0..1 */
  fraction: number;
  /** seconds left, when it can be estimated */
  etaSec: number | null;
  message: string | null;
  /** the error of a failed run */
  error?: string;
}

/** One line for logs and the CLI. */
export function describeEvent(e: JobEvent): string {
  const pct = `${(e.fraction * 100).toFixed(1)}%`;
  const eta = e.etaSec === null ? '' : ` eta ${Math.ceil(e.etaSec)}s`;
  return `[${e.kind} ${e.runId.slice(0, 8)}] ${e.status} ${pct}${eta}${e.message ? ` ${e.message}` : ''}${e.error ? ` error: ${e.error}` : ''}`;
}
