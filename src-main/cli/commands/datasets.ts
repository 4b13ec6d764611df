/** `datasets`: list the store's datasets, import a JSONL file as one, export one as JSONL (through the API ops). */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createContext } from '../../api/context.js';
import { existingStorePath } from '../../store/index.js';
import { dispatch } from '../../api/dispatch.js';
import type { OpInput, OpName, OpOutput } from '../../api/contract-types.js';
import { checkOutFile, parseFlags, type Command } from '../command.js';

export const datasetsCommand: Command = {
  name: 'datasets',
  summary: 'list datasets; import a JSONL file as a dataset; export a dataset as JSONL',
  usage: [
    'datasets [--store path]',
    'datasets import <file.jsonl> [--name N] [--filter] [--store path]      (--filter: the number filter sets pass verdicts)',
    'datasets export <dataset-id> [--out file.jsonl] [--format prompt-completion|messages] [--passed-only] [--store path]',
  ].join('\n       '),
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { store: 'string', name: 'string', filter: 'boolean', out: 'string', format: 'string', 'passed-only': 'boolean' });
    const [action, arg, extra] = positional;
    if (extra !== undefined || (action && !['import', 'export'].includes(action)) || (action && !arg)) throw new Error(`usage: ${this.usage}`);
    if (action === 'export' && typeof flags.out === 'string') checkOutFile('out', flags.out);
    // the file first: an unreadable one leaves no new store behind
    let text = '';
    if (action === 'import') {
      try {
        text = readFileSync(arg!, 'utf8');
      } catch (e) {
        throw new Error(`${arg}: cannot read the JSONL file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    // listing and export read an existing store: a mistyped --store is an error, not a new empty store
    const ctx = createContext({ storePath: action === 'import' ? (flags.store as string | undefined) : existingStorePath(flags.store as string | undefined) });
    const call = async <K extends OpName>(op: K, input: OpInput<K>): Promise<OpOutput<K>> => {
      const r = await dispatch(ctx, op, input);
      if ('error' in r) throw new Error(r.error.message);
      return r.result as OpOutput<K>;
    };
    try {
      if (action === 'import') {
        const source = basename(arg!);
        const r = await call('datasets.importJsonl', {
          name: (flags.name as string | undefined) ?? source.replace(/\.jsonl?$/i, ''), source, text, filter: !!flags.filter,
        });
        const rate = r.dataset.passRate === null ? '' : `, pass rate ${(100 * r.dataset.passRate).toFixed(1)}%`;
        console.log(`dataset ${r.dataset.id} "${r.dataset.name}": ${r.added} samples${rate}`);
      } else if (action === 'export') {
        const format = (flags.format as 'prompt-completion' | 'messages' | undefined) ?? 'prompt-completion';
        const r = await call('datasets.exportJsonl', { datasetId: arg!, format, passedOnly: !!flags['passed-only'] });
        if (!r.count) throw new Error(`dataset '${arg}': no samples to export${flags['passed-only'] ? ' (none passed the filter; leave out --passed-only for all of them)' : ''}`);
        const out = (flags.out as string | undefined) ?? r.fileName;
        writeFileSync(out, r.text);
        console.log(`${r.count} samples → ${out}`);
      } else {
        const list = await call('datasets.list', { limit: 10_000 });
        for (const d of list) {
          const rate = d.passRate === null ? '—' : `${(100 * d.passRate).toFixed(1)}%`;
          console.log(`${d.id}  ${String(d.sampleCount).padStart(7)} samples  pass ${rate.padStart(6)}  ${d.createdAt}  ${d.name}`);
        }
        console.log(`${list.length} dataset(s) in ${ctx.storeFile}`);
      }
      return 0;
    } finally {
      await ctx.close();
    }
  },
};
