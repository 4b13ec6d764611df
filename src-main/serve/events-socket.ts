/** `/api/events`: a WebSocket that pushes every hub event as `{event, payload}` JSON to authorised clients. */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventHub } from '../api/event-hub.js';

export class EventsSocket {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  private readonly unsubscribe: () => void;

  constructor(hub: EventHub) {
    this.unsubscribe = hub.subscribe((event, payload) => {
      const message = JSON.stringify({ event, payload });
      for (const client of this.wss.clients) if (client.readyState === client.OPEN) client.send(message);
    });
  }

  /** Call only once the request has passed the host, origin and token checks. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('message', () => ws.close(1003, 'this socket only sends'));
    });
  }

  close(): void {
    this.unsubscribe();
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
