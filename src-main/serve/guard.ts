/** Who may talk to `serve`: loopback Host names only (DNS-rebinding guard), same-origin, and the token. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `name:port` split, or undefined when it is not a host with an optional decimal port. */
function splitHost(host: string): { name: string; port: string } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
  return m ? { name: m[1]!.toLowerCase(), port: m[2] ?? '' } : undefined;
}

/**
 * The Host header must name loopback; a rebinding attacker's page carries its own name. Any port:
 * over `ssh -L 9000:127.0.0.1:<port>` the browser sends `localhost:9000`.
 */
export function hostAllowed(req: IncomingMessage): boolean {
  const h = req.headers.host ? splitHost(req.headers.host) : undefined;
  return h !== undefined && LOOPBACK_NAMES.has(h.name);
}

/**
 * Browsers send Origin on cross-origin requests and on every WebSocket; when present it must be the
 * page's own origin: http, a loopback name, and the same host and port as the request's Host.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  if (!host || !origin.startsWith('http://')) return false;
  const o = splitHost(origin.slice('http://'.length));
  return o !== undefined && LOOPBACK_NAMES.has(o.name) && origin.slice('http://'.length).toLowerCase() === host.toLowerCase();
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
