/** `tokenize <dir> --text "..."`: token ids and pieces with the folder's tokenizer. */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { loadTokenizer } from '../../models/tokenizer.js';

export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'token ids and pieces of a text (BOS/EOS per tokenizer_config.json unless --no-special)',
  usage: 'tokenize <dir> --text "..." [--no-special] [--json]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { text: 'string', 'no-special': 'boolean', json: 'boolean' }, 1);
    const dir = positional[0];
    if (!dir || typeof flags.text !== 'string') throw new Error('usage: tokenize <dir> --text "..." [--no-special] [--json]');
    const tok = loadTokenizer(dir);
    const ids = tok.encode(flags.text, { addSpecialTokens: !flags['no-special'] });
    const pieces = tok.pieces(ids);
    if (flags.json) {
      console.log(JSON.stringify({ ids, pieces }));
      return 0;
    }
    console.log(`ids (${ids.length}): ${ids.join(' ')}`);
    ids.forEach((id, i) => console.log(`  ${String(i).padStart(4)}  ${String(id).padStart(7)}  ${JSON.stringify(pieces[i])}`));
    return 0;
  },
};
