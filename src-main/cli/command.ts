/** One CLI command. Each file in cli/commands/ exports one; commands/index.ts lists them. */
export interface Command {
  name: string;
  /** one line for `help` */
  summary: string;
  /** usage line(s), e.g. `selfcheck [--ep cpu|cuda]` */
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Minimal `--flag value` / `--switch` parser. Unknown flags are an error naming the flag. */
export function parseFlags(
  argv: string[],
  spec: Record<string, 'string' | 'boolean'>,
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
  return { flags, positional };
}
