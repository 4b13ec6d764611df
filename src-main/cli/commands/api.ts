/** `api`: call any contract op from the command line, through the same dispatcher as the app. */
import { readFileSync } from 'node:fs';
import { createContext } from '../../api/context.js';
import { dispatch } from '../../api/dispatch.js';
import { ops } from '../../api/ops/index.js';
import { parseFlags, type Command } from '../command.js';

export const apiCommand: Command = {
  name: 'api',
  summary: 'call an API op with JSON input (no op: list them); prints the JSON result',
  usage: "api [<op> ['<json>' | -]] [--store path]",
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { store: 'string' });
    const [op, json, extra] = positional;
    if (extra !== undefined) throw new Error(`api takes an op and one JSON argument (got also '${extra}')`);
    if (!op) {
      for (const [name, def] of Object.entries(ops)) console.log(`${name.padEnd(28)} ${def.summary}`);
      return 0;
    }
    const text = json === '-' ? readFileSync(0, 'utf8') : json;
    let input: unknown;
    try {
      input = text === undefined ? undefined : JSON.parse(text);
    } catch (err) {
      throw new Error(`input is not JSON: ${(err as Error).message}`);
    }
    const ctx = createContext({ storePath: flags.store as string | undefined });
    try {
      const envelope = await dispatch(ctx, op, input);
      if ('result' in envelope) {
        console.log(JSON.stringify(envelope.result, null, 2));
        return 0;
      }
      console.error(JSON.stringify(envelope, null, 2));
      return envelope.error.code === 'invalid_input' || envelope.error.code === 'unknown_op' ? 2 : 1;
    } finally {
      await ctx.close();
    }
  },
};
