/** Serves the built renderer (out/renderer): index.html with the CSP header, hashed assets cached. */
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Answers GET for `pathname` under `root`; false when there is no such file. */
export async function sendStatic(res: ServerResponse, root: string, pathname: string, csp: string): Promise<boolean> {
  let rel: string;
  try {
    rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
  } catch {
    return false; // malformed %-escape
  }
  const base = resolve(root);
  const file = resolve(join(base, rel));
  if (!file.startsWith(base + sep)) return false;
  const type = TYPES[extname(file)];
  if (!type) return false;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return false;
  const headers: Record<string, string> = { 'Content-Type': type };
  if (type.startsWith('text/html')) {
    headers['Content-Security-Policy'] = csp;
    headers['Cache-Control'] = 'no-store';
  } else if (rel.startsWith('assets/')) {
    headers['Cache-Control'] = 'public, max-age=31536000, immutable';
  }
  res.writeHead(200, headers).end(await readFile(file));
  return true;
}
