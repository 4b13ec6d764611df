/** electron-vite: main (Electron entry + worker entries), sandboxed preload (CommonJS), renderer. */
import { defineConfig } from 'electron-vite';
import renderer from './src-renderer/vite.config.js';

export default defineConfig({
  main: {
    build: {
      // dependencies stay external (electron-vite's default); the native ones must
      externalizeDeps: { include: ['onnxruntime-node', 'better-sqlite3'] },
      rolldownOptions: {
        input: {
          index: 'src-main/app/main.ts',
          // worker_threads entries, loaded beside index.js (e.g. new URL('./worker.js', import.meta.url))
          worker: 'src-main/engine/worker.ts',
          'jobs-worker': 'src-main/jobs/worker.ts',
        },
        // shared chunks beside the entries, so `new URL('./worker.js', import.meta.url)` in a chunk
        // (engine/runtime.ts, shared by the app and the jobs worker) finds the worker entry
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: 'src-preload/index.ts' },
        // a sandboxed preload must be one CommonJS file
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer,
});
