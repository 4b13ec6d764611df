/** Names shared by Electron main and the preload. Dependency-free: the preload bundles it. */

/** IPC channel of one op: main registers one handler per op. */
export const opChannel = (op: string): string => `undertone:op:${op}`;

/** The one channel main pushes events on, as (eventName, payload). */
export const EVENT_CHANNEL = 'undertone:event';

/** Main passes the op names to the sandboxed preload as this process argument. */
export const OPS_ARG_PREFIX = '--undertone-ops=';
