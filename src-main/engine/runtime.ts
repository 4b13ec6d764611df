/**
 * Engine runtime: a session worker plus typed handles. The caller's event loop stays free while
 * ORT runs. Feeds are checked against the compiled graph's declared inputs before they are sent,
 * so a bad feed is an error naming the input and the shapes, not a worker crash.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Compiled, IoInfo } from './onnx-export.js';
import { WANT_GRAD } from './onnx-export.js';
import type { DecodeLoop, Feed, HeldRef, Request, Response, SessionOptions, TensorData, TypedData } from './protocol.js';
import { EngineError, fmtShape, type DType } from './tensor.js';

export type { DecodeLoop, Feed, HeldRef, SessionOptions, TensorData, TypedData };

type Pending = { resolve: (r: Response) => void; reject: (e: Error) => void };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function spawnWorker(): Worker {
  // In the built app this module is bundled next to worker.js. Under tsx (tests, CLI) it is .ts,
  // and the worker registers tsx itself (loader hooks do not reach worker threads on Node 20).
  const here = import.meta.url;
  const ts = new URL('./worker.ts', here);
  if (here.endsWith('.ts') && existsSync(fileURLToPath(ts))) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })`;
    return new Worker(boot, { eval: true });
  }
  return new Worker(new URL('./worker.js', here));
}

export class Runtime {
  private readonly pending = new Map<number, Pending>();
  private readonly progress = new Map<number, (r: Response) => void>();
  private nextId = 1;
  private dead: Error | null = null;
  /** called when the last pending request settles (close() waits on it) */
  private drained: (() => void) | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (r: Response) => {
      if (r.ok && r.kind === 'decode-progress') {
        this.progress.get(r.id)?.(r);
        return;
      }
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      p.resolve(r);
      if (!this.pending.size) this.drained?.();
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new EngineError(`engine worker exited (code ${code})`)));
  }

  static start(): Runtime {
    return new Runtime(spawnWorker());
  }

  private fail(e: Error): void {
    this.dead ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.drained?.();
  }

  private async call(req: DistributiveOmit<Request, 'id'>, transfer: ArrayBuffer[] = [], onProgress?: (r: Response) => void): Promise<Response> {
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    if (onProgress) this.progress.set(id, onProgress);
    const res = await new Promise<Response>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id } as Request, transfer);
    }).finally(() => this.progress.delete(id));
    if (!res.ok) throw new EngineError(res.error);
    return res;
  }

  async info(): Promise<{ ortVersion: string; providers: string[]; rssMb: number }> {
    const r = await this.call({ kind: 'info' });
    if (r.ok && r.kind === 'info') return { ortVersion: r.ortVersion, providers: r.providers, rssMb: r.rssMb };
    throw new EngineError('unexpected reply');
  }

  /** Create a session for a compiled graph (one per model and purpose). */
  async load(c: Compiled, options: SessionOptions = {}): Promise<Session> {
    const r = await this.call({ kind: 'create', bytes: c.bytes, externalDir: c.externalDir, options });
    if (!(r.ok && r.kind === 'create')) throw new EngineError('unexpected reply');
    return new Session(this, r.session, c);
  }

  /** @internal */
  async _run(session: number, feeds: Record<string, Feed>, outputs: string[], keep?: Record<string, string>): Promise<{ outputs: Record<string, TensorData>; ms: number }> {
    const r = await this.call({ kind: 'run', session, feeds, outputs, keep });
    if (r.ok && r.kind === 'run') return { outputs: r.outputs, ms: r.ms };
    throw new EngineError('unexpected reply');
  }

  /** @internal */
  async _decode(session: number, feeds: Record<string, Feed>, loop: DecodeLoop, onProgress?: (step: number, tokens: number[][]) => void): Promise<{ tokens: number[][]; finish: ('stop' | 'length' | 'cancelled')[]; steps: number; ms: number; ortMs: number }> {
    const r = await this.call({ kind: 'decode', session, feeds, loop }, [], (p) => {
      if (p.ok && p.kind === 'decode-progress') onProgress?.(p.step, p.tokens);
    });
    if (r.ok && r.kind === 'decode') return { tokens: r.tokens, finish: r.finish, steps: r.steps, ms: r.ms, ortMs: r.ortMs };
    throw new EngineError('unexpected reply');
  }

  /** Free tensors kept in the worker by `run(..., {keep})`. */
  async drop(names: string[]): Promise<void> {
    if (names.length) await this.call({ kind: 'drop', names });
  }

  /** @internal */
  async _release(session: number): Promise<void> {
    await this.call({ kind: 'release', session });
  }

  /**
   * Stop the worker. New requests are refused at once; requests in flight get up to `waitMs` to
   * finish first: terminating the worker while ORT is creating a session on it aborted the whole
   * process ('terminate called after throwing an instance of Napi::Error'; closing 200–400 ms into
   * the self-check did).
   */
  async close(waitMs = 10_000): Promise<void> {
    if (this.dead) return;
    this.dead = new EngineError('runtime closed');
    if (this.pending.size) {
      await new Promise<void>((res) => {
        this.drained = res;
        setTimeout(res, waitMs).unref();
      });
    }
    await this.worker.terminate();
  }
}

export class Session {
  constructor(
    private readonly rt: Runtime,
    private readonly id: number,
    readonly compiled: Compiled,
  ) {}

