/**
 * What handlers receive: services created on first use (an op that needs no store opens none),
 * the event hub, and the store location. Adding a service = a field in `Services` plus a factory
 * in `defaultFactories`; hosts and tests get it through `createContext`.
 */
import { engineStatus } from '../engine/status.js';
import { EventHub } from './event-hub.js';

export interface Services {
  engine: { status: typeof engineStatus };
}

export type ServiceFactories = { [K in keyof Services]: (ctx: ApiContext) => Services[K] };

export interface ApiContext extends Readonly<Services> {
  /** `--store path`, or undefined for the default location */
  readonly storePath: string | undefined;
  readonly events: EventHub;
  /** Closes the services that were created (those with a `close()`). */
  close(): Promise<void>;
}

export const defaultFactories: ServiceFactories = {
  engine: () => ({ status: engineStatus }),
};

export interface ContextOptions {
  storePath?: string;
  /** replace some services, e.g. with fakes in tests */
  factories?: Partial<ServiceFactories>;
}

export function createContext(opts: ContextOptions = {}): ApiContext {
  const factories: ServiceFactories = { ...defaultFactories, ...opts.factories };
  const created = new Map<keyof Services, unknown>();
  const ctx = {
    storePath: opts.storePath,
    events: new EventHub(),
    async close(): Promise<void> {
      for (const service of created.values()) {
        const close = (service as { close?: () => unknown }).close;
        if (typeof close === 'function') await close.call(service);
      }
      created.clear();
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
