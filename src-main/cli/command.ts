import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** One CLI command. Each file in cli/commands/ exports one; commands/index.ts lists them. */
export interface Command {
  name: string;
  /** one line for `help` */
  summary: string;
  /** usage line(s), e.g. `selfcheck [--ep cpu|cuda]` */
  usage: string;
  run(argv: string[]): Promise<number>;
}

/**
 * Minimal `--flag value` / `--switch` parser. Unknown flags are an error naming the flag. With
 * `maxPositional`, more bare arguments than that are an error naming the first extra one (an
 * unquoted `--system You love owls` would otherwise quietly become `--system You`).
 */
export function parseFlags(
  argv: string[],
  spec: Record<string, 'string' | 'boolean'>,
  maxPositional = Infinity,
): { flags: Record<string, string | boolean>; positional: string[] } {
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const kind = spec[key];
    if (!kind) throw new Error(`unknown option --${key} (known: ${Object.keys(spec).map((k) => '--' + k).join(', ') || 'none'})`);
    if (kind === 'boolean') flags[key] = true;
    else {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new Error(`option --${key} needs a value`);
      flags[key] = v;
    }
  }
  if (positional.length > maxPositional) {
    const extra = positional[maxPositional]!;
    const takes = maxPositional === 0 ? 'takes no arguments besides its --options' : `takes ${maxPositional} argument${maxPositional === 1 ? '' : 's'} besides its --options`;
    throw new Error(`unexpected argument '${extra}': this command ${takes} (each --option takes one value: quote a value that has spaces)`);
  }
  return { flags, positional };
}

/**
 * Refuse an output file that cannot be written (a folder, a missing or read-only parent folder)
 * before a long computation, not after it: the error names the flag.
 */
export function checkOutFile(flag: string, file: string): void {
  const abs = resolve(file);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new Error(`--${flag} ${file}: is a folder; give a file name`);
  const parent = dirname(abs);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new Error(`--${flag} ${file}: the folder ${parent} does not exist`);
  try {
    accessSync(parent, constants.W_OK);
    if (existsSync(abs)) accessSync(abs, constants.W_OK);
  } catch {
    throw new Error(`--${flag} ${file}: not writable`);
  }
}
