/** Who may talk to `serve`: loopback Host names only (DNS-rebinding guard), same-origin, and the token. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'];

/** The Host header must name loopback at our port; a rebinding attacker's page carries its own name. */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  return LOOPBACK_NAMES.some((name) => req.headers.host === `${name}:${port}`);
}

/** Browsers send Origin on cross-origin requests and on every WebSocket; when present it must be ours. */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  return origin === undefined || LOOPBACK_NAMES.some((name) => origin === `http://${name}:${port}`);
}

/** The token from `Authorization: Bearer <t>` (API calls; browsers cannot add it to a WebSocket). */
export function bearerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
}

export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
