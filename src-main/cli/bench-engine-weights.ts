/**
 * Writes the engine bench's random GPT weights to a safetensors file. Run as its own process by
 * bench-engine.ts, so that the garbage of making 128 MB of test data is not in the process whose
 * memory the bench reports. Usage: bench-engine-weights.ts <file.safetensors>
 */
import { writeSafetensorsStreaming } from '../engine/safetensors.js';
import { BENCH_GPT, toyGptShapes, toyGptWeight } from '../engine/toy-gpt.js';

export function writeBenchWeights(file: string): void {
  const shapes = toyGptShapes(BENCH_GPT);
  const entries = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, { dtype: 'F32' as const, shape: s }]));
  writeSafetensorsStreaming(file, entries, (n) => toyGptWeight(BENCH_GPT, 0, n), 4096);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) writeBenchWeights(process.argv[2]!);
