/** The code version recorded on every run: the package version plus `git describe` when run from a checkout. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

function packageRoot(): string | null {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

export function codeVersion(): string {
  if (cached) return cached;
  const root = packageRoot();
  let version = 'undertone@unknown';
  if (root) {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string; version?: string };
    version = `${pkg.name ?? 'undertone'}@${pkg.version ?? 'unknown'}`;
    try {
      const describe = execFileSync('git', ['describe', '--always', '--dirty', '--tags'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 })
        .toString()
        .trim();
      if (describe) version += `+${describe}`;
    } catch {
      // not a git checkout (an installed app): the package version is the code version
    }
  }
  return (cached = version);
}
