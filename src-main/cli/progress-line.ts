/**
 * One command's progress on stderr. On a terminal it is one line rewritten in place (`\r`), padded
 * so that a shorter text clears the longer one before it. Anywhere else (a log file, `tee`, nohup over
 * SSH) every update would otherwise pile onto one line of `\r`s, thousands long, so it writes whole
 * lines instead: the first update, then at most one every `everyMs` (default 10 s), and on `end()`
 * the last one if it was not written yet. `say` prints a line of its own between updates (a job's
 * status change, a Ctrl-C notice), on a terminal after finishing the progress line.
 */
export interface ProgressLine {
  update(text: string): void;
  /** ends the progress: the line is finished (terminal) or the last text written (elsewhere) */
  end(): void;
  /** a line of its own: on a terminal below the progress line (the next update starts a new one); elsewhere it supersedes a held update */
  say(text: string): void;
  /** on a terminal, finishes the progress line so that a line written elsewhere (stderr) starts on its own row */
  break(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  /** a terminal's width: a longer progress text is cut to fit, since a wrapped line cannot be rewritten in place */
  columns?: number;
  write(s: string): unknown;
}

export function progressLine(out: ProgressStream = process.stderr, o: { everyMs?: number; now?: () => number } = {}): ProgressLine {
  const now = o.now ?? Date.now;
  const every = o.everyMs ?? 10_000;
  let shown = 0; // terminal: width of the line on screen
  let lastAt = -Infinity;
  let pending: string | null = null;
  if (out.isTTY) {
    return {
      update(full) {
        const room = out.columns ? Math.max(8, out.columns - 1) : Infinity;
        const text = full.length > room ? `${full.slice(0, room - 1)}…` : full;
        out.write(`\r${text}${' '.repeat(Math.max(0, shown - text.length))}`);
        shown = text.length;
      },
      end() {
        if (shown) out.write('\n');
        shown = 0;
      },
      say(text) {
        out.write(`${shown ? '\n' : ''}${text}\n`);
        shown = 0;
      },
      break() {
        if (shown) out.write('\n');
        shown = 0;
      },
    };
  }
  return {
    update(text) {
      const t = now();
      if (t - lastAt >= every) {
        out.write(`${text}\n`);
        lastAt = t;
        pending = null;
      } else pending = text;
    },
    end() {
      if (pending !== null) out.write(`${pending}\n`);
      pending = null;
    },
    say(text) {
      out.write(`${text}\n`);
      pending = null;
    },
    break() {},
  };
}

/** The usual `NN% message` of a fraction done and what is being done. */
export const percentText = (f: number, msg: string): string => `${(f * 100).toFixed(0)}% ${msg}`;
