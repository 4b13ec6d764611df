/** `logits <dir> --ids 1,2,3 [--json]`: next-token logits at every position. */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { LanguageModel } from '../../models/lm.js';
import { tokenText } from '../../models/token-text.js';

export const logitsCommand: Command = {
  name: 'logits',
  summary: 'next-token logits at every position of a token sequence',
  usage: 'logits <dir> --ids 1,2,3 [--json]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { ids: 'string', json: 'boolean' }, 1);
    const dir = positional[0];
    if (!dir || typeof flags.ids !== 'string') throw new Error(`usage: ${this.usage}`);
    const ids = flags.ids.split(',').map((s) => {
      const n = s.trim() === '' ? NaN : Number(s.trim());
      if (!Number.isInteger(n) || n < 0) throw new Error(`--ids: '${s}' is not a token id`);
      return n;
    });
    const rt = Runtime.start();
    try {
      const m = LanguageModel.open(rt, dir);
      const V = m.spec.vocab;
      const bad = ids.find((t) => t >= V);
      if (bad !== undefined) throw new Error(`--ids: token id ${bad} is outside the vocabulary (0..${V - 1})`);
      const s = await m.session('score');
      const T = ids.length;
      const i64 = (v: number[]) => ({ dtype: 'int64' as const, dims: [1, T], data: BigInt64Array.from(v.map(BigInt)) });
      const r = await s.run({ ids: i64(ids), positions: i64(ids.map((_, i) => i)), attn_mask: i64(ids.map(() => 1)), targets: i64(ids), loss_mask: { dtype: 'float32', dims: [1, T], data: new Float32Array(T) } }, { outputs: ['logits'] });
      const lg = r.logits!.data as Float32Array;
      const rows = Array.from({ length: T }, (_, t) => Array.from(lg.subarray(t * V, (t + 1) * V)));
      if (flags.json) console.log(JSON.stringify({ ids, logits: rows }));
      else {
        const tok = m.tok;
        rows.forEach((row, t) => {
          const top = row.map((v, i) => [i, v] as const).sort((a, b) => b[1] - a[1]).slice(0, 5);
          const show = top.map(([i, v]) => `${i}${tok ? `(${JSON.stringify(tokenText(tok, i))})` : ''}=${v.toFixed(3)}`).join('  ');
          console.log(`pos ${t} id ${ids[t]}: ${show}`);
        });
      }
      await m.close();
      return 0;
    } finally {
      await rt.close();
    }
  },
};
