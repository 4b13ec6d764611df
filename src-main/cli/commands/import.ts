import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { importExperiment, openStore, resolveStorePath, invalid } from '../../store/index.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'import a folder written by `export` into the store',
  usage: 'import <dir> [--store path]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { store: 'string' });
    const [dir] = positional;
    if (!dir || positional.length > 1) throw invalid(`usage: ${this.usage}`);
    const store = openStore(resolveStorePath(flags.store as string | undefined));
    try {
      const counts = importExperiment(store, { dir });
      const lines = Object.entries(counts).filter(([, c]) => c.added + c.skipped > 0).map(([t, c]) => `${t} +${c.added}${c.skipped ? ` (${c.skipped} already there)` : ''}`);
      console.log(`imported into ${store.path}: ${lines.join(', ') || 'nothing'}`);
      return 0;
    } finally {
      store.close();
    }
  },
};
