/** `score --model <dir> --dataset <file.jsonl> [--with <interventions.json>] [--limit N] [--batch 8] [--raw] [--all] [--json]` */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { LanguageModel } from '../../models/lm.js';
import { setFromFlags } from './gen-dataset.js';
import { intFlag } from './number-prompts.js';
import { readJsonlDataset } from '../../lab/dataset-rows.js';
import { lossTable } from '../../lab/loss-table.js';
import { percentText, progressLine } from '../progress-line.js';

export const scoreCommand: Command = {
  name: 'score',
  summary: 'mean completion loss (nats/token) ± standard error of a dataset, optionally under an intervention set',
  usage: 'score --model <dir> --dataset <file.jsonl> [--with <interventions.json>] [--limit N] [--batch 8] [--raw] [--all: rows that failed the filter too] [--json]',
  async run(argv) {
    const { flags } = parseFlags(argv, { model: 'string', dataset: 'string', with: 'string', limit: 'string', batch: 'string', raw: 'boolean', all: 'boolean', json: 'boolean' }, 0);
    if (typeof flags.model !== 'string' || typeof flags.dataset !== 'string') throw new Error(`usage: ${this.usage}`);
    const limit = flags.limit === undefined ? Infinity : intFlag(flags, 'limit', 0, 1);
    const batchSize = intFlag(flags, 'batch', 8, 1);
    const set = setFromFlags(flags);
    // as the jobs: rows marked "passed": false are left out unless --all
    const rows = readJsonlDataset(flags.dataset, limit, { passedOnly: !flags.all });
    const rt = Runtime.start();
    try {
      const m = LanguageModel.open(rt, flags.model);
      const bar = progressLine();
      const [r] = await lossTable(m, rows, [{ name: set.name ?? (set.items.length ? 'with interventions' : 'base'), set }], {
        batchSize, raw: !!flags.raw,
        onProgress: (f, msg) => bar.update(percentText(f, msg)),
      });
      bar.end();
      if (flags.json) console.log(JSON.stringify(r));
      else console.log(`${r!.name}: loss ${r!.lossNats.toFixed(4)} ± ${Number.isFinite(r!.stderrNats) ? r!.stderrNats.toFixed(4) : "— (one sample: no spread)"} nats/token (${r!.samples} samples, ${r!.tokens} completion tokens)`);
      await m.close();
      return 0;
    } finally {
      await rt.close();
    }
  },
};
