/** `number-prompts [--n 5] [--seed 0] [--start 0] [--json]`: print number prompts (the teacher-dataset prompt stream). */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { numberPrompts } from '../../lab/number-prompts.js';

export function intFlag(flags: Record<string, string | boolean>, k: string, def: number, min = 0): number {
  const v = flags[k];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${k}: '${String(v)}' is not an integer ≥ ${min}`);
  return n;
}

export const numberPromptsCommand: Command = {
  name: 'number-prompts',
  summary: 'print number prompts of the teacher-dataset stream (deterministic from the seed)',
  usage: 'number-prompts [--n 5] [--seed 0] [--start 0] [--json]',
  async run(argv) {
    const { flags } = parseFlags(argv, { n: 'string', seed: 'string', start: 'string', json: 'boolean' }, 0);
    const ps = numberPrompts(intFlag(flags, 'n', 5), intFlag(flags, 'seed', 0), {}, intFlag(flags, 'start', 0));
    for (const p of ps) console.log(flags.json ? JSON.stringify(p) : `${p.index}\t${p.text}`);
    return 0;
  },
};
