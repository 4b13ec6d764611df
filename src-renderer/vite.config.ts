/**
 * Renderer build: used standalone for `serve` (`npm run build:renderer`) and as the renderer part of
 * electron.vite.config.ts. Output: out/renderer.
 */
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './csp.js';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Production builds carry the CSP as a <meta> right after the charset; the dev server (HMR injects styles) does not. */
function cspMeta(): Plugin {
  return {
    name: 'undertone:csp-meta',
    apply: 'build',
    transformIndexHtml(html) {
      const charset = /<meta charset="utf-8" \/>/;
      if (!charset.test(html)) throw new Error('index.html must have <meta charset="utf-8" /> for the CSP to follow');
      const meta = `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`;
      return html.replace(charset, (m) => `${m}\n    ${meta}`);
    },
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [svelte({ configFile: false }), cspMeta()],
  build: {
    // electron-vite's --outDir, when given as an absolute path, replaces this
    outDir: fileURLToPath(new URL('../out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome130',
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    rolldownOptions: { input: fileURLToPath(new URL('index.html', import.meta.url)) },
  },
});
