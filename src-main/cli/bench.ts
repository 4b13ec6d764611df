/**
 * `npm run bench -- <suite> [--prepack] [--threads N]`: speed goals as JSON lines (one per suite).
 * Suites: engine, generate, score, train, sae. Each prints one JSON object on its own line.
 * `engine-vs-torch [--pairs N] [--peer torch_gpt.py] [--python path] [--peer-blas as-set|native] [--prepack] [--no-arena]` runs the engine suite and the
 * PyTorch reference in same-sitting pairs (bench-pairs.ts); with `--interleave [--rounds N]`, both loaded at once and timed
 * run by run in turns (bench-interleave.ts). It runs only when named.
 */
import { parseFlags } from './command.js';
// each suite is imported when it runs, so that one suite's memory figures do not carry the others' code
const SUITES: Record<string, (f: Record<string, string | boolean>) => Promise<Record<string, unknown>>> = {
  engine: async (f) => (await import('./bench-engine.js')).benchEngine({ prepack: !!f.prepack, threads: f.threads ? Number(f.threads) : 2, memArena: !f['no-arena'] }),
  generate: async () => (await import('./bench-models.js')).benchGenerate(),
  score: async () => (await import('./bench-models.js')).benchScore(),
  train: async () => (await import('./bench-models.js')).benchTrain(),
  sae: async () => (await import('./bench-sae.js')).benchSae(),
  'engine-vs-torch': async (f) => (await import('./bench-pairs.js')).benchEngineVsTorch(f) as unknown as Record<string, unknown>,
};
/** suites that run only when named (they need an external reference) */
const ON_REQUEST = new Set(['engine-vs-torch']);

async function main(): Promise<number> {
  const { flags, positional } = parseFlags(process.argv.slice(2), { prepack: 'boolean', threads: 'string', 'no-arena': 'boolean', pairs: 'string', peer: 'string', python: 'string', interleave: 'boolean', rounds: 'string', 'peer-blas': 'string' });
  const names = positional.length ? positional : Object.keys(SUITES).filter((n) => !ON_REQUEST.has(n));
  for (const n of names) {
    const s = SUITES[n];
    if (!s) {
      console.error(`unknown bench suite '${n}' (suites: ${Object.keys(SUITES).join(', ')})`);
      return 2;
    }
    const r = await s(flags);
    console.log(JSON.stringify(r));
    // a suite that stopped part-way (engine-vs-torch: a later pair or round failed) printed what it had
    if (typeof r.error === 'string') {
      console.error(`bench ${n}: ${r.error}`);
      return 1;
    }
  }
  return 0;
}

main().then((c) => process.exit(c), (e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
