/** Where the store lives, and checks on path arguments (traversal, existence). */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { invalid, notFound, StoreError } from './errors.js';

export const STORE_FILE = 'undertone.db';

/** The OS app-data folder's store: ~/.config/undertone (Linux), ~/Library/Application Support/Undertone (mac), %APPDATA%/Undertone (Windows). */
export function defaultStorePath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  const home = homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Undertone', STORE_FILE);
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Undertone', STORE_FILE);
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'undertone', STORE_FILE);
}

/**
 * `--store path` wins, then $UNDERTONE_STORE, then the OS default. A given path that is a folder,
 * or whose parent is a file, is refused naming the path (SQLite only said "unable to open database
 * file"); a missing parent folder is created when the store is (see existingStorePath for readers).
 */
export function resolveStorePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const p = flag ?? env.UNDERTONE_STORE;
  if (p !== undefined && p !== '') {
    assertPathText(p, '--store');
    const abs = resolve(p);
    const field = flag !== undefined ? '--store' : 'UNDERTONE_STORE';
    if (isDir(abs)) throw invalid(`${field} ${p}: is a folder; pass a .db file path (e.g. ${join(abs, STORE_FILE)})`);
    const parent = firstExisting(dirname(abs));
    if (parent !== null && !isDir(parent)) throw invalid(`${field} ${p}: ${parent} is a file, not a folder`);
    return abs;
  }
  return defaultStorePath(process.platform, env);
}

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** `p` or its nearest ancestor that exists (null: none can be seen). */
function firstExisting(p: string): string | null {
  for (let d = p; ; d = dirname(d)) {
    if (existsSync(d)) return d;
    if (dirname(d) === d) return null;
  }
}

/**
 * The store a reading command opens: like resolveStorePath, but a path given explicitly (--store or
 * UNDERTONE_STORE) must exist. A typo would otherwise create an empty store and look like lost runs.
 */
export function existingStorePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const p = resolveStorePath(flag, env);
  const given = flag ?? env.UNDERTONE_STORE;
  if (given !== undefined && given !== '' && !existsSync(p)) {
    if (!existsSync(dirname(p))) throw new StoreError('not_found', `no store at ${p} (${flag !== undefined ? '--store' : 'UNDERTONE_STORE'}): the folder ${dirname(p)} does not exist; check the path`);
    throw new StoreError('not_found', `no store at ${p} (${flag !== undefined ? '--store' : 'UNDERTONE_STORE'}): check the path; jobs-start, import, datasets import and serve create a new one`);
  }
  return p;
}

/** A path argument must be non-empty text without NUL bytes and without '..' segments. */
export function assertPathText(p: string, field: string): void {
  if (p === '') throw invalid(`${field}: path is empty`);
  if (p.includes('\0')) throw invalid(`${field}: path contains a NUL byte`);
  if (p.split(/[\\/]/).includes('..')) throw invalid(`${field}: path '${p}' contains a '..' segment (path traversal is refused; give the resolved path)`);
}

/** Resolve `rel` inside `base`; refuses absolute paths and anything that escapes `base`. */
export function resolveInside(base: string, rel: string, field: string): string {
  if (rel === '' || rel.includes('\0') || isAbsolute(rel)) throw invalid(`${field}: '${rel}' must be a relative path inside ${base}`);
  const full = resolve(base, normalize(rel));
  const r = relative(resolve(base), full);
  if (r === '' || r === '..' || r.startsWith('..' + sep) || isAbsolute(r)) {
    throw invalid(`${field}: '${rel}' escapes ${base} (path traversal is refused)`);
  }
  return full;
}

/** Throw a not_found error naming the path unless it exists. */
export function requireExisting(p: string, what: string): string {
  if (!existsSync(p)) throw notFound(what, p);
  return p;
}
