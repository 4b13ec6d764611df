/** The embedded demo model (resources/demo/stories260k), found from the package root. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function demoDir(): string | null {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const d = join(dir, 'resources', 'demo');
    if (existsSync(join(d, 'stories260k', 'config.json'))) return d;
    if (dirname(dir) === dir) return null;
  }
}

export function demoModelPath(): string | null {
  const d = demoDir();
  return d ? join(d, 'stories260k') : null;
}
