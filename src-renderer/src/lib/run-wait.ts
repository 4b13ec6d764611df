/**
 * Wait for a run to end (done, failed, cancelled, interrupted): from `jobs.events`, with a poll of
 * runs.get every 2 s in case an event is missed. `onProgress` sees each event's fraction.
 */
import type { OpOutput } from '../../../src-main/api/contract-types.js';
import { call, on } from './api.js';

export type RunRow = OpOutput<'runs.get'>;

const ENDED = new Set(['done', 'failed', 'cancelled', 'interrupted']);

export function waitForRun(runId: string, onProgress?: (fraction: number, message: string | null) => void): Promise<RunRow> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const check = async () => {
      try {
        const r = await call('runs.get', { id: runId });
        if (!settled && ENDED.has(r.status)) finish(r);
      } catch (err) {
        if (!settled) {
          settled = true;
          stop();
          reject(err);
        }
      }
    };
    const off = on('jobs.events', (e) => {
      if (e.runId !== runId) return;
      onProgress?.(e.fraction, e.message);
      if (ENDED.has(e.status)) void check();
    });
    const timer = setInterval(() => void check(), 2000);
    const stop = () => {
      off();
      clearInterval(timer);
    };
    function finish(r: RunRow) {
      settled = true;
      stop();
      resolve(r);
    }
    void check();
  });
}
