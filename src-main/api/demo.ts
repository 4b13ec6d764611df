/** The embedded demo (resources/demo): the stories260k model, an SAE trained on it and its corpus, found from the package root. */
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

/** The demo SAE (standard, 256 features at blocks.2.hook_resid_post; scripts/demo-sae.ts made it). */
export function demoSaePath(): string | null {
  const d = demoDir();
  const p = d ? join(d, 'sae-blocks.2.hook_resid_post') : null;
  return p && existsSync(join(p, 'cfg.json')) ? p : null;
}

/** The stories the demo model wrote, which the demo SAE was trained on (blank-line-separated). */
export function demoCorpusPath(): string | null {
  const d = demoDir();
  const p = d ? join(d, 'stories-corpus.txt') : null;
  return p && existsSync(p) ? p : null;
}
