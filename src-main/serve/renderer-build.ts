/** Where the built renderer lives, and building it (with Vite) when it is missing. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_OUT_DIR = `${ROOT}out/renderer`;
const CONFIG = `${ROOT}src-renderer/vite.config.ts`;

/** Returns the folder to serve; builds it first if it has no index.html. */
export async function ensureRendererBuilt(log: (line: string) => void): Promise<string> {
  if (!existsSync(`${RENDERER_OUT_DIR}/index.html`)) {
    log(`building the renderer into ${RENDERER_OUT_DIR} ...`);
    const { build } = await import('vite');
    await build({ configFile: CONFIG, logLevel: 'warn' });
  }
  return RENDERER_OUT_DIR;
}
