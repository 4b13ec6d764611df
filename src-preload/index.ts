/**
 * Preload (sandboxed): exposes `window.undertone`, a narrow bridge derived from the contract's op
 * names (passed by main as a process argument), never raw ipcRenderer.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL, OPS_ARG_PREFIX, opChannel } from '../src-main/api/bridge.js';
import type { EventMap, EventName, OpEnvelope, OpName, UndertoneBridge } from '../src-main/api/contract-types.js';
import { EVENT_NAMES } from '../src-main/api/events.js';

const opsArg = process.argv.find((arg) => arg.startsWith(OPS_ARG_PREFIX));
const ops = (opsArg ? opsArg.slice(OPS_ARG_PREFIX.length).split(',') : []) as OpName[];

const bridge: UndertoneBridge = {
  ops,
  invoke<K extends OpName>(op: K, input: unknown): Promise<OpEnvelope<K>> {
    if (!ops.includes(op)) {
      return Promise.resolve({ error: { code: 'unknown_op', op, message: `unknown op '${op}'` } });
    }
    return ipcRenderer.invoke(opChannel(op), input) as Promise<OpEnvelope<K>>;
  },
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
    if (!EVENT_NAMES.includes(event)) throw new Error(`unknown event '${event}' (known: ${EVENT_NAMES.join(', ')})`);
    const relay = (_e: IpcRendererEvent, name: string, payload: unknown): void => {
      if (name === event) listener(payload as EventMap[E]);
    };
    ipcRenderer.on(EVENT_CHANNEL, relay);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, relay);
  },
};

contextBridge.exposeInMainWorld('undertone', bridge);
