/**
 * `npm run bench -- <suite> [--prepack] [--threads N]`: speed goals as JSON lines (one per suite).
 * Suites: engine, generate, score, train, sae. Each prints one JSON object on its own line.
 */
import { parseFlags } from './command.js';
import { benchEngine } from './bench-engine.js';
import { benchGenerate, benchScore, benchTrain } from './bench-models.js';
import { benchSae } from './bench-sae.js';

const SUITES: Record<string, (f: Record<string, string | boolean>) => Promise<Record<string, unknown>>> = {
  engine: (f) => benchEngine({ prepack: !!f.prepack, threads: f.threads ? Number(f.threads) : 2, memArena: !f['no-arena'] }),
  generate: () => benchGenerate(),
  score: () => benchScore(),
  train: () => benchTrain(),
  sae: () => benchSae(),
};

async function main(): Promise<number> {
  const { flags, positional } = parseFlags(process.argv.slice(2), { prepack: 'boolean', threads: 'string', 'no-arena': 'boolean' });
  const names = positional.length ? positional : Object.keys(SUITES);
  for (const n of names) {
    const s = SUITES[n];
    if (!s) {
      console.error(`unknown bench suite '${n}' (suites: ${Object.keys(SUITES).join(', ')})`);
      return 2;
    }
    console.log(JSON.stringify(await s(flags)));
  }
  return 0;
}

main().then((c) => process.exit(c), (e: unknown) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
