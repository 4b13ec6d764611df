/**
 * Session worker: owns every ORT InferenceSession (create and run block their thread, so they
 * must not run on the caller's event loop). Errors are returned as messages; the worker survives them.
 */
import { parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import type { Feed, Request, Response, SessionOptions, TensorData } from './protocol.js';
import { cudaHelp, providersAvailable } from './providers.js';

const requireCjs = createRequire(import.meta.url);
const sessions = new Map<number, ort.InferenceSession>();
/** tensors kept from earlier runs (KV caches), by name */
const held = new Map<string, ort.Tensor>();
let nextSession = 1;

function sessionOptions(o: SessionOptions, externalDir: string | null): ort.InferenceSession.SessionOptions {
  const session: Record<string, string> = {};
  if (externalDir) session.model_external_initializers_file_folder_path = externalDir;
  if (!o.prepack) session.disable_prepacking = '1';
  return {
    executionProviders: [o.ep ?? 'cpu'],
    intraOpNumThreads: o.threads ?? 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: o.optimization ?? 'all',
    enableCpuMemArena: o.memArena ?? true,
    enableMemPattern: true,
    ...(o.optimizedModelPath ? { optimizedModelFilePath: o.optimizedModelPath } : {}),
    extra: { session },
  };
}

function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor(t.dtype as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims);
}

function feedOf(input: string, f: Feed): ort.Tensor {
  if ('held' in f) {
    const t = held.get(f.held);
    if (!t) throw new Error(`input '${input}': no held tensor '${f.held}' (dropped or never kept)`);
    return t;
  }
  return toOrt(f);
}

function fromOrt(t: ort.Tensor): TensorData {
  return { dtype: t.type as TensorData['dtype'], dims: [...t.dims], data: t.data as TensorData['data'] };
}

async function handle(m: Request): Promise<Response> {
  switch (m.kind) {
    case 'create': {
      const ep = m.options.ep ?? 'cpu';
      if (ep === 'cuda' && !providersAvailable().includes('cuda')) throw new Error(cudaHelp());
      let s: ort.InferenceSession;
      try {
        s = await ort.InferenceSession.create(m.bytes, sessionOptions(m.options, m.externalDir));
      } catch (e) {
        const msg = (e as Error).message;
        if (ep === 'cuda') throw new Error(`${msg}\n${cudaHelp()}`);
        throw e;
      }
      const id = nextSession++;
      sessions.set(id, s);
      return { id: m.id, ok: true, kind: 'create', session: id, inputNames: [...s.inputNames], outputNames: [...s.outputNames] };
    }
    case 'run': {
      const s = sessions.get(m.session);
      if (!s) throw new Error(`session ${m.session} is not open (released or never created)`);
      const feeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(m.feeds)) feeds[k] = feedOf(k, v);
      const keep = m.keep ?? {};
      const t0 = performance.now();
      const res = await s.run(feeds, [...new Set([...m.outputs, ...Object.keys(keep)])]);
      const ms = performance.now() - t0;
      for (const [out, name] of Object.entries(keep)) held.set(name, res[out]!);
      const outputs: Record<string, TensorData> = {};
      for (const k of m.outputs) outputs[k] = fromOrt(res[k]!);
      return { id: m.id, ok: true, kind: 'run', outputs, ms };
    }
    case 'release': {
      const s = sessions.get(m.session);
      sessions.delete(m.session);
      await s?.release();
      return { id: m.id, ok: true, kind: 'release' };
    }
    case 'drop':
      for (const n of m.names) held.delete(n);
      return { id: m.id, ok: true, kind: 'drop' };
    case 'info':
      return {
        id: m.id, ok: true, kind: 'info',
        ortVersion: (requireCjs('onnxruntime-node/package.json') as { version: string }).version,
        providers: providersAvailable(),
        rssMb: process.memoryUsage().rss / 2 ** 20,
      };
  }
}

parentPort!.on('message', (m: Request) => {
  handle(m).then(
    (r) => {
      const transfer: ArrayBuffer[] = [];
      if (r.ok && r.kind === 'run') for (const t of Object.values(r.outputs)) transfer.push(t.data.buffer as ArrayBuffer);
      parentPort!.postMessage(r, transfer);
    },
    (e: unknown) => parentPort!.postMessage({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies Response),
  );
});
