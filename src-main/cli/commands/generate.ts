/** `generate <dir> --prompt "..." [--chat] [--system "..."] [--n 4] [--max-new 64] [--temperature 1] [--top-p 1] [--top-k 0] [--seed 0] [--json]` */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { LanguageModel } from '../../models/lm.js';
import { generate } from '../../models/generate.js';
import { encodePrompt } from '../../models/encode-rows.js';

function num(flags: Record<string, string | boolean>, k: string, def: number): number {
  const v = flags[k];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${k}: '${String(v)}' is not a number`);
  return n;
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'sample completions (KV cache, batched) from a prompt',
  usage: 'generate <dir> --prompt "..." [--chat] [--system "..."] [--n 4] [--max-new 64] [--temperature 1] [--top-p 1] [--top-k 0] [--seed 0] [--json]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, {
      prompt: 'string', chat: 'boolean', system: 'string', n: 'string', 'max-new': 'string', temperature: 'string',
      'top-p': 'string', 'top-k': 'string', seed: 'string', json: 'boolean',
    }, 1);
    const dir = positional[0];
    if (!dir || typeof flags.prompt !== 'string') throw new Error(`usage: ${this.usage}`);
    const rt = Runtime.start();
    try {
      const m = LanguageModel.open(rt, dir);
      const tok = m.tokenizer();
      const system = typeof flags.system === 'string' ? flags.system : undefined;
      const prompt = flags.chat
        ? encodePrompt(tok, [{ role: 'user', content: flags.prompt }], { system })
        : tok.encode(system ? `${system}\n\n${flags.prompt}` : flags.prompt);
      const n = num(flags, 'n', 1);
      const maxNew = num(flags, 'max-new', 64);
      const t0 = performance.now();
      const outs = await generate(m, new Array(n).fill(prompt), {
        maxNew, temperature: num(flags, 'temperature', 1), topP: num(flags, 'top-p', 1), topK: num(flags, 'top-k', 0), seed: num(flags, 'seed', 0),
        onProgress: (p) => process.stderr.write(`\rstep ${p.step}/${p.maxNew}, finished ${p.done}/${p.total}`),
      });
      const s = (performance.now() - t0) / 1000;
      process.stderr.write('\n');
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
