import type { Command } from '../command.js';
import { apiCommand } from './api.js';
import { serveCommand } from './serve.js';
import { selfcheck } from './selfcheck.js';
import { infoCommand } from './info.js';
import { tokenizeCommand } from './tokenize.js';

/** Every CLI command, in `help` order. Add one line per command file. */
export const commands: Command[] = [
  selfcheck,
  apiCommand,
  serveCommand,
  infoCommand,
  tokenizeCommand,
];
