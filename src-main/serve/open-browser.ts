/**
 * Opens the app in the desktop's browser; silently does nothing where there is none (headless).
 *
 * The URL carries the token, and a command line is visible to every local user (`ps`), so the
 * browser is given a file instead: a redirect page, readable by this user only (0600 in a 0700
 * folder), as Jupyter does. The page is removed when the returned function is called (server exit).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A private redirect page to `url`; its path, and a function that deletes it. */
export function writeRedirectPage(url: string, parent = tmpdir()): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(parent, 'undertone-open-')); // mode 0700
  const file = join(dir, 'open.html');
  const u = escapeHtml(url);
  writeFileSync(file, `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${u}"><title>Undertone</title><p>Opening <a href="${u}">Undertone</a>…</p>\n`, { mode: 0o600 });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openBrowser(url: string): () => void {
  const page = writeRedirectPage(url);
  const target = pathToFileURL(page.file).href;
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [target]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', target]]
        : ['xdg-open', [target]];
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  child.unref();
  return page.remove;
}
