/** The engine service: ONE engine Runtime (a session worker) per host process, started on first use. */
import { Runtime } from '../../engine/runtime.js';
import { engineStatus, type EngineStatus } from '../../engine/status.js';

export interface EngineService {
  status(): Promise<EngineStatus>;
  /** the shared engine runtime (started on first use); absent in test doubles */
  runtime?(): Runtime;
  close?(): unknown;
}

export class SharedEngine implements EngineService {
  private rt: Runtime | null = null;

  /** The shared runtime, started on first use (and again after a failure replaced it). */
  runtime(): Runtime {
    return (this.rt ??= Runtime.start());
  }

  /** ORT version, providers and the self-check, on the shared runtime: no new worker per call. */
  async status(): Promise<EngineStatus> {
    const rt = this.runtime();
    try {
      return await engineStatus(rt);
    } catch (err) {
      // the worker may be dead: the next call starts a fresh one
      if (this.rt === rt) {
        this.rt = null;
        await rt.close().catch(() => {});
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    const rt = this.rt;
    this.rt = null;
    await rt?.close();
  }
}
