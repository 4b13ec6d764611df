/** What the engine can do here: ORT version, execution providers, and the self-check result. */
import { Runtime } from './runtime.js';
import { selfcheck } from './selfcheck.js';

export interface EngineStatus {
  ortVersion: string;
  providers: string[];
  selfcheck: { ok: boolean; detail: string; ms: number };
}

export async function engineStatus(rt?: Runtime): Promise<EngineStatus> {
  const own = !rt;
  const r = rt ?? Runtime.start();
  try {
    const info = await r.info();
    const sc = await selfcheck(r);
    return { ortVersion: info.ortVersion, providers: info.providers, selfcheck: { ok: sc.ok, detail: sc.detail, ms: Math.round(sc.ms) } };
  } finally {
    if (own) await r.close();
  }
}
