/**
 * `backup --out file.db`: a consistent copy of the store in one file (SQLite's VACUUM INTO), taken
 * while jobs may be writing. Copying the store file alone misses what still sits in its -wal file.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { existingStorePath, openStore } from '../../store/index.js';

export const backupCommand: Command = {
  name: 'backup',
  summary: 'a consistent one-file copy of the store (safe while jobs run)',
  usage: 'backup --out file.db [--store path]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { out: 'string', store: 'string' });
    if (positional.length || typeof flags.out !== 'string') throw new Error(`usage: ${this.usage}`);
    const out = resolve(flags.out);
    if (existsSync(out)) throw new Error(`--out ${out} exists; give a new file`);
    const store = openStore(existingStorePath(flags.store as string | undefined));
    try {
      store.db.prepare('VACUUM INTO ?').run(out);
      console.log(`backed up ${store.path} to ${out}`);
      return 0;
    } finally {
      store.close();
    }
  },
};
