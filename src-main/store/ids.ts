import { randomUUID } from 'node:crypto';

/** A new entity id (a UUID string). */
export const newId = (): string => randomUUID();

/** The timestamp every created row carries (ISO 8601, UTC, ms). */
export const nowIso = (): string => new Date().toISOString();
