/**
 * The `serve` host: the built renderer plus the API over HTTP (`POST /api/<op>`, JSON) and a
 * WebSocket (`/api/events`), on 127.0.0.1 only, behind a random token. No research logic here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { CONTENT_SECURITY_POLICY, HEADER_ONLY_POLICY } from '../../src-renderer/csp.js';
import type { ApiContext } from '../api/context.js';
import { dispatch } from '../api/dispatch.js';
import type { OpDef } from '../api/op.js';
import { ops } from '../api/ops/index.js';
import type { ApiErrorCode } from '../api/errors.js';
import { EventsSocket } from './events-socket.js';
import { bearerToken, hostAllowed, newToken, originAllowed, tokenMatches } from './guard.js';
import { HttpError, readJsonBody } from './json-body.js';
import { sendStatic } from './static-files.js';

export const HOST = '127.0.0.1';

export interface ServeOptions {
  ctx: ApiContext;
  /** the built renderer, normally out/renderer */
  staticDir: string;
  /** 0 picks a free port */
  port?: number;
  /** fixed token, for tests; otherwise a fresh random one */
  token?: string;
  maxBodyBytes?: number;
}

export interface RunningServer {
  server: Server;
  port: number;
  token: string;
  /** the page URL, carrying the token */
  url: string;
  close(): Promise<void>;
}

const HTTP_STATUS: Record<ApiErrorCode, number> = {
  invalid_input: 400,
  unknown_op: 404,
  not_found: 404,
  conflict: 409,
  internal: 500,
};

const HTML_POLICY = `${CONTENT_SECURITY_POLICY}; ${HEADER_ONLY_POLICY}`;

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  // A long-lived host: stopping it interrupts the jobs it runs (resumable), it does not wait for them.
  opts.ctx.jobsOnClose = 'interrupt';
  const token = opts.token ?? newToken();
  const maxBodyBytes = opts.maxBodyBytes ?? 1 << 20;
  const events = new EventsSocket(opts.ctx.events);
  let port = 0;

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(COMMON_HEADERS)) res.setHeader(k, v);
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (!res.headersSent) sendText(res, status, err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req)) return sendText(res, 421, 'Host must be a loopback name (127.0.0.1, localhost or [::1])');
    if (!originAllowed(req)) return sendText(res, 403, 'cross-origin request refused');
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    if (url.pathname.startsWith('/api/')) {
      if (!tokenMatches(bearerToken(req), token)) return sendText(res, 401, 'missing or wrong token');
      if (req.method !== 'POST') return sendText(res, 405, 'API calls are POST');
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        return sendText(res, 415, 'Content-Type must be application/json');
      }
      const op = url.pathname.slice('/api/'.length);
      const opLimit = Object.hasOwn(ops, op) ? (ops[op as keyof typeof ops] as OpDef).maxBodyBytes : undefined;
      const envelope = await dispatch(opts.ctx, op, await readJsonBody(req, Math.max(maxBodyBytes, opLimit ?? 0)));
      const status = 'error' in envelope ? HTTP_STATUS[envelope.error.code] : 200;
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(envelope));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'only GET here');
    if (!(await sendStatic(res, opts.staticDir, url.pathname, HTML_POLICY))) sendText(res, 404, 'not found');
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const refuse = (status: number, why: string): void => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!hostAllowed(req)) return refuse(421, 'Misdirected Request');
    if (!originAllowed(req)) return refuse(403, 'Forbidden');
    if (url.pathname !== '/api/events') return refuse(404, 'Not Found');
    if (!tokenMatches(bearerToken(req) ?? url.searchParams.get('token') ?? undefined, token)) return refuse(401, 'Unauthorized');
    events.accept(req, socket, head);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 0, host: HOST }, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;

  return {
    server,
    port,
    token,
    url: `http://${HOST}:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        events.close();
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text + '\n');
}
