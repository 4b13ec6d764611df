/** Electron IPC wiring of the contract: one handler per op, each through the shared dispatcher. */
import type { ApiContext } from '../api/context.js';
import { EVENT_CHANNEL, opChannel } from '../api/bridge.js';
import { dispatch, type Envelope } from '../api/dispatch.js';
import { ops, type OpRegistry } from '../api/ops/index.js';

/** The part of Electron's `ipcMain` used here (kept structural so tests need no Electron). */
export interface IpcHost<E> {
  handle(channel: string, listener: (event: E, input: unknown) => Promise<Envelope>): void;
  removeHandler(channel: string): void;
}

/** Registers every op; calls from senders that fail `trusted` are refused. Returns the unregister function. */
export function registerIpc<E>(
  ipc: IpcHost<E>,
  ctx: ApiContext,
  trusted: (event: E) => boolean,
  registry: OpRegistry = ops,
): () => void {
  for (const op of Object.keys(registry)) {
    ipc.handle(opChannel(op), async (event, input) => {
      if (!trusted(event)) throw new Error(`IPC call to ${op} from an untrusted sender`);
      return dispatch(ctx, op, input, registry);
    });
  }
  return () => {
    for (const op of Object.keys(registry)) ipc.removeHandler(opChannel(op));
  };
}

/** Forwards every hub event to one window as (EVENT_CHANNEL, eventName, payload). Returns the stop function. */
export function forwardEvents(ctx: ApiContext, send: (channel: string, event: string, payload: unknown) => void): () => void {
  return ctx.events.subscribe((event, payload) => send(EVENT_CHANNEL, event, payload));
}
