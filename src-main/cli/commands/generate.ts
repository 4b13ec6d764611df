/** `generate <dir> --prompt "..." [--chat] [--system "..."] [--n 1] [--max-new 64] [--temperature 1] [--top-p 1] [--top-k 0] [--seed 0] [--json]` */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { LanguageModel } from '../../models/lm.js';
import { generate } from '../../models/generate.js';
import { encodePrompt } from '../../models/encode-rows.js';
import { intFlag } from './number-prompts.js';
import { percentText, progressLine } from '../progress-line.js';

/** A number flag in [min, max] (the bound `open` is excluded). */
function num(flags: Record<string, string | boolean>, k: string, def: number, min: number, max: number, open?: 'min'): number {
  const v = flags[k];
  if (v === undefined) return def;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new Error(`--${k}: '${String(v)}' is not a number`);
  if (n < min || n > max || (open === 'min' && n === min)) throw new Error(`--${k}: ${n} is outside ${open === 'min' ? '(' : '['}${min}, ${max}]`);
  return n;
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'sample completions (KV cache, batched) from a prompt',
  usage: 'generate <dir> --prompt "..." [--chat] [--system "..."] [--n 1] [--max-new 64] [--temperature 1] [--top-p 1] [--top-k 0] [--seed 0] [--json]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, {
      prompt: 'string', chat: 'boolean', system: 'string', n: 'string', 'max-new': 'string', temperature: 'string',
      'top-p': 'string', 'top-k': 'string', seed: 'string', json: 'boolean',
    }, 1);
    const dir = positional[0];
    if (!dir || typeof flags.prompt !== 'string') throw new Error(`usage: ${this.usage}`);
    const n = intFlag(flags, 'n', 1, 1);
    const maxNew = intFlag(flags, 'max-new', 64, 1);
    const sampling = {
      temperature: num(flags, 'temperature', 1, 0, Infinity), topP: num(flags, 'top-p', 1, 0, 1, 'min'), topK: intFlag(flags, 'top-k', 0), seed: intFlag(flags, 'seed', 0),
    };
    const rt = Runtime.start();
    try {
      const m = LanguageModel.open(rt, dir);
      const tok = m.tokenizer();
      const system = typeof flags.system === 'string' ? flags.system : undefined;
      const prompt = flags.chat
        ? encodePrompt(tok, [{ role: 'user', content: flags.prompt }], { system })
        : tok.encode(system ? `${system}\n\n${flags.prompt}` : flags.prompt);
      const t0 = performance.now();
      const bar = progressLine();
      const outs = await generate(m, new Array(n).fill(prompt), {
        maxNew, ...sampling,
        onProgress: (p) => bar.update(`step ${p.step}/${p.maxNew}, finished ${p.done}/${p.total}`),
      });
      const s = (performance.now() - t0) / 1000;
      bar.end();
      const toks = outs.reduce((a, o) => a + o.ids.length, 0);
      if (flags.json) console.log(JSON.stringify({ prompt_ids: prompt, samples: outs, tokens_per_s: toks / s }));
      else {
        outs.forEach((o, i) => console.log(`--- sample ${i} (${o.ids.length} tokens, ${o.finish})\n${o.text}`));
        console.error(`${toks} tokens in ${s.toFixed(2)} s (${(toks / s).toFixed(0)} tok/s)`);
      }
      await m.close();
      return 0;
    } finally {
      await rt.close();
    }
  },
};
