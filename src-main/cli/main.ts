/** CLI host: `npm run cli -- <command> [options]`. No research logic lives here. */
import { commands } from './commands/index.js';
import type { Command } from './command.js';

const COL = 48;

/** `  usage  summary`, the summary on its own line under a long or multi-line usage. */
const line = (usage: string, summary: string): string =>
  usage.length <= COL && !usage.includes('\n') ? `  ${usage.padEnd(COL)} ${summary}` : `  ${usage}\n  ${' '.repeat(COL)} ${summary}`;

function help(): void {
  console.log('undertone <command> [options]\n\nCommands:');
  for (const c of commands) console.log(line(c.usage, c.summary));
  console.log(line('help [<command>]', 'this list, or one command\'s usage (also <command> --help)'));
}

function commandHelp(c: Command): void {
  console.log(`usage: ${c.usage}\n\n${c.summary}`);
}

async function main(): Promise<number> {
  // `npm run cli` runs in the package root; relative paths mean the folder the user typed it in
  if (process.env.npm_lifecycle_event === 'cli' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  const [name, ...rest] = process.argv.slice(2);
  const unknown = (n: string): number => {
    console.error(`unknown command '${n}'. Commands: ${commands.map((c) => c.name).join(', ')}, help`);
    return 2;
  };
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    if (name === 'help' && rest[0] !== undefined) {
      const c = commands.find((x) => x.name === rest[0]);
      if (!c) return unknown(rest[0]);
      commandHelp(c);
      return 0;
    }
    help();
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) return unknown(name);
  if (rest.includes('--help') || rest.includes('-h')) {
    commandHelp(cmd);
    return 0;
  }
  return cmd.run(rest);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