  /**
   * Run the graph. `grad: true` also computes the gradient outputs (the same session and weights).
   * Returns the requested outputs (default: all forward outputs, plus gradients when grad is set,
   * less those kept). `keep` maps outputs to names they stay under in the worker, to be fed back as
   * `{held: name}` without a copy.
   */
  async run(feeds: Record<string, Feed>, opts: { grad?: boolean; outputs?: string[]; keep?: Record<string, string> } = {}): Promise<Record<string, TensorData>> {
    const c = this.compiled;
    const all = withDefaults(c.inputs, feeds);
    if (c.gradOutputs.length) all[WANT_GRAD] = { dtype: 'bool', dims: [], data: Uint8Array.of(opts.grad ? 1 : 0) };
    else if (opts.grad) throw new EngineError('run: this graph was compiled without gradients');
    checkFeeds(c.inputs, all);
    const fwd = c.outputs.filter((o) => !c.gradOutputs.includes(o.name)).map((o) => o.name);
    const kept = new Set(Object.keys(opts.keep ?? {}));
    // by default a kept output stays in the worker only; one asked for by name also comes back (a copy)
    const outputs = opts.outputs ?? (opts.grad ? [...fwd, ...c.gradOutputs] : fwd).filter((o) => !kept.has(o));
    for (const o of kept) if (!c.outputs.some((x) => x.name === o)) throw new EngineError(`run: cannot keep unknown output '${o}'`);
    for (const o of outputs) if (!c.outputs.some((x) => x.name === o)) throw new EngineError(`run: unknown output '${o}' (outputs: ${c.outputs.map((x) => x.name).join(', ')})`);
    if (c.gradOutputs.length) {
      // The If node always produces gradient outputs: ask ORT for them, drop the unrequested ones.
      const req = [...new Set([...outputs, ...c.gradOutputs])];
      const r = await this.rt._run(this.id, all, req, opts.keep);
      return Object.fromEntries(outputs.map((o) => [o, r.outputs[o]!]));
    }
    return (await this.rt._run(this.id, all, outputs, opts.keep)).outputs;
  }

  /**
   * Autoregressive decoding inside the worker: runs, samples each row, feeds tokens, positions, a
   * growing mask and the carried outputs (KV cache) back, until every row stops or maxSteps.
   */
  decode(feeds: Record<string, Feed>, loop: DecodeLoop, onProgress?: (step: number, tokens: number[][]) => void) {
    const all = withDefaults(this.compiled.inputs, feeds);
    checkFeeds(this.compiled.inputs, all);
    return this.rt._decode(this.id, all, loop, onProgress);
  }

  release(): Promise<void> {
    return this.rt._release(this.id);
  }
}

const DATA_CTOR: Record<DType, string> = {
  float32: 'Float32Array', float64: 'Float64Array', float16: 'Uint16Array', bfloat16: 'Uint16Array',
  int64: 'BigInt64Array', int32: 'Int32Array', bool: 'Uint8Array',
};

/** The feeds plus the default of every input they leave out. */
export function withDefaults(inputs: readonly IoInfo[], feeds: Record<string, Feed>): Record<string, Feed> {
  const all: Record<string, Feed> = { ...feeds };
  for (const i of inputs) {
    if (i.default && !all[i.name]) all[i.name] = { dtype: i.dtype, dims: i.shape as number[], data: i.default } as TensorData;
  }
  return all;
}

/** Check dtype, rank, static dims and symbolic-dim consistency of every feed. */
export function checkFeeds(inputs: readonly IoInfo[], feeds: Record<string, Feed>): void {
  const sym = new Map<string, { v: number; who: string }>();
  for (const i of inputs) {
    const f = feeds[i.name];
    if (!f) throw new EngineError(`run: missing input '${i.name}' (${i.dtype}${fmtShape(i.shape)})`);
    if ('held' in f) continue; // checked by ORT in the worker
    const want = `${i.dtype}${fmtShape(i.shape)}`;
    const got = `${f.dtype}${fmtShape(f.dims)}`;
    if (f.dtype !== i.dtype) throw new EngineError(`run: input '${i.name}' expects ${want}, got ${got} (dtype)`);
    if (f.data.constructor.name !== DATA_CTOR[i.dtype]) throw new EngineError(`run: input '${i.name}' data must be a ${DATA_CTOR[i.dtype]}, got ${f.data.constructor.name}`);
    if (f.dims.length !== i.shape.length) throw new EngineError(`run: input '${i.name}' expects ${want}, got ${got} (rank)`);
    const n = f.dims.reduce((a, b) => a * b, 1);
    if (f.data.length !== n) throw new EngineError(`run: input '${i.name}' has ${f.data.length} values but dims ${fmtShape(f.dims)} need ${n}`);
    i.shape.forEach((d, k) => {
      const v = f.dims[k]!;
      if (typeof d === 'number') {
        if (d !== v) throw new EngineError(`run: input '${i.name}' expects ${want}, got ${got} (axis ${k}: ${d} vs ${v})`);
      } else if (!/[*+-]/.test(d)) {
        const prev = sym.get(d);
        if (prev && prev.v !== v) throw new EngineError(`run: dim '${d}' is ${prev.v} in '${prev.who}' but ${v} in '${i.name}' (${got})`);
        sym.set(d, { v, who: i.name });
      }
    });
  }
  for (const k of Object.keys(feeds)) if (!inputs.some((i) => i.name === k)) throw new EngineError(`run: unknown input '${k}' (inputs: ${inputs.map((i) => i.name).join(', ')})`);
}
