// `serve` opens the browser on a private redirect file, not on the URL: a command line (with the
// token) would be visible to every local user in `ps`.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { openBrowser, writeRedirectPage } from '../../src-main/serve/open-browser.js';

const URL_WITH_TOKEN = 'http://127.0.0.1:47811/?token=SECRET_TOKEN_value-1';

test('the redirect page: this user only (0600 file, 0700 folder), leads to the URL, removed on request', () => {
  const page = writeRedirectPage(URL_WITH_TOKEN);
  try {
    assert.equal(statSync(page.file).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(page.file)).mode & 0o777, 0o700);
    const html = readFileSync(page.file, 'utf8');
    assert.match(html, /http-equiv="refresh" content="0;url=http:\/\/127\.0\.0\.1:47811\/\?token=SECRET_TOKEN_value-1"/);
  } finally {
    page.remove();
  }
  assert.ok(!existsSync(dirname(page.file)));
});

test('openBrowser hands the browser the file, never the token', { skip: process.platform !== 'linux' && 'xdg-open stub is Linux only' }, async () => {
  const bin = mkdtempSync(join(tmpdir(), 'undertone-xdg-'));
  const log = join(bin, 'args.txt');
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${log}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  let remove: (() => void) | undefined;
  try {
    remove = openBrowser(URL_WITH_TOKEN);
    for (let i = 0; i < 100 && !existsSync(log); i++) await new Promise((r) => setTimeout(r, 20));
    const args = readFileSync(log, 'utf8').trim();
    assert.doesNotMatch(args, /SECRET_TOKEN/);
    assert.match(args, /^file:\/\//);
    assert.match(readFileSync(fileURLToPath(args), 'utf8'), /SECRET_TOKEN_value-1/);
  } finally {
    process.env.PATH = path;
    remove?.();
    rmSync(bin, { recursive: true, force: true });
  }
});
