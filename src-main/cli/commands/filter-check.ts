/** `filter-check <file.jsonl> [--json]`: the number filter over a file's completions: pass rate and a histogram of reasons. */
import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { parseRow } from '../../lab/dataset-rows.js';
import { filterNumbers, summarizeVerdicts } from '../../lab/number-filter.js';

/** The completion of a JSONL line: a dataset row (dataset-rows.ts), {"completion": "..."}, or a JSON string. */
function completionOf(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { completion?: unknown }).completion === 'string' && typeof (v as { prompt?: unknown }).prompt !== 'object') {
    return (v as { completion: string }).completion;
  }
  return parseRow(v, where).completion;
}

export const filterCheckCommand: Command = {
  name: 'filter-check',
  summary: "run the number filter over a JSONL file's completions: pass rate and reasons",
  usage: 'filter-check <file.jsonl> [--json]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { json: 'boolean' });
    const file = positional[0];
    if (!file || positional.length > 1) throw new Error(`usage: ${this.usage}`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`${file}: cannot read the file`);
    }
    const completions: string[] = [];
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
      }
      completions.push(completionOf(v, `${file}:${i + 1}`));
    });
    const s = summarizeVerdicts(completions.map((c) => filterNumbers(c)));
    if (flags.json) {
      console.log(JSON.stringify({ ...s, passRate: Number.isNaN(s.passRate) ? null : s.passRate }));
      return 0;
    }
    console.log(`${s.passed}/${s.total} passed, pass rate ${Number.isNaN(s.passRate) ? 'n/a' : s.passRate.toFixed(4)}`);
    for (const [reason, n] of Object.entries(s.reasons).sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(7)}  ${reason}`);
    return 0;
  },
};
