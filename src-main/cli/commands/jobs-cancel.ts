import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { openStore, existingStorePath, invalid } from '../../store/index.js';

export const jobsCancelCommand: Command = {
  name: 'jobs-cancel',
  summary: 'ask a run to stop (works across processes: the owning worker polls the store)',
  usage: 'jobs-cancel <runId> [--force] [--store path]   (--force: a run left "running" by a process that is gone but whose pid was reused becomes interrupted, resumable)',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { store: 'string', force: 'boolean' });
    const [runId] = positional;
    if (!runId || positional.length > 1) throw invalid(`usage: ${this.usage}`);
    const store = openStore(existingStorePath(flags.store as string | undefined));
    try {
      if (flags.force) {
        const f = store.runs.forceInterrupt(runId);
        console.log(`run ${f.id} marked interrupted (resume it with jobs-resume, or cancel it again)`);
        return 0;
      }
      const r = store.runs.requestCancel(runId);
      console.log(r.status === 'cancelled' ? `run ${r.id} cancelled` : `run ${r.id} (${r.status}): cancel requested`);
      return 0;
    } finally {
      store.close();
    }
  },
};
