/**
 * What handlers receive: services created on first use (an op that needs no store opens none),
 * the event hub, and the store location. Adding a service = a field in `Services` plus a factory
 * in `defaultFactories`; hosts and tests get it through `createContext`.
 *
 * Services, one each per host process (per context):
 * - `store`: the experiment store at `storeFile` (`--store`, else $UNDERTONE_STORE, else the OS app-data folder)
 * - `jobs`: the job runner on that store; its events go out on `jobs.events`
 * - `engine`: one shared engine runtime (session worker), so `engine.status` does not start a worker per call
 */
import { openStore, resolveStorePath, type Store } from '../store/index.js';
import { EventHub } from './event-hub.js';
import { SharedEngine, type EngineService } from './services/engine.js';
import { JobsService, type JobsOnClose } from './services/jobs.js';

export type { JobsOnClose } from './services/jobs.js';

export interface Services {
  engine: EngineService;
  store: Store;
  jobs: JobsService;
}

export type ServiceFactories = { [K in keyof Services]: (ctx: ApiContext) => Services[K] };

export interface ApiContext extends Readonly<Services> {
  /** `--store path`, or undefined for the default location */
  readonly storePath: string | undefined;
  /** the store file the services open: `storePath` resolved, or $UNDERTONE_STORE, or the OS app-data default */
  readonly storeFile: string;
  readonly events: EventHub;
  /**
   * What `close()` does to the runs this context started: 'finish' (the default: a one-shot CLI
   * call runs its job to the end) or 'interrupt' (long-lived hosts: quitting leaves them resumable).
   */
  jobsOnClose: JobsOnClose;
  /** Closes the services that were created (those with a `close()`), newest first. */
  close(): Promise<void>;
}

export const defaultFactories: ServiceFactories = {
  engine: () => new SharedEngine(),
  store: (ctx) => openStore(ctx.storeFile),
  jobs: (ctx) => new JobsService(ctx.storeFile, ctx.events, () => ctx.jobsOnClose),
};

export interface ContextOptions {
  storePath?: string;
  /** default 'finish' */
  jobsOnClose?: JobsOnClose;
  /** replace some services, e.g. with fakes in tests */
  factories?: Partial<ServiceFactories>;
}

export function createContext(opts: ContextOptions = {}): ApiContext {
  const factories: ServiceFactories = { ...defaultFactories, ...opts.factories };
  const created = new Map<keyof Services, unknown>();
  const ctx = {
    storePath: opts.storePath,
    get storeFile(): string {
      return resolveStorePath(opts.storePath);
    },
    events: new EventHub(),
    jobsOnClose: opts.jobsOnClose ?? 'finish',
    async close(): Promise<void> {
      const services = [...created.values()].reverse();
      created.clear();
      for (const service of services) {
        const close = (service as { close?: () => unknown }).close;
        if (typeof close === 'function') await close.call(service);
      }
    },
  } as ApiContext;
  for (const key of Object.keys(factories) as (keyof Services)[]) {
    Object.defineProperty(ctx, key, {
      enumerable: true,
      get() {
        if (!created.has(key)) created.set(key, factories[key](ctx));
        return created.get(key);
      },
    });
  }
  return ctx;
}
