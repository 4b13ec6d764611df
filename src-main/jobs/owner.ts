/**
 * Who owns a queued or running run: a process id and a token per runner. A runner that starts
 * marks `interrupted` only the runs whose owner is gone, so the app and a CLI can share one store.
 * WAL needs every connection on one machine, so every owner is a local process.
 */
import type { RunOwner, Store } from '../store/index.js';
import { newId } from '../store/index.js';

/** Tokens of the runners alive in this process. */
const live = new Set<string>();

export function claimOwner(): RunOwner {
  const o = { pid: process.pid, token: newId() };
  live.add(o.token);
  return o;
}

export function releaseOwner(o: RunOwner): void {
  live.delete(o.token);
}

export function isOwnerAlive(o: RunOwner | null): boolean {
  if (!o) return false;
  if (o.pid === process.pid) return live.has(o.token);
  try {
    process.kill(o.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs left queued or running by a process that is gone (killed, crashed) become `interrupted`,
 * resumable. Called wherever runs are listed, so a crash shows at once rather than when the next
 * job starts. Returns their ids.
 */
export function reapDeadRuns(store: Store): string[] {
  try {
    return store.runs.markInterrupted(isOwnerAlive);
  } catch (err) {
    // a reader must not fail because the store is busy or read-only: the next listing reaps them
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_READONLY')) return [];
    throw err;
  }
}
