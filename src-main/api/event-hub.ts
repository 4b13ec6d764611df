/** Fan-out of events from services (jobs) to the hosts that forward them (IPC, WebSocket). */
import type { EventMap, EventName } from './events.js';

export type EventListener = <E extends EventName>(event: E, payload: EventMap[E]) => void;

export class EventHub {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const l of this.listeners) l(event, payload);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
