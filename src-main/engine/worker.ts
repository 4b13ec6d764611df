/**
 * Session worker: owns every ORT InferenceSession (create and run block their thread, so they
 * must not run on the caller's event loop). Errors are returned as messages; the worker survives them.
 */
import { parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import type { DecodeLoop, Feed, Request, Response, SessionOptions, TensorData } from './protocol.js';
import { rowRng, sampleFromProbs, sampleToken } from './sampling.js';
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
    // diagnostics: UNDERTONE_ORT_PROFILE=<prefix> writes ORT's per-node timings (JSON) when a session is released
    ...(process.env.UNDERTONE_ORT_PROFILE ? { enableProfiling: true, profileFilePrefix: process.env.UNDERTONE_ORT_PROFILE } : {}),
    extra: { session },
  };
}

function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor(t.dtype as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims);
}

/** The autoregressive loop: run, sample every row, feed the tokens and the carried cache back. */
async function decodeLoop(id: number, s: ort.InferenceSession, initial: Record<string, Feed>, L: DecodeLoop): Promise<Response> {
  const t0 = performance.now();
  const io = L.io;
  const tok0 = initial[io.token];
  const pos0 = initial[io.position];
  const mask0 = initial[io.mask];
  if (!tok0 || 'held' in tok0 || !pos0 || 'held' in pos0 || !mask0 || 'held' in mask0) throw new Error(`decode: '${io.token}', '${io.position}' and '${io.mask}' must be given as data`);
  const B = tok0.dims[0]!;
  if (L.seeds.length !== B) throw new Error(`decode: ${L.seeds.length} seeds for ${B} rows`);
  const ctl = new Int32Array(L.control);
  const T0 = pos0.dims[1]!;
  const pos = new BigInt64Array(B);
  for (let b = 0; b < B; b++) pos[b] = (pos0.data as BigInt64Array)[b * T0 + T0 - 1]! + 1n;
  let S = mask0.dims[1]!;
  let mask = mask0.data as BigInt64Array;
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(initial)) feeds[k] = feedOf(k, v);
  const rngs = L.seeds.map((sd, b) => rowRng(sd, b));
  const stop = new Set(L.stopIds);
  const out: number[][] = Array.from({ length: B }, () => []);
  const sent = new Array<number>(B).fill(0);
  const finish: ('stop' | 'length' | 'cancelled' | null)[] = new Array(B).fill(null);
  // with a probability output, temperature > 0 samples from the graph's softmax(logits / T)
  const probsOut = io.probs && L.sampling.temperature > 0 ? io.probs : null;
  if (probsOut) feeds[probsOut.invTemperature] = new ort.Tensor('float32', Float32Array.of(1 / L.sampling.temperature), []);
  const outNames = [probsOut ? probsOut.output : io.logits, ...Object.keys(io.carry)];
  let scratch = new Float64Array(0);
  let steps = 0;
  let ortMs = 0;
  const progress = (): void => {
    const tokens = out.map((r, b) => r.slice(sent[b]));
    out.forEach((r, b) => (sent[b] = r.length));
    parentPort!.postMessage({ id, ok: true, kind: 'decode-progress', step: steps, tokens } satisfies Response);
  };
  for (let step = 0; step < L.maxSteps; step++) {
    if (Atomics.load(ctl, 0)) {
      for (let b = 0; b < B; b++) finish[b] ??= 'cancelled';
      break;
    }
    const tr = performance.now();
    const res = await s.run(feeds, outNames);
    ortMs += performance.now() - tr;
    steps++;
    const lg = res[probsOut ? probsOut.output : io.logits]!;
    const V = lg.dims[lg.dims.length - 1]!;
    if (scratch.length < V) scratch = new Float64Array(V);
    const data = lg.data as Float32Array;
    const next = new BigInt64Array(B);
    for (let b = 0; b < B; b++) {
      if (!finish[b] && Atomics.load(ctl, 1 + b)) finish[b] = 'stop';
      if (finish[b]) continue;
      const row = data.subarray(b * V, (b + 1) * V);
      const t = probsOut ? sampleFromProbs(row, L.sampling, rngs[b]!) : sampleToken(row, L.sampling, rngs[b]!, scratch);
      next[b] = BigInt(t);
      if (stop.has(t)) finish[b] = 'stop';
      else out[b]!.push(t);
    }
    if (finish.every((f) => f)) break;
    feeds[io.token] = new ort.Tensor('int64', next, [B, 1]);
    feeds[io.position] = new ort.Tensor('int64', pos.slice(), [B, 1]);
    for (let b = 0; b < B; b++) pos[b]! += 1n;
    const m2 = new BigInt64Array(B * (S + 1));
    for (let b = 0; b < B; b++) {
      m2.set(mask.subarray(b * S, (b + 1) * S), b * (S + 1));
      m2[b * (S + 1) + S] = 1n;
    }
    mask = m2;
    S++;
    feeds[io.mask] = new ort.Tensor('int64', mask, [B, S]);
    for (const [o, i] of Object.entries(io.carry)) feeds[i] = res[o]!;
    if (L.progressEvery > 0 && steps % L.progressEvery === 0) progress();
  }
  if (L.progressEvery > 0 && steps % L.progressEvery !== 0) progress();
  return { id, ok: true, kind: 'decode', tokens: out, finish: finish.map((f) => f ?? 'length'), steps, ms: performance.now() - t0, ortMs };
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
      for (const k of m.outputs) {
        const t = fromOrt(res[k]!);
        // outputs are transferred to the caller (their buffers leave this thread): one also kept
        // here goes as a copy, or the held tensor would be left without its data
        outputs[k] = k in keep ? { ...t, data: t.data.slice() } : t;
      }
      return { id: m.id, ok: true, kind: 'run', outputs, ms };
    }
    case 'release': {
      const s = sessions.get(m.session);
      sessions.delete(m.session);
      if (process.env.UNDERTONE_ORT_PROFILE) s?.endProfiling();
      await s?.release();
      return { id: m.id, ok: true, kind: 'release' };
    }
    case 'decode': {
      const s = sessions.get(m.session);
      if (!s) throw new Error(`session ${m.session} is not open (released or never created)`);
      return decodeLoop(m.id, s, m.feeds, m.loop);
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
