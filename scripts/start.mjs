#!/usr/bin/env node
// `npm start`: the Electron app when Electron's binary is installed; otherwise the same UI in a
// browser through `serve` (extra arguments go to serve, e.g. `npm start -- --port 8080`).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

/** Where Electron's npm package put its binary; undefined if it was never downloaded. */
function electronBinary() {
  const pkg = `${root}node_modules/electron`;
  const pathFile = `${pkg}/path.txt`;
  if (!existsSync(pathFile)) return undefined;
  const bin = `${pkg}/dist/${readFileSync(pathFile, 'utf8').trim()}`;
  return existsSync(bin) ? bin : undefined;
}

function run(argv) {
  const child = spawn(process.execPath, argv, { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

if (electronBinary()) {
  // builds main, preload and renderer, then launches Electron
  run([`${root}node_modules/electron-vite/bin/electron-vite.js`, 'preview']);
} else {
  console.log("Electron's binary is not installed (node_modules/electron/dist); opening Undertone in the browser via `serve` instead.");
  const { build } = await import('vite');
  await build({ configFile: `${root}src-renderer/vite.config.ts`, logLevel: 'warn' });
  run(['--import', 'tsx', `${root}src-main/cli/main.ts`, 'serve', ...args]);
}
