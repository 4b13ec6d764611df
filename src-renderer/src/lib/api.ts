/**
 * The renderer's API client. In Electron it goes through the preload bridge (`window.undertone`);
 * in a browser (`serve`) it goes over HTTP + WebSocket with the token from the page URL.
 * Only contract *types* come from src-main.
 */
import type {
  ApiErrorBody,
  EventMap,
  EventName,
  OpEnvelope,
  OpInput,
  OpName,
  OpOutput,
  UndertoneBridge,
} from '../../../src-main/api/contract-types.js';
import { serveToken } from './token.js';

declare global {
  interface Window {
    undertone?: UndertoneBridge;
  }
}

/** A structured API error (`invalid_input`, `not_found`, ...), as the hosts return it. */
export class ApiCallError extends Error {
  constructor(readonly body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiCallError';
  }
}

type Transport = Pick<UndertoneBridge, 'invoke' | 'on'>;

const transport: Transport = window.undertone ?? httpTransport();

export async function call<K extends OpName>(op: K, input: OpInput<K>): Promise<OpOutput<K>> {
  const envelope = await transport.invoke(op, input);
  if ('error' in envelope) throw new ApiCallError(envelope.error);
  return envelope.result;
}

/** Returns the unsubscribe function. */
export function on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
  return transport.on(event, listener);
}

function httpTransport(): Transport {
  const token = serveToken();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let socket: WebSocket | undefined;

  function connect(): void {
    const url = new URL('api/events', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = new URLSearchParams({ token: token ?? '' }).toString();
    socket = new WebSocket(url);
    socket.onmessage = (msg) => {
      const { event, payload } = JSON.parse(String(msg.data)) as { event: EventName; payload: never };
      for (const l of listeners.get(event) ?? []) l(payload);
    };
    socket.onclose = () => {
      socket = undefined;
      if ([...listeners.values()].some((set) => set.size)) setTimeout(connect, 2000);
    };
  }

  return {
    async invoke<K extends OpName>(op: K, input: OpInput<K>): Promise<OpEnvelope<K>> {
      if (!token) throw new Error('No API token: open the URL that `npm run cli -- serve` printed (it ends in ?token=...).');
      const res = await fetch(new URL(`api/${op}`, location.href), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(input),
      });
      if (!res.headers.get('content-type')?.startsWith('application/json')) {
        throw new Error(`${op}: HTTP ${res.status} ${(await res.text()).trim()}`);
      }
      return (await res.json()) as OpEnvelope<K>;
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      if (!socket) connect();
      return () => {
        set.delete(listener as (payload: never) => void);
        if (![...listeners.values()].some((s) => s.size)) socket?.close();
      };
    },
  };
}
