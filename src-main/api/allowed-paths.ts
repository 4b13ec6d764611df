/**
 * The rule for file arguments of the contract (`experiments.export` out, `experiments.import` dir),
 * the same in every host so that `serve` cannot be used to read or write arbitrary files:
 *
 *   a path must be absolute, hold no '..' segment, and lie strictly inside an allowed root:
 *   the store's folder, the user's home folder, the app's embedded demo folder (resources/demo),
 *   or a folder the user named in UNDERTONE_ALLOW (paths separated by ':', or ';' on Windows; e.g.
 *   models on a GPU server's /data). The filesystem root is never an allowed root.
 *
 * Symbolic links are resolved first (on the deepest part of the path that exists, and on the roots),
 * so a link inside a root cannot lead outside it. The CLI's own `export`/`import` commands, run by
 * the user at a shell, are not limited.
 */
import { existsSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ApiError } from './errors.js';
import { demoDir } from './demo.js';

export function allowedRoots(storeFile: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const demo = demoDir();
  const extra = (env.UNDERTONE_ALLOW ?? '').split(delimiter).map((d) => d.trim()).filter((d) => d && isAbsolute(d));
  const roots = [dirname(resolve(storeFile)), homedir(), ...(demo ? [demo] : []), ...extra].map(real);
  return [...new Set(roots)].filter((r) => dirname(r) !== r);
}

/** The path with symlinks resolved as far as it exists; the rest appended as given. */
function real(p: string): string {
  const rest: string[] = [];
  let at = resolve(p);
  while (!existsSync(at)) {
    const up = dirname(at);
    if (up === at) break;
    rest.unshift(basename(at));
    at = up;
  }
  try {
    at = realpathSync.native(at);
  } catch {
    // unreadable: keep it as given
  }
  return join(at, ...rest);
}

const inside = (root: string, p: string): boolean => {
  const r = relative(root, p);
  return r !== '' && !r.startsWith('..' + sep) && r !== '..' && !isAbsolute(r);
};

/** The resolved path, or an invalid_input error naming `field` and the rule. */
export function checkAllowedPath(p: string, roots: string[], field: string): string {
  const fail = (message: string): never => {
    throw new ApiError('invalid_input', `${field}: ${message}`, [{ path: field, message }]);
  };
  if (!isAbsolute(p)) fail(`'${p}' must be an absolute path`);
  if (p.split(/[\\/]/).includes('..')) fail(`'${p}' contains a '..' segment (path traversal is refused)`);
  const full = real(p);
  if (!roots.some((root) => inside(root, full))) {
    const via = full !== resolve(p) ? ` (through a symbolic link it is ${full})` : '';
    fail(`'${p}'${via} is outside the allowed folders (${roots.join(', ')}); API file paths must lie inside the store's folder or your home folder; name more folders in UNDERTONE_ALLOW and restart (e.g. UNDERTONE_ALLOW=${dirname(full)} npm run cli -- serve)`);
  }
  return full;
}
