import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { openStore, existingStorePath, runListQuerySchema, parseInput } from '../../store/index.js';
import { reapDeadRuns } from '../../jobs/owner.js';

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list runs (jobs) in the store',
  usage: 'runs [--status s] [--kind k] [--limit n] [--offset n] [--json] [--store path]   (the newest --limit runs, 1000 by default; --offset counts from the oldest)',
  async run(argv) {
    const { flags } = parseFlags(argv, { status: 'string', kind: 'string', limit: 'string', offset: 'string', json: 'boolean', store: 'string' }, 0);
    const filters = { status: flags.status, kind: flags.kind };
    const limit = flags.limit === undefined ? 1000 : Number(flags.limit);
    parseInput(runListQuerySchema, { ...filters, limit, offset: flags.offset === undefined ? undefined : Number(flags.offset) }, 'runs options');
    const store = openStore(existingStorePath(flags.store as string | undefined));
    try {
      reapDeadRuns(store); // a run whose process was killed shows as interrupted, not running
      const total = store.runs.count(parseInput(runListQuerySchema, filters, 'runs options'));
      // the newest runs unless an offset is given
      const offset = flags.offset === undefined ? Math.max(0, total - limit) : Number(flags.offset);
      const list = store.runs.list(parseInput(runListQuerySchema, { ...filters, limit, offset }, 'runs options'));
      if (flags.json) console.log(JSON.stringify(list, null, 2));
      else {
        for (const r of list) {
          console.log(`${r.id}  ${r.kind.padEnd(14)} ${r.status.padEnd(11)} ${(r.progress * 100).toFixed(1).padStart(5)}%  ${r.createdAt}  ${r.error ?? r.message ?? ''}`);
        }
        const shown = list.length < total ? ` (runs ${offset + 1}–${offset + list.length} of ${total}, oldest first; --offset and --limit page)` : '';
        console.log(`${list.length} run(s) in ${store.path}${shown}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};
